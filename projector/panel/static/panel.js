// The operator panel: login, the cue list with program/preview, GO/BACK/HOLD/
// BLACKOUT/PANIC (buttons and keys), the displays, live totals, the chart,
// manual tallies, and the Messages tab (moderation.js). Everything renders
// from the server's state messages on the panel websocket, so two operators
// see each other's GO at once; while the socket is down the panel polls the
// HTTP API and says it is reconnecting.

import { api, ApiError, quietly, session } from "./api.js";
import { initBrand } from "./brand.js";
import { applyTotals, initCampaign, loadCases, loadChart, redrawChart, resetTotals } from "./campaign.js";
import { applyDisplays, refreshThumbnails, renderDisplays } from "./displays.js";
import { applyRetired, initRetired, render as renderRetired } from "./retired.js";
import { $, $$, fmtClock, fmtNum, fromTemplate, h, setClass, setText, transitionName } from "./dom.js";
import * as editor from "./editor.js";
import * as moderation from "./moderation.js";
import { applyOnAir } from "./onair.js";
import * as cases from "./cases.js";
import * as schedule from "./schedule.js";
import {
  browserLanguage,
  language,
  languageSelect,
  onLanguageChange,
  rememberLanguage,
  setLanguage,
  storedLanguage,
  t,
  tn,
} from "./i18n.js";

const WS_PATH = "/api/v1/panel/ws";
const POLL_MS = 2000;
const THUMB_MS = 5000;
const CHART_MS = 60000;
const BACKOFF_MS = [500, 10000];
/** Where the operator's language choice is kept (this browser only). */
const LANG_KEY = "projector.lang";

const state = { show: null, program: null, preview: null, program_at: null, held: false, blackout: false, rev: -1 };
let showKey = "";
let staleReplies = 0;
let selected = null; // the id of the cue under the cursor
let view = "operate";
let running = false;
let intervals = [];
let socket = null;
let wsAttempt = 0;
let wsTimer = null;
let pollTimer = null;
let connKind = "connecting";
let loginMessage = () => ""; // re-read on a language change, so the words follow it
const inflight = new Set();

// --- toasts -------------------------------------------------------------------------------------

const ERROR_TITLES = {
  conflict: () => t("Someone else pressed first"),
  in_transition: () => t("Still in a transition"),
  end_of_show: () => t("End of the show"),
  start_of_show: () => t("Start of the show"),
  no_show: () => t("No show loaded"),
  unknown_cue: () => t("No such cue"),
  forbidden: () => t("Not allowed"),
  csrf: () => t("Security check failed"),
  network: () => t("Server unreachable"),
  rate_limited: () => t("Too many requests"),
  invalid: () => t("Not accepted"),
};

function viewerTip() {
  return t("viewers cannot operate");
}

function toast(kind, title, text, ms) {
  const el = h(
    "div",
    { class: `toast ${kind}`, role: kind === "error" ? "alert" : "status", title: t("Click to dismiss") },
    h("strong", { class: "toast-title" }, title),
    text ? h("span", { class: "toast-text" }, text) : null,
  );
  el.addEventListener("click", () => el.remove());
  const box = $("#toasts");
  box.append(el);
  while (box.children.length > 4) box.firstElementChild.remove();
  setTimeout(() => el.remove(), ms || (kind === "error" ? 6000 : 3500));
}

function reportError(err) {
  toast("error", Object.hasOwn(ERROR_TITLES, err.code) ? ERROR_TITLES[err.code]() : t("Refused"), err.message);
}

// --- login and the session ------------------------------------------------------------------------

/** `message`: words for the login card, or a function giving them in the current language. */
function showLogin(message = "", username = "") {
  stop();
  $("#app").hidden = true;
  $("#login-view").hidden = false;
  loginMessage = typeof message === "function" ? message : () => message;
  renderLoginMessage();
  const user = $("#login-username");
  if (username && !user.value) user.value = username;
  $("#login-password").value = "";
  (user.value ? $("#login-password") : user).focus();
}

function renderLoginMessage() {
  const msg = $("#login-message");
  const text = loginMessage();
  msg.textContent = text;
  msg.hidden = !text;
}

function sessionLost() {
  if ($("#app").hidden) return;
  session.clear();
  showLogin(() => t("Your session has expired"), session.username || "");
}

