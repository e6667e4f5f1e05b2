// Projection mapping: calibrate one output of a display over a live picture of it.
//
// The "Map" button on a display card opens a full-window view: the output's
// picture as its projector gets it (refreshed about once a second), and over it
// an SVG in the output's own pixels with the four corners, an optional mesh, the
// masks and the edge-blend strips. Dragging sends the mapping to the server at
// most ten times a second (the last state always goes), so the display follows
// the hand; the server checks every mapping and a refusal (422) is shown next to
// what was wrong while the last good state comes back. Undo/redo is a local
// history; calibrations can be saved and loaded by name.
//
// Keys while the view is open (the show's keys are off): Ctrl+Z undo, Ctrl+Shift+Z
// (or Ctrl+Y) redo, arrows nudge the selected point 1 px (Shift: 10), Tab the next
// corner, Enter closes a mask being drawn, Delete removes the selected mask,
// Escape cancels a mask or closes the view. Nothing from the server or a person
// reaches the page as HTML.

import { api, ApiError, session } from "./api.js";
import { h, s, setText, withoutField } from "./dom.js";
import { onLanguageChange, t, tn } from "./i18n.js";

const LIVE_INTERVAL = 100; // ms between live PUTs while dragging: at most 10 a second
const PICTURE_PAUSE = 700; // ms between picture requests (the server waits for a fresh one)
const HISTORY = 200;
// Corner handles keep their short English names: they label points in the projector's own
// pixel frame (top-left is the projector's, not the reader's), like the core's field names.
const CORNER_LABELS = ["TL", "TR", "BR", "BL"];
const MESH_SIZES = [2, 3, 4, 5, 6, 8, 9, 12, 16, 17, 24, 32, 33];

let view = null; // the open calibration, or null

// --- geometry (the same conventions as projector/core/mapping.py) --------------------------------

function solve(rows) {
  const n = rows.length;
  const m = rows.map((r) => r.slice());
  for (let col = 0; col < n; col += 1) {
    let pivot = col;
    for (let r = col + 1; r < n; r += 1) if (Math.abs(m[r][col]) > Math.abs(m[pivot][col])) pivot = r;
    if (Math.abs(m[pivot][col]) < 1e-12) return null;
    [m[col], m[pivot]] = [m[pivot], m[col]];
    for (let r = col + 1; r < n; r += 1) {
      const f = m[r][col] / m[col][col];
      for (let c = col; c <= n; c += 1) m[r][c] -= f * m[col][c];
    }
  }
  const x = new Array(n).fill(0);
  for (let r = n - 1; r >= 0; r -= 1) {
    let sum = m[r][n];
    for (let c = r + 1; c < n; c += 1) sum -= m[r][c] * x[c];
    x[r] = sum / m[r][r];
  }
  return x;
}

/** The 3x3 homography taking the unit square's corners (TL, TR, BR, BL) onto `quad`. */
function homography(quad) {
  const src = [[0, 0], [1, 0], [1, 1], [0, 1]];
  const rows = [];
  for (let i = 0; i < 4; i += 1) {
    const [x, y] = src[i];
    const [u, v] = quad[i];
    rows.push([x, y, 1, 0, 0, 0, -u * x, -u * y, u]);
    rows.push([0, 0, 0, x, y, 1, -v * x, -v * y, v]);
  }
  const k = solve(rows);
  return k && [[k[0], k[1], k[2]], [k[3], k[4], k[5]], [k[6], k[7], 1]];
}

function apply(hm, x, y) {
  const w = hm[2][0] * x + hm[2][1] * y + hm[2][2];
  return [(hm[0][0] * x + hm[0][1] * y + hm[0][2]) / w, (hm[1][0] * x + hm[1][1] * y + hm[1][2]) / w];
}

function invert(hm) {
  const [[a, b, c], [d, e, f], [g, i, j]] = hm;
  const adj = [
    [e * j - f * i, c * i - b * j, b * f - c * e],
    [f * g - d * j, a * j - c * g, c * d - a * f],
    [d * i - e * g, b * g - a * i, a * e - b * d],
  ];
  const det = a * adj[0][0] + b * adj[1][0] + c * adj[2][0];
  return Math.abs(det) < 1e-15 ? null : adj;
}

function regularMesh(cols, rows) {
  const mesh = [];
  for (let r = 0; r < rows; r += 1) {
    const row = [];
    for (let c = 0; c < cols; c += 1) row.push([c / (cols - 1), r / (rows - 1)]);
    mesh.push(row);
  }
  return mesh;
}

const round2 = (v) => Math.round(v * 100) / 100;
const round5 = (v) => Math.round(v * 1e5) / 1e5;
const clone = (value) => JSON.parse(JSON.stringify(value));

// --- the view --------------------------------------------------------------------------------------

// The "Map" buttons on the cards are made once: a new language renames them.
onLanguageChange(() => {
  for (const button of document.querySelectorAll(".mp-open")) {
    button.textContent = t("Map");
    button.title = t("Projection mapping: corners, mesh, masks, blend, test patterns");
  }
});

/** The key help under the controls: the translation places the keys ({arrows}, {shift}...). */
function keysHelp() {
  const keys = {
    arrows: "←↑→↓",
    shift: "Shift",
    tab: "Tab",
    undo: "Ctrl+Z",
    redo: "Ctrl+Shift+Z",
  };
  const text = t(
    "Drag the handles. {arrows} nudge 1 px, with {shift} 10 px · {tab} next corner · {undo} undo · {redo} redo",
  );
  const parts = text.split(/\{(\w+)\}/).map((part, i) => (i % 2 && keys[part] ? h("kbd", {}, keys[part]) : part));
  return h("p", { class: "mp-keys small muted" }, ...parts);
}

