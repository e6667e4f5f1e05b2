// The Cases tab: every case's dossier, editable. A portrait is uploaded as it is
// (the server checks it by content, strips its metadata and finds the face) and
// its focus point, the part every crop keeps, is moved by clicking the picture;
// a preview shows the crop a 1080p display makes. Story and call to action are
// edited per language. Dossier folders come and go as zip files. The tab also
// shows how far the server is with preparing picture variants, and which
// displays still miss pictures of their show.

import { api, ApiError, quietly } from "./api.js";
import { $, $$, fmtInt, h, numberFormat, numberLocale, setText, withoutField } from "./dom.js";
import { onLanguageChange, t, tn } from "./i18n.js";

function statusName(status) {
  if (status === "active") return t("Active");
  if (status === "released") return t("Released");
  if (status === "closed") return t("Closed");
  return String(status);
}
const REFRESH_MS = 10000;
const LANG_RE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$/;

let ctx = { toast: () => {} };
let editable = false;
let open = false;
let cases = [];
let selected = null; // id of the case in the form; "" for a new one
let draft = null;
let lang = "en"; // the language being edited
let dirty = false;
let timer = null;
let previewTimer = null;
let notes = ""; // what the server said about the last upload
let deleteArmed = null;

// --- loading --------------------------------------------------------------------------------------

export async function load() {
  const reply = await quietly(api("GET", "/api/v1/cases"));
  if (!reply || !Array.isArray(reply.cases)) return;
  cases = reply.cases.slice().sort((a, b) => a.name.localeCompare(b.name, numberLocale()));
  renderList();
  if (selected && !dirty) {
    const fresh = cases.find((c) => c.id === selected);
    if (fresh) edit(fresh, false);
  }
}

function thumbUrl(hash) {
  return `/api/v1/media/${encodeURIComponent(hash)}/variants/thumb`;
}

const isHash = (v) => typeof v === "string" && /^[0-9a-f]{64}$/.test(v);

// --- the list ----------------------------------------------------------------------------------------

function renderList() {
  const rows = cases.map((c) => {
    const pic = isHash(c.portrait)
      ? h("img", { class: "cs-thumb", src: thumbUrl(c.portrait), alt: "", loading: "lazy" })
      : h("span", { class: "cs-thumb cs-thumb-none", title: t("No portrait: displays show text only") }, initials(c.name));
    const langs = [c.lang || "en", ...Object.keys(c.translations || {})];
    const row = h(
      "div",
      { class: "cs-row-item", role: "option", "aria-selected": String(c.id === selected), "data-id": c.id, tabindex: "-1" },
      pic,
      h(
        "span",
        { class: "cs-row-text" },
        h("span", { class: "cs-row-name", dir: "auto" }, c.name),
        h("span", { class: "cs-row-sub" }, `${c.id} · ${c.country}`),
        h("span", { class: "cs-row-langs" }, ...langs.map((l) => h("span", { class: "cs-chip" }, l))),
      ),
      h("span", { class: `pill cs-status cs-status-${c.status}` }, statusName(c.status).toLocaleUpperCase(numberLocale())),
    );
    return row;
  });
  $("#cs-list").replaceChildren(...rows);
  $("#cs-empty").hidden = cases.length > 0;
  setText($("#cs-count"), cases.length ? `${cases.length}` : "");
}

function initials(name) {
  return (
    String(name || "")
      .split(/\s+/)
      .filter((p) => p)
      .slice(0, 2)
      .map((p) => p[0].toUpperCase())
      .join("") || "?"
  );
}

// --- the form --------------------------------------------------------------------------------------

function blank() {
  return {
    id: "",
    name: "",
    country: "",
    status: "active",
    lang: "en",
    story: "",
    ask: "",
    translations: {},
    portrait: null,
    focus: null,
    portraits: [],
  };
}

function copyCase(c) {
  return {
    id: c.id,
    name: c.name,
    country: c.country,
    status: c.status,
    lang: c.lang || "en",
    story: c.story || "",
    ask: c.ask || "",
    translations: JSON.parse(JSON.stringify(c.translations || {})),
    portrait: c.portrait || null,
    focus: Array.isArray(c.focus) ? c.focus.slice() : null,
    portraits: (c.portraits || []).map((p) => ({ media: p.media, focus: p.focus || null })),
  };
}