async function onLogin(event) {
  event.preventDefault();
  const username = $("#login-username").value.trim();
  const password = $("#login-password").value;
  if (!username || !password) {
    loginMessage = () => t("Enter your username and password.");
    renderLoginMessage();
    return;
  }
  const button = $("#login-submit");
  button.disabled = true;
  button.textContent = t("Logging in…");
  try {
    const reply = await api("POST", "/api/v1/login", { username, password }, { auth: false });
    session.save(reply);
    $("#login-password").value = "";
    enterApp();
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    const refusal = err.message; // the server's words (English: they name what was wrong)
    loginMessage = () => refusal;
    renderLoginMessage();
    $("#login-password").select();
  } finally {
    button.disabled = false;
    button.textContent = t("Log in");
  }
}

async function onLogout() {
  try {
    await api("POST", "/api/v1/logout", {}, { auth: false });
  } catch {
    /* logged out either way */
  }
  const name = session.username;
  session.clear();
  showLogin(() => t("You have logged out."), name || "");
}

function enterApp() {
  $("#login-view").hidden = true;
  $("#app").hidden = false;
  setText($("#user-name"), session.username || "");
  const chip = $("#user-role");
  setText(chip, session.role || "");
  chip.dataset.role = session.role || "";
  applyRole();
  start();
}

function applyRole() {
  const can = session.canOperate;
  for (const el of $$(".op")) {
    el.disabled = !can;
    // The button's own tip (data-i18n-title holds its msgid), or why a viewer cannot press it.
    const tip = el.dataset.i18nTitle ? t(el.dataset.i18nTitle) : "";
    if (can && tip) el.title = tip;
    else if (can) el.removeAttribute("title");
    else el.title = viewerTip();
  }
  const transport = $("#transport");
  if (can) transport.removeAttribute("title");
  else transport.title = viewerTip();
  $("#tally-fields").disabled = !can;
  $("#tally-form").title = can ? "" : t("viewers cannot enter tallies");
  editor.setEditable(can);
  moderation.setEditable(can);
  cases.setEditable(can);
  renderRetired();
}

// --- running: timers, the websocket, polling ------------------------------------------------------

function start() {
  stop();
  running = true;
  state.rev = -1;
  resetTotals();
  moderation.reset();
  refreshAll();
  loadScenes();
  loadCases();
  loadChart();
  connect();
  intervals = [
    setInterval(tick, 250),
    setInterval(refreshThumbnails, THUMB_MS),
    setInterval(() => renderDisplays(), 5000),
    setInterval(() => {
      loadChart();
      loadCases();
    }, CHART_MS),
  ];
}

function stop() {
  running = false;
  setConn("connecting");
  for (const id of intervals) clearInterval(id);
  intervals = [];
  clearTimeout(wsTimer);
  stopPolling();
  if (socket) {
    const ws = socket;
    socket = null;
    ws.close(1000, "panel closed");
  }
}

function setConn(kind) {
  connKind = kind;
  const badge = $("#conn-badge");
  badge.dataset.state = kind;
  setText(badge, kind === "live" ? t("Live") : kind === "connecting" ? t("Connecting…") : t("Reconnecting…"));
  badge.title =
    kind === "live"
      ? t("Live updates from the server")
      : t("The live link is down; the panel polls and keeps retrying");
}