/** The "Map" button on a display card (displays.js calls this on every render). */
export function mapButton(card, d) {
  const thumb = card.querySelector(".thumb");
  if (!thumb || thumb.querySelector(".mp-open")) return;
  const button = h(
    "button",
    { type: "button", class: "mp-open", title: t("Projection mapping: corners, mesh, masks, blend, test patterns") },
    // i18n: a small button on a display's picture that opens projection mapping
    t("Map"),
  );
  button.addEventListener("click", () => openMapping(card.dataset.name || d.name));
  thumb.append(button);
}

function outputUrl(v, tail = "") {
  return `/api/v1/displays/${encodeURIComponent(v.display)}/outputs/${encodeURIComponent(v.output)}${tail}`;
}

export async function openMapping(display, output = null) {
  closeMapping();
  const v = {
    display,
    output,
    info: null,
    size: [1920, 1080],
    cur: null,
    good: null,
    undo: [],
    redo: [],
    mode: "corners",
    sel: { kind: "corner", i: 0 },
    mask: -1,
    drawing: null,
    drag: null,
    nudgedAt: 0,
    live: { inflight: false, queued: null, last: 0, timer: 0, failed: false },
    pictureTimer: 0,
    alive: true,
    canEdit: session.canOperate,
  };
  view = v;
  v.root = buildView(v);
  document.body.append(v.root);
  window.addEventListener("keydown", onKey, true);
  window.addEventListener("resize", fitStage);
  try {
    await loadOutputs(v);
  } catch (err) {
    showError(v, err instanceof ApiError ? err : new ApiError(0, "error", String(err)));
  }
}

export function closeMapping() {
  const v = view;
  if (!v) return;
  v.alive = false;
  clearTimeout(v.pictureTimer);
  clearTimeout(v.live.timer);
  v.root.remove();
  window.removeEventListener("keydown", onKey, true);
  window.removeEventListener("resize", fitStage);
  view = null;
}

async function loadOutputs(v) {
  const info = await api("GET", `/api/v1/displays/${encodeURIComponent(v.display)}/outputs`);
  if (!v.alive) return;
  v.info = info;
  if (!info.outputs.length) throw new ApiError(404, "no_outputs", t("This display has not reported its outputs yet."));
  showPath(v, info);
  const select = v.el.output;
  select.replaceChildren(...info.outputs.map((o) => h("option", { value: o.name }, `${o.name} · ${o.size[0]}×${o.size[1]}`)));
  const chosen = info.outputs.find((o) => o.name === v.output) || info.outputs[0];
  select.value = chosen.name;
  select.disabled = info.outputs.length < 2;
  v.el.pattern.replaceChildren(
    h("option", { value: "" }, t("None: the show")),
    ...info.patterns.map((p) => h("option", { value: p }, p)),
  );
  chooseOutput(v, chosen);
}

function showPath(v, info) {
  let path = info.path ? t("{path} output", { path: info.path }) : info.connected ? "" : t("display offline");
  if (info.path_reason) path += ` · ${info.path_reason}`;
  setText(v.el.path, path);
  v.el.path.title = path;
}

/**
 * Every few seconds: the path the display reports, and a mapping someone else set (another
 * operator, or the display's own keyboard calibration) when nothing here is being edited.
 */
async function refreshInfo(v) {
  let info;
  try {
    info = await api("GET", `/api/v1/displays/${encodeURIComponent(v.display)}/outputs`);
  } catch {
    return;
  }
  if (!v.alive) return;
  v.info = info;
  showPath(v, info);
  const out = info.outputs.find((o) => o.name === v.output);
  const busy = v.drag || v.drawing || v.live.inflight || v.live.queued || v.live.failed || v.fieldBefore;
  if (out && !busy && JSON.stringify(out.mapping) !== JSON.stringify(v.good)) {
    const before = snapshot(v);
    v.cur = clone(out.mapping);
    v.good = clone(out.mapping);
    remember(v, before);
    if (v.mask >= (v.cur.masks || []).length) v.mask = -1;
    if (!v.cur.mesh && v.sel.kind === "mesh") v.sel = { kind: "corner", i: 0 };
    syncFields(v);
    render(v);
  }
}

function chooseOutput(v, out) {
  v.output = out.name;
  v.size = out.size;
  v.cur = clone(out.mapping);
  v.good = clone(out.mapping);
  v.undo = [];
  v.redo = [];
  v.sel = { kind: "corner", i: 0 };
  v.mask = -1;
  v.drawing = null;
  v.el.pattern.value = out.pattern || "";
  setText(v.el.title, `${v.display} · ${out.name}`);
  v.svg.setAttribute("viewBox", `0 0 ${v.size[0]} ${v.size[1]}`);
  clearErrors(v);
  fitStage();
  syncFields(v);
  render(v);
  refreshCalibrations(v);
  clearTimeout(v.pictureTimer);
  loadPicture(v);
}

// --- building the DOM ------------------------------------------------------------------------------

function button(label, title, run, extra = {}) {
  const el = h("button", { type: "button", class: "btn btn-small", title, ...extra }, label);
  el.addEventListener("click", run);
  return el;
}

