// The campaign as the panel shows it: the live total against the goal and the
// record, by channel, country and case; actions per hour as a chart; the
// manual tally form (a counted stack of letters, entered by an operator); and
// the campaign's own words (name, tagline, call to action) in its default
// language and in translations, which the displays show in their locale.

import { api, ApiError, quietly } from "./api.js";
import { drawChart } from "./chart.js";
import {
  $,
  $$,
  CHANNELS,
  channelTitle,
  countOf,
  fmtInt,
  h,
  newId,
  numberFormat,
  numberLocale,
  setText,
  swatch,
  toMillis,
  withoutField,
} from "./dom.js";
import { LANGUAGES, onLanguageChange, shipped, t } from "./i18n.js";

let ctx = { isLive: () => false, canEnter: () => false, toast: () => {} };
let totals = null;
let totalsKey = "";
let totalsRev = -1;
let cases = [];
let chartHours = [];

/** Forget the last revision seen (a new login, or a server that restarted). */
export function resetTotals() {
  totalsRev = -1;
}

// --- totals ---------------------------------------------------------------------------------------------

export function applyTotals(update, source) {
  if (!update || typeof update !== "object") return;
  if (typeof update.rev === "number") {
    if (update.rev < totalsRev && source === "poll") return;
    totalsRev = update.rev;
  }
  totals = update;
  renderTotals(false);
}

function topEntries(map, n) {
  return Object.entries(map || {})
    .filter(([, v]) => typeof v === "number" && v > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, n);
}

function renderTotals(force) {
  const tot = totals;
  const key = JSON.stringify([tot.total, tot.by_channel, tot.by_case, tot.by_country, tot.goal, tot.record, tot.record_beaten_at]);
  if (key === totalsKey && !force) return;
  totalsKey = key;
  setText($("#total"), fmtInt(tot.total || 0));
  const goal = Number(tot.goal) || 0;
  if (goal > 0) {
    const pct = ((tot.total || 0) / goal) * 100;
    const shown = pct < 10 ? pct / 100 : Math.floor(pct) / 100;
    setText($("#goal-pct"), numberFormat({ style: "percent", maximumFractionDigits: pct < 10 ? 1 : 0 }).format(shown));
    setText($("#goal-text"), t("of {goal} goal", { goal: fmtInt(goal) }));
    $("#goal-fill").style.width = `${Math.min(100, pct)}%`;
  } else {
    setText($("#goal-pct"), "–");
    setText($("#goal-text"), t("no goal set"));
    $("#goal-fill").style.width = "0";
  }
  const mark = $("#record-mark");
  const record = Number(tot.record) || 0;
  mark.hidden = !(record > 0 && goal > 0);
  // From the bar's start: the left in English, the right in Arabic (the bar fills that way too).
  if (!mark.hidden) mark.style.insetInlineStart = `${Math.min(100, (record / goal) * 100)}%`;
  const badge = $("#record-badge");
  badge.hidden = !tot.record_beaten_at;
  if (tot.record_beaten_at) {
    const when = new Date(toMillis(tot.record_beaten_at));
    badge.title = Number.isNaN(when.getTime())
      ? t("Record beaten")
      : t("Last year's record beaten at {time}", { time: when.toLocaleString(numberLocale()) });
  }
  const byChannel = tot.by_channel || {};
  // The six channels always (a steady layout), then "other" and unknown ones when they count.
  const extra = Object.keys(byChannel).filter((c) => !CHANNELS.includes(c) || c === "other");
  const order = [...CHANNELS.filter((c) => c !== "other"), ...extra];
  $("#by-channel").replaceChildren(
    ...order
      .filter((c, i) => i < 6 || (byChannel[c] || 0) > 0)
      .map((c) =>
        h(
          "li",
          { "data-channel": c },
          swatch(c),
          h("span", { class: "ch-name" }, channelTitle(c)),
          h("span", { class: "ch-count" }, fmtInt(byChannel[c] || 0)),
        ),
      ),
  );
  $("#by-country").replaceChildren(
    ...topEntries(tot.by_country, 5).map(([code, n]) => h("li", {}, h("span", {}, code), h("span", {}, fmtInt(n)))),
  );
  const names = new Map(cases.map((c) => [c.id, c.name]));
  $("#by-case").replaceChildren(
    ...topEntries(tot.by_case, 5).map(([id, n]) =>
      h("li", { title: id }, h("span", {}, names.get(id) || id), h("span", {}, fmtInt(n))),
    ),
  );
}

// --- cases and the chart --------------------------------------------------------------------------------