function connect() {
  if (!running || socket) return;
  clearTimeout(wsTimer);
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${WS_PATH}`;
  let ws;
  try {
    ws = new WebSocket(url);
  } catch {
    reconnectLater();
    return;
  }
  socket = ws;
  let first = true;
  setConn(wsAttempt === 0 && state.rev < 0 ? "connecting" : "reconnecting");
  // Live only once the server has sent the state: a proxy that accepts and drops
  // the socket must not look live, nor reset the backoff into a reconnect storm.
  ws.addEventListener("message", (event) => {
    if (socket !== ws) return;
    let msg;
    try {
      msg = JSON.parse(event.data);
    } catch {
      return;
    }
    if (msg && msg.type === "state") {
      applyState(msg, first ? "fresh" : "ws");
      if (first) {
        first = false;
        wsAttempt = 0;
        setConn("live");
        stopPolling();
      }
    } else if (msg && msg.type === "error" && msg.message) {
      toast("warn", t("Live link"), String(msg.message));
    }
  });
  ws.addEventListener("close", () => {
    if (socket !== ws) return;
    socket = null;
    if (!running) return;
    setConn("reconnecting");
    startPolling();
    reconnectLater();
    // A closed link may mean a dead session: /me says so (and shows the login).
    api("GET", "/api/v1/me").catch(() => {});
  });
}

function reconnectLater() {
  if (!running) return;
  const base = Math.min(BACKOFF_MS[1], BACKOFF_MS[0] * 2 ** wsAttempt);
  wsAttempt += 1;
  wsTimer = setTimeout(connect, base / 2 + (Math.random() * base) / 2);
}

function startPolling() {
  if (pollTimer || !running) return;
  pollTimer = setInterval(refreshAll, POLL_MS);
}

function stopPolling() {
  clearInterval(pollTimer);
  pollTimer = null;
}

function liveLink() {
  return socket && socket.readyState === WebSocket.OPEN;
}

async function refreshAll() {
  const [show, tot, disp] = await Promise.all([
    quietly(api("GET", "/api/v1/show")),
    quietly(api("GET", "/api/v1/totals")),
    quietly(api("GET", "/api/v1/displays")),
  ]);
  if (!running) return;
  if (show) applyState(show, "poll");
  if (tot) applyTotals(tot, "poll");
  // Without the live link the queue's revision does not arrive: the open Messages tab polls too.
  if (view === "messages" && !liveLink()) moderation.refresh();
  if (disp && Array.isArray(disp.displays)) applyDisplays(disp.displays);
  if (disp) applyRetired(disp.retired);
  // The server answers HTTP, so try the live link now rather than at the end of a long backoff.
  if (show && !socket && pollTimer) connect();
}

async function refreshShow() {
  const show = await quietly(api("GET", "/api/v1/show"));
  if (show && running) applyState(show, "poll");
}

async function loadScenes() {
  const reply = await quietly(api("GET", "/api/v1/scenes"));
  if (reply && Array.isArray(reply.scenes)) editor.setScenes(reply.scenes);
}

// --- show state --------------------------------------------------------------------------------------

/**
 * Take a state from the server unless an older reply overtook a newer one.
 * "fresh" (the first message on a new socket) always wins: the server may have
 * restarted and counted its revisions from zero again.
 */
function applyState(msg, source) {
  if (!msg || typeof msg !== "object") return;
  if (typeof msg.rev === "number" && msg.rev < state.rev && source !== "fresh") {
    staleReplies += 1;
    if (source !== "poll" || staleReplies < 3) return; // three stale polls in a row: a restarted server
  }
  staleReplies = 0;
  if ("show" in msg) {
    state.show = msg.show || null;
    state.program = Number.isInteger(msg.program) ? msg.program : null;
    state.preview = Number.isInteger(msg.preview) ? msg.preview : null;
    state.program_at = typeof msg.program_at === "number" ? msg.program_at : null;
    state.held = Boolean(msg.held);
    state.blackout = Boolean(msg.blackout);
  }
  if (typeof msg.rev === "number") state.rev = msg.rev;
  if (msg.totals) applyTotals(msg.totals, source);
  if (Array.isArray(msg.displays)) applyDisplays(msg.displays);
  if (msg.moderation) moderation.applyModeration(msg.moderation);
  cases.applyState(msg);
  renderShow();
  applyOnAir(msg);
}

function cues() {
  return (state.show && Array.isArray(state.show.cues) && state.show.cues) || [];
}

function cueAt(index) {
  return Number.isInteger(index) ? cues()[index] || null : null;
}

function safeIndex() {
  const i = cues().findIndex((c) => c.safe);
  return i < 0 ? 0 : i;
}

function renderShow() {
  const key = JSON.stringify(state.show);
  const changed = key !== showKey;
  if (changed) {
    showKey = key;
    if (selected && !cues().some((c) => c.id === selected)) selected = null;
    buildCueList();
    setText($("#show-name"), state.show ? state.show.name || state.show.id : t("No show loaded"));
    editor.serverShowChanged(state.show);
  }
  updateCueList();
  renderMonitors();
  renderTransport();
  editor.programChanged();
}

function transitionText(cue) {
  if (!cue) return "";
  if (cue.transition === "cut") return t("cut");
  return t("{transition} {seconds} s", { transition: transitionName(cue.transition), seconds: fmtNum(cue.duration) });
}

function paramsText(cue) {
  return Object.entries(cue.params || {})
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
}

function buildCueList() {
  const list = $("#cue-list");
  const all = cues();
  const rows = all.map((cue, i) => {
    const row = fromTemplate("tpl-cue");
    row.id = `cue-row-${i}`;
    row.dataset.index = String(i);
    row.dataset.cueId = cue.id;
    setText(row.querySelector(".cue-num"), i + 1);
    setText(row.querySelector(".cue-title"), cue.label || cue.scene);
    // For whom, when not every display: the cue's own target, else the show's.
    const target = cue.target || state.show.target || "all";
    if (target !== "all") {
      row.querySelector(".cue-title").after(h("span", { class: "cue-target", title: t("Shown on") }, target));
    }
    const sub = [cue.id, paramsText(cue)].filter(Boolean).join(" · ");
    setText(row.querySelector(".cue-sub"), sub);
    const scene = row.querySelector(".cue-scene");
    setText(scene, cue.scene);
    const holds = typeof cue.hold === "number";
    const holdText = holds ? ` · ${t("hold {seconds} s", { seconds: fmtNum(cue.hold) })}` : "";
    scene.dataset.extra = ` · ${transitionText(cue)}${holdText}`;
    setText(row.querySelector(".cue-trans"), transitionText(cue));
    const toEnd = cue.hold === "end";
    setText(row.querySelector(".cue-hold"), holds ? t("{seconds} s", { seconds: fmtNum(cue.hold) }) : toEnd ? t("end") : t("GO"));
    row.querySelector(".cue-hold").title = holds
      ? t("Follows on by itself after this many seconds")
      : toEnd
        ? t("Follows on by itself when the video or slideshow ends")
        : t("Waits for GO");
    return row;
  });
  list.replaceChildren(...rows);
  $("#cue-empty").hidden = all.length > 0;
  $(".cue-head").hidden = all.length === 0;
  const counted = tn("{count} cue", "{count} cues", all.length, { count: all.length });
  setText($("#cue-count"), all.length ? `${counted}${state.show.loop ? ` · ${t("loops")}` : ""}` : "");
  lastProgram = undefined;
}

let lastProgram;

function updateCueList() {
  const rows = $$("#cue-list > .cue");
  const safe = safeIndex();
  rows.forEach((row, i) => {
    const isProgram = state.program === i;
    const isPreview = state.preview === i && !isProgram;
    setClass(row, "program", isProgram);
    setClass(row, "preview", isPreview);
    setClass(row, "done", state.program !== null && i < state.program && !isPreview);
    row.setAttribute("aria-selected", String(row.dataset.cueId === selected));
    const tags = `${isProgram ? "A" : ""}${isPreview ? "N" : ""}${i === safe ? "S" : ""}`;
    if (row.dataset.tags !== tags) {
      row.dataset.tags = tags;
      const pills = [];
      if (isProgram) pills.push(h("span", { class: "pill pill-onair" }, t("ON AIR")));
      if (isPreview) pills.push(h("span", { class: "pill pill-next" }, t("NEXT")));
      if (i === safe && !isProgram && !isPreview) {
        pills.push(h("span", { class: "pill pill-safe", title: t("Panic goes here") }, t("SAFE")));
      }
      row.querySelector(".cue-state").replaceChildren(...pills);
    }
  });
  const cursor = rows.find((r) => r.dataset.cueId === selected);
  if (cursor) $("#cue-list").setAttribute("aria-activedescendant", cursor.id);
  else $("#cue-list").removeAttribute("aria-activedescendant");
  if (state.program !== lastProgram) {
    lastProgram = state.program;
    const row = state.program === null ? null : $(`#cue-row-${state.program}`);
    if (row) scrollListTo(row);
  }
}