function edit(c, reset = true) {
  selected = c ? c.id : "";
  draft = c ? copyCase(c) : blank();
  if (reset || !(lang === draft.lang || lang in draft.translations)) lang = draft.lang;
  notes = "";
  setDirty(false);
  clearErrors();
  $("#cs-form").hidden = false;
  renderForm();
  for (const row of $$("#cs-list .cs-row-item")) row.setAttribute("aria-selected", String(row.dataset.id === selected));
}

function renderForm() {
  const d = draft;
  setText($("#cs-form-title"), selected ? d.name || d.id : t("New case"));
  const id = $("#cs-id");
  id.value = d.id;
  id.readOnly = Boolean(selected);
  $("#cs-name").value = d.name;
  $("#cs-country").value = d.country;
  $("#cs-status").value = d.status;
  $("#cs-delete").hidden = !selected;
  renderLangs();
  renderPhoto();
  renderExtra();
}

function texts(l) {
  if (l === draft.lang) return { story: draft.story, ask: draft.ask };
  return draft.translations[l] || { story: "", ask: "" };
}

function renderLangs() {
  const all = [draft.lang, ...Object.keys(draft.translations).filter((l) => l !== draft.lang)];
  const tabs = all.map((l) =>
    h(
      "button",
      {
        type: "button",
        class: "cs-lang-tab",
        role: "tab",
        "aria-selected": String(l === lang),
        "data-lang": l,
        title: l === draft.lang ? t("Default language") : t("Translation"),
      },
      l,
      l === draft.lang ? h("span", { class: "cs-default-mark" }, ` ${t("default")}`) : null,
    ),
  );
  $("#cs-lang-tabs").replaceChildren(...tabs);
  const words = texts(lang);
  $("#cs-story").value = words.story;
  $("#cs-ask").value = words.ask;
  $("#cs-story").lang = lang;
  $("#cs-ask").lang = lang;
  setText($("#cs-story-lang"), `(${lang})`);
  setText($("#cs-ask-lang"), `(${lang})`);
  $("#cs-make-default").hidden = lang === draft.lang;
  $("#cs-drop-lang").hidden = lang === draft.lang;
}

/** The picture elements are made when first needed: the page has no image before a case is open. */
function photoImg() {
  let img = document.getElementById("cs-photo-img");
  if (!img) {
    img = h("img", { id: "cs-photo-img", alt: t("Portrait: click to set the point to keep in frame"), hidden: true });
    img.addEventListener("load", placeFocus);
    $("#cs-photo").prepend(img);
  }
  return img;
}

function previewImg() {
  let img = document.getElementById("cs-preview-img");
  if (!img) {
    img = h("img", { id: "cs-preview-img", alt: t("The portrait as displays crop it"), hidden: true });
    $(".cs-preview").prepend(img);
  }
  return img;
}

function photoFocus() {
  return draft.focus || [0.5, 0.4];
}

function renderPhoto() {
  const img = photoImg();
  const has = isHash(draft.portrait);
  img.hidden = !has;
  $("#cs-photo-none").hidden = has;
  $("#cs-remove-photo").hidden = !has;
  $("#cs-focus").hidden = !has;
  if (has) {
    const url = thumbUrl(draft.portrait);
    if (img.getAttribute("src") !== url) img.src = url;
    placeFocus();
  } else {
    img.removeAttribute("src");
  }
  const note = !has
    ? t("Displays show this case with text only until it has a portrait.")
    : notes ||
      (draft.focus
        ? t("Click the picture to move the point every crop keeps.")
        : t("Focus: the default (no face found)."));
  setText($("#cs-photo-note"), note);
  schedulePreview();
}

function placeFocus() {
  const [x, y] = photoFocus();
  const dot = $("#cs-focus");
  dot.style.left = `${(x * 100).toFixed(2)}%`;
  dot.style.top = `${(y * 100).toFixed(2)}%`;
}

function schedulePreview() {
  clearTimeout(previewTimer);
  const img = previewImg();
  if (!isHash(draft.portrait)) {
    img.hidden = true;
    img.removeAttribute("src");
    return;
  }
  previewTimer = setTimeout(() => {
    const [x, y] = photoFocus();
    img.src = `/api/v1/media/${draft.portrait}/variants/portrait-1080?focus=${x.toFixed(3)},${y.toFixed(3)}`;
    img.hidden = false;
  }, 250);
}

function renderExtra() {
  const items = draft.portraits.map((p, i) =>
    h(
      "li",
      { class: "cs-extra-item" },
      h("img", { src: thumbUrl(p.media), alt: t("Picture {number}", { number: i + 2 }), loading: "lazy" }),
      h(
        "button",
        {
          type: "button",
          class: "btn btn-icon btn-danger op-cases cs-extra-remove",
          title: t("Remove this picture"),
          "aria-label": t("Remove this picture"),
          "data-index": String(i),
          disabled: !editable,
        },
        "✕",
      ),
    ),
  );
  $("#cs-extra-list").replaceChildren(...items);
}

