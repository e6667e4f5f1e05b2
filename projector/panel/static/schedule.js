// The schedule editor: a week view of the entries (weekly ones on their weekdays, one-offs in
// their week), a form that adds entries to a plan not yet saved, the default show, and clashes
// shown before saving.
//
// Clashes: the server's model (projector/core/schedule.py) refuses two entries for the same
// target that would run at the same moment (422 naming the entry it clashes with), so there is
// no rule to pick a winner and a clash is an error, not a warning. The same test runs here, on
// every change, so the operator sees the clash striped red before pressing Save; Save still
// sends each entry and shows the server's refusal next to the one it refused.
//
// Times are the server's wall clock in its zone (`timezone`), never the browser's: a laptop in
// another country plans the facade's evening in the facade's time. Everything a person wrote
// goes into the page through textContent.

import { api, ApiError, quietly, session } from "./api.js";
import { $, h, setText, withoutField } from "./dom.js";
import { language, onLanguageChange, t, tn } from "./i18n.js";

export const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const DAY_MINUTES = 24 * 60;
const HOUR_PX = 26; // the week view's height per hour
const TARGET = /^(all|group:\S+|display:\S+)$/;

let report = () => {}; // (kind, title, text): the panel's toast
let saved = []; // entries as the server has them (with ids)
let draft = []; // entries not saved yet (each {…entry, key, error?})
let defaultShow = null;
let zone = "";
let today = null; // "YYYY-MM-DD" in the server's zone
let running = new Set();
let weekOffset = 0; // weeks from the one holding `today`
let nextKey = 1;

// --- pure: minutes, days, clashes ----------------------------------------------------------------