function numberField(label, field, attrs) {
  const input = h("input", { type: "number", class: "mp-num", "data-field": field, ...attrs });
  return h(
    "label",
    { class: "mp-field" },
    h("span", {}, label),
    input,
    h("small", { class: "field-error", "data-error-for": field }),
  );
}

function rangeField(label, field, attrs) {
  const range = h("input", { type: "range", "data-field": field, ...attrs });
  const out = h("output", { class: "mp-out" });
  return h(
    "label",
    { class: "mp-field mp-range" },
    h("span", {}, label),
    h("span", { class: "mp-range-row" }, range, out),
    h("small", { class: "field-error", "data-error-for": field }),
  );
}

function buildView(v) {
  const el = {};
  el.title = h("span", { class: "mp-title" });
  el.path = h("span", { class: "mp-path small muted" });
  el.output = h("select", { class: "mp-output", "aria-label": t("Output") });
  el.output.addEventListener("change", () => {
    const out = v.info && v.info.outputs.find((o) => o.name === el.output.value);
    if (out) chooseOutput(v, out);
  });
  el.undo = button(t("Undo"), t("Undo (Ctrl+Z)"), () => undo(v));
  el.redo = button(t("Redo"), t("Redo (Ctrl+Shift+Z)"), () => redo(v));
  el.reset = button(t("Reset"), t("Back to the identity: no corner-pin, mesh, masks or blend"), () => resetMapping(v), {
    class: "btn btn-small btn-danger",
  });
  const close = button(t("Close"), t("Close (Esc)"), closeMapping, { class: "btn btn-small btn-quiet mp-close" });
  const head = h(
    "header",
    { class: "mp-head" },
    h("h2", {}, t("Map")),
    el.title,
    el.output,
    el.path,
    h("span", { class: "spacer" }),
    el.undo,
    el.redo,
    el.reset,
    close,
  );

  v.img = h("img", { class: "mp-picture", alt: "" });
  v.img.hidden = true;
  v.svg = s("svg", { class: "mp-overlay", preserveAspectRatio: "none", role: "img", "aria-label": t("Calibration handles") });
  el.wait = h("div", { class: "mp-wait" }, t("Waiting for the display's picture…"));
  v.stage = h("div", { class: "mp-stage" }, el.wait, v.img, v.svg);
  const stageWrap = h("div", { class: "mp-stage-wrap" }, v.stage);
  v.svg.addEventListener("pointerdown", (e) => onPointerDown(v, e));
  v.svg.addEventListener("pointermove", (e) => onPointerMove(v, e));
  v.svg.addEventListener("pointerup", (e) => onPointerUp(v, e));
  v.svg.addEventListener("pointercancel", (e) => onPointerUp(v, e));

  const modeWords = {
    corners: [t("Corners"), t("Edit the corners")],
    mesh: [t("Mesh"), t("Edit the mesh")],
    masks: [t("Masks"), t("Edit the masks")],
  };
  el.modes = ["corners", "mesh", "masks"].map((mode) => {
    const b = button(modeWords[mode][0], modeWords[mode][1], () => setMode(v, mode), {
      class: "btn btn-small mp-mode",
      "aria-pressed": "false",
      "data-mode": mode,
    });
    return b;
  });
  el.meshCols = h("select", { "aria-label": t("Mesh columns") }, ...MESH_SIZES.map((n) => h("option", { value: n }, n)));
  el.meshRows = h("select", { "aria-label": t("Mesh rows") }, ...MESH_SIZES.map((n) => h("option", { value: n }, n)));
  el.meshCols.value = "4";
  el.meshRows.value = "4";
  el.meshToggle = button(t("Add mesh"), t("A grid of points to bend the picture onto an uneven wall"), () =>
    toggleMesh(v),
  );
  el.drawMask = button(
    t("Draw mask"),
    t("Click points over a window; Enter or a click on the first point closes it"),
    () => startMask(v),
  );
  el.deleteMask = button(t("Delete mask"), t("Delete the selected mask (Delete)"), () => deleteMask(v), {
    class: "btn btn-small btn-danger",
  });
  el.maskInfo = h("span", { class: "small muted mp-mask-info" });
  el.pattern = h("select", { class: "mp-pattern", "aria-label": t("Test pattern") });
  el.pattern.addEventListener("change", () => setPattern(v, el.pattern.value || null));
  el.saveName = h("input", {
    class: "mp-save-name",
    maxlength: 64,
    placeholder: t("dusk, rain, facade v2…"),
    "aria-label": t("Calibration name"),
  });
  el.save = button(t("Save as"), t("Keep this calibration under a name"), () => saveCalibration(v));
  el.saved = h("select", { class: "mp-saved", "aria-label": t("Saved calibrations") });
  el.load = button(t("Load"), t("Make the chosen calibration this output's mapping"), () => loadCalibration(v));
  el.status = h("div", { class: "mp-status small", role: "status" });
  el.error = h("div", { class: "mp-error", role: "alert" });

  const side = h(
    "aside",
    { class: "mp-side" },
    h("section", { class: "mp-section" }, h("h3", {}, t("Edit")), h("div", { class: "mp-row" }, ...el.modes)),
    h(
      "section",
      { class: "mp-section" },
      h("h3", {}, t("Mesh warp")),
      h("div", { class: "mp-row" }, el.meshCols, h("span", { class: "muted" }, "×"), el.meshRows, el.meshToggle),
      h("small", { class: "field-error", "data-error-for": "mesh" }),
    ),
    h(
      "section",
      { class: "mp-section" },
      h("h3", {}, t("Masks")),
      h("div", { class: "mp-row" }, el.drawMask, el.deleteMask),
      el.maskInfo,
      h("small", { class: "field-error", "data-error-for": "masks" }),
    ),
    h(
      "section",
      { class: "mp-section" },
      h("h3", {}, t("Edge blend (px)")),
      h(
        "div",
        { class: "mp-grid4" },
        numberField(t("Left"), "blend.left", { min: 0, step: 1 }),
        numberField(t("Right"), "blend.right", { min: 0, step: 1 }),
        numberField(t("Top"), "blend.top", { min: 0, step: 1 }),
        numberField(t("Bottom"), "blend.bottom", { min: 0, step: 1 }),
      ),
      rangeField(t("Curve"), "blend.curve", { min: 1, max: 8, step: 0.1 }),
      h(
        "div",
        { class: "mp-grid3" },
        numberField(t("Gamma R"), "blend.gamma.0", { min: 0.5, max: 4, step: 0.05 }),
        numberField(t("Gamma G"), "blend.gamma.1", { min: 0.5, max: 4, step: 0.05 }),
        numberField(t("Gamma B"), "blend.gamma.2", { min: 0.5, max: 4, step: 0.05 }),
      ),
      h("small", { class: "field-error", "data-error-for": "blend" }),
    ),
    h(
      "section",
      { class: "mp-section" },
      h("h3", {}, t("Levels")),
      rangeField(t("Brightness"), "brightness", { min: 0, max: 1, step: 0.01 }),
      rangeField(t("Black level"), "black_level", { min: 0, max: 0.25, step: 0.005 }),
    ),
    h("section", { class: "mp-section" }, h("h3", {}, t("Test pattern")), el.pattern),
    h(
      "section",
      { class: "mp-section" },
      h("h3", {}, t("Calibrations")),
      h("div", { class: "mp-row" }, el.saveName, el.save),
      h("div", { class: "mp-row" }, el.saved, el.load),
      h("small", { class: "field-error", "data-error-for": "name" }),
    ),
    el.error,
    el.status,
    keysHelp(),
  );
  for (const input of side.querySelectorAll("input[data-field]")) {
    if (input.type === "range") {
      // Sliders send live while they move; the history gets one entry per movement.
      input.addEventListener("input", () => fieldChanged(v, input, true));
      input.addEventListener("change", () => {
        if (v.fieldBefore) remember(v, v.fieldBefore);
        v.fieldBefore = null;
        commit(v);
      });
    } else {
      input.addEventListener("change", () => fieldChanged(v, input, false));
    }
  }
  if (!v.canEdit) {
    for (const control of side.querySelectorAll("input, select, button")) control.disabled = true;
    el.undo.disabled = el.redo.disabled = el.reset.disabled = true;
  }
  v.el = el;
  return h(
    "div",
    { class: "mp-view", role: "dialog", "aria-modal": "true", "aria-label": t("Projection mapping") },
    head,
    h("div", { class: "mp-body" }, stageWrap, side),
  );
}