function setDirty(on) {
  dirty = on;
  $("#cs-dirty").hidden = !on;
}

function clearErrors() {
  setText($("#cs-error"), "");
  for (const el of $$("#cs-form .field-error")) el.textContent = "";
  for (const el of $$("#cs-form [aria-invalid]")) el.removeAttribute("aria-invalid");
}

function showError(err) {
  const field = String(err.field || "");
  const simple = { id: "#cs-id", name: "#cs-name", country: "#cs-country", status: "#cs-status" }[field];
  if (simple) {
    $(simple).setAttribute("aria-invalid", "true");
    setText($(`#cs-form [data-error-for="${field}"]`), withoutField(err.message, field));
    return;
  }
  const m = /^(?:translations\.([^.]+)\.)?(story|ask)$/.exec(field);
  if (m) {
    const l = m[1] || draft.lang;
    if (l !== lang) {
      lang = l;
      renderLangs();
    }
    $(`#cs-${m[2]}`).setAttribute("aria-invalid", "true");
    setText($(`#cs-${m[2]}-error`), withoutField(err.message, field));
    return;
  }
  setText($("#cs-error"), err.message);
}

// --- editing ------------------------------------------------------------------------------------------

function keepText() {
  const story = $("#cs-story").value;
  const ask = $("#cs-ask").value;
  if (lang === draft.lang) {
    draft.story = story;
    draft.ask = ask;
  } else {
    draft.translations[lang] = { story, ask };
  }
}

function addLanguage(raw) {
  const tag = normaliseLang(raw);
  if (!LANG_RE.test(tag)) {
    ctx.toast("warn", t("Not a language"), t("Type a language tag such as tr, es or pt-BR."));
    return;
  }
  keepText();
  if (tag !== draft.lang && !(tag in draft.translations)) {
    draft.translations[tag] = { story: "", ask: "" };
    setDirty(true);
  }
  lang = tag;
  renderLangs();
  $("#cs-story").focus();
}

function normaliseLang(raw) {
  const parts = String(raw || "").trim().replace(/_/g, "-").split("-");
  return parts
    .map((p, i) => (i === 0 ? p.toLowerCase() : p.length === 2 ? p.toUpperCase() : p.length === 4 ? p[0].toUpperCase() + p.slice(1).toLowerCase() : p.toLowerCase()))
    .join("-");
}

function makeDefault() {
  keepText();
  if (lang === draft.lang) return;
  const old = { story: draft.story, ask: draft.ask };
  const now = draft.translations[lang] || { story: "", ask: "" };
  delete draft.translations[lang];
  if (old.story || old.ask) draft.translations[draft.lang] = old;
  draft.lang = lang;
  draft.story = now.story;
  draft.ask = now.ask;
  setDirty(true);
  renderLangs();
}

function dropLanguage() {
  if (lang === draft.lang) return;
  delete draft.translations[lang];
  lang = draft.lang;
  setDirty(true);
  renderLangs();
}

function onPhotoClick(event) {
  if (!editable || !isHash(draft.portrait)) return;
  const box = photoImg().getBoundingClientRect();
  if (!box.width || !box.height) return;
  const x = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
  const y = Math.min(1, Math.max(0, (event.clientY - box.top) / box.height));
  draft.focus = [Math.round(x * 1000) / 1000, Math.round(y * 1000) / 1000];
  const percent = numberFormat({ style: "percent", maximumFractionDigits: 0 });
  notes = t("Focus moved to {x}, {y}. Save to send it to the displays.", {
    x: percent.format(Math.round(x * 100) / 100),
    y: percent.format(Math.round(y * 100) / 100),
  });
  setDirty(true);
  renderPhoto();
}

async function upload(file) {
  const path = `/api/v1/media?name=${encodeURIComponent(file.name || "upload")}`;
  return api("POST", path, file, { contentType: file.type || "application/octet-stream" });
}