/** Keep a row visible inside the cue list without scrolling the page. */
function scrollListTo(row) {
  const list = $("#cue-list");
  if (list.scrollHeight <= list.clientHeight + 1) return;
  const top = row.offsetTop - list.offsetTop;
  if (top < list.scrollTop + 8) list.scrollTop = Math.max(0, top - 60);
  else if (top + row.offsetHeight > list.scrollTop + list.clientHeight - 8) {
    list.scrollTop = top + row.offsetHeight - list.clientHeight + 60;
  }
}

function renderMonitors() {
  const program = cueAt(state.program);
  const preview = cueAt(state.preview);
  setClass($("#program-pane"), "is-empty", !program);
  setText($("#program-num"), program ? state.program + 1 : "–");
  setText($("#program-label"), program ? program.label || program.scene : t("Nothing on program"));
  setText($("#program-meta"), program ? `${program.scene} · ${transitionText(program)}` : "");
  setText($("#preview-num"), preview ? state.preview + 1 : "–");
  let previewLabel = "–";
  if (preview) previewLabel = preview.label || preview.scene;
  else if (!state.show) previewLabel = t("No show loaded");
  else if (state.program !== null) previewLabel = t("End of show");
  setText($("#preview-label"), previewLabel);
  setText($("#preview-meta"), preview ? `${preview.scene} · ${transitionText(preview)}` : "");
  const holds = preview && typeof preview.hold === "number";
  setText($("#preview-status"), holds ? t("then holds {seconds} s", { seconds: fmtNum(preview.hold) }) : "");
  tick();
}