export async function loadCases() {
  const reply = await quietly(api("GET", "/api/v1/cases"));
  if (!reply || !Array.isArray(reply.cases)) return;
  cases = reply.cases;
  const select = $("#tally-case");
  const keep = select.value;
  select.replaceChildren(
    h("option", { value: "" }, t("— none —")),
    ...cases.map((c) => h("option", { value: c.id }, c.country ? `${c.name} · ${c.country}` : String(c.name))),
  );
  select.value = cases.some((c) => c.id === keep) ? keep : "";
  if (totals) renderTotals(true);
}

export async function loadChart() {
  const reply = await quietly(api("GET", "/api/v1/actions/per_hour?hours=24"));
  if (reply && Array.isArray(reply.hours)) chartHours = reply.hours;
  redrawChart();
}

export function redrawChart() {
  drawChart($("#chart-svg"), $("#chart-legend"), chartHours);
}

// --- manual tally -----------------------------------------------------------------------------------------

let tallyId = null;
let tallyKey = "";

function tallyError(field, message) {
  const name = String(field || "").split(/[.\]]/).filter(Boolean).pop() || "";
  const el = $(`#tally-form [data-error-for="${CSS.escape(name)}"]`);
  const input = $(`#tally-form [name="${CSS.escape(name)}"]`);
  if (input) input.setAttribute("aria-invalid", "true");
  if (el) el.textContent = withoutField(message, field);
  const result = $("#tally-result");
  result.className = "tally-result err";
  result.textContent = el ? t("Not counted: check the field above.") : t("Not counted: {reason}", { reason: message });
}

function clearTallyErrors() {
  for (const el of $$("#tally-form .field-error")) el.textContent = "";
  for (const el of $$("#tally-form [aria-invalid]")) el.removeAttribute("aria-invalid");
}

async function onTally(event) {
  event.preventDefault();
  clearTallyErrors();
  const result = $("#tally-result");
  result.textContent = "";
  const channel = $("#tally-channel").value;
  const country = $("#tally-country").value.trim().toUpperCase();
  const count = Number($("#tally-count").value);
  const caseId = $("#tally-case").value;
  if (!/^[A-Z]{2}$/.test(country)) return tallyError("country", t("two letters, like GB or KE"));
  if (!Number.isInteger(count) || count < 1) return tallyError("count", t("a whole number, 1 or more"));
  const body = { channel, country, count, source: "panel" };
  if (caseId) body.case = caseId;
  // A retry of the same entry (the network failed) reuses its id, so it counts once.
  const key = JSON.stringify(body);
  if (key !== tallyKey || !tallyId) {
    tallyId = newId();
    tallyKey = key;
  }
  body.id = tallyId;
  const button = $("#tally-submit");
  button.disabled = true;
  try {
    const reply = await api("POST", "/api/v1/actions", body);
    tallyId = null;
    tallyKey = "";
    result.className = "tally-result ok";
    result.textContent =
      reply && reply.accepted
        ? t("Counted {what}", { what: countOf(count, channel) })
        : t("Already counted (same entry)");
    $("#tally-count").value = "1";
    if (!ctx.isLive()) quietly(api("GET", "/api/v1/totals")).then((tot) => tot && applyTotals(tot, "poll"));
    setTimeout(loadChart, 300);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.code === "network") {
      result.className = "tally-result err";
      result.textContent = t(
        "Not sent: the server cannot be reached. Press Count again to retry (it will count once).",
      );
    } else if (err.status !== 401) {
      tallyError(err.field, err.message);
    }
  } finally {
    button.disabled = !ctx.canEnter();
  }
}

// --- the campaign's words -----------------------------------------------------------------------------------
//
// One set of fields (name, tagline, call to action) shows the words of the language
// whose tab is chosen: the default language's (`lang`), or a translation's. A
// translation's empty field falls back to the default language's words, which its
// placeholder shows; the default's empty tagline or call to action means the
// displays' own words from their catalog. Saved in one PUT /api/v1/campaign.

const TEXT_FIELDS = [
  ["name", "#cp-name"],
  ["tagline", "#cp-tagline"],
  ["call_to_action", "#cp-cta"],
];
let campaign = null; // the server's, as last read
let draft = null; // {name, goal, record, lang, tagline, call_to_action, translations: {tag: {name, tagline, call_to_action}}}
let wordsLang = null; // whose words the fields show

/** "Türkçe · tr"; a tag that does not ship, by the browser's name for it in the panel's language. */
function languageLabel(code) {
  const own = LANGUAGES.find(([c]) => c === code);
  if (own) return `${own[1]} · ${code}`;
  try {
    const name = new Intl.DisplayNames(numberLocale(), { type: "language" }).of(code);
    return name && name !== code ? `${name} · ${code}` : code;
  } catch {
    return code;
  }
}