function fitStage() {
  const v = view;
  if (!v) return;
  const wrap = v.stage.parentElement;
  const style = getComputedStyle(wrap);
  const room = (a, b) => parseFloat(style[a]) + parseFloat(style[b]);
  const [w, hgt] = v.size;
  const scale = Math.min(
    (wrap.clientWidth - room("paddingLeft", "paddingRight")) / w,
    (wrap.clientHeight - room("paddingTop", "paddingBottom")) / hgt,
  );
  v.stage.style.width = `${Math.max(50, Math.floor(w * scale))}px`;
  v.stage.style.height = `${Math.max(30, Math.floor(hgt * scale))}px`;
  render(v);
}

// --- the picture -------------------------------------------------------------------------------------

function loadPicture(v) {
  if (!v.alive || !v.output) return;
  const next = new Image();
  const output = v.output;
  const again = () => {
    if (!v.alive) return;
    v.pictures = (v.pictures || 0) + 1;
    if (v.pictures % 3 === 0) refreshInfo(v);
    v.pictureTimer = setTimeout(() => loadPicture(v), PICTURE_PAUSE);
  };
  next.onload = () => {
    if (v.alive && v.output === output) {
      v.img.src = next.src;
      v.img.hidden = false;
      v.el.wait.hidden = true;
    }
    again();
  };
  next.onerror = again;
  next.src = `${outputUrl(v, "/picture.jpg")}?t=${Date.now()}`;
}

// --- drawing the overlay -----------------------------------------------------------------------------