function tick() {
  const program = cueAt(state.program);
  const clock = $("#program-clock");
  const status = $("#program-status");
  if (!program || state.program_at === null) {
    setText(clock, "–:––");
    setText(status, "");
    return;
  }
  const elapsed = Date.now() / 1000 - state.program_at;
  setText(clock, fmtClock(elapsed));
  let text = t("Waits for GO");
  if (state.blackout) text = t("Blackout: the displays are dark");
  else if (state.held) text = t("HELD: auto-follow paused");
  else if (program.hold !== null && program.hold !== undefined) {
    const left = state.program_at + program.hold - Date.now() / 1000;
    const clockText = fmtClock(Math.max(0, left));
    text = state.preview === null ? t("Holds {clock}", { clock: clockText }) : t("Auto GO in {clock}", { clock: clockText });
  }
  setText(status, text);
  setClass(status, "held", state.held || state.blackout);
}

function renderTransport() {
  const hold = $("#btn-hold");
  hold.setAttribute("aria-pressed", String(state.held));
  setText(hold.querySelector(".tbtn-label"), state.held ? t("RESUME") : t("HOLD"));
  hold.querySelector("use").setAttribute("href", state.held ? "#i-resume" : "#i-hold");
  const blackout = $("#btn-blackout");
  blackout.setAttribute("aria-pressed", String(state.blackout));
  setText(blackout.querySelector(".tbtn-label"), state.blackout ? t("BLACKOUT ON") : t("BLACKOUT"));
  document.body.classList.toggle("is-blackout", state.blackout);
  const top = $("#btn-blackout-top");
  top.setAttribute("aria-pressed", String(state.blackout));
  setText(top.querySelector(".label"), state.blackout ? t("BLACKOUT ON") : t("BLACKOUT"));
}

// --- operating -------------------------------------------------------------------------------------------

const BUTTONS = {
  go: "#btn-go",
  back: "#btn-back",
  hold: "#btn-hold",
  resume: "#btn-hold",
  blackout: "#btn-blackout",
  panic: "#btn-panic",
  jump: "#btn-jump",
};

async function operate(op, body) {
  if (!session.canOperate) {
    toast("warn", t("Viewers cannot operate"), t("Log in as an operator to run the show."));
    return;
  }
  const button = $(BUTTONS[op]);
  if (inflight.has(button)) return; // one press at a time per button: no double GO
  inflight.add(button);
  button.classList.add("busy", "flash");
  setTimeout(() => button.classList.remove("flash"), 150);
  try {
    const reply = await api("POST", `/api/v1/cue/${op}`, body);
    applyState(reply, "http");
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.code === "csrf") {
      session.clear();
      showLogin(() => t("Your security token is out of date. Log in again."), session.username || "");
      return;
    }
    if (err.status !== 401) reportError(err);
    if (err.status === 409) refreshShow();
  } finally {
    inflight.delete(button);
    button.classList.remove("busy");
  }
}