export function minutes(hhmm) {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(hhmm || "");
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

/** Monday = 0 for a "YYYY-MM-DD" date (read as a plain calendar date, no zone). */
export function weekday(iso) {
  const [y, m, d] = iso.split("-").map(Number);
  return (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7;
}

export function addDays(iso, n) {
  const [y, m, d] = iso.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

/** Where an entry lies: [weekday or date, start minute, end minute], split at midnight. */
export function segments(entry) {
  const start = minutes(entry.start);
  const end = minutes(entry.end);
  const keys = entry.date ? [[entry.date, addDays(entry.date, 1)]] : entry.days.map((d) => {
    const i = DAYS.indexOf(d);
    return [i, (i + 1) % 7];
  });
  const out = [];
  for (const [key, next] of keys) {
    if (end > start) out.push([key, start, end]);
    else {
      out.push([key, start, DAY_MINUTES]);
      if (end > 0) out.push([next, 0, end]);
    }
  }
  return out;
}

function sameDay(a, b) {
  if (typeof a === "string" && typeof b === "string") return a === b;
  if (typeof a === "string") return weekday(a) === b;
  if (typeof b === "string") return weekday(b) === a;
  return a === b;
}

/** Whether two entries for the same target would both run at some moment (as the server judges). */
export function overlap(a, b) {
  if (a.target !== b.target) return false;
  for (const [ka, sa, ea] of segments(a)) {
    for (const [kb, sb, eb] of segments(b)) {
      if (sameDay(ka, kb) && sa < eb && sb < ea) return true;
    }
  }
  return false;
}

/** For each entry (by index in `all`), the indices of the entries it clashes with. */
export function clashes(all) {
  const found = all.map(() => []);
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      if (overlap(all[i], all[j])) {
        found[i].push(j);
        found[j].push(i);
      }
    }
  }
  return found;
}

// --- words ----------------------------------------------------------------------------------------

function dayName(i) {
  // 2024-01-01 was a Monday.
  return new Date(Date.UTC(2024, 0, 1 + i)).toLocaleDateString(language(), { weekday: "short", timeZone: "UTC" });
}

function dateText(iso, options = { day: "numeric", month: "short" }) {
  const [y, m, d] = iso.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString(language(), { ...options, timeZone: "UTC" });
}

function whenText(e) {
  const days =
    e.date ? dateText(e.date, { weekday: "short", day: "numeric", month: "short", year: "numeric" })
    : e.days.length === 7 ? t("every day")
    : e.days.map((d) => dayName(DAYS.indexOf(d))).join(" ");
  return `${days} ${e.start}–${e.end}`;
}

function whatText(e) {
  return e.label || e.what;
}

function describe(e) {
  return `${whatText(e)} · ${e.target} · ${whenText(e)}`;
}

// --- loading ----------------------------------------------------------------------------------------

export function initSchedule(context) {
  report = context.toast;
  $("#sc-days").replaceChildren(
    ...DAYS.map((d, i) =>
      h("label", { class: "sc-day" }, h("input", { type: "checkbox", value: d, checked: i < 5 }), h("span", { "data-day": d })),
    ),
  );
  $("#sc-form").addEventListener("submit", (event) => {
    event.preventDefault();
    addToDraft();
  });
  $("#sc-date").addEventListener("input", () => ($("#sc-once").checked = true));
  $("#sc-days").addEventListener("change", () => ($("#sc-weekly").checked = true));
  $("#sc-save").addEventListener("click", save);
  $("#sc-discard").addEventListener("click", () => {
    draft = [];
    render();
  });
  $("#sc-prev").addEventListener("click", () => {
    weekOffset -= 1;
    renderWeek();
  });
  $("#sc-next").addEventListener("click", () => {
    weekOffset += 1;
    renderWeek();
  });
  $("#sc-default").addEventListener("change", setDefault);
  onLanguageChange(render);
}

// While the tab is open the entries, the running ones and the server's date are fetched again
// now and then: another operator may have changed them, and NOW moves with the clock.
const REFRESH_MS = 30_000;
let timer = 0;

export function setOpen(on) {
  clearInterval(timer);
  timer = 0;
  if (!on) return;
  refresh();
  timer = setInterval(refresh, REFRESH_MS);
}

export async function refresh() {
  const [schedules, shows, show, groups, displays] = await Promise.all([
    quietly(api("GET", "/api/v1/schedules")),
    quietly(api("GET", "/api/v1/shows")),
    quietly(api("GET", "/api/v1/show")),
    quietly(api("GET", "/api/v1/groups")),
    quietly(api("GET", "/api/v1/displays")),
  ]);
  if (schedules) {
    saved = Array.isArray(schedules.entries) ? schedules.entries : [];
    defaultShow = schedules.default || null;
    zone = schedules.timezone || "";
    today = typeof schedules.now === "string" ? schedules.now.slice(0, 10) : today;
    running = new Set(schedules.running || []);
  }
  if (!today) today = new Date().toISOString().slice(0, 10);
  fillWhat(shows ? shows.shows || [] : [], show && show.show ? show.show.cues || [] : []);
  fillTargets(groups ? groups.groups || [] : [], displays ? displays.displays || [] : []);
  if (!$("#sc-date").value) $("#sc-date").value = today;
  render();
}

function fillWhat(shows, cues) {
  const select = $("#sc-what");
  const before = select.value;
  const showOptions = shows.map((s) => h("option", { value: `show:${s.id}` }, `${s.name || s.id} (${s.id})`));
  const cueOptions = cues.map((c) => h("option", { value: `cue:${c.id}` }, `${c.label || c.scene} (${c.id})`));
  select.replaceChildren(
    h("optgroup", { label: t("Stored shows (load it)") }, ...showOptions),
    h("optgroup", { label: t("Cues of the loaded show (take it)") }, ...cueOptions),
  );
  if (before && [...select.options].some((o) => o.value === before)) select.value = before;

  const def = $("#sc-default");
  def.replaceChildren(
    h("option", { value: "" }, t("— none —")),
    ...shows.map((s) => h("option", { value: s.id }, `${s.name || s.id} (${s.id})`)),
  );
  def.value = defaultShow || "";
}

function fillTargets(groups, displays) {
  const values = ["all", ...groups.map((g) => `group:${g.name}`), ...displays.map((d) => `display:${d.name}`)];
  $("#sc-targets").replaceChildren(...[...new Set(values)].map((v) => h("option", { value: v })));
}

// --- the plan ----------------------------------------------------------------------------------------

function fieldError(field, message) {
  const small = $(`#sc-form .field-error[data-for="${field}"]`);
  if (small) setText(small, message);
}

function clearFormErrors() {
  for (const small of document.querySelectorAll("#sc-form .field-error")) setText(small, "");
}

/** The form as an entry in the server's shape, or null (the bad field is marked). */
function entryFromForm() {
  clearFormErrors();
  const target = $("#sc-target").value.trim() || "all";
  const entry = { target, what: $("#sc-what").value, start: $("#sc-start").value, end: $("#sc-end").value };
  const label = $("#sc-label").value.trim();
  if (label) entry.label = label;
  let ok = true;
  if (!TARGET.test(target)) {
    fieldError("target", t("write all, group:NAME or display:NAME"));
    ok = false;
  }
  if (!entry.what) {
    fieldError("what", t("store a show or load one with cues first"));
    ok = false;
  }
  for (const field of ["start", "end"]) {
    if (minutes(entry[field]) === null) {
      fieldError(field, t("a time of day, HH:MM"));
      ok = false;
    }
  }
  if (ok && entry.start === entry.end) {
    fieldError("end", t("must differ from the start"));
    ok = false;
  }
  if ($("#sc-once").checked) {
    entry.date = $("#sc-date").value;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(entry.date || "")) {
      fieldError("date", t("pick a date"));
      ok = false;
    }
  } else {
    entry.days = [...document.querySelectorAll("#sc-days input:checked")].map((i) => i.value);
    if (!entry.days.length) {
      fieldError("days", t("pick at least one day"));
      ok = false;
    }
  }
  return ok ? entry : null;
}

