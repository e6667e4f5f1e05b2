// The safe area editor in a display card's edit form: where words may go.
//
// Margins (top, right, bottom, left) and keep-out boxes (x, y, w, h), in percent
// of the frame, for the whole display or, when it drives several, one output.
// While the form is open they are drawn over the card's thumbnail (an output's
// own picture when one is chosen) as translucent red, with the largest clear
// rectangle (where scenes put their words) outlined, so the operator sees what
// they mark. The server checks everything: a refusal (422) is shown next to the
// field it names (`safe_area.avoid[2].w` -> box 3's w). Text enters as text only.

import { api } from "./api.js";
import { h, numberFormat, s, setText, withoutField } from "./dom.js";
import { t } from "./i18n.js";

const SIDES = ["top", "right", "bottom", "left"];
const BOX_KEYS = ["x", "y", "w", "h"];
const MAX_BOXES = 16; // projector/core/safe_area.py: MAX_BOXES
const WHOLE = ""; // the target for the whole display (its canvas)

/** 0.125 -> "12.5" (percent, at most two decimals). */
function percent(fraction) {
  return typeof fraction === "number" && Number.isFinite(fraction) ? String(Math.round(fraction * 1e4) / 100) : "";
}

/** "12.5" -> 0.125; an empty field is `empty`; anything else not a number is null (the server names it). */
function fractionOf(text, empty) {
  if (String(text).trim() === "") return empty;
  const n = Number(text);
  return Number.isFinite(n) ? Math.round(n * 100) / 10000 : null;
}

/** What the inputs hold for a safe area from the server (null: none). */
function draftOf(area) {
  const margins = (area && area.margins) || {};
  return {
    margins: Object.fromEntries(SIDES.map((k) => [k, percent(margins[k] || 0)])),
    boxes: ((area && area.avoid) || []).map((b) => Object.fromEntries(BOX_KEYS.map((k) => [k, percent(b[k])]))),
  };
}

/** The safe area to send for a draft: null when it asks for nothing. */
function wireOf(draft) {
  const margins = Object.fromEntries(SIDES.map((k) => [k, fractionOf(draft.margins[k], 0)]));
  const avoid = draft.boxes.map((b) => Object.fromEntries(BOX_KEYS.map((k) => [k, fractionOf(b[k], null)])));
  return SIDES.every((k) => margins[k] === 0) && avoid.length === 0 ? null : { margins, avoid };
}

const key = (area) => JSON.stringify(area);
const share = (part, whole) => Math.round((part / whole) * 100);
/** 40 -> "40%" ("40 %" in French, "40٪" in Arabic). */
const percentText = (value) => numberFormat({ style: "percent", maximumFractionDigits: 0 }).format(value / 100);

/** A side's name: the wire says top/right/bottom/left, the operator reads their own words. */
function sideName(side) {
  if (side === "top") return t("top");
  if (side === "right") return t("right");
  if (side === "bottom") return t("bottom");
  return t("left");
}

/** The largest rectangle clear of margins and boxes, in pixels (as projector/core/safe_area.py finds it). */
function usableRect(width, height, area) {
  const m = (area && area.margins) || {};
  const num = (v) => (typeof v === "number" && Number.isFinite(v) ? Math.min(Math.max(v, 0), 1) : 0);
  const x0 = Math.ceil(num(m.left) * width);
  const y0 = Math.ceil(num(m.top) * height);
  const x1 = Math.floor(width - num(m.right) * width);
  const y1 = Math.floor(height - num(m.bottom) * height);
  if (x1 <= x0 || y1 <= y0) return null;
  const boxes = [];
  for (const b of (area && area.avoid) || []) {
    const bx0 = Math.max(Math.floor(num(b.x) * width), x0);
    const by0 = Math.max(Math.floor(num(b.y) * height), y0);
    const bx1 = Math.min(Math.ceil((num(b.x) + num(b.w)) * width), x1);
    const by1 = Math.min(Math.ceil((num(b.y) + num(b.h)) * height), y1);
    if (bx1 > bx0 && by1 > by0) boxes.push([bx0, by0, bx1, by1]);
  }
  if (!boxes.length) return [x0, y0, x1 - x0, y1 - y0];
  const ys = [...new Set([y0, y1, ...boxes.flatMap((b) => [b[1], b[3]])])].sort((a, b) => a - b);
  let best = null;
  for (let i = 0; i < ys.length; i += 1) {
    for (let j = i + 1; j < ys.length; j += 1) {
      const top = ys[i];
      const bottom = ys[j];
      const blocked = boxes
        .filter((b) => b[1] < bottom && b[3] > top)
        .map((b) => [b[0], b[2]])
        .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      let start = x0;
      for (const [left, right] of [...blocked, [x1, x1]]) {
        if (left > start) {
          const rect = [start, top, left - start, bottom - top];
          const size = rect[2] * rect[3];
          const off = Math.abs(start + rect[2] / 2 - width / 2) + Math.abs(top + rect[3] / 2 - height / 2);
          if (!best || size > best.size || (size === best.size && off < best.off)) best = { size, off, rect };
        }
        start = Math.max(start, right);
      }
    }
  }
  return best ? best.rect : null;
}