const actions = {
  // `expected` is the program the operator saw: two GOs pressed at once advance once.
  go: () => operate("go", { expected: state.program }),
  back: () => operate("back", {}),
  hold: () => operate(state.held ? "resume" : "hold", {}),
  // Say which state we want, not "toggle": two operators pressing B together agree.
  blackout: () => operate("blackout", { on: !state.blackout }),
  panic: () => operate("panic", {}),
  jump: () => {
    if (!selected) {
      toast("warn", t("Select a cue first"), t("Click a cue (or use ↑ ↓), then Jump."));
      return;
    }
    operate("jump", { cue: selected });
  },
};

function select(cueId, scroll = true) {
  selected = cueId;
  updateCueList();
  const row = cueId ? $$("#cue-list > .cue").find((r) => r.dataset.cueId === cueId) : null;
  if (scroll && row) scrollListTo(row);
}

function moveSelection(delta) {
  const all = cues();
  if (!all.length) return;
  let index = all.findIndex((c) => c.id === selected);
  if (index < 0) index = state.preview ?? state.program ?? (delta > 0 ? -1 : all.length);
  else index += delta;
  index = Math.max(0, Math.min(all.length - 1, index));
  select(all[index].id);
}

function typingIn(target) {
  const fields = "input, textarea, select, [contenteditable='true'], [contenteditable='']";
  return Boolean(target && target.closest && target.closest(fields));
}

const KEYS = {
  " ": "go",
  Spacebar: "go",
  b: "blackout",
  B: "blackout",
  Escape: "panic",
  Backspace: "back",
  ArrowLeft: "back",
  h: "hold",
  H: "hold",
  j: "jump",
  J: "jump",
};

// Inputs one ticks or presses rather than types in: focus left on one (a day just ticked) must
// not keep B and Escape from the building.
const NOT_TYPED = new Set(["checkbox", "radio", "button", "submit", "reset", "range", "color", "file", "image"]);

function safetyKeyIn(event) {
  const safety = event.key === "b" || event.key === "B" || event.key === "Escape";
  const input = event.target && event.target.closest && event.target.closest("input");
  return safety && Boolean(input) && NOT_TYPED.has(input.type) && !event.target.closest("[contenteditable]");
}

function onKeyDown(event) {
  if ($("#app").hidden || event.ctrlKey || event.metaKey || event.altKey) return;
  if (typingIn(event.target) && !safetyKeyIn(event)) {
    // Escape leaves a field and gives the keyboard back to the show; it never panics from a form.
    if (event.key === "Escape") event.target.blur();
    return;
  }
  if (event.key === "b" || event.key === "B") {
    // Blackout works from every tab: whoever sees something wrong on the building acts at once.
    event.preventDefault();
    if (!event.repeat) actions.blackout();
    return;
  }
  if (view === "messages") {
    // The moderation keys (A, R, P, E, X, J/K...): never the show's other keys (Space...).
    // Escape first closes what moderation has open (a confirmation, an edit); else it panics.
    moderation.onKey(event);
    if (event.key === "Escape" && !event.defaultPrevented) panicKey(event);
    return;
  }
  if (view !== "operate") {
    // Panic, like blackout, is within reach on every tab.
    if (event.key === "Escape") panicKey(event);
    return;
  }
  if (event.key === "ArrowUp" || event.key === "ArrowDown") {
    event.preventDefault();
    moveSelection(event.key === "ArrowUp" ? -1 : 1);
    return;
  }
  let name = KEYS[event.key];
  if (!name && event.key === "Enter" && event.target.closest && event.target.closest("#cue-list")) name = "jump";
  if (!name) return;
  event.preventDefault();
  if (event.repeat) return; // holding a key down must not fire it again and again
  actions[name]();
}

function panicKey(event) {
  event.preventDefault();
  if (!event.repeat) actions.panic();
}

function onKeyUp(event) {
  // Space on a focused button would click it on key-up: GO already ran on key-down.
  if (event.key === " " && !typingIn(event.target) && view === "operate") event.preventDefault();
}

// --- views ---------------------------------------------------------------------------------------------