function addToDraft() {
  if (!session.canOperate) return;
  const entry = entryFromForm();
  if (!entry) return;
  draft.push({ ...entry, key: nextKey++ });
  // A one-off shows in its own week.
  if (entry.date && today) weekOffset = Math.floor((daysBetween(mondayOf(today), entry.date)) / 7);
  render();
}

function mondayOf(iso) {
  return addDays(iso, -weekday(iso));
}

function daysBetween(a, b) {
  const [ya, ma, da] = a.split("-").map(Number);
  const [yb, mb, db] = b.split("-").map(Number);
  return Math.round((Date.UTC(yb, mb - 1, db) - Date.UTC(ya, ma - 1, da)) / 86400000);
}

function wire(e) {
  const { key, error, ...body } = e;
  return body;
}

async function save() {
  if (!session.canOperate || !draft.length) return;
  const left = [];
  for (const e of draft) {
    try {
      await api("POST", "/api/v1/schedules", wire(e));
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      // The server's word, next to the entry it refused (e.g. "start: overlaps #3 ...").
      left.push({ ...e, error: err.field ? `${err.field}: ${withoutField(err.message, err.field)}` : err.message });
    }
  }
  const done = draft.length - left.length;
  draft = left;
  if (done) report("status", t("Schedule saved"), tn("{count} entry added", "{count} entries added", done, { count: done }));
  if (left.length) {
    const why = tn(
      "The server refused {count} entry: see why in the plan.",
      "The server refused {count} entries: see why in the plan.",
      left.length,
      { count: left.length },
    );
    report("error", t("Not saved"), why);
  }
  await refresh();
}

async function remove(id) {
  try {
    await api("DELETE", `/api/v1/schedules/${encodeURIComponent(id)}`);
  } catch (err) {
    report("error", t("Refused"), err.message || String(err));
  }
  await refresh();
}

async function setDefault() {
  const value = $("#sc-default").value || null;
  const small = $('.sc-default-field .field-error');
  setText(small, "");
  try {
    await api("PUT", "/api/v1/schedules/default", { show: value });
    report("status", t("Default show set"), value || t("— none —"));
  } catch (err) {
    setText(small, err.message || String(err));
  }
  await refresh();
}

// --- rendering --------------------------------------------------------------------------------------

function render() {
  if (!today) return;
  for (const span of document.querySelectorAll("#sc-days [data-day]")) {
    setText(span, dayName(DAYS.indexOf(span.dataset.day)));
  }
  setText($("#sc-zone"), zone ? t("times in {zone}", { zone }) : "");
  const can = session.canOperate;
  for (const el of document.querySelectorAll("#schedule-view .op-schedule")) el.disabled = !can;
  renderLists();
  renderWeek();
}

/** Saved then draft entries, each with who it clashes with. */
function everything() {
  const all = [...saved.map((e) => ({ ...e, saved: true })), ...draft];
  const found = clashes(all);
  return all.map((e, i) => ({ ...e, clashWith: found[i].map((j) => all[j]) }));
}

function entryRow(e) {
  const clash = e.clashWith.length
    ? h("span", { class: "sc-clash-note" }, t("clashes with {entry}", { entry: e.clashWith.map(describe).join("; ") }))
    : null;
  const error = e.error ? h("span", { class: "sc-error", role: "alert" }, e.error) : null;
  const state = running.has(e.id) ? h("span", { class: "pill pill-onair" }, t("NOW")) : null;
  const button = e.saved
    ? session.canOperate
      ? h("button", { type: "button", class: "btn btn-small btn-danger sc-remove", onclick: () => remove(e.id) }, t("Remove"))
      : null
    : h(
        "button",
        {
          type: "button",
          class: "btn btn-small sc-remove",
          onclick: () => {
            draft = draft.filter((d) => d.key !== e.key);
            render();
          },
        },
        t("Drop"),
      );
  return h(
    "li",
    { class: `sc-entry${e.clashWith.length ? " clash" : ""}${e.saved ? "" : " draft"}`, "data-id": e.id ?? `draft-${e.key}` },
    h("span", { class: "sc-entry-what" }, whatText(e)),
    h("span", { class: "sc-entry-target" }, e.target),
    h("span", { class: "sc-entry-when" }, whenText(e)),
    state,
    clash,
    error,
    button,
  );
}

