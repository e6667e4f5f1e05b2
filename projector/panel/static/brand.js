// The campaign's look: the brand kit (colours, headline font, logo) with a WCAG contrast
// warning, and the layout editor (TOML or JSON in a textarea, checked and previewed by
// the server, which draws it with the real layout scene, then saved). Both reach the
// displays at their next scene entry.

import { api, ApiError, quietly, session } from "./api.js";
import { $, $$, h, setText } from "./dom.js";
import { fontOptions, initFontUpload } from "./brand_fonts.js";
import { t } from "./i18n.js";

let ctx = { canEnter: () => false, toast: () => {} };
let brand = null;
let layouts = [];
let previewUrl = null;

// --- contrast, as WCAG 2 defines it (the server says the same in `warnings`) -----------------------------

const AA_LARGE = 3;

function luminance(hex) {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** The contrast ratio of two #rrggbb colours, 1 to 21. */
export function contrast(a, b) {
  const [la, lb] = [luminance(a), luminance(b)];
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

// --- the brand kit -------------------------------------------------------------------------------------

function renderSummary() {
  const el = $("#br-summary");
  el.replaceChildren();
  if (!brand) return;
  for (const name of ["background", "text", "accent"]) {
    const chip = h("i");
    chip.style.background = brand[name]; // CSSOM, not a style attribute: the panel's CSP allows it
    el.append(chip);
  }
}

function formKit() {
  return {
    background: $("#br-background").value,
    text: $("#br-text").value,
    accent: $("#br-accent").value,
    font: $("#br-font").value,
    logo: $("#br-logo").value || null,
  };
}

function renderSample() {
  const kit = formKit();
  const sample = $("#br-sample");
  sample.style.background = kit.background;
  sample.querySelector(".br-sample-text").style.color = kit.text;
  sample.querySelector(".br-sample-accent").style.color = kit.accent;
  const low = [];
  for (const [name, label] of [
    ["text", t("Text")],
    ["accent", t("Accent")],
  ]) {
    const ratio = contrast(kit.background, kit[name]);
    if (ratio < AA_LARGE) low.push(t("{colour} on the background: {ratio}:1", { colour: label, ratio: ratio.toFixed(1) }));
  }
  const warning = $("#br-warning");
  warning.hidden = low.length === 0;
  setText(
    warning,
    low.length ? `${t("Hard to read from across the street (WCAG AA for large text asks 3:1)")}: ${low.join("; ")}` : "",
  );
}

async function openBrand() {
  const reply = await quietly(api("GET", "/api/v1/brand"));
  if (reply) brand = reply;
  if (!brand) return;
  clearErrors("#br-form");
  for (const name of ["background", "text", "accent"]) $(`#br-${name}`).value = brand[name];
  await fillFonts(brand.font);
  await fillLogos();
  renderSample();
  $("#br-fields").disabled = !ctx.canEnter();
  $("#br-form").hidden = false;
  $("#br-toggle").setAttribute("aria-expanded", "true");
}

async function fillFonts(chosen) {
  const font = $("#br-font");
  font.replaceChildren(...(await fontOptions(brand.fonts, chosen)));
  font.value = chosen;
}

async function fillLogos() {
  const select = $("#br-logo");
  const none = select.options[0];
  const listed = await quietly(api("GET", "/api/v1/media"));
  const pictures = (listed && listed.media) || [];
  const options = pictures.map((m) => h("option", { value: m.hash }, `${m.name || t("picture")} · ${m.hash.slice(0, 8)}`));
  select.replaceChildren(none, ...options);
  if (brand.logo && !pictures.some((m) => m.hash === brand.logo)) {
    select.append(h("option", { value: brand.logo }, brand.logo.slice(0, 8)));
  }
  select.value = brand.logo || "";
}

function closeBrand() {
  $("#br-form").hidden = true;
  $("#br-toggle").setAttribute("aria-expanded", "false");
}

function clearErrors(form) {
  for (const el of $$(`${form} .field-error`)) el.textContent = "";
  for (const el of $$(`${form} [aria-invalid]`)) el.removeAttribute("aria-invalid");
}

function showFieldError(form, general, err) {
  const small = err.field ? $(`${form} [data-error-for="${CSS.escape(err.field)}"]`) : null;
  if (small) {
    setText(small, err.message);
    const input = $(`${form} [data-field="${CSS.escape(err.field)}"]`);
    if (input) {
      input.setAttribute("aria-invalid", "true");
      input.focus();
    }
  } else {
    setText($(general), err.field ? `${err.field}: ${err.message}` : err.message);
  }
}

async function saveBrand(event) {
  event.preventDefault();
  if (!ctx.canEnter()) return;
  clearErrors("#br-form");
  const button = $("#br-save");
  button.disabled = true;
  try {
    brand = await api("PUT", "/api/v1/brand", formKit());
    renderSummary();
    closeBrand();
    ctx.toast("ok", t("Brand saved"), t("Each display shows the new look from its next scene."));
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.status !== 401) showFieldError("#br-form", "#br-error", err);
  } finally {
    button.disabled = false;
  }
}

// --- layouts -------------------------------------------------------------------------------------------

function renderList() {
  const list = $("#ly-list");
  list.replaceChildren(
    ...layouts.map((layout) =>
      h(
        "li",
        {},
        h(
          "button",
          {
            type: "button",
            class: `btn btn-small${layout.shipped ? " ly-shipped" : ""}`,
            "data-layout": layout.name,
            title: layout.shipped ? t("shipped with projector: save it to make it the campaign's own") : "",
          },
          layout.title ? `${layout.title} · ${layout.name}` : layout.name,
        ),
      ),
    ),
  );
}

async function loadLayouts() {
  const reply = await quietly(api("GET", "/api/v1/layouts"));
  if (reply) {
    layouts = reply.layouts;
    renderList();
  }
}

function openLayout(layout) {
  $("#ly-name").value = layout ? layout.name : "";
  $("#ly-source").value = layout ? layout.source : "";
  $("#ly-delete").hidden = !layout || layout.shipped;
  setText($("#ly-error"), "");
  showPreview(null);
  $("#ly-fields").disabled = !ctx.canEnter();
  $("#ly-form").hidden = false;
  $("#ly-toggle").setAttribute("aria-expanded", "true");
}

function closeLayout() {
  $("#ly-form").hidden = true;
  $("#ly-toggle").setAttribute("aria-expanded", "false");
  showPreview(null);
}

function showPreview(blob) {
  const img = $("#ly-preview");
  if (previewUrl) URL.revokeObjectURL(previewUrl);
  previewUrl = blob ? URL.createObjectURL(blob) : null;
  img.hidden = !previewUrl;
  if (previewUrl) img.src = previewUrl;
  else img.removeAttribute("src");
}

function showLayoutError(err) {
  setText($("#ly-error"), err.field ? `${err.field}: ${err.message}` : err.message);
}

/** The layout drawn by the server's real scene; null (and the error shown) when it was refused. */
async function checkLayout() {
  setText($("#ly-error"), "");
  const headers = { "Content-Type": "application/json", Accept: "image/png, application/json" };
  if (session.csrf) headers["X-CSRF-Token"] = session.csrf;
  let response;
  try {
    response = await fetch("/api/v1/layouts/preview", {
      method: "POST",
      headers,
      credentials: "same-origin",
      cache: "no-store",
      body: JSON.stringify({ source: $("#ly-source").value, shape: $("#ly-shape").value }),
    });
  } catch {
    showLayoutError(new ApiError(0, "network", t("The server cannot be reached. Check the network.")));
    return;
  }
  if (response.ok) {
    showPreview(await response.blob());
    return;
  }
  let error = {};
  try {
    error = (await response.json()).error || {};
  } catch {
    error = {};
  }
  showPreview(null);
  showLayoutError(new ApiError(response.status, error.code, error.message || `${response.status}`, error.field));
}

async function saveLayout(event) {
  event.preventDefault();
  if (!ctx.canEnter()) return;
  const name = $("#ly-name").value.trim();
  const button = $("#ly-save");
  button.disabled = true;
  setText($("#ly-error"), "");
  try {
    await api("PUT", `/api/v1/layouts/${encodeURIComponent(name)}`, { source: $("#ly-source").value });
    await loadLayouts();
    $("#ly-delete").hidden = false;
    ctx.toast("ok", t("Layout saved"), t("A cue with scene layout and layout = {name} shows it.", { name }));
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.status !== 401) showLayoutError(err.field === "layout" ? new ApiError(422, "", err.message, t("Name")) : err);
  } finally {
    button.disabled = false;
  }
}