function setView(name) {
  view = name;
  $("#operate-view").hidden = name !== "operate";
  $("#editor-view").hidden = name !== "editor";
  $("#messages-view").hidden = name !== "messages";
  $("#cases-view").hidden = name !== "cases";
  $("#schedule-view").hidden = name !== "schedule";
  $("#tab-schedule").setAttribute("aria-selected", String(name === "schedule"));
  schedule.setOpen(name === "schedule");
  $("#tab-cases").setAttribute("aria-selected", String(name === "cases"));
  cases.setOpen(name === "cases");
  $("#tab-operate").setAttribute("aria-selected", String(name === "operate"));
  $("#tab-editor").setAttribute("aria-selected", String(name === "editor"));
  $("#tab-messages").setAttribute("aria-selected", String(name === "messages"));
  moderation.setOpen(name === "messages");
  if (name === "editor") editor.serverShowChanged(state.show);
  else if (name === "operate") redrawChart();
}

// --- wiring ---------------------------------------------------------------------------------------------------

function wire() {
  $("#login-form").addEventListener("submit", onLogin);
  $("#logout").addEventListener("click", onLogout);
  document.addEventListener("keydown", onKeyDown);
  document.addEventListener("keyup", onKeyUp);
  $("#btn-go").addEventListener("click", actions.go);
  $("#btn-back").addEventListener("click", actions.back);
  $("#btn-hold").addEventListener("click", actions.hold);
  $("#btn-blackout").addEventListener("click", actions.blackout);
  $("#btn-blackout-top").addEventListener("click", actions.blackout);
  $("#btn-panic").addEventListener("click", actions.panic);
  $("#btn-panic-top").addEventListener("click", actions.panic);
  $("#btn-jump").addEventListener("click", actions.jump);
  const list = $("#cue-list");
  list.addEventListener("click", (e) => {
    const row = e.target.closest(".cue");
    if (row) select(row.dataset.cueId, false);
  });
  list.addEventListener("dblclick", (e) => {
    const row = e.target.closest(".cue");
    if (!row) return;
    select(row.dataset.cueId, false);
    actions.jump();
  });
  $("#tab-operate").addEventListener("click", () => setView("operate"));
  $("#tab-editor").addEventListener("click", () => setView("editor"));
  $("#tab-messages").addEventListener("click", () => setView("messages"));
  $("#tab-cases").addEventListener("click", () => setView("cases"));
  $("#tab-schedule").addEventListener("click", () => setView("schedule"));
  $("#empty-edit").addEventListener("click", () => setView("editor"));
  initCampaign({ isLive: liveLink, canEnter: () => session.canOperate, toast });
  initBrand({ canEnter: () => session.canOperate, toast });
  initRetired({ toast });
  // Phones suspend background tabs: catch up as soon as the panel is visible again.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState !== "visible" || !running) return;
    refreshAll();
    if (!socket) {
      wsAttempt = 0;
      connect();
    }
  });
  moderation.initModeration({ toast });
  cases.initCases({ toast });
  schedule.initSchedule({ toast });
  editor.initEditor({
    toast,
    applyState,
    currentShow: () => state.show,
    programIndex: () => state.program,
  });
}

// --- language ---------------------------------------------------------------------------------------------

async function pickLanguage(code) {
  rememberLanguage(LANG_KEY, code);
  await setLanguage(code);
}

/** Everything a script wrote is written again in the new language. */
function languageChanged() {
  document.title = t("projector · operator panel");
  for (const select of [$("#panel-lang"), $("#login-lang")]) select.value = language();
  setConn(connKind);
  renderLoginMessage();
  showKey = ""; // the cue list is rebuilt
  renderShow();
  if (!$("#app").hidden) applyRole();
}

async function boot() {
  session.load();
  session.onLost = sessionLost;
  // The operator's choice, else the browser's language when it ships, else English; before
  // anything shows, so the panel never flashes in another language.
  await setLanguage(storedLanguage(LANG_KEY) || browserLanguage());
  document.title = t("projector · operator panel");
  for (const select of [$("#panel-lang"), $("#login-lang")]) languageSelect(select, language(), pickLanguage);
  onLanguageChange(languageChanged);
  wire();
  try {
    const me = await api("GET", "/api/v1/me", undefined, { auth: false });
    session.username = me.name;
    session.role = me.role;
    // The cookie is good, but without the CSRF token nothing could be changed: log in again.
    if (session.csrf) enterApp();
    else showLogin("", me.name);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.code === "session_expired") showLogin(() => t("Your session has expired"));
    else if (err.code === "network") showLogin(err.message);
    else showLogin("");
  }
}

boot();
