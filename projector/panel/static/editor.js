// The show editor: a draft of the whole show, edited in place and saved in one
// PUT /api/v1/show. The server validates; its 422 names the field
// ("cues[2].duration") and the message goes next to that field.

import { api, ApiError } from "./api.js";
import { $, $$, fromTemplate, h, withoutField } from "./dom.js";
import { onLanguageChange, t, tn } from "./i18n.js";

const FALLBACK_SCENES = ["totals", "portrait", "messages", "ident", "blackout"];

let ctx = null; // {toast, applyState, currentShow, programIndex}
let draft = null; // {id, name, loop, cues: [{id, label, scene, transition, duration, hold, params, safe, ticker, overlayParams}]}
let dirty = false;
let editable = true;
let scenes = FALLBACK_SCENES;

// --- params as key=value lines -------------------------------------------------------------

export function paramsToText(params) {
  return Object.entries(params || {})
    .map(([key, value]) => {
      // Text that would read back as a number or true/false (or lose its spaces) is quoted.
      const quote =
        typeof value === "string" && (/^(true|false)$/.test(value) || looksNumeric(value) || value !== value.trim());
      if (quote) {
        return `${key}=${JSON.stringify(value)}`;
      }
      return `${key}=${value}`;
    })
    .join("\n");
}

function looksNumeric(text) {
  return /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text.trim());
}

/** "a=1\nb=hello\nc=true" -> {a: 1, b: "hello", c: true}; throws Error naming the bad line. */
export function textToParams(text) {
  const params = {};
  const lines = String(text || "").split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const eq = line.indexOf("=");
    if (eq <= 0) throw new Error(t("line {number}: write key=value", { number: i + 1 }));
    const key = line.slice(0, eq).trim();
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
      try {
        value = JSON.parse(value);
      } catch {
        throw new Error(t("line {number}: bad quoted text", { number: i + 1 }));
      }
    } else if (value === "true" || value === "false") {
      value = value === "true";
    } else if (looksNumeric(value)) {
      value = Number(value);
    }
    params[key] = value;
  });
  return params;
}

// --- draft <-> show ---------------------------------------------------------------------------

function draftFromShow(show) {
  if (!show) return { id: "show", name: t("New show"), loop: false, target: "", cues: [] };
  return {
    id: show.id,
    name: show.name,
    loop: Boolean(show.loop),
    target: show.target && show.target !== "all" ? show.target : "", // all, group:NAME, display:NAME
    cues: (show.cues || []).map((c) => ({
      target: c.target || "", // empty: the show's target
      id: c.id,
      label: c.label || "",
      scene: c.scene,
      transition: c.transition || "crossfade",
      duration: c.duration === null || c.duration === undefined ? "" : String(c.duration),
      hold: c.hold === null || c.hold === undefined ? "" : String(c.hold),
      params: paramsToText(c.params),
      safe: Boolean(c.safe),
      ticker: c.overlay === "ticker",
      overlayParams: c.overlay_params || {},
    })),
  };
}

class FieldError extends Error {
  constructor(field, message) {
    super(message);
    this.field = field;
  }
}

function numberOrError(text, field) {
  const value = Number(text);
  if (String(text).trim() === "" || !Number.isFinite(value)) throw new FieldError(field, t("must be a number of seconds"));
  return value;
}

function showFromDraft() {
  return {
    id: draft.id.trim(),
    name: draft.name.trim() || draft.id.trim(),
    loop: draft.loop,
    ...(draft.target.trim() ? { target: draft.target.trim() } : {}),
    cues: draft.cues.map((c, i) => {
      const where = `cues[${i}].`;
      const cue = { id: c.id.trim(), scene: c.scene, transition: c.transition, label: c.label, safe: c.safe };
      if (c.target.trim()) cue.target = c.target.trim();
      if (c.ticker) {
        cue.overlay = "ticker";
        cue.overlay_params = c.overlayParams || {};
      }
      if (c.transition !== "cut" && String(c.duration).trim() !== "") {
        cue.duration = numberOrError(c.duration, `${where}duration`);
      }
      // "end": a video or slides cue follows on when it ends (the server knows how long that is).
      const hold = String(c.hold).trim();
      cue.hold = hold === "" ? null : hold.toLowerCase() === "end" ? "end" : numberOrError(hold, `${where}hold`);
      try {
        cue.params = textToParams(c.params);
      } catch (err) {
        throw new FieldError(`${where}params`, err.message);
      }
      return cue;
    }),
  };
}

