// The displays: one card each, keyed by name and updated in place (so an image
// never flickers), with what the display reports: scene, fps, frame time,
// its last error, and a thumbnail of what it shows.

import { $, fmtAgo, fmtNum, fromTemplate, numberLocale, setClass, setText, toMillis } from "./dom.js";
import { announceAlerts, decorateCard } from "./fleet.js";
import { onLanguageChange, t, translateTree } from "./i18n.js";
import { mapButton } from "./mapping.js";

let displays = [];
const cards = new Map(); // display name -> card element

export function applyDisplays(list) {
  displays = list.filter((d) => d && typeof d.name === "string");
  announceAlerts(displays);
  renderDisplays();
}

function thumbUrl(name, stamp) {
  return `/api/v1/displays/${encodeURIComponent(name)}/thumbnail.jpg?t=${encodeURIComponent(stamp || Date.now())}`;
}

/**
 * Load a display's thumbnail when the server says a new one arrived
 * (`thumbnail_at` changed); a server that does not say so is asked every 5 s.
 */
function updateThumbnail(card, d, force) {
  const img = card.querySelector(".thumb-img");
  if ("thumbnail_at" in d) {
    if (!d.thumbnail_at || (card.dataset.thumbAt === d.thumbnail_at && !force)) return;
    card.dataset.thumbAt = d.thumbnail_at;
    img.src = thumbUrl(d.name, d.thumbnail_at);
  } else if (force || !img.getAttribute("src")) {
    img.src = thumbUrl(d.name);
  }
}

function makeCard(name) {
  const card = fromTemplate("tpl-display");
  card.dataset.name = name;
  const img = card.querySelector(".thumb-img");
  const thumb = card.querySelector(".thumb");
  img.alt = t("What {name} shows", { name });
  img.addEventListener("load", () => {
    img.hidden = false;
    thumb.classList.add("has-image");
  });
  img.addEventListener("error", () => {
    img.hidden = true; // 404: no thumbnail yet
    thumb.classList.remove("has-image");
  });
  return card;
}

export function renderDisplays() {
  const grid = $("#display-grid");
  const seen = new Set();
  let connected = 0;
  displays.forEach((d, index) => {
    seen.add(d.name);
    let card = cards.get(d.name);
    if (!card) {
      card = makeCard(d.name);
      cards.set(d.name, card);
    }
    const online = d.connected !== false;
    if (online) connected += 1;
    setText(card.querySelector(".display-name"), d.name);
    card.querySelector(".display-name").title = d.name;
    let conn = t("Offline · last seen {ago}", { ago: fmtAgo(toMillis(d.last_seen)) });
    if (online && d.silent) conn = t("Silent since {ago}", { ago: fmtAgo(toMillis(d.last_seen)) });
    else if (online) conn = d.address ? t("Online · {address}", { address: d.address }) : t("Online");
    const connEl = card.querySelector(".display-conn");
    setText(connEl, conn);
    const since = new Date(toMillis(d.connected_at));
    connEl.title = Number.isNaN(since.getTime())
      ? ""
      : t("Connected since {time}", { time: since.toLocaleString(numberLocale()) });
    const scene = card.querySelector(".thumb-scene");
    setText(scene, d.scene || "");
    setClass(scene, "scene-blackout", d.scene === "blackout");
    const fps = typeof d.fps === "number" ? d.fps : null;
    const slow = fps !== null && fps < 50;
    const fpsEl = card.querySelector(".d-fps");
    setText(fpsEl, fps === null ? "–" : fmtNum(fps, 0));
    setClass(fpsEl, "bad", slow);
    const p99 = card.querySelector(".d-p99");
    setText(p99, typeof d.frame_p99_ms === "number" ? fmtNum(d.frame_p99_ms, 1) : "–");
    setClass(p99, "bad", typeof d.frame_p99_ms === "number" && d.frame_p99_ms > 1000 / 50);
    setText(card.querySelector(".d-rev"), typeof d.rev === "number" ? d.rev : "–");
    // Isolated left to right (U+2066 ... U+2069): "1920×1080" must not turn into "1080×1920" in Arabic.
    const res = Array.isArray(d.resolution) ? `\u2066${d.resolution[0]}×${d.resolution[1]}\u2069` : "–";
    setText(card.querySelector(".thumb-res"), res === "–" ? "" : res);
    setText(card.querySelector(".display-error"), d.error ? `⚠ ${d.error}` : "");
    setClass(card, "warn", slow || Boolean(d.error) || Boolean(online && d.silent));
    setClass(card, "offline", !online);
    updateThumbnail(card, d, false);
    decorateCard(card, d); // groups, health, alerts, identify/reload/retire (fleet.js)
    mapButton(card, d); // projection mapping (mapping.js)
    // Keeps the server's order; a card already in place is not moved (moving a node
    // keeps its image, but would take the focus out of an open edit form).
    if (grid.children[index] !== card) grid.insertBefore(card, grid.children[index] || null);
  });
  for (const [name, card] of cards) {
    if (!seen.has(name)) {
      card.remove();
      cards.delete(name);
    }
  }
  $("#displays-empty").hidden = displays.length > 0;
  setText(
    $("#display-count"),
    displays.length ? t("{connected} of {total} connected", { connected, total: displays.length }) : "",
  );
}

// A new language: the cards' own words (from the template) and what this module wrote.
onLanguageChange(() => {
  for (const [name, card] of cards) {
    translateTree(card);
    card.querySelector(".thumb-img").alt = t("What {name} shows", { name });
  }
  renderDisplays();
});

export function refreshThumbnails() {
  for (const d of displays) {
    const card = cards.get(d.name);
    if (card && !("thumbnail_at" in d)) updateThumbnail(card, d, true);
  }
}