function numberInput(cls, label, value) {
  return h("input", {
    class: `sa-in ${cls}`,
    type: "number",
    inputmode: "decimal",
    step: "any",
    value,
    "aria-label": label,
  });
}

/**
 * The editor for one display card's form: `element` goes in the form; `pending()` lists what
 * changed as [target, area] (target "" is the whole display); `showError(field, message, target)`
 * puts a refusal next to its field; `close()` takes the drawing off the thumbnail.
 */
export function safeAreaEditor(card, d) {
  const saved = new Map([[WHOLE, d.safe_area || null]]);
  for (const [name, area] of Object.entries(d.output_safe_areas || {})) saved.set(name, area);
  const drafts = new Map([...saved].map(([target, area]) => [target, draftOf(area)]));
  const sizes = new Map([[WHOLE, Array.isArray(d.resolution) ? d.resolution : [1920, 1080]]]);
  let target = WHOLE;

  const el = {};
  el.target = h(
    "select",
    { class: "sa-target", "aria-label": t("Safe area of") },
    h("option", { value: WHOLE }, t("Whole display")),
  );
  el.targetRow = h(
    "label",
    { class: "sa-target-row" },
    // i18n: a label before a list: "(safe area) of: Whole display / Output left"
    h("span", {}, t("Of")),
    el.target,
    h("small", { class: "field-error", "data-for": "output" }),
  );
  el.targetRow.hidden = true;
  el.margins = h("div", { class: "sa-margins" });
  el.boxes = h("ol", { class: "sa-boxes" });
  el.boxCols = h(
    "div",
    { class: "sa-box-row sa-box-cols", "aria-hidden": "true" },
    h("span", {}),
    ...[t("x (from left)"), t("y (from top)"), t("width"), t("height")].map((label) => h("span", {}, label)),
    h("span", {}),
  );
  el.boxesError = h("small", { class: "field-error", "data-for": "avoid" });
  el.error = h("small", { class: "field-error sa-error", role: "alert" });
  el.room = h("small", { class: "sa-room muted" });
  el.add = h(
    "button",
    { type: "button", class: "btn btn-small btn-quiet sa-add", title: t("A window, a drainpipe: words stay off it") },
    t("+ Box"),
  );
  el.clear = h(
    "button",
    { type: "button", class: "btn btn-small btn-quiet sa-clear", title: t("No margins and no boxes (Save applies it)") },
    t("Clear"),
  );
  const element = h(
    "fieldset",
    { class: "sa" },
    h("legend", {}, `${t("Safe area")} `, h("span", { class: "sa-unit" }, t("(percent of the frame)"))),
    el.targetRow,
    el.margins,
    h("div", { class: "sa-boxes-head" }, h("span", {}, t("Keep-out boxes")), el.add, el.clear),
    el.boxCols,
    el.boxes,
    el.boxesError,
    el.room,
    el.error,
  );

  // --- the drawing over the thumbnail ---------------------------------------------------------------
  const thumb = card.querySelector(".thumb");
  const picture = h("img", { class: "sa-picture", alt: "" });
  picture.hidden = true;
  picture.addEventListener("error", () => {
    picture.hidden = true; // no picture from that output yet: the boxes are drawn over the thumbnail
  });
  const overlay = s("svg", { class: "sa-overlay", role: "img", "aria-label": t("Safe area: keep-out zones in red") });
  const preview = h("div", { class: "sa-preview" }, picture, overlay);
  if (thumb) {
    const old = thumb.querySelector(".sa-preview");
    if (old) old.remove();
    thumb.append(preview);
  }

  function draw() {
    const [width, height] = sizes.get(target) || sizes.get(WHOLE);
    overlay.setAttribute("viewBox", `0 0 ${width} ${height}`);
    const area = wireOf(drafts.get(target));
    const parts = [];
    const rect = (x, y, w, hh, cls) => {
      const fits = [x, y, w, hh].every((v) => typeof v === "number" && Number.isFinite(v));
      if (!fits || w <= 0 || hh <= 0) return;
      parts.push(s("rect", { class: cls, x: x * width, y: y * height, width: w * width, height: hh * height }));
    };
    if (area) {
      const m = area.margins;
      const clamp = (v) => (typeof v === "number" && Number.isFinite(v) ? Math.min(Math.max(v, 0), 1) : 0);
      const [top, right, bottom, left] = SIDES.map((k) => clamp(m[k]));
      rect(0, 0, 1, top, "sa-keepout");
      rect(0, 1 - bottom, 1, bottom, "sa-keepout");
      rect(0, top, left, 1 - top - bottom, "sa-keepout");
      rect(1 - right, top, right, 1 - top - bottom, "sa-keepout");
      for (const b of area.avoid) rect(b.x, b.y, b.w, b.h, "sa-keepout sa-box-zone");
    }
    const clear = usableRect(width, height, area);
    if (clear) {
      parts.push(s("rect", { class: "sa-usable", x: clear[0], y: clear[1], width: clear[2], height: clear[3] }));
    }
    overlay.replaceChildren(...parts);
    setText(
      el.room,
      clear
        ? t("Words go in {width} × {height} of the frame (green).", {
            width: percentText(share(clear[2], width)),
            height: percentText(share(clear[3], height)),
          })
        : t("No room is left for words."),
    );
    preview.dataset.target = target;
  }

  // --- the inputs -------------------------------------------------------------------------------------
  function render() {
    const draft = drafts.get(target);
    el.margins.replaceChildren(
      ...SIDES.map((side) => {
        const input = numberInput(`sa-m-${side}`, t("{side} margin, percent", { side: sideName(side) }), draft.margins[side]);
        input.addEventListener("input", () => {
          draft.margins[side] = input.value;
          clearError(input);
          draw();
        });
        return h(
          "label",
          { class: "sa-margin" },
          h("span", {}, sideName(side)),
          input,
          h("small", { class: "field-error", "data-for": `margins.${side}` }),
        );
      }),
    );
    el.boxes.replaceChildren(
      ...draft.boxes.map((box, i) => {
        const inputs = BOX_KEYS.map((k) => {
          const input = numberInput(`sa-b-${k}`, t("box {number} {key}, percent", { number: i + 1, key: k }), box[k]);
          input.placeholder = k;
          input.addEventListener("input", () => {
            box[k] = input.value;
            clearError(input);
            draw();
          });
          return input;
        });
        const remove = h(
          "button",
          {
            type: "button",
            class: "btn btn-small btn-quiet sa-remove",
            title: t("Remove box {number}", { number: i + 1 }),
            "aria-label": t("Remove box {number}", { number: i + 1 }),
          },
          "×",
        );
        remove.addEventListener("click", () => {
          draft.boxes.splice(i, 1);
          render();
        });
        return h(
          "li",
          { class: "sa-box" },
          h("div", { class: "sa-box-row" }, h("span", { class: "sa-box-num" }, `${i + 1}`), ...inputs, remove),
          h("small", { class: "field-error", "data-for": `avoid[${i}]` }),
        );
      }),
    );
    el.add.disabled = draft.boxes.length >= MAX_BOXES;
    el.boxCols.hidden = draft.boxes.length === 0;
    draw();
  }

  function clearError(input) {
    input.removeAttribute("aria-invalid");
    const small = input.closest("label, li")?.querySelector(".field-error");
    if (small) setText(small, "");
  }

  el.add.addEventListener("click", () => {
    const draft = drafts.get(target);
    if (draft.boxes.length >= MAX_BOXES) return;
    draft.boxes.push({ x: "40", y: "40", w: "20", h: "20" }); // in the middle, where it is easy to see
    render();
    el.boxes.lastElementChild?.querySelector(".sa-b-x")?.focus();
  });
  el.clear.addEventListener("click", () => {
    drafts.set(target, draftOf(null));
    clearErrors();
    render();
  });
  el.target.addEventListener("change", () => select(el.target.value));

  function select(name) {
    target = sizes.has(name) ? name : WHOLE;
    el.target.value = target;
    if (!drafts.has(target)) drafts.set(target, draftOf(null));
    picture.hidden = target === WHOLE;
    if (target !== WHOLE) {
      const display = encodeURIComponent(card.dataset.name || d.name);
      picture.src = `/api/v1/displays/${display}/outputs/${encodeURIComponent(target)}/picture.jpg?t=${Date.now()}`;
    } else {
      picture.removeAttribute("src");
    }
    render();
  }

  function clearErrors() {
    for (const small of element.querySelectorAll(".field-error")) setText(small, "");
    for (const input of element.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  }

  /** Show the server's refusal next to what it names (`safe_area.margins.top`, `safe_area.avoid[1].w`, `output`). */
  function showError(field, message, forTarget = WHOLE) {
    if (forTarget !== target) select(forTarget);
    const text = withoutField(message, field);
    if (field === "output") {
      setText(el.targetRow.querySelector(".field-error"), text);
      el.targetRow.hidden = false;
      el.target.setAttribute("aria-invalid", "true");
      return;
    }
    const rest = String(field || "").replace(/^safe_area\.?/, "");
    const margin = rest.match(/^margins\.(top|right|bottom|left)$/);
    const box = rest.match(/^avoid\[(\d+)\](?:\.([xywh]))?$/);
    if (margin) {
      const input = el.margins.querySelector(`.sa-m-${margin[1]}`);
      input.setAttribute("aria-invalid", "true");
      setText(input.closest("label").querySelector(".field-error"), text);
      input.focus();
    } else if (box && el.boxes.children[Number(box[1])]) {
      const li = el.boxes.children[Number(box[1])];
      const input = box[2] ? li.querySelector(`.sa-b-${box[2]}`) : null;
      if (input) {
        input.setAttribute("aria-invalid", "true");
        input.focus();
      }
      setText(li.querySelector(".field-error"), box[2] ? `${box[2]}: ${text}` : text);
    } else if (rest === "avoid") {
      setText(el.boxesError, text);
    } else {
      setText(el.error, field ? `${field}: ${text}` : text);
    }
  }

  /** [target, area] for every safe area the operator changed (area null: clear it). */
  function pending() {
    const out = [];
    for (const [name, draft] of drafts) {
      const area = wireOf(draft);
      if (key(area) !== key(saved.get(name) ?? null)) out.push([name, area]);
    }
    return out;
  }

  /** What the server now stores for a target (after a good PUT). */
  function stored(name, area) {
    saved.set(name, area);
  }

  function close() {
    preview.remove();
  }

  // The outputs the display reported: a selector when it has several.
  api("GET", `/api/v1/displays/${encodeURIComponent(d.name)}/outputs`)
    .then((reply) => {
      const listed = reply && Array.isArray(reply.outputs) ? reply.outputs : [];
      const outputs = listed.filter((o) => o && typeof o.name === "string");
      for (const o of outputs) if (Array.isArray(o.size)) sizes.set(o.name, o.size);
      if (outputs.length > 1) {
        el.target.append(...outputs.map((o) => h("option", { value: o.name }, t("Output {name}", { name: o.name }))));
        el.targetRow.hidden = false;
      }
    })
    .catch(() => {
      /* no outputs known: the whole display only */
    });

  render();
  return { element, pending, showError, clearErrors, stored, close, select };
}