function render(v) {
  if (!v.cur) return;
  const svg = v.svg;
  const [w, hgt] = v.size;
  const px = v.stage.clientWidth ? w / v.stage.clientWidth : 1; // output pixels per screen pixel
  const r = 8 * px;
  const parts = [];
  const b = v.cur.blend || {};
  const strips = [
    ["left", 0, 0, b.left || 0, hgt],
    ["right", w - (b.right || 0), 0, b.right || 0, hgt],
    ["top", 0, 0, w, b.top || 0],
    ["bottom", 0, hgt - (b.bottom || 0), w, b.bottom || 0],
  ];
  for (const [side, x, y, sw, sh] of strips) {
    if (sw > 0 && sh > 0) parts.push(s("rect", { class: `mp-strip mp-strip-${side}`, x, y, width: sw, height: sh }));
  }
  const hm = homography(v.cur.corners);
  if (hm && v.cur.mesh) {
    const pts = v.cur.mesh.map((row) => row.map(([u, vv]) => apply(hm, u, vv)));
    for (const row of pts) parts.push(s("polyline", { class: "mp-mesh-line", points: row.map((p) => p.join(",")).join(" ") }));
    for (let c = 0; c < pts[0].length; c += 1) {
      parts.push(s("polyline", { class: "mp-mesh-line", points: pts.map((row) => row[c].join(",")).join(" ") }));
    }
    if (v.mode === "mesh") {
      pts.forEach((row, ri) =>
        row.forEach(([x, y], ci) => {
          const selected = v.sel.kind === "mesh" && v.sel.i === ri && v.sel.j === ci;
          parts.push(
            s("circle", {
              class: `mp-handle mp-mesh-pt${selected ? " selected" : ""}`,
              cx: x,
              cy: y,
              r: r * 0.7,
              "data-kind": "mesh",
              "data-i": ri,
              "data-j": ci,
            }),
          );
        }),
      );
    }
  }
  (v.cur.masks || []).forEach((poly, mi) => {
    const selected = mi === v.mask;
    parts.push(
      s("polygon", {
        class: `mp-mask${selected ? " selected" : ""}`,
        points: poly.map((p) => p.join(",")).join(" "),
        "data-kind": "mask",
        "data-i": mi,
      }),
    );
    if (selected && v.mode === "masks") {
      poly.forEach(([x, y], pi) => {
        const on = v.sel.kind === "mask-pt" && v.sel.i === mi && v.sel.j === pi;
        parts.push(
          s("circle", {
            class: `mp-handle mp-mask-pt${on ? " selected" : ""}`,
            cx: x,
            cy: y,
            r: r * 0.75,
            "data-kind": "mask-pt",
            "data-i": mi,
            "data-j": pi,
          }),
        );
      });
    }
  });
  if (v.drawing) {
    const pts = v.drawing;
    parts.push(s("polyline", { class: "mp-drawing", points: pts.map((p) => p.join(",")).join(" ") }));
    pts.forEach(([x, y], i) =>
      parts.push(s("circle", { class: `mp-draw-pt${i === 0 ? " first" : ""}`, cx: x, cy: y, r: i === 0 ? r : r * 0.5, "data-kind": i === 0 ? "close" : "" })),
    );
  }
  parts.push(s("polygon", { class: "mp-quad", points: v.cur.corners.map((p) => p.join(",")).join(" ") }));
  v.cur.corners.forEach(([x, y], i) => {
    const selected = v.sel.kind === "corner" && v.sel.i === i;
    const g = s(
      "g",
      { class: `mp-corner${selected ? " selected" : ""}`, "data-kind": "corner", "data-i": i },
      s("circle", { class: "mp-handle", cx: x, cy: y, r, "data-kind": "corner", "data-i": i }),
      s("text", {
        // Labels sit outside the handle and towards the picture, so none is cut off at an edge.
        x: i === 1 || i === 2 ? x - r * 1.4 : x + r * 1.4,
        y: i < 2 ? y - r * 1.1 : y + r * 2.2,
        "text-anchor": i === 1 || i === 2 ? "end" : "start",
        "font-size": 12 * px,
        "data-kind": "corner",
        "data-i": i,
        text: CORNER_LABELS[i],
      }),
    );
    parts.push(g);
  });
  svg.replaceChildren(...parts);
  const masks = (v.cur.masks || []).length;
  setText(
    v.el.maskInfo,
    v.drawing
      ? tn(
          "Drawing: {count} point. Enter or the first point closes; Esc cancels.",
          "Drawing: {count} points. Enter or the first point closes; Esc cancels.",
          v.drawing.length,
          { count: v.drawing.length },
        )
      : `${tn("{count} mask", "{count} masks", masks, { count: masks })}${
          v.mask >= 0 ? ` · ${t("mask {number} selected", { number: v.mask + 1 })}` : ""
        }`,
  );
  v.el.deleteMask.disabled = !v.canEdit || v.mask < 0;
  v.el.undo.disabled = !v.canEdit || !v.undo.length;
  v.el.redo.disabled = !v.canEdit || !v.redo.length;
  setText(v.el.meshToggle, v.cur.mesh ? t("Remove mesh") : t("Add mesh"));
  for (const b2 of v.el.modes) b2.setAttribute("aria-pressed", String(b2.dataset.mode === v.mode));
  setText(v.el.status, statusLine(v));
}

function statusLine(v) {
  const sel = v.sel;
  if (sel.kind === "corner") {
    const [x, y] = v.cur.corners[sel.i];
    const where = { x: round2(x), y: round2(y) };
    if (sel.i === 0) return t("Top-left corner at {x}, {y}", where);
    if (sel.i === 1) return t("Top-right corner at {x}, {y}", where);
    if (sel.i === 2) return t("Bottom-right corner at {x}, {y}", where);
    return t("Bottom-left corner at {x}, {y}", where);
  }
  if (sel.kind === "mesh" && v.cur.mesh) {
    const [u, vv] = v.cur.mesh[sel.i][sel.j];
    return t("Mesh point row {row}, column {column} at u {u}, v {v}", {
      row: sel.i + 1,
      column: sel.j + 1,
      u: u.toFixed(3),
      v: vv.toFixed(3),
    });
  }
  if (sel.kind === "mask-pt" && v.cur.masks[sel.i]) {
    const [x, y] = v.cur.masks[sel.i][sel.j];
    return t("Mask {mask}, point {point} at {x}, {y}", { mask: sel.i + 1, point: sel.j + 1, x: round2(x), y: round2(y) });
  }
  return "";
}

