// Pictures of what is on air: the PROGRAM and PREVIEW monitors show what the displays send.
//
// PROGRAM is the newest picture from the first connected display the program cue is aimed
// at (by name order; its name is under the picture). PREVIEW is the preview cue as that
// display has already entered it, drawn offscreen by the display itself: the server keeps
// which cue it was for (`preview_for`), and a picture for another cue is never shown.
//
// While this panel is connected the server asks displays for a picture at least twice a
// second and at once after a cue, a blackout or a pattern (`projector.display.thumbnails`),
// and says in each push when the newest arrived (`thumbnail_at`, `preview_thumbnail_at`).

import { $, h, setText } from "./dom.js";
import { t } from "./i18n.js";

const seen = { displays: [], program: null, preview: null, programTarget: null, show: null };
const monitors = {};

/** Whether a cue aimed at `target` is for display `d` (as `projector.core.fleet.targets`). */
function aimsAt(target, d) {
  if (!target || target === "all") return true;
  const [kind, which] = [target.slice(0, target.indexOf(":")), target.slice(target.indexOf(":") + 1)];
  if (kind === "group") return Array.isArray(d.groups) && d.groups.includes(which);
  if (kind === "display") return d.name === which;
  return false;
}

function monitor(kind) {
  if (monitors[kind]) return monitors[kind];
  const pane = $(`#${kind}-pane .monitor-body`);
  if (!pane) return null;
  const img = h("img", { class: "onair-img", alt: "", decoding: "async" });
  const caption = h("figcaption", { class: "onair-from" });
  const figure = h("figure", { class: "onair", id: `${kind}-picture`, hidden: true }, img, caption);
  img.addEventListener("load", () => {
    figure.hidden = false;
  });
  img.addEventListener("error", () => {
    figure.hidden = true; // gone between the push and the fetch: the next push brings another
  });
  pane.append(figure);
  monitors[kind] = { figure, img, caption, stamp: null };
  return monitors[kind];
}

function show(kind, d, stamp, path) {
  const m = monitor(kind);
  if (!m) return;
  if (!d) {
    m.figure.hidden = true;
    m.stamp = null;
    m.img.removeAttribute("src");
    return;
  }
  const name = encodeURIComponent(d.name);
  setText(m.caption, t("from {name}", { name: d.name }));
  m.img.alt = kind === "program" ? t("What {name} shows", { name: d.name }) : t("What {name} shows next", { name: d.name });
  if (m.stamp === `${d.name}@${stamp}`) return;
  m.stamp = `${d.name}@${stamp}`;
  m.img.src = `/api/v1/displays/${name}/${path}?t=${encodeURIComponent(stamp)}`;
}

function render() {
  const live = seen.displays.filter((d) => d.connected && aimsAt(seen.programTarget, d));
  const programFrom = live.find((d) => d.thumbnail_at) || null;
  show("program", programFrom, programFrom && programFrom.thumbnail_at, "thumbnail.jpg");
  const cues = (seen.show && Array.isArray(seen.show.cues) && seen.show.cues) || [];
  const next = Number.isInteger(seen.preview) ? cues[seen.preview] : null;
  // The same display as PROGRAM when it has the preview entered, else the first that has.
  const candidates = next
    ? seen.displays.filter((d) => d.connected && d.preview_thumbnail_at && d.preview_for === seen.preview && aimsAt(next.target || seen.show.target, d))
    : [];
  const previewFrom = candidates.find((d) => programFrom && d.name === programFrom.name) || candidates[0] || null;
  show("preview", previewFrom, previewFrom && previewFrom.preview_thumbnail_at, "preview.jpg");
}

/** Take a panel push (or a poll's answer): whatever part of it is there. */
export function applyOnAir(msg) {
  if (!msg || typeof msg !== "object") return;
  if (Array.isArray(msg.displays)) seen.displays = msg.displays.filter((d) => d && typeof d.name === "string");
  if ("show" in msg) {
    seen.show = msg.show || null;
    seen.program = Number.isInteger(msg.program) ? msg.program : null;
    seen.preview = Number.isInteger(msg.preview) ? msg.preview : null;
    seen.programTarget = typeof msg.program_target === "string" ? msg.program_target : null;
  }
  render();
}