function uniqueCueId() {
  const taken = new Set(draft.cues.map((c) => c.id));
  for (let n = draft.cues.length + 1; ; n++) {
    const id = `cue-${n}`;
    if (!taken.has(id)) return id;
  }
}

// --- rendering -----------------------------------------------------------------------------------

let baseKey = ""; // the server's show the draft started from

function markDirty(on = true) {
  dirty = on;
  $("#editor-dirty").hidden = !dirty;
  if (!dirty) $("#ed-stale").hidden = true;
}

function renderHeader() {
  $("#ed-name").value = draft.name;
  $("#ed-id").value = draft.id;
  $("#ed-loop").checked = draft.loop;
  $("#ed-target").value = draft.target;
}

function sceneOptions(select, current) {
  const names = scenes.includes(current) || !current ? scenes : [current, ...scenes];
  select.replaceChildren(...names.map((name) => h("option", { value: name }, name)));
  select.value = current || names[0] || "";
}

function renderCues() {
  const list = $("#ed-cues");
  const program = ctx.programIndex();
  const rows = draft.cues.map((cue, i) => {
    const row = fromTemplate("tpl-ed-cue");
    row.dataset.index = String(i);
    row.classList.toggle("is-program", program === i);
    row.querySelector(".ed-num").textContent = String(i + 1);
    const bind = (selector, key, field, read = (el) => el.value) => {
      const el = row.querySelector(selector);
      el.dataset.field = `cues[${i}].${field}`;
      const err = el.closest("label").querySelector(".field-error");
      if (err) err.dataset.errorFor = `cues[${i}].${field}`;
      el.addEventListener("input", () => {
        cue[key] = read(el);
        clearFieldError(el);
        markDirty();
        if (key === "transition") syncDuration(row, cue);
      });
      el.addEventListener("change", () => {
        cue[key] = read(el);
        markDirty();
        if (key === "transition") syncDuration(row, cue);
      });
      return el;
    };
    bind(".ed-id", "id", "id").value = cue.id;
    bind(".ed-label", "label", "label").value = cue.label;
    sceneOptions(bind(".ed-scene", "scene", "scene"), cue.scene);
    bind(".ed-transition", "transition", "transition").value = cue.transition;
    bind(".ed-duration", "duration", "duration").value = cue.duration;
    bind(".ed-hold", "hold", "hold").value = cue.hold;
    bind(".ed-target", "target", "target").value = cue.target;
    const params = bind(".ed-params", "params", "params");
    params.value = cue.params;
    params.rows = Math.max(1, Math.min(6, cue.params.split("\n").length));
    params.addEventListener("input", () => {
      params.rows = Math.max(1, Math.min(6, params.value.split("\n").length));
    });
    bind(".ed-safe", "safe", "safe", (el) => el.checked).checked = cue.safe;
    bind(".ed-ticker", "ticker", "overlay", (el) => el.checked).checked = cue.ticker;
    syncDuration(row, cue);
    row.querySelector(".ed-up").addEventListener("click", () => move(i, -1));
    row.querySelector(".ed-down").addEventListener("click", () => move(i, 1));
    row.querySelector(".ed-remove").addEventListener("click", () => remove(i));
    row.querySelector(".ed-up").disabled = !editable || i === 0;
    row.querySelector(".ed-down").disabled = !editable || i === draft.cues.length - 1;
    row.querySelector(".ed-remove").disabled = !editable;
    row.addEventListener("keydown", (e) => {
      if (e.altKey && (e.key === "ArrowUp" || e.key === "ArrowDown")) {
        e.preventDefault();
        move(i, e.key === "ArrowUp" ? -1 : 1);
      }
    });
    return row;
  });
  list.replaceChildren(...rows);
  $("#ed-empty").hidden = draft.cues.length > 0;
}

function syncDuration(row, cue) {
  const duration = row.querySelector(".ed-duration");
  const cut = cue.transition === "cut";
  duration.disabled = cut || !editable;
  duration.placeholder = cut ? "0" : "1";
}

function focusRow(index, selector = ".ed-label") {
  const row = $(`#ed-cues > li[data-index="${index}"]`);
  if (row) row.querySelector(selector).focus();
}

function move(i, delta) {
  const j = i + delta;
  if (!editable || j < 0 || j >= draft.cues.length) return;
  [draft.cues[i], draft.cues[j]] = [draft.cues[j], draft.cues[i]];
  markDirty();
  clearErrors();
  renderCues();
  focusRow(j, delta < 0 ? ".ed-up" : ".ed-down");
}