function copyCampaign(c) {
  const translations = {};
  for (const [tag, words] of Object.entries(c.translations || {})) {
    translations[tag] = { name: words.name || "", tagline: words.tagline || "", call_to_action: words.call_to_action || "" };
  }
  return {
    name: c.name || "",
    goal: Number(c.goal) || 0,
    record: Number(c.record) || 0,
    lang: c.lang || "en",
    tagline: c.tagline || "",
    call_to_action: c.call_to_action || "",
    translations,
  };
}

function wordsOf(tag) {
  if (tag === draft.lang) return draft;
  return draft.translations[tag] || { name: "", tagline: "", call_to_action: "" };
}

/** The fields' words into the draft (before switching tabs, saving, re-rendering). */
function keepWords() {
  if (!draft) return;
  const words = tagWords(wordsLang);
  for (const [key, sel] of TEXT_FIELDS) words[key] = $(sel).value;
  const goal = $("#cp-goal").value.trim();
  const record = $("#cp-record").value.trim();
  draft.goal = goal === "" ? 0 : Number(goal);
  draft.record = record === "" ? 0 : Number(record);
}

function tagWords(tag) {
  if (tag === draft.lang) return draft;
  if (!draft.translations[tag]) draft.translations[tag] = { name: "", tagline: "", call_to_action: "" };
  return draft.translations[tag];
}

function renderSummary() {
  if (!campaign) return;
  const tags = [campaign.lang, ...Object.keys(campaign.translations || {}).filter((l) => l !== campaign.lang)];
  setText($("#cp-summary"), `${campaign.name} · ${tags.join(", ")}`);
  $("#cp-summary").title = campaign.tagline || "";
}

function renderWords() {
  const isDefault = wordsLang === draft.lang;
  const words = wordsOf(wordsLang);
  for (const [key, sel] of TEXT_FIELDS) {
    const input = $(sel);
    input.value = words[key];
    input.lang = wordsLang;
    // What an empty field shows on the displays.
    input.placeholder = isDefault
      ? key === "name"
        ? ""
        : t("empty: the displays' own words")
      : draft[key] || (key === "name" ? "" : t("empty: the displays' own words"));
  }
  setText(
    $("#cp-note"),
    isDefault
      ? t("These words are in the default language. Displays in another language show its translation when there is one.")
      : t("Empty fields show the default language's words ({language}).", { language: languageLabel(draft.lang) }),
  );
  $("#cp-drop").hidden = isDefault;
}

function renderTabs() {
  const tags = [draft.lang, ...Object.keys(draft.translations).filter((l) => l !== draft.lang)];
  $("#cp-lang-tabs").replaceChildren(
    ...tags.map((tag) =>
      h(
        "button",
        {
          type: "button",
          class: "cs-lang-tab",
          role: "tab",
          "aria-selected": String(tag === wordsLang),
          "data-lang": tag,
          title: tag === draft.lang ? t("Default language") : t("Translation"),
        },
        languageLabel(tag),
        tag === draft.lang ? h("span", { class: "cs-default-mark" }, ` ${t("default")}`) : null,
      ),
    ),
  );
  const missing = LANGUAGES.filter(([code]) => !tags.includes(code));
  $("#cp-lang-add").replaceChildren(
    h("option", { value: "" }, t("+ Translation…")),
    ...missing.map(([code, name]) => h("option", { value: code, lang: code }, `${name} · ${code}`)),
  );
  $("#cp-lang-add").hidden = missing.length === 0;
}

function renderCampaignForm() {
  $("#cp-goal").value = String(draft.goal);
  $("#cp-record").value = String(draft.record);
  const select = $("#cp-lang");
  const codes = LANGUAGES.map(([code]) => code);
  if (!codes.includes(draft.lang)) codes.unshift(draft.lang);
  select.replaceChildren(...codes.map((code) => h("option", { value: code, lang: code }, languageLabel(code))));
  select.value = draft.lang;
  renderTabs();
  renderWords();
}

function clearCampaignErrors() {
  setText($("#cp-error"), "");
  for (const el of $$("#cp-form .field-error")) el.textContent = "";
  for (const el of $$("#cp-form [aria-invalid]")) el.removeAttribute("aria-invalid");
}

function showCampaignError(err) {
  const field = String(err.field || "");
  const words = /^(?:translations\.([^.]+)\.)?(name|tagline|call_to_action)$/.exec(field);
  if (words) {
    const tag = words[1] || draft.lang;
    if (tag !== wordsLang) {
      keepWords();
      wordsLang = tag;
      renderTabs();
      renderWords();
    }
  }
  const key = words ? words[2] : field;
  const small = $(`#cp-form [data-error-for="${CSS.escape(key)}"]`);
  if (!small) {
    setText($("#cp-error"), err.message);
    return;
  }
  setText(small, withoutField(err.message, field));
  const input = small.previousElementSibling;
  if (input) {
    input.setAttribute("aria-invalid", "true");
    input.focus();
  }
}