function renderLists() {
  const all = everything();
  const list = all.filter((e) => e.saved);
  const plan = all.filter((e) => !e.saved);
  $("#sc-list").replaceChildren(...list.map(entryRow));
  $("#sc-empty").hidden = list.length > 0;
  $("#sc-draft").replaceChildren(...plan.map(entryRow));
  $("#sc-draft-box").hidden = plan.length === 0;
  const clashing = plan.some((e) => e.clashWith.length);
  $("#sc-save").classList.toggle("has-clash", clashing);
  $("#sc-save").title = clashing ? t("Some entries clash: the server will refuse those") : "";
}

/** Blocks for one week: [day column 0-6, start minute, end minute, entry]. */
function blocks(all, monday) {
  const out = [];
  for (const e of all) {
    for (const [key, start, end] of segments(e)) {
      let column;
      if (typeof key === "string") {
        column = daysBetween(monday, key);
        if (column < 0 || column > 6) continue;
      } else column = key;
      out.push([column, start, end, e]);
    }
  }
  return out;
}

/**
 * Each block with its lane and the number of lanes of its cluster (blocks that overlap one
 * another, directly or through a third): [...block, lane, count]. A block alone is full width.
 */
function lanes(list) {
  const out = [];
  for (let column = 0; column < 7; column++) {
    const mine = list.filter((b) => b[0] === column).sort((a, b) => a[1] - b[1] || b[2] - a[2]);
    let cluster = [];
    let ends = []; // the end minute of the last block in each lane of the cluster
    const close = () => {
      for (const b of cluster) out.push([...b, Math.max(1, ends.length)]);
      cluster = [];
      ends = [];
    };
    for (const b of mine) {
      if (cluster.length && b[1] >= Math.max(...ends)) close();
      let lane = ends.findIndex((end) => end <= b[1]);
      if (lane < 0) lane = ends.length;
      ends[lane] = b[2];
      cluster.push([...b, lane]);
    }
    close();
  }
  return out;
}

/** Position through the CSSOM: the panel's CSP forbids style attributes. */
function place(el, top, height) {
  if (top !== null) el.style.top = `${top}px`;
  if (height !== undefined) el.style.height = `${height}px`;
  return el;
}

function renderWeek() {
  if (!today) return;
  const monday = addDays(mondayOf(today), 7 * weekOffset);
  setText($("#sc-week-range"), `${dateText(monday)} – ${dateText(addDays(monday, 6))}`);
  const grid = $("#sc-week");
  const hours = h(
    "div",
    { class: "sc-hours", "aria-hidden": "true" },
    ...Array.from({ length: 8 }, (_, i) => place(h("span", {}, `${String(i * 3).padStart(2, "0")}:00`), i * 3 * HOUR_PX)),
  );
  const columns = DAYS.map((d, i) => {
    const date = addDays(monday, i);
    return h(
      "div",
      { class: `sc-col${date === today ? " today" : ""}`, "data-date": date, role: "gridcell" },
      h("div", { class: "sc-col-head" }, `${dayName(i)} ${dateText(date, { day: "numeric" })}`),
      place(h("div", { class: "sc-col-body" }), null, 24 * HOUR_PX),
    );
  });
  const laid = lanes(blocks(everything(), monday));
  for (const [column, start, end, e, lane, count] of laid) {
    const classes = ["sc-block", e.saved ? "saved" : "draft", e.date ? "once" : "weekly"];
    if (e.clashWith.length) classes.push("clash");
    const title = e.clashWith.length
      ? `${describe(e)}\n${t("clashes with {entry}", { entry: e.clashWith.map(describe).join("; ") })}`
      : describe(e);
    const block = h(
      "div",
      { class: classes.join(" "), title, "data-id": e.id ?? `draft-${e.key}` },
      h("span", { class: "sc-block-what" }, whatText(e)),
      h("span", { class: "sc-block-meta" }, `${e.start}–${e.end} · ${e.target}`),
    );
    place(block, (start / 60) * HOUR_PX, Math.max(14, ((end - start) / 60) * HOUR_PX));
    // Entries at the same time (a clash, or two targets) stand side by side, not on top.
    block.style.insetInlineStart = `calc(${(100 * lane) / count}% + 2px)`;
    block.style.width = `calc(${100 / count}% - 4px)`;
    columns[column].querySelector(".sc-col-body").append(block);
  }
  grid.replaceChildren(hours, ...columns);
}