function remove(i) {
  if (!editable) return;
  draft.cues.splice(i, 1);
  markDirty();
  clearErrors();
  renderCues();
  focusRow(Math.min(i, draft.cues.length - 1));
}

function add() {
  if (!editable) return;
  const last = draft.cues[draft.cues.length - 1];
  draft.cues.push({
    id: uniqueCueId(),
    label: "",
    scene: scenes[0] || "totals",
    transition: last ? last.transition : "crossfade",
    duration: last ? last.duration : "1",
    hold: "",
    target: "",
    params: "",
    safe: false,
    ticker: false,
    overlayParams: {},
  });
  markDirty();
  renderCues();
  focusRow(draft.cues.length - 1);
}

/** Offer the fleet's groups and displays as targets (the server still judges what is typed). */
async function suggestTargets() {
  let groups = [];
  let displays = [];
  try {
    [groups, displays] = await Promise.all([
      api("GET", "/api/v1/groups").then((r) => (r && r.groups) || []),
      api("GET", "/api/v1/displays").then((r) => (r && r.displays) || []),
    ]);
  } catch {
    return; // suggestions only: typing still works
  }
  const values = [
    "all",
    ...groups.map((g) => `group:${g.name}`),
    ...displays.map((d) => `display:${d.name}`),
  ];
  $("#ed-targets").replaceChildren(...[...new Set(values)].map((v) => h("option", { value: v })));
}

// --- errors ---------------------------------------------------------------------------------------

function clearFieldError(el) {
  el.removeAttribute("aria-invalid");
  const err = el.closest("label") && el.closest("label").querySelector(".field-error");
  if (err) err.textContent = "";
}

function clearErrors() {
  const view = $("#editor-view");
  for (const el of $$("[aria-invalid]", view)) el.removeAttribute("aria-invalid");
  for (const el of $$(".field-error", view)) el.textContent = "";
  $("#ed-error").hidden = true;
  $("#ed-error").textContent = "";
}

/** Put `message` next to the field the server named; the banner when there is no such field. */
export function showFieldError(field, message) {
  const view = $("#editor-view");
  let name = field || "";
  let input = null;
  while (name && !input) {
    input = view.querySelector(`[data-field="${CSS.escape(name)}"]`);
    if (!input) name = name.includes(".") ? name.slice(0, name.lastIndexOf(".")) : "";
  }
  const errorEl =
    view.querySelector(`.field-error[data-error-for="${CSS.escape(name || field || "")}"]`) ||
    (input && input.closest("label") && input.closest("label").querySelector(".field-error"));
  if (input) {
    input.setAttribute("aria-invalid", "true");
    input.scrollIntoView({ block: "center", behavior: "instant" });
    input.focus({ preventScroll: true });
  }
  if (errorEl) {
    errorEl.textContent = withoutField(message, field);
    if (!input) errorEl.scrollIntoView({ block: "center", behavior: "instant" });
  } else {
    const banner = $("#ed-error");
    banner.textContent = field ? `${field}: ${message}` : message;
    banner.hidden = false;
  }
}

function showBanner(message) {
  const banner = $("#ed-error");
  banner.textContent = message;
  banner.hidden = false;
}

// --- actions --------------------------------------------------------------------------------------

async function save() {
  if (!editable) return;
  clearErrors();
  let body;
  try {
    body = showFromDraft();
  } catch (err) {
    if (err instanceof FieldError) {
      showFieldError(err.field, err.message);
      return;
    }
    throw err;
  }
  const button = $("#ed-save");
  button.disabled = true;
  button.textContent = t("Saving…");
  try {
    const state = await api("PUT", "/api/v1/show", body);
    ctx.applyState(state, "http");
    load(state.show, true);
    const loaded = tn("{count} cue loaded", "{count} cues loaded", body.cues.length, { count: body.cues.length });
    ctx.toast("ok", t("Show saved"), loaded);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.status === 422 && err.field) showFieldError(err.field, err.message);
    else showBanner(err.message);
    ctx.toast("error", t("Not saved"), err.message);
  } finally {
    button.disabled = !editable;
    button.textContent = t("Save show");
  }
}

async function importFile(file) {
  if (!file || !editable) return;
  clearErrors();
  try {
    const text = await file.text();
    const state = await api("POST", "/api/v1/show.toml", text, { contentType: "application/toml" });
    ctx.applyState(state, "http");
    load(state.show, true);
    const n = state.show ? state.show.cues.length : 0;
    ctx.toast("ok", t("Show imported"), tn("{file}: {count} cue", "{file}: {count} cues", n, { file: file.name, count: n }));
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    showBanner(err.field ? `${file.name}: ${err.field}: ${err.message}` : `${file.name}: ${err.message}`);
    ctx.toast("error", t("Import failed"), err.message);
  }
}

