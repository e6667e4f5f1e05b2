// The campaign as the panel shows it: the live total against the goal and the
// record, by channel, country and case; actions per hour as a chart; and the
// manual tally form (a counted stack of letters, entered by an operator).

import { api, ApiError, quietly } from "./api.js";
import { drawChart } from "./chart.js";
import {
  $,
  $$,
  CHANNELS,
  channelTitle,
  countOf,
  fmtInt,
  fmtNum,
  h,
  newId,
  setText,
  swatch,
  toMillis,
  withoutField,
} from "./dom.js";

let ctx = { isLive: () => false, canEnter: () => false };
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

export function applyTotals(t, source) {
  if (!t || typeof t !== "object") return;
  if (typeof t.rev === "number") {
    if (t.rev < totalsRev && source === "poll") return;
    totalsRev = t.rev;
  }
  totals = t;
  renderTotals(false);
}

function topEntries(map, n) {
  return Object.entries(map || {})
    .filter(([, v]) => typeof v === "number" && v > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, n);
}

function renderTotals(force) {
  const t = totals;
  const key = JSON.stringify([t.total, t.by_channel, t.by_case, t.by_country, t.goal, t.record, t.record_beaten_at]);
  if (key === totalsKey && !force) return;
  totalsKey = key;
  setText($("#total"), fmtInt(t.total || 0));
  const goal = Number(t.goal) || 0;
  if (goal > 0) {
    const pct = ((t.total || 0) / goal) * 100;
    setText($("#goal-pct"), `${pct < 10 ? fmtNum(pct, 1) : fmtInt(Math.floor(pct))}%`);
    setText($("#goal-text"), `of ${fmtInt(goal)} goal`);
    $("#goal-fill").style.width = `${Math.min(100, pct)}%`;
  } else {
    setText($("#goal-pct"), "–");
    setText($("#goal-text"), "no goal set");
    $("#goal-fill").style.width = "0";
  }
  const mark = $("#record-mark");
  const record = Number(t.record) || 0;
  mark.hidden = !(record > 0 && goal > 0);
  if (!mark.hidden) mark.style.left = `${Math.min(100, (record / goal) * 100)}%`;
  const badge = $("#record-badge");
  badge.hidden = !t.record_beaten_at;
  if (t.record_beaten_at) {
    const when = new Date(toMillis(t.record_beaten_at));
    badge.title = Number.isNaN(when.getTime())
      ? "Record beaten"
      : `Last year's record beaten at ${when.toLocaleString()}`;
  }
  const byChannel = t.by_channel || {};
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
    ...topEntries(t.by_country, 5).map(([code, n]) => h("li", {}, h("span", {}, code), h("span", {}, fmtInt(n)))),
  );
  const names = new Map(cases.map((c) => [c.id, c.name]));
  $("#by-case").replaceChildren(
    ...topEntries(t.by_case, 5).map(([id, n]) =>
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
    h("option", { value: "" }, "— none —"),
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
  result.textContent = el ? "Not counted: check the field above." : `Not counted: ${message}`;
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
  if (!/^[A-Z]{2}$/.test(country)) return tallyError("country", "two letters, like GB or KE");
  if (!Number.isInteger(count) || count < 1) return tallyError("count", "a whole number, 1 or more");
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
      reply && reply.accepted ? `Counted ${countOf(count, channel)}` : "Already counted (same entry)";
    $("#tally-count").value = "1";
    if (!ctx.isLive()) quietly(api("GET", "/api/v1/totals")).then((tot) => tot && applyTotals(tot, "poll"));
    setTimeout(loadChart, 300);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.code === "network") {
      result.className = "tally-result err";
      result.textContent = "Not sent: the server cannot be reached. Press Count again to retry (it will count once).";
    } else if (err.status !== 401) {
      tallyError(err.field, err.message);
    }
  } finally {
    button.disabled = !ctx.canEnter();
  }
}

/** context: {isLive(): bool, canEnter(): bool}. */
export function initCampaign(context) {
  ctx = context;
  $("#tally-form").addEventListener("submit", onTally);
  $("#tally-country").addEventListener("input", (e) => {
    const el = e.target;
    const upper = el.value.toUpperCase().replace(/[^A-Z]/g, "");
    if (upper !== el.value) el.value = upper;
  });
  new ResizeObserver(redrawChart).observe($("#chart"));
}