function syncFields(v) {
  const b = v.cur.blend || {};
  const values = {
    "blend.left": b.left || 0,
    "blend.right": b.right || 0,
    "blend.top": b.top || 0,
    "blend.bottom": b.bottom || 0,
    "blend.curve": b.curve ?? 2,
    "blend.gamma.0": (b.gamma || [2.2, 2.2, 2.2])[0],
    "blend.gamma.1": (b.gamma || [2.2, 2.2, 2.2])[1],
    "blend.gamma.2": (b.gamma || [2.2, 2.2, 2.2])[2],
    brightness: v.cur.brightness ?? 1,
    black_level: v.cur.black_level ?? 0,
  };
  for (const input of v.root.querySelectorAll("input[data-field]")) {
    const value = values[input.dataset.field];
    if (value === undefined || document.activeElement === input) continue;
    input.value = String(value);
    const out = input.parentElement.querySelector(".mp-out");
    if (out) setText(out, Number(value).toFixed(input.step && Number(input.step) < 0.01 ? 3 : 2));
  }
  v.root.querySelector("input[data-field='blend.left']").max = v.size[0];
  v.root.querySelector("input[data-field='blend.right']").max = v.size[0];
  v.root.querySelector("input[data-field='blend.top']").max = v.size[1];
  v.root.querySelector("input[data-field='blend.bottom']").max = v.size[1];
}

// --- editing -------------------------------------------------------------------------------------------

function snapshot(v) {
  return JSON.stringify(v.cur);
}

function remember(v, before) {
  if (before === snapshot(v)) return;
  v.undo.push(before);
  if (v.undo.length > HISTORY) v.undo.shift();
  v.redo = [];
}

/** A change is complete (a drag ended, a field was set): send it now. */
function commit(v) {
  render(v);
  sendLive(v);
}

function setMode(v, mode) {
  v.mode = mode;
  v.drawing = null;
  if (mode === "corners") v.sel = { kind: "corner", i: v.sel.kind === "corner" ? v.sel.i : 0 };
  if (mode === "mesh" && v.cur.mesh) v.sel = { kind: "mesh", i: 0, j: 0 };
  render(v);
}

function toggleMesh(v) {
  if (!v.canEdit) return;
  const before = snapshot(v);
  if (v.cur.mesh) {
    delete v.cur.mesh;
    if (v.mode === "mesh") setMode(v, "corners");
  } else {
    v.cur.mesh = regularMesh(Number(v.el.meshCols.value), Number(v.el.meshRows.value));
    v.mode = "mesh";
    v.sel = { kind: "mesh", i: 0, j: 0 };
  }
  remember(v, before);
  commit(v);
}

function startMask(v) {
  if (!v.canEdit) return;
  v.mode = "masks";
  v.drawing = [];
  v.mask = -1;
  render(v);
}

function closeMask(v) {
  const pts = v.drawing;
  if (!pts || pts.length < 3) {
    setText(v.el.error, t("A mask needs at least 3 points."));
    return;
  }
  const before = snapshot(v);
  v.cur.masks = [...(v.cur.masks || []), pts];
  v.drawing = null;
  v.mask = v.cur.masks.length - 1;
  remember(v, before);
  commit(v);
}

function deleteMask(v) {
  if (!v.canEdit || v.mask < 0) return;
  const before = snapshot(v);
  v.cur.masks.splice(v.mask, 1);
  v.mask = -1;
  v.sel = { kind: "corner", i: 0 };
  remember(v, before);
  commit(v);
}

function fieldChanged(v, input, moving) {
  if (!v.canEdit) return;
  const field = input.dataset.field;
  const value = input.value === "" ? NaN : Number(input.value);
  const before = snapshot(v);
  v.cur.blend = v.cur.blend || {};
  if (field.startsWith("blend.gamma.")) {
    const gamma = (v.cur.blend.gamma || [2.2, 2.2, 2.2]).slice();
    gamma[Number(field.slice(-1))] = value;
    v.cur.blend.gamma = gamma;
  } else if (field.startsWith("blend.")) {
    v.cur.blend[field.slice(6)] = value;
  } else {
    v.cur[field] = value;
  }
  const out = input.parentElement.querySelector(".mp-out");
  if (out) setText(out, Number.isFinite(value) ? value.toFixed(Number(input.step) < 0.01 ? 3 : 2) : "–");
  if (moving) {
    if (!v.fieldBefore) v.fieldBefore = before;
    render(v);
    sendLive(v);
    return;
  }
  remember(v, before);
  commit(v);
}

function undo(v) {
  if (!v.canEdit || !v.undo.length) return;
  v.redo.push(snapshot(v));
  v.cur = JSON.parse(v.undo.pop());
  afterHistory(v);
}

function redo(v) {
  if (!v.canEdit || !v.redo.length) return;
  v.undo.push(snapshot(v));
  v.cur = JSON.parse(v.redo.pop());
  afterHistory(v);
}