async function deleteLayout() {
  const name = $("#ly-name").value.trim();
  if (!ctx.canEnter() || !name) return;
  try {
    await api("DELETE", `/api/v1/layouts/${encodeURIComponent(name)}`);
    await loadLayouts();
    closeLayout();
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.status !== 401) showLayoutError(err);
  }
}

// --- wiring --------------------------------------------------------------------------------------------

/** context: {canEnter(): bool, toast(kind, title, text)}. */
export function initBrand(context) {
  ctx = context;
  $("#br-toggle").addEventListener("click", () => {
    if ($("#br-form").hidden) openBrand();
    else closeBrand();
  });
  $("#br-cancel").addEventListener("click", closeBrand);
  $("#br-form").addEventListener("submit", saveBrand);
  for (const name of ["background", "text", "accent"]) $(`#br-${name}`).addEventListener("input", renderSample);
  initFontUpload(ctx, fillFonts);
  $("#ly-toggle").addEventListener("click", () => {
    if ($("#ly-form").hidden) openLayout(null);
    else closeLayout();
  });
  $("#ly-list").addEventListener("click", (event) => {
    const button = event.target.closest("[data-layout]");
    if (button) openLayout(layouts.find((l) => l.name === button.dataset.layout) || null);
  });
  $("#ly-check").addEventListener("click", checkLayout);
  $("#ly-shape").addEventListener("change", () => {
    if (!$("#ly-preview").hidden) checkLayout();
  });
  $("#ly-form").addEventListener("submit", saveLayout);
  $("#ly-delete").addEventListener("click", deleteLayout);
  quietly(api("GET", "/api/v1/brand")).then((reply) => {
    if (reply) {
      brand = reply;
      renderSummary();
    }
  });
  loadLayouts();
}