async function onUpload(event, extra) {
  const input = event.target;
  const file = input.files && input.files[0];
  input.value = "";
  if (!file || !draft) return;
  setText($("#cs-photo-note"), t("Uploading {file}…", { file: file.name }));
  try {
    const reply = await upload(file);
    if (extra) {
      if (reply.hash !== draft.portrait && !draft.portraits.some((p) => p.media === reply.hash)) {
        draft.portraits.push({ media: reply.hash, focus: reply.faces ? reply.focus : null });
      }
      renderExtra();
    } else {
      draft.portrait = reply.hash;
      draft.focus = reply.focus;
      const face = reply.faces
        ? t("Face found: the crop keeps it in frame.")
        : t("No face found: the focus is at the default.");
      const done = (reply.notes || []).join("; ");
      notes = `${fmtInt(reply.width)} × ${fmtInt(reply.height)}. ${face}${done ? ` ${done}.` : ""}`;
    }
    setDirty(true);
    renderPhoto();
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    notes = "";
    renderPhoto();
    ctx.toast("error", t("Picture refused"), err.message, 9000);
  }
}

function body() {
  keepText();
  const translations = {};
  for (const [l, words] of Object.entries(draft.translations)) {
    if (l !== draft.lang && (words.story.trim() || words.ask.trim())) translations[l] = { story: words.story, ask: words.ask };
  }
  return {
    name: $("#cs-name").value.trim(),
    country: $("#cs-country").value.trim().toUpperCase(),
    status: $("#cs-status").value,
    lang: draft.lang,
    story: draft.story,
    ask: draft.ask,
    translations,
    portrait: draft.portrait,
    focus: isHash(draft.portrait) ? draft.focus : null,
    portraits: draft.portraits,
  };
}

async function onSave(event) {
  event.preventDefault();
  if (!editable || !draft) return;
  clearErrors();
  const id = selected || $("#cs-id").value.trim();
  if (!id) {
    showError({ field: "id", message: t("give the case an id: lower-case letters, digits, - or _") });
    return;
  }
  const button = $("#cs-save");
  button.disabled = true;
  try {
    const reply = await api("PUT", `/api/v1/cases/${encodeURIComponent(id)}`, body());
    ctx.toast("ok", t("Saved"), t("{name}: the displays have it now.", { name: reply.name }));
    selected = reply.id;
    setDirty(false);
    await load();
    const fresh = cases.find((c) => c.id === reply.id);
    if (fresh) edit(fresh, false);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.status !== 401) showError(err);
  } finally {
    button.disabled = !editable;
  }
}

async function onDelete() {
  if (!editable || !selected) return;
  const button = $("#cs-delete");
  if (deleteArmed !== selected) {
    deleteArmed = selected;
    setText(button, t("Really delete?"));
    setTimeout(() => {
      deleteArmed = null;
      setText(button, t("Delete"));
    }, 4000);
    return;
  }
  deleteArmed = null;
  setText(button, t("Delete"));
  try {
    await api("DELETE", `/api/v1/cases/${encodeURIComponent(selected)}`);
    ctx.toast("ok", t("Deleted"), t("Its counted actions stay in the totals."));
    selected = null;
    draft = null;
    setDirty(false);
    $("#cs-form").hidden = true;
    await load();
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.status !== 401) ctx.toast("error", t("Not deleted"), err.message);
  }
}

async function onImport(event) {
  const input = event.target;
  const file = input.files && input.files[0];
  input.value = "";
  if (!file) return;
  ctx.toast("ok", t("Importing"), t("{file}: checking every picture…", { file: file.name }));
  try {
    const reply = await api("POST", "/api/v1/dossiers.zip", file, { contentType: "application/zip" });
    const warn = (reply.warnings || []).join(" · ");
    const title = tn("Imported {count} case", "Imported {count} cases", reply.imported.length, {
      count: fmtInt(reply.imported.length),
    });
    const pictures = tn("{count} picture", "{count} pictures", reply.media, { count: fmtInt(reply.media) });
    ctx.toast(warn ? "warn" : "ok", title, warn || pictures, 9000);
    await load();
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.status !== 401) ctx.toast("error", t("Import refused"), err.message, 12000);
  }
}

// --- from the panel's state messages -------------------------------------------------------------------