function afterHistory(v) {
  if (!v.cur.mesh && v.sel.kind === "mesh") v.sel = { kind: "corner", i: 0 };
  if (v.mask >= (v.cur.masks || []).length) v.mask = -1;
  v.drawing = null;
  syncFields(v);
  commit(v);
}

async function resetMapping(v) {
  if (!v.canEdit) return;
  const before = snapshot(v);
  try {
    const reply = await api("DELETE", outputUrl(v, "/mapping"));
    v.cur = clone(reply.mapping);
    v.good = clone(reply.mapping);
    remember(v, before);
    v.mask = -1;
    v.sel = { kind: "corner", i: 0 };
    clearErrors(v);
    syncFields(v);
    render(v);
    setText(v.el.status, t("Reset to the identity"));
  } catch (err) {
    showError(v, err);
  }
}

async function setPattern(v, pattern) {
  try {
    await api("POST", outputUrl(v, "/pattern"), { pattern });
  } catch (err) {
    showError(v, err);
  }
}

// --- live updates: at most ten a second, the last state always sent ---------------------------------

function sendLive(v) {
  if (!v.canEdit) return;
  v.live.queued = clone(v.cur);
  pump(v);
}

async function pump(v) {
  const live = v.live;
  if (live.inflight || !live.queued || !v.alive) return;
  const wait = LIVE_INTERVAL - (performance.now() - live.last);
  if (wait > 0) {
    clearTimeout(live.timer);
    live.timer = setTimeout(() => pump(v), wait);
    return;
  }
  const body = live.queued;
  live.queued = null;
  live.inflight = true;
  live.last = performance.now();
  try {
    const reply = await api("PUT", outputUrl(v, "/mapping"), body);
    v.good = clone(reply.mapping);
    live.failed = false;
    clearErrors(v);
  } catch (err) {
    live.failed = true;
    showError(v, err);
  } finally {
    live.inflight = false;
  }
  if (live.queued) {
    pump(v);
  } else if (live.failed && !v.drag && v.good) {
    // Refused, and the hand has let go: the last good state comes back (the error stays shown).
    v.cur = clone(v.good);
    if (v.mask >= (v.cur.masks || []).length) v.mask = -1;
    if (!v.cur.mesh && v.sel.kind === "mesh") v.sel = { kind: "corner", i: 0 };
    syncFields(v);
    render(v);
  }
}

// --- errors ----------------------------------------------------------------------------------------------

function clearErrors(v) {
  setText(v.el.error, "");
  for (const el of v.root.querySelectorAll("[data-error-for]")) setText(el, "");
  for (const el of v.root.querySelectorAll(".invalid")) el.classList.remove("invalid");
  v.svg.classList.remove("mp-refused");
}

/** The server's message next to what it is about: a field, a corner, the masks, or the top. */
function showError(v, err) {
  clearErrors(v);
  const field = err.field || "";
  const message = withoutField(err.message, field);
  const candidates = [...v.root.querySelectorAll("[data-error-for]")];
  const dotted = field.replace(/\[(\d+)\]/g, ".$1");
  const target = candidates
    .filter((el) => dotted === el.dataset.errorFor || dotted.startsWith(`${el.dataset.errorFor}.`))
    .sort((a, b) => b.dataset.errorFor.length - a.dataset.errorFor.length)[0];
  const input = v.root.querySelector(`input[data-field='${CSS.escape(dotted)}']`);
  if (input) input.classList.add("invalid");
  if (field.startsWith("corners")) v.svg.classList.add("mp-refused");
  if (target) setText(target, message);
  setText(v.el.error, field ? t("Refused: {field}: {reason}", { field, reason: message }) : message);
}

// --- pointer -----------------------------------------------------------------------------------------------

function toOutput(v, event) {
  const rect = v.svg.getBoundingClientRect();
  return [((event.clientX - rect.left) / rect.width) * v.size[0], ((event.clientY - rect.top) / rect.height) * v.size[1]];
}

function onPointerDown(v, event) {
  if (!v.canEdit || event.button !== 0) return;
  const target = event.target;
  const kind = target.dataset ? target.dataset.kind : "";
  const i = Number(target.dataset && target.dataset.i);
  const j = Number(target.dataset && target.dataset.j);
  const [x, y] = toOutput(v, event);
  if (v.drawing) {
    event.preventDefault();
    if (kind === "close" && v.drawing.length >= 3) closeMask(v);
    else {
      v.drawing.push([round2(x), round2(y)]);
      render(v);
    }
    return;
  }
  if (kind === "corner") v.sel = { kind: "corner", i };
  else if (kind === "mesh") v.sel = { kind: "mesh", i, j };
  else if (kind === "mask-pt") v.sel = { kind: "mask-pt", i, j };
  else if (kind === "mask" && v.mode === "masks") {
    v.mask = i;
    render(v);
    return;
  } else {
    if (v.mode === "masks") v.mask = -1;
    render(v);
    return;
  }
  event.preventDefault();
  v.svg.setPointerCapture(event.pointerId);
  v.drag = { before: snapshot(v), id: event.pointerId };
  render(v);
}

function onPointerMove(v, event) {
  if (!v.drag || event.pointerId !== v.drag.id) return;
  moveSelected(v, toOutput(v, event));
  render(v);
  sendLive(v);
}

function onPointerUp(v, event) {
  if (!v.drag || event.pointerId !== v.drag.id) return;
  const before = v.drag.before;
  v.drag = null;
  remember(v, before);
  commit(v);
}