async function openCampaign() {
  const reply = await quietly(api("GET", "/api/v1/campaign"));
  if (!reply) return;
  campaign = reply;
  draft = copyCampaign(reply);
  wordsLang = draft.lang;
  clearCampaignErrors();
  renderSummary();
  renderCampaignForm();
  $("#cp-fields").disabled = !ctx.canEnter();
  $("#cp-save").title = ctx.canEnter() ? "" : t("viewers cannot change the campaign");
  $("#cp-form").hidden = false;
  $("#cp-toggle").setAttribute("aria-expanded", "true");
}

function closeCampaign() {
  draft = null;
  $("#cp-form").hidden = true;
  $("#cp-toggle").setAttribute("aria-expanded", "false");
}

/** A new default language: a translation into it becomes the default words (the old ones a translation). */
function changeDefault(tag) {
  keepWords();
  const old = draft.lang;
  if (tag === old) return;
  const now = draft.translations[tag];
  if (now) {
    const before = { name: draft.name, tagline: draft.tagline, call_to_action: draft.call_to_action };
    if (before.name || before.tagline || before.call_to_action) draft.translations[old] = before;
    delete draft.translations[tag];
    draft.name = now.name || draft.name;
    draft.tagline = now.tagline;
    draft.call_to_action = now.call_to_action;
  }
  draft.lang = tag;
  wordsLang = tag;
  renderCampaignForm();
}

function campaignBody() {
  keepWords();
  const translations = {};
  for (const [tag, words] of Object.entries(draft.translations)) {
    if (tag === draft.lang) continue;
    const kept = { name: words.name.trim(), tagline: words.tagline.trim(), call_to_action: words.call_to_action.trim() };
    if (kept.name || kept.tagline || kept.call_to_action) translations[tag] = kept;
  }
  return {
    name: draft.name.trim(),
    goal: draft.goal,
    record: draft.record,
    lang: draft.lang,
    tagline: draft.tagline.trim(),
    call_to_action: draft.call_to_action.trim(),
    translations,
  };
}

async function saveCampaign(event) {
  event.preventDefault();
  if (!draft || !ctx.canEnter()) return;
  clearCampaignErrors();
  const button = $("#cp-save");
  button.disabled = true;
  try {
    const reply = await api("PUT", "/api/v1/campaign", campaignBody());
    campaign = reply;
    renderSummary();
    closeCampaign();
    ctx.toast("ok", t("Campaign saved"), t("The displays show the new words now."));
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.status !== 401) showCampaignError(err);
  } finally {
    button.disabled = false;
  }
}

function wireCampaign() {
  $("#cp-toggle").addEventListener("click", () => {
    if ($("#cp-form").hidden) openCampaign();
    else closeCampaign();
  });
  $("#cp-cancel").addEventListener("click", closeCampaign);
  $("#cp-form").addEventListener("submit", saveCampaign);
  $("#cp-lang").addEventListener("change", (e) => changeDefault(e.target.value));
  $("#cp-lang-tabs").addEventListener("click", (event) => {
    const tab = event.target.closest(".cs-lang-tab");
    if (!tab || !draft) return;
    keepWords();
    wordsLang = tab.dataset.lang;
    renderTabs();
    renderWords();
  });
  $("#cp-lang-add").addEventListener("change", (e) => {
    const tag = shipped(e.target.value);
    if (!tag || !draft) return;
    keepWords();
    tagWords(tag);
    wordsLang = tag;
    renderTabs();
    renderWords();
    $("#cp-tagline").focus();
  });
  $("#cp-drop").addEventListener("click", () => {
    if (!draft || wordsLang === draft.lang) return;
    delete draft.translations[wordsLang];
    wordsLang = draft.lang;
    renderTabs();
    renderWords();
  });
}

// --- wiring --------------------------------------------------------------------------------------------------

/** context: {isLive(): bool, canEnter(): bool, toast(kind, title, text)}. */
export function initCampaign(context) {
  ctx = context;
  $("#tally-form").addEventListener("submit", onTally);
  $("#tally-country").addEventListener("input", (e) => {
    const el = e.target;
    const upper = el.value.toUpperCase().replace(/[^A-Z]/g, "");
    if (upper !== el.value) el.value = upper;
  });
  new ResizeObserver(redrawChart).observe($("#chart"));
  wireCampaign();
  quietly(api("GET", "/api/v1/campaign")).then((reply) => {
    if (reply && !campaign) {
      campaign = reply;
      renderSummary();
    }
  });
  onLanguageChange(() => {
    if (totals) renderTotals(true);
    redrawChart();
    const select = $("#tally-case");
    if (select.options.length) select.options[0].textContent = t("— none —");
    if (draft) {
      keepWords();
      renderCampaignForm();
    }
  });
}