/** msg.media: variant preparation; msg.displays: which displays miss pictures of their show. */
export function applyState(msg) {
  if (!msg || typeof msg !== "object") return;
  const p = msg.media;
  if (p && typeof p === "object") {
    const busy = Boolean(p.running) && p.total > 0;
    $("#cs-progress").hidden = !busy && !p.failed;
    let progress = "";
    if (busy) progress = t("Preparing pictures {done} / {total}", { done: fmtInt(p.done), total: fmtInt(p.total) });
    else if (p.failed) {
      progress = tn("{count} picture variant failed", "{count} picture variants failed", p.failed, {
        count: fmtInt(p.failed),
      });
    }
    setText($("#cs-progress-text"), progress);
    $("#cs-progress-fill").style.width = `${p.total ? Math.round((100 * p.done) / p.total) : 0}%`;
    const badge = $("#tab-cases-busy");
    badge.hidden = !busy;
    setText(badge, busy ? `${p.total - p.done}` : "");
    badge.title = busy ? t("Picture variants still being prepared") : "";
  }
  if (Array.isArray(msg.displays)) {
    const parts = msg.displays
      .filter((d) => d.connected && typeof d.media_missing === "number")
      .map((d) =>
        d.media_missing
          ? tn("{name}: missing {count} picture", "{name}: missing {count} pictures", d.media_missing, {
              name: d.name,
              count: fmtInt(d.media_missing),
            })
          : t("{name}: all {count} ready", { name: d.name, count: fmtInt(d.media_ready) }),
      );
    setText($("#cs-readiness"), parts.length ? t("Displays · {list}", { list: parts.join(" · ") }) : "");
    $("#cs-readiness").dataset.missing = String(msg.displays.some((d) => d.connected && d.media_missing > 0));
  }
}

export function setEditable(can) {
  editable = can;
  for (const el of $$(".op-cases")) {
    if (el.tagName === "LABEL") el.setAttribute("aria-disabled", String(!can));
    else el.disabled = !can;
  }
  for (const input of [$("#cs-import"), $("#cs-upload"), $("#cs-upload-extra")]) input.disabled = !can;
  $("#cs-fields").disabled = !can;
}

export function setOpen(on) {
  open = on;
  clearInterval(timer);
  if (on) {
    load();
    timer = setInterval(() => {
      if (open) load();
    }, REFRESH_MS);
  }
}

export function initCases(context) {
  ctx = context;
  onLanguageChange(() => {
    renderList();
    if (!draft) return;
    keepText(); // the story being typed survives the new words around it
    if (!selected) setText($("#cs-form-title"), t("New case"));
    if (deleteArmed === null) setText($("#cs-delete"), t("Delete"));
    renderLangs();
    renderPhoto();
    renderExtra();
  });
  $("#cs-list").addEventListener("click", (event) => {
    const row = event.target.closest(".cs-row-item");
    if (!row) return;
    if (dirty && !window.confirm(t("Discard the unsaved changes to this case?"))) return;
    const c = cases.find((x) => x.id === row.dataset.id);
    if (c) edit(c);
  });
  $("#cs-new").addEventListener("click", () => {
    if (dirty && !window.confirm(t("Discard the unsaved changes to this case?"))) return;
    edit(null);
    $("#cs-id").focus();
  });
  $("#cs-form").addEventListener("submit", onSave);
  $("#cs-form").addEventListener("input", (event) => {
    // A chosen file is not a change yet: the upload's reply is (or its refusal is not).
    if (event.target.id === "cs-lang-new" || event.target.type === "file") return;
    setDirty(true);
  });
  $("#cs-lang-tabs").addEventListener("click", (event) => {
    const tab = event.target.closest(".cs-lang-tab");
    if (!tab) return;
    keepText();
    lang = tab.dataset.lang;
    renderLangs();
  });
  $("#cs-lang-new").addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    addLanguage(event.target.value);
    event.target.value = "";
  });
  $("#cs-make-default").addEventListener("click", makeDefault);
  $("#cs-drop-lang").addEventListener("click", dropLanguage);
  $("#cs-photo").addEventListener("click", onPhotoClick);
  $("#cs-upload").addEventListener("change", (e) => onUpload(e, false));
  $("#cs-upload-extra").addEventListener("change", (e) => onUpload(e, true));
  $("#cs-remove-photo").addEventListener("click", () => {
    draft.portrait = null;
    draft.focus = null;
    notes = "";
    setDirty(true);
    renderPhoto();
  });
  $("#cs-extra-list").addEventListener("click", (event) => {
    const button = event.target.closest(".cs-extra-remove");
    if (!button) return;
    draft.portraits.splice(Number(button.dataset.index), 1);
    setDirty(true);
    renderExtra();
  });
  $("#cs-delete").addEventListener("click", onDelete);
  $("#cs-import").addEventListener("change", onImport);
  $("#cs-country").addEventListener("input", (e) => {
    const el = e.target;
    const upper = el.value.toUpperCase().replace(/[^A-Z]/g, "");
    if (upper !== el.value) el.value = upper;
  });
}