/** Put the selected point at output pixel (x, y). */
function moveSelected(v, [x, y]) {
  const sel = v.sel;
  if (sel.kind === "corner") v.cur.corners[sel.i] = [round2(x), round2(y)];
  else if (sel.kind === "mask-pt") v.cur.masks[sel.i][sel.j] = [round2(x), round2(y)];
  else if (sel.kind === "mesh" && v.cur.mesh) {
    const hm = homography(v.cur.corners);
    const inv = hm && invert(hm);
    if (!inv) return;
    const [u, vv] = apply(inv, x, y);
    v.cur.mesh[sel.i][sel.j] = [round5(u), round5(vv)];
  }
}

function selectedPoint(v) {
  const sel = v.sel;
  if (sel.kind === "corner") return v.cur.corners[sel.i];
  if (sel.kind === "mask-pt" && v.cur.masks[sel.i]) return v.cur.masks[sel.i][sel.j];
  if (sel.kind === "mesh" && v.cur.mesh) {
    const hm = homography(v.cur.corners);
    return hm && apply(hm, ...v.cur.mesh[sel.i][sel.j]);
  }
  return null;
}

// --- keys -------------------------------------------------------------------------------------------------

function typingIn(target) {
  return Boolean(target && target.closest && target.closest("input, textarea, select"));
}

function onKey(event) {
  const v = view;
  if (!v) return;
  const key = event.key;
  // Blackout stays within reach here too (the panel's handler takes B unless typing).
  if ((key === "b" || key === "B") && !event.ctrlKey && !event.metaKey && !event.altKey) return;
  // Otherwise the view owns the keyboard: the show's keys (Space GO, Esc panic...) are off;
  // Esc cancels a mask or closes this view.
  event.stopPropagation();
  const ctrl = event.ctrlKey || event.metaKey;
  if (ctrl && (key === "z" || key === "Z")) {
    event.preventDefault();
    if (event.shiftKey) redo(v);
    else undo(v);
    return;
  }
  if (ctrl && (key === "y" || key === "Y")) {
    event.preventDefault();
    redo(v);
    return;
  }
  if (typingIn(event.target)) {
    if (key === "Escape") event.target.blur();
    return;
  }
  if (key === "Escape") {
    event.preventDefault();
    if (v.drawing) {
      v.drawing = null;
      render(v);
    } else closeMapping();
    return;
  }
  if (key === "Enter" && v.drawing) {
    event.preventDefault();
    closeMask(v);
    return;
  }
  if ((key === "Delete" || key === "Backspace") && v.mask >= 0 && v.mode === "masks") {
    event.preventDefault();
    deleteMask(v);
    return;
  }
  if (key === "Tab" && !event.altKey) {
    event.preventDefault();
    const i = v.sel.kind === "corner" ? (v.sel.i + (event.shiftKey ? 3 : 1)) % 4 : 0;
    v.sel = { kind: "corner", i };
    render(v);
    return;
  }
  const arrows = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
  if (arrows[key] && v.canEdit) {
    event.preventDefault();
    const point = selectedPoint(v);
    if (!point) return;
    const step = event.shiftKey ? 10 : 1;
    const before = snapshot(v);
    moveSelected(v, [point[0] + arrows[key][0] * step, point[1] + arrows[key][1] * step]);
    // A run of nudges is one step of the history.
    const now = performance.now();
    if (now - v.nudgedAt > 800) remember(v, before);
    v.nudgedAt = now;
    commit(v);
  }
}

// --- saved calibrations -------------------------------------------------------------------------------------

async function refreshCalibrations(v) {
  try {
    const reply = await api("GET", outputUrl(v, "/calibrations"));
    const list = reply.calibrations || [];
    v.el.saved.replaceChildren(
      ...(list.length
        ? list.map((c) => h("option", { value: c.name }, c.saved_by ? `${c.name} · ${c.saved_by}` : c.name))
        : [h("option", { value: "" }, t("None saved yet"))]),
    );
    v.el.saved.disabled = !list.length || !v.canEdit;
    v.el.load.disabled = !list.length || !v.canEdit;
  } catch (err) {
    showError(v, err);
  }
}

async function saveCalibration(v) {
  const name = v.el.saveName.value.trim();
  if (!name) {
    setText(v.root.querySelector("[data-error-for='name']"), t("Give the calibration a name"));
    v.el.saveName.focus();
    return;
  }
  try {
    await api("POST", outputUrl(v, "/calibrations"), { name, mapping: v.good || v.cur });
    v.el.saveName.value = "";
    clearErrors(v);
    setText(v.el.status, t("Saved as {name}", { name }));
    await refreshCalibrations(v);
    v.el.saved.value = name;
  } catch (err) {
    showError(v, err);
  }
}

async function loadCalibration(v) {
  const name = v.el.saved.value;
  if (!name) return;
  const before = snapshot(v);
  try {
    const reply = await api("POST", outputUrl(v, `/calibrations/${encodeURIComponent(name)}/load`));
    v.cur = clone(reply.mapping);
    v.good = clone(reply.mapping);
    remember(v, before);
    v.mask = -1;
    v.sel = { kind: "corner", i: 0 };
    clearErrors(v);
    syncFields(v);
    render(v);
    setText(v.el.status, t("Loaded {name}", { name }));
  } catch (err) {
    showError(v, err);
  }
}