// --- public ----------------------------------------------------------------------------------------

/** Load a show from the server into the editor (unless there are unsaved edits and !force). */
export function load(show, force = false) {
  if (dirty && !force) return false;
  draft = draftFromShow(show);
  baseKey = JSON.stringify(show || null);
  markDirty(false);
  clearErrors();
  renderHeader();
  renderCues();
  updateExport(show);
  return true;
}

/** The server's show changed: follow it when nothing is being edited. */
export function serverShowChanged(show) {
  updateExport(show);
  if (!dirty) load(show);
  else $("#ed-stale").hidden = JSON.stringify(show || null) === baseKey;
}

/** Mark which row is on program (so nobody deletes it by accident without seeing it). */
export function programChanged() {
  if (!draft) return;
  const program = ctx.programIndex();
  for (const row of $$("#ed-cues > li")) row.classList.toggle("is-program", Number(row.dataset.index) === program);
}

function updateExport(show) {
  const link = $("#ed-export");
  link.setAttribute("download", show ? `${show.id}.toml` : "show.toml");
  link.setAttribute("aria-disabled", show ? "false" : "true");
}

export function setScenes(list) {
  if (Array.isArray(list) && list.length) scenes = list.filter((x) => typeof x === "string");
  if (draft) renderCues();
}

export function setEditable(on) {
  editable = on;
  const why = on ? null : t("viewers cannot edit the show");
  $("#ed-fields").disabled = !on;
  for (const el of [$("#ed-name"), $("#ed-id"), $("#ed-loop"), $("#ed-target")]) el.disabled = !on;
  for (const el of $$(".op-edit", $("#editor-view"))) {
    if (el.tagName === "LABEL") el.setAttribute("aria-disabled", String(!on));
    else el.disabled = !on;
    if (why) el.title = why;
    else el.removeAttribute("title");
  }
  $("#ed-import").disabled = !on;
  if (draft) renderCues();
}

export function isDirty() {
  return dirty;
}

export function initEditor(context) {
  ctx = context;
  draft = draftFromShow(null);
  $("#ed-name").addEventListener("input", (e) => {
    draft.name = e.target.value;
    clearFieldError(e.target);
    markDirty();
  });
  $("#ed-id").addEventListener("input", (e) => {
    draft.id = e.target.value;
    clearFieldError(e.target);
    markDirty();
  });
  $("#ed-target").addEventListener("input", (e) => {
    draft.target = e.target.value;
    clearFieldError(e.target);
    markDirty();
  });
  $("#ed-target").addEventListener("focus", suggestTargets);
  $("#ed-cues").addEventListener("focusin", (e) => {
    if (e.target.classList.contains("ed-target")) suggestTargets();
  });
  $("#ed-loop").addEventListener("change", (e) => {
    draft.loop = e.target.checked;
    markDirty();
  });
  $("#ed-add").addEventListener("click", add);
  $("#ed-add-2").addEventListener("click", add);
  $("#ed-save").addEventListener("click", () => save());
  const discard = () => {
    load(ctx.currentShow(), true);
    ctx.toast("info", t("Changes discarded"), t("The editor shows the show on the server."));
  };
  $("#ed-revert").addEventListener("click", discard);
  $("#ed-take-theirs").addEventListener("click", discard);
  const importInput = $("#ed-import");
  importInput.addEventListener("change", () => {
    const file = importInput.files && importInput.files[0];
    importInput.value = "";
    importFile(file);
  });
  $("#ed-import-label").addEventListener("keydown", (e) => {
    if ((e.key === "Enter" || e.key === " ") && editable) {
      e.preventDefault();
      importInput.click();
    }
  });
  $("#ed-export").addEventListener("click", (e) => {
    if (!ctx.currentShow()) {
      e.preventDefault();
      ctx.toast("warn", t("Nothing to export"), t("No show is loaded on the server yet. Save one first."));
    } else if (dirty) {
      ctx.toast("warn", t("Exporting the saved show"), t("Your unsaved changes are not in the file."));
    }
  });
  // Ctrl/Cmd+S saves while editing.
  $("#editor-view").addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "s") {
      e.preventDefault();
      save();
    }
  });
  window.addEventListener("beforeunload", (e) => {
    if (dirty) e.preventDefault();
  });
  // The rows are cloned from the (now translated) template again; the draft keeps every edit.
  onLanguageChange(() => setEditable(editable));
  renderHeader();
  renderCues();
}
