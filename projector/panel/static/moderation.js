// The Messages tab: supporters' messages that the rules held wait here for a
// person. Keyboard first, so a small team keeps up during an event:
//   A approve · R reject · P pin/unpin · E edit · X block the sender (X again to confirm)
//   J/K or ↓/↑ move; after a decision the next waiting message is selected.
// The picture next to the raw text is the server's rendering of the real wall
// (its fonts, its shaping), so what the moderator approves is what the public sees.
//
// The queue is refetched when the moderation revision in the panel's state
// message moves (debounced), not polled. Everything a supporter wrote goes into
// the page as text (textContent, attributes): never as markup.

import { api, ApiError, quietly, session } from "./api.js";
import { $, $$, fmtAgo, fmtInt, h, numberLocale, setClass, setText, toMillis, withoutField } from "./dom.js";
import { onLanguageChange, t, tn } from "./i18n.js";

const STATUS_OF = { waiting: "pending", wall: "approved", rejected: "rejected" };
const LIMIT = { pending: 200, approved: 200, rejected: 100 };
const LIST_TITLES = {
  waiting: () => t("Waiting"),
  wall: () => t("On the wall"),
  rejected: () => t("Rejected"),
};
const EMPTY_TEXT = {
  waiting: () => t("Nothing waiting. New messages appear here as they arrive."),
  wall: () => t("No approved messages yet."),
  rejected: () => t("Nothing rejected."),
};
const REFETCH_MS = 200;
const HISTORY_MS = 150;
const AGE_MS = 15000;
const PHONE = "(max-width: 1099px)";

function viewerTip() {
  return t("viewers cannot moderate");
}

const ERROR_TITLES = {
  too_many_pinned: () => t("Too many pinned"),
  rejected: () => t("Approve it first"),
  not_found: () => t("Message gone"),
  no_sender: () => t("No sender to block"),
  forbidden: () => t("Not allowed"),
  csrf: () => t("Security check failed"),
  network: () => t("Server unreachable"),
  invalid: () => t("Not accepted"),
  rate_limited: () => t("Too many requests"),
};

// The log's decision words: the pill's class keeps the server's code, its text is read.
const DECISIONS = {
  held: () => t("held"),
  approve: () => t("approved"),
  reject: () => t("rejected"),
  edit: () => t("edited"),
  pin: () => t("pinned"),
  unpin: () => t("unpinned"),
  block: () => t("blocked"),
  unblock: () => t("unblocked"),
  blocklist: () => t("blocklist"),
  received: () => t("received"),
};

let ctx = { toast: () => {} };
let open = false;
let sub = "waiting";
let gen = 0; // fetch generation: every list fetch takes the next number
const lists = { pending: newList(), approved: newList(), rejected: newList() };
/** id -> {from, until}: taken out of list `from` at once; fetches older than `until` still show it. */
const gone = new Map();
const known = new Map(); // id -> message, from any list (the log's excerpts)
const inflight = new Set();
const selection = { waiting: null, wall: null, rejected: null };
const lastIndex = { waiting: 0, wall: 0, rejected: 0 };
let editing = null; // id of the message in the edit form
let confirming = null; // id of the message whose sender X is about to block
let blocked = new Map(); // sender -> {sender, at, by, reason}
let blockedLoaded = false;
let pending = null;
let rev = null;
let refetchTimer = null;
let historyTimer = null;
let historyKey = "";
let ageTimer = null;
let logRows = [];
let blocklists = [];
let blLang = null;
const blDrafts = new Map();
const prefetched = new Set();

function newList() {
  return { items: [], gen: 0, loaded: false };
}

// --- small helpers ------------------------------------------------------------------------------

function listStatus() {
  return STATUS_OF[sub] || null;
}

function currentList() {
  const status = listStatus();
  return status ? lists[status].items : [];
}

function current() {
  const id = selection[sub];
  return id ? currentList().find((m) => m.id === id) || null : null;
}

function msgPath(id, what) {
  return `/api/v1/messages/${encodeURIComponent(id)}/${what}`;
}

/** FNV-1a of what the picture shows: the preview URL changes when the text is edited. */
function contentHash(m) {
  const text = [m.text, m.name, m.country, m.lang].map((x) => x || "").join("\u0000");
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(36);
}

function previewUrl(m) {
  return `${msgPath(m.id, "preview.png")}?v=${contentHash(m)}`;
}

function ago(value) {
  return fmtAgo(toMillis(value));
}

function clock(value) {
  const ms = toMillis(value);
  if (!Number.isFinite(ms)) return "–";
  const d = new Date(ms);
  const time = d.toLocaleTimeString(numberLocale(), { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  if (new Date().toDateString() === d.toDateString()) return time;
  return `${d.toLocaleDateString(numberLocale(), { month: "short", day: "numeric" })} ${time}`;
}

function displayName(type, code) {
  if (!code) return "";
  try {
    const name = new Intl.DisplayNames(numberLocale(), { type }).of(code);
    return name && name !== code ? `${code} · ${name}` : code;
  } catch {
    return code;
  }
}

function excerpt(text, n = 70) {
  const whole = String(text || "");
  return whole.length > n ? `${whole.slice(0, n - 1)}…` : whole;
}

function showError(err) {
  ctx.toast("error", Object.hasOwn(ERROR_TITLES, err.code) ? ERROR_TITLES[err.code]() : t("Refused"), err.message);
}

function viewerToast() {
  ctx.toast("warn", t("Viewers cannot moderate"), t("Log in as an operator to decide on messages."));
}

// --- from the panel: state, view, role ---------------------------------------------------------------

/** The `moderation` part of the panel's state message: {rev, pending}. */
export function applyModeration(m) {
  if (!m || typeof m !== "object") return;
  if (typeof m.pending === "number") setPending(m.pending);
  if (typeof m.rev === "number" && m.rev !== rev) {
    rev = m.rev;
    if (open) scheduleRefresh();
  }
}

export function setOpen(on) {
  if (on === open) return;
  open = on;
  clearInterval(ageTimer);
  if (on) {
    refresh();
    ageTimer = setInterval(renderAges, AGE_MS);
  } else {
    confirming = null;
    renderConfirm();
  }
}

/** A new session (login): forget everything the last one saw. */
export function reset() {
  for (const status of Object.keys(lists)) lists[status] = newList();
  gone.clear();
  known.clear();
  blocked = new Map();
  blockedLoaded = false;
  blocklists = [];
  blDrafts.clear();
  blLang = null;
  editing = null;
  confirming = null;
  pending = null;
  rev = null;
  for (const key of Object.keys(selection)) selection[key] = null;
  setPending(null);
  if (open) refresh();
}

export function setEditable() {
  renderDetail();
  renderBlocked();
  renderBlocklistControls();
}

function setPending(n) {
  pending = typeof n === "number" ? n : null;
  const badge = $("#tab-messages-count");
  if (badge) {
    badge.hidden = !pending;
    setText(badge, pending || "");
    badge.title = pending
      ? tn("{count} message waiting", "{count} messages waiting", pending, { count: fmtInt(pending) })
      : "";
  }
  const count = $("#mod-count-waiting");
  if (count) setText(count, pending === null ? "" : pending);
}

// --- fetching --------------------------------------------------------------------------------------

function scheduleRefresh(ms = REFETCH_MS) {
  clearTimeout(refetchTimer);
  refetchTimer = setTimeout(refresh, ms);
}

/** Fetch what the open sub-view shows. */
export function refresh() {
  clearTimeout(refetchTimer);
  if (!open) return;
  const status = listStatus();
  if (status) {
    fetchList(status);
    fetchBlocked();
    scheduleHistory(true);
  } else if (sub === "log") {
    fetchLog();
  } else if (sub === "blocklists") {
    fetchBlocklists();
  } else if (sub === "blocked") {
    fetchBlocked();
  }
}

function hiddenIn(status, m, fetchGen) {
  const entry = gone.get(m.id);
  return Boolean(entry && entry.from === status && fetchGen < entry.until);
}

async function fetchList(status) {
  gen += 1;
  const mine = gen;
  const list = lists[status];
  let reply;
  try {
    reply = await api("GET", `/api/v1/messages?status=${status}&limit=${LIMIT[status]}`);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.status !== 401 && open) showError(err);
    return;
  }
  if (mine < list.gen || !reply || !Array.isArray(reply.messages)) return; // a newer answer is already in
  list.gen = mine;
  for (const [id, entry] of gone) if (entry.from === status && entry.until <= mine) gone.delete(id);
  let items = reply.messages.filter((m) => m && typeof m.id === "string" && !hiddenIn(status, m, mine));
  if (status === "approved") items = [...items.filter((m) => m.pinned), ...items.filter((m) => !m.pinned)];
  list.items = items;
  list.loaded = true;
  for (const m of items) known.set(m.id, m);
  if (typeof reply.pending === "number") setPending(reply.pending);
  if (status === "approved") setText($("#mod-count-wall"), items.length);
  if (listStatus() === status) {
    keepSelection();
    renderList();
    renderDetail();
  }
}

async function fetchBlocked() {
  const reply = await quietly(api("GET", "/api/v1/moderation/blocked"));
  if (!reply || !Array.isArray(reply.senders)) return;
  blocked = new Map(reply.senders.filter((b) => b && typeof b.sender === "string").map((b) => [b.sender, b]));
  blockedLoaded = true;
  setText($("#mod-count-blocked"), blocked.size || "");
  renderBlocked();
  if (listStatus()) renderActions(current());
}

async function fetchLog() {
  const reply = await quietly(api("GET", "/api/v1/moderation/log?limit=200"));
  if (!reply || !Array.isArray(reply.decisions)) return;
  logRows = reply.decisions;
  renderLog();
  // Excerpts come from the lists: fetch the ones never seen, once.
  const missing = Object.keys(lists).filter((s) => !lists[s].loaded);
  if (missing.length && logRows.some((d) => d.message_id && !known.has(d.message_id))) {
    await Promise.all(missing.map(fetchList));
    if (sub === "log") renderLog();
  }
}

async function fetchBlocklists() {
  const reply = await quietly(api("GET", "/api/v1/moderation/blocklists"));
  if (!reply || !Array.isArray(reply.blocklists)) return;
  const extra = blocklists.filter((b) => b.unsaved && !reply.blocklists.some((r) => r.lang === b.lang));
  blocklists = [...reply.blocklists, ...extra];
  if (!blLang || !blocklists.some((b) => b.lang === blLang)) blLang = blocklists.length ? blocklists[0].lang : null;
  renderBlocklists(true);
}

// --- selection --------------------------------------------------------------------------------------

/** After a fetch: keep the selected message, or take the one now where it was (someone decided it). */
function keepSelection() {
  const items = currentList();
  const id = selection[sub];
  const index = items.findIndex((m) => m.id === id);
  if (index >= 0) {
    lastIndex[sub] = index;
    return;
  }
  const next = items[Math.min(lastIndex[sub], items.length - 1)];
  changeSelection(next ? next.id : null);
}

function changeSelection(id) {
  if (selection[sub] === id) return;
  selection[sub] = id;
  const index = currentList().findIndex((m) => m.id === id);
  if (index >= 0) lastIndex[sub] = index;
  if (confirming && confirming !== id) confirming = null;
  if (editing && editing !== id) closeEdit();
}

function select(id, scroll = true) {
  changeSelection(id);
  updateListSelection(scroll);
  renderDetail();
}

function move(delta) {
  const items = currentList();
  if (!items.length) return;
  let index = items.findIndex((m) => m.id === selection[sub]);
  index = index < 0 ? (delta > 0 ? 0 : items.length - 1) : Math.max(0, Math.min(items.length - 1, index + delta));
  select(items[index].id);
}

/** Take a message out of a list at once; the selection moves to the one after it. */
function removeLocal(status, id) {
  const items = lists[status].items;
  const index = items.findIndex((m) => m.id === id);
  if (index < 0) return;
  items.splice(index, 1);
  if (status === "pending" && pending) setPending(pending - 1);
  for (const [view, st] of Object.entries(STATUS_OF)) {
    if (st === status && selection[view] === id) {
      const next = items[Math.min(index, items.length - 1)];
      selection[view] = next ? next.id : null;
      lastIndex[view] = index;
      if (confirming === id) confirming = null;
      if (editing === id) closeEdit();
    }
  }
}

/** Put a changed message (a decision's answer) in place wherever it is listed with that status. */
function patch(m) {
  if (!m || typeof m.id !== "string") return;
  known.set(m.id, m);
  for (const [status, list] of Object.entries(lists)) {
    const index = list.items.findIndex((x) => x.id === m.id);
    if (index < 0) continue;
    if (m.status === status) list.items[index] = m;
    else removeLocal(status, m.id);
  }
}

// --- deciding ----------------------------------------------------------------------------------------

const ACTION_BUTTONS = {
  approve: "#mod-approve",
  reject: "#mod-reject",
  pin: "#mod-pin",
  edit: "#mod-edit",
  block: "#mod-block",
};

/** Run a decision by key or button: the same rules as the button's enabled state. */
function run(name) {
  if (!listStatus()) return;
  const m = current();
  if (!m) return;
  if (!session.canOperate) {
    viewerToast();
    return;
  }
  const button = $(ACTION_BUTTONS[name]);
  if (button.disabled) return;
  button.classList.add("flash");
  setTimeout(() => button.classList.remove("flash"), 150);
  if (name === "approve") decide(m, "approve", m.status !== "approved");
  else if (name === "reject") decide(m, "reject", m.status !== "rejected");
  else if (name === "pin") decide(m, m.pinned ? "unpin" : "pin", m.status === "pending");
  else if (name === "edit") openEdit(m);
  else if (name === "block") askBlock(m);
}

async function decide(m, what, leaves) {
  if (inflight.has(m.id)) return;
  inflight.add(m.id);
  const from = m.status;
  if (leaves) {
    gone.set(m.id, { from, until: Infinity });
    removeLocal(from, m.id);
    renderList();
    renderDetail();
  }
  try {
    const reply = await api("POST", msgPath(m.id, what), {});
    if (leaves) gone.set(m.id, { from, until: gen + 1 });
    patch(reply);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    gone.delete(m.id);
    if (err.status !== 401) showError(err);
  } finally {
    inflight.delete(m.id);
    scheduleRefresh();
    if (listStatus()) {
      renderList();
      renderDetail();
    }
  }
}

function askBlock(m) {
  if (confirming === m.id) {
    block(m);
    return;
  }
  confirming = m.id;
  renderConfirm();
  $("#mod-confirm-yes").focus({ preventScroll: true });
}

async function block(m) {
  confirming = null;
  renderConfirm();
  if (inflight.has(m.id)) return;
  inflight.add(m.id);
  const from = m.status;
  const leaves = from !== "rejected";
  if (leaves) {
    gone.set(m.id, { from, until: Infinity });
    removeLocal(from, m.id);
  }
  renderList();
  renderDetail();
  focusList();
  try {
    const reply = await api("POST", msgPath(m.id, "block-sender"), {});
    const ids = Array.isArray(reply && reply.rejected) ? reply.rejected : [];
    for (const id of new Set([m.id, ...ids])) {
      for (const status of ["pending", "approved"]) {
        if (id === m.id && status !== from) continue;
        if (id !== m.id && !lists[status].items.some((x) => x.id === id)) continue;
        gone.set(id, { from: status, until: gen + 1 });
        removeLocal(status, id);
      }
    }
    if (reply && typeof reply.sender === "string") {
      blocked.set(reply.sender, { sender: reply.sender, at: new Date().toISOString(), by: session.username });
    }
    const n = ids.length;
    ctx.toast(
      "ok",
      t("Sender blocked"),
      tn("{count} message rejected; new ones are refused.", "{count} messages rejected; new ones are refused.", n, {
        count: fmtInt(n),
      }),
    );
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    gone.delete(m.id);
    if (err.status !== 401) showError(err);
  } finally {
    inflight.delete(m.id);
    fetchBlocked();
    scheduleRefresh();
    if (listStatus()) {
      renderList();
      renderDetail();
    }
  }
}

function cancelConfirm() {
  confirming = null;
  renderConfirm();
  focusList();
}

function renderConfirm() {
  const box = $("#mod-confirm");
  if (!box) return;
  const m = current();
  const show = Boolean(m && confirming === m.id);
  box.hidden = !show;
  setClass($("#mod-block"), "armed", show);
  if (!show) return;
  setText($("#mod-confirm-sender"), m.sender || "");
  const others = lists.pending.items.filter((x) => x.sender === m.sender && x.id !== m.id).length;
  setText(
    $("#mod-confirm-more"),
    others
      ? tn(
          "This also rejects their {count} other waiting message, takes theirs off the wall, and refuses new ones.",
          "This also rejects their {count} other waiting messages, takes theirs off the wall, and refuses new ones.",
          others,
          { count: fmtInt(others) },
        )
      : t("This rejects their messages, takes them off the wall, and refuses new ones."),
  );
}

// --- editing ------------------------------------------------------------------------------------------

function openEdit(m) {
  editing = m.id;
  confirming = null;
  renderConfirm();
  const form = $("#mod-edit-form");
  form.hidden = false;
  $("#mod-text").hidden = true;
  clearEditErrors();
  const text = $("#mod-edit-text");
  text.value = m.text || "";
  $("#mod-edit-name").value = m.name || "";
  text.focus({ preventScroll: true });
  text.setSelectionRange(text.value.length, text.value.length);
}

function closeEdit() {
  editing = null;
  const form = $("#mod-edit-form");
  if (!form) return;
  const hadFocus = form.contains(document.activeElement);
  form.hidden = true;
  $("#mod-text").hidden = false;
  if (hadFocus) focusList();
}

function clearEditErrors() {
  for (const el of $$("#mod-edit-form .field-error")) el.textContent = "";
  for (const el of $$("#mod-edit-form [aria-invalid]")) el.removeAttribute("aria-invalid");
}

async function saveEdit() {
  const m = current();
  if (!m || editing !== m.id || inflight.has(m.id)) return;
  if (!session.canOperate) {
    viewerToast();
    return;
  }
  clearEditErrors();
  const body = { text: $("#mod-edit-text").value, name: $("#mod-edit-name").value };
  inflight.add(m.id);
  const save = $("#mod-edit-save");
  save.disabled = true;
  try {
    const reply = await api("POST", msgPath(m.id, "edit"), body);
    patch(reply);
    closeEdit();
    ctx.toast("ok", t("Message edited"), t("The picture shows the new text."));
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    const field = err.field === "name" ? "name" : err.field === "text" ? "text" : null;
    if (field) {
      const input = $(field === "name" ? "#mod-edit-name" : "#mod-edit-text");
      input.setAttribute("aria-invalid", "true");
      setText($(`#mod-edit-form [data-error-for='${field}']`), withoutField(err.message, field));
      input.focus();
    } else if (err.status !== 401) {
      showError(err);
    }
  } finally {
    inflight.delete(m.id);
    save.disabled = false;
    scheduleRefresh();
    renderList();
    renderDetail();
  }
}

// --- keys -----------------------------------------------------------------------------------------------

const KEYS = { a: "approve", r: "reject", p: "pin", e: "edit", x: "block" };

/** Keys while the Messages tab is open and focus is not in a field (panel.js checks both). */
export function onKey(event) {
  if (!listStatus()) return;
  const key = event.key;
  if (key === "ArrowDown" || key === "ArrowUp" || key === "j" || key === "J" || key === "k" || key === "K") {
    event.preventDefault();
    move(key === "ArrowDown" || key === "j" || key === "J" ? 1 : -1);
    return;
  }
  if (key === "Escape") {
    if (confirming) {
      event.preventDefault();
      cancelConfirm();
    } else if (editing) {
      event.preventDefault();
      closeEdit();
      renderDetail();
    }
    return;
  }
  const name = key.length === 1 ? KEYS[key.toLowerCase()] : undefined;
  if (!name) return;
  event.preventDefault();
  if (event.repeat) return; // a key held down decides once
  if (name !== "block" && confirming) cancelConfirm();
  run(name);
}

function focusList() {
  const list = $("#mod-list");
  if (list && !list.closest("[hidden]")) list.focus({ preventScroll: true });
}

// --- rendering: the list ------------------------------------------------------------------------------

function metaBits(m) {
  const bits = [];
  if (m.name) bits.push(h("bdi", { class: "mod-name" }, m.name));
  else bits.push(h("span", { class: "mod-anon" }, t("no name")));
  if (m.country) bits.push(h("span", { class: "mod-code", title: displayName("region", m.country) }, m.country));
  if (m.lang) bits.push(h("span", { class: "mod-code", title: displayName("language", m.lang) }, m.lang));
  if (m.source) bits.push(h("span", { class: "mod-source" }, m.source));
  return bits;
}

function decisionPill(decision) {
  const named = Object.hasOwn(DECISIONS, decision);
  return h("span", { class: `dpill d-${named ? decision : "other"}` }, named ? DECISIONS[decision]() : String(decision));
}

function ageText(m) {
  if (m.status === "pending") return ago(m.created_at);
  const when = ago(m.decided_at);
  if (m.status === "approved") {
    return m.decided_by ? t("approved by {who} {ago}", { who: m.decided_by, ago: when }) : t("approved {ago}", { ago: when });
  }
  return m.decided_by ? t("rejected by {who} {ago}", { who: m.decided_by, ago: when }) : t("rejected {ago}", { ago: when });
}

function itemEl(m, index) {
  const pills = [];
  if (m.pinned) pills.push(h("span", { class: "pill pill-pinned", title: t("Stays on the wall") }, t("PINNED")));
  if (m.sender && blocked.has(m.sender)) pills.push(h("span", { class: "pill pill-blocked" }, t("BLOCKED")));
  return h(
    "div",
    {
      class: `mod-item${inflight.has(m.id) ? " busy" : ""}`,
      role: "option",
      id: `mod-item-${index}`,
      "data-id": m.id,
      "aria-selected": String(m.id === selection[sub]),
    },
    h(
      "div",
      { class: "mod-item-top" },
      h("time", { class: "mod-age", datetime: m.created_at || "" }, ageText(m)),
      pills.length ? h("span", { class: "mod-pills" }, pills) : null,
    ),
    h("p", { class: "mod-item-text", dir: "auto" }, m.text),
    h("div", { class: "mod-item-meta" }, metaBits(m)),
    m.notes ? h("p", { class: "mod-item-notes" }, m.notes) : null,
  );
}

function renderList() {
  const status = listStatus();
  if (!status) return;
  const items = lists[status].items;
  setText($("#mod-list-title"), LIST_TITLES[sub]());
  const list = $("#mod-list");
  list.replaceChildren(...items.map(itemEl));
  list.setAttribute("aria-label", LIST_TITLES[sub]());
  const empty = $("#mod-empty");
  empty.hidden = items.length > 0 || !lists[status].loaded;
  setText(empty, EMPTY_TEXT[sub]());
  const more = items.length >= LIMIT[status] ? "+" : "";
  setText($("#mod-list-count"), lists[status].loaded ? `${items.length}${more}` : "…");
  updateListSelection(true);
}

function updateListSelection(scroll) {
  const list = $("#mod-list");
  let row = null;
  for (const el of list.children) {
    const on = el.dataset.id === selection[sub];
    el.setAttribute("aria-selected", String(on));
    if (on) row = el;
  }
  if (row) {
    list.setAttribute("aria-activedescendant", row.id);
    if (scroll) scrollInto(list, row);
  } else {
    list.removeAttribute("aria-activedescendant");
  }
}

/** Keep a row visible inside the list without scrolling the page. */
function scrollInto(list, row) {
  if (list.scrollHeight <= list.clientHeight + 1) return;
  const top = row.offsetTop - list.offsetTop;
  if (top < list.scrollTop + 8) list.scrollTop = Math.max(0, top - 40);
  else if (top + row.offsetHeight > list.scrollTop + list.clientHeight - 8) {
    list.scrollTop = top + row.offsetHeight - list.clientHeight + 40;
  }
}

function renderAges() {
  if (!open || !listStatus()) return;
  const items = new Map(currentList().map((m) => [m.id, m]));
  for (const row of $$("#mod-list > .mod-item")) {
    const m = items.get(row.dataset.id);
    if (m) setText(row.querySelector(".mod-age"), ageText(m));
  }
  const m = current();
  if (m) setText($("#mod-m-age"), `${ago(m.created_at)} · ${clock(m.created_at)}`);
}

// --- rendering: the selected message ----------------------------------------------------------------------

function renderDetail() {
  if (!listStatus()) return;
  const m = current();
  $("#mod-detail").hidden = !m;
  $("#mod-nothing").hidden = Boolean(m) || !lists[listStatus()].loaded;
  renderActions(m);
  renderConfirm();
  if (!m) {
    scheduleHistory(false);
    return;
  }
  setClass($("#mod-detail"), "busy", inflight.has(m.id));
  // The picture: reloaded only when what it shows changed, so it never flickers.
  const img = previewImg();
  const url = previewUrl(m);
  if (img.dataset.url !== url) {
    img.dataset.url = url;
    $("#mod-preview").dataset.state = "loading";
    img.src = url;
  }
  setText($("#mod-text"), m.text);
  $("#mod-text").hidden = editing === m.id;
  $("#mod-edit-form").hidden = editing !== m.id;
  const notes = $("#mod-notes");
  notes.hidden = !m.notes;
  setText($("#mod-notes-text"), m.notes || "");
  setText($("#mod-m-name"), m.name || "—");
  setClass($("#mod-m-name"), "dim", !m.name);
  setText($("#mod-m-country"), displayName("region", m.country) || "—");
  setText($("#mod-m-lang"), displayName("language", m.lang) || "—");
  setText($("#mod-m-source"), m.source || "—");
  setText($("#mod-m-age"), `${ago(m.created_at)} · ${clock(m.created_at)}`);
  let status = m.status === "pending" ? t("waiting") : m.status === "approved" ? t("on the wall") : t("rejected");
  if (m.pinned) status += ` · ${t("pinned")}`;
  if (m.status !== "pending" && m.decided_by) {
    status += ` · ${t("by {who} {ago}", { who: m.decided_by, ago: ago(m.decided_at) })}`;
  }
  setText($("#mod-m-status"), status);
  const sender = $("#mod-m-sender");
  setText(sender, m.sender || "—");
  sender.title = m.sender || "";
  const isBlocked = Boolean(m.sender && blocked.has(m.sender));
  $("#mod-m-blocked").hidden = !isBlocked;
  scheduleHistory(false);
}

function setButton(sel, ok, label) {
  const button = $(sel);
  const can = session.canOperate;
  button.disabled = !can || !ok;
  if (label !== undefined) setText(button.querySelector(".mbtn-label"), label);
  if (!can) button.title = viewerTip();
  else button.removeAttribute("title");
}

function renderActions(m) {
  const st = m ? m.status : null;
  const isBlocked = Boolean(m && m.sender && blocked.has(m.sender));
  setButton("#mod-approve", m && st !== "approved", st === "rejected" ? t("Approve after all") : t("Approve"));
  setButton("#mod-reject", m && st !== "rejected", st === "approved" ? t("Take down") : t("Reject"));
  setButton("#mod-pin", m && st !== "rejected", m && m.pinned ? t("Unpin") : t("Pin"));
  setButton("#mod-edit", Boolean(m));
  setButton("#mod-block", m && m.sender && !isBlocked, isBlocked ? t("Sender blocked") : t("Block sender"));
  $("#mod-pin").setAttribute("aria-pressed", String(Boolean(m && m.pinned)));
  $("#mod-edit-save").disabled = !session.canOperate;
  $("#mod-confirm-yes").disabled = !session.canOperate;
}

/** The preview's <img>, made the first time there is a message to show. */
function previewImg() {
  let img = $("#mod-preview-img");
  if (img) return img;
  img = h("img", { id: "mod-preview-img", alt: t("The message as the wall will show it") });
  img.addEventListener("load", onPreviewLoad);
  img.addEventListener("error", () => {
    $("#mod-preview").dataset.state = "error";
  });
  $("#mod-preview").prepend(img);
  return img;
}

function onPreviewLoad() {
  $("#mod-preview").dataset.state = "ready";
  // Draw the next ones while the moderator reads this one: A, A, A never waits for a picture.
  const items = currentList();
  const index = items.findIndex((m) => m.id === selection[sub]);
  for (const m of items.slice(index + 1, index + 3)) {
    const url = previewUrl(m);
    if (prefetched.has(url)) continue;
    prefetched.add(url);
    if (prefetched.size > 500) prefetched.clear();
    new Image().src = url;
  }
}

function scheduleHistory(force) {
  const m = current();
  const key = m ? `${m.id}@${rev}@${m.decided_at}@${contentHash(m)}` : "";
  if (!force && key === historyKey) return;
  const sameMessage = historyKey.split("@")[0] === (m ? m.id : "");
  historyKey = key;
  clearTimeout(historyTimer);
  const box = $("#mod-history");
  if (!m) {
    box.replaceChildren();
    return;
  }
  if (!sameMessage) box.replaceChildren(h("li", { class: "muted" }, "…"));
  historyTimer = setTimeout(() => loadHistory(m.id), HISTORY_MS);
}

async function loadHistory(id) {
  const reply = await quietly(api("GET", `/api/v1/moderation/log?limit=50&message=${encodeURIComponent(id)}`));
  const m = current();
  if (!reply || !Array.isArray(reply.decisions) || !m || m.id !== id) return;
  const rows = reply.decisions.map((d) =>
    h(
      "li",
      { class: "mod-h-row" },
      h("time", { class: "mod-h-at", datetime: d.at || "", title: clock(d.at) }, ago(d.at)),
      decisionPill(d.decision),
      h("span", { class: "mod-h-by" }, d.by || ""),
      d.detail ? h("span", { class: "mod-h-detail" }, d.detail) : null,
    ),
  );
  rows.push(
    h(
      "li",
      { class: "mod-h-row" },
      h("time", { class: "mod-h-at", datetime: m.created_at || "", title: clock(m.created_at) }, ago(m.created_at)),
      h("span", { class: "dpill d-received" }, DECISIONS.received()),
      h("span", { class: "mod-h-by" }, m.source || ""),
    ),
  );
  $("#mod-history").replaceChildren(...rows);
}

// --- rendering: the log, blocked senders, blocklists ------------------------------------------------------

function renderLog() {
  const body = $("#mod-log-body");
  if (!body) return;
  const rows = logRows.map((d) => {
    const m = d.message_id ? known.get(d.message_id) : null;
    let what;
    if (m) what = h("span", { class: "log-excerpt", dir: "auto", title: m.text }, excerpt(m.text));
    else if (d.message_id) what = h("span", { class: "log-id" }, d.message_id.slice(0, 10));
    else what = h("span", { class: "muted" }, "—");
    return h(
      "tr",
      {},
      h("td", { class: "log-at" }, h("time", { datetime: d.at || "", title: ago(d.at) }, clock(d.at))),
      h("td", { class: "log-by" }, d.by || ""),
      h("td", {}, decisionPill(d.decision)),
      h("td", { class: "log-msg" }, what, d.sender ? h("span", { class: "log-sender" }, d.sender) : null),
      h("td", { class: "log-detail" }, d.detail || ""),
    );
  });
  body.replaceChildren(...rows);
  $("#mod-log-empty").hidden = logRows.length > 0;
}

function renderBlocked() {
  const body = $("#mod-blocked-body");
  if (!body) return;
  const can = session.canOperate;
  const rows = [...blocked.values()].map((b) =>
    h(
      "tr",
      {},
      h("td", { class: "blk-sender" }, b.sender),
      h("td", {}, h("time", { datetime: b.at || "", title: clock(b.at) }, ago(b.at))),
      h("td", {}, b.by || ""),
      h("td", { class: "blk-reason" }, b.reason || ""),
      h(
        "td",
        { class: "blk-actions" },
        h(
          "button",
          {
            type: "button",
            class: "btn btn-small mod-unblock",
            "data-sender": b.sender,
            disabled: !can,
            title: can ? t("Accept this sender's messages again") : viewerTip(),
          },
          t("Unblock"),
        ),
      ),
    ),
  );
  body.replaceChildren(...rows);
  $("#mod-blocked-empty").hidden = rows.length > 0 || !blockedLoaded;
  $("#mod-blocked-table").hidden = rows.length === 0;
}

async function unblock(sender) {
  if (!session.canOperate) {
    viewerToast();
    return;
  }
  try {
    await api("DELETE", `/api/v1/moderation/blocked/${encodeURIComponent(sender)}`);
    blocked.delete(sender);
    renderBlocked();
    ctx.toast("ok", t("Sender unblocked"), t("Their new messages go to the queue again."));
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.status !== 401) showError(err);
  } finally {
    fetchBlocked();
  }
}

function currentBlocklist() {
  return blocklists.find((b) => b.lang === blLang) || null;
}

function langLabel(code) {
  if (code === "*") return t("* · every language");
  return displayName("language", code);
}

function renderBlocklists(resetText) {
  const select = $("#bl-lang");
  select.replaceChildren(
    ...blocklists.map((b) => {
      const kind = b.unsaved ? t("new") : b.edited ? t("edited") : t("built in");
      const draft = blDrafts.has(b.lang) ? ` · ${t("unsaved")}` : "";
      return h("option", { value: b.lang }, `${langLabel(b.lang)} — ${kind}, ${fmtInt(b.entries.length)}${draft}`);
    }),
  );
  if (blLang) select.value = blLang;
  const list = currentBlocklist();
  const area = $("#bl-entries");
  if (resetText || !blDrafts.has(blLang)) {
    const text = blDrafts.has(blLang) ? blDrafts.get(blLang) : list ? list.entries.join("\n") : "";
    if (area.value !== text) area.value = text;
  }
  const state = $("#bl-state");
  const kind = !list ? "" : list.unsaved ? t("new list") : list.edited ? t("edited here") : t("built in");
  setText(state, kind);
  state.dataset.kind = !list ? "" : list.unsaved ? "new" : list.edited ? "edited" : "builtin";
  renderBlocklistControls();
  countEntries();
}

function renderBlocklistControls() {
  const can = session.canOperate;
  const save = $("#bl-save");
  if (!save) return;
  save.disabled = !can || !blLang;
  save.title = can ? "" : viewerTip();
  $("#bl-entries").readOnly = !can;
  setClass($("#bl-dirty"), "on", blDrafts.has(blLang));
  $("#bl-dirty").hidden = !blDrafts.has(blLang);
}

function blocklistLines() {
  const lines = $("#bl-entries").value.split(/\r?\n/);
  const entries = [];
  const lineOf = [];
  lines.forEach((raw, i) => {
    const entry = raw.trim();
    if (!entry) return;
    entries.push(entry);
    lineOf.push(i + 1);
  });
  return { entries, lineOf };
}

function countEntries() {
  const { entries } = blocklistLines();
  setText($("#bl-count"), tn("{count} entry", "{count} entries", entries.length, { count: fmtInt(entries.length) }));
}

function clearBlocklistError() {
  setText($("#bl-error"), "");
  $("#bl-entries").removeAttribute("aria-invalid");
}

async function saveBlocklist() {
  if (!session.canOperate) {
    viewerToast();
    return;
  }
  if (!blLang) return;
  clearBlocklistError();
  const lang = blLang;
  const { entries, lineOf } = blocklistLines();
  const save = $("#bl-save");
  save.disabled = true;
  try {
    const reply = await api("PUT", `/api/v1/moderation/blocklists/${encodeURIComponent(lang)}`, { entries });
    blDrafts.delete(lang);
    const index = blocklists.findIndex((b) => b.lang === lang);
    const saved = { lang, entries: Array.isArray(reply && reply.entries) ? reply.entries : entries, edited: true };
    if (index >= 0) blocklists[index] = saved;
    else blocklists.push(saved);
    if (blLang === lang) renderBlocklists(true);
    const what = tn(
      "{language}: {count} entry. New messages are screened with it.",
      "{language}: {count} entries. New messages are screened with it.",
      saved.entries.length,
      { language: langLabel(lang), count: fmtInt(saved.entries.length) },
    );
    ctx.toast("ok", t("Blocklist saved"), what);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    const match = /^entries\[(\d+)\]$/.exec(err.field || "");
    if (match || err.field === "entries" || err.field === "lang") {
      const line = match ? lineOf[Number(match[1])] || Number(match[1]) + 1 : 0;
      const reason = withoutField(err.message, err.field);
      setText($("#bl-error"), match ? t("Line {number}: {reason}", { number: line, reason }) : reason);
      if (err.field !== "lang") $("#bl-entries").setAttribute("aria-invalid", "true");
    } else if (err.status !== 401) {
      showError(err);
    }
  } finally {
    renderBlocklistControls();
  }
}

/** Show another language's list. Unsaved edits stay in blDrafts: switching to look loses nothing. */
function pickBlocklist(lang) {
  blLang = lang;
  clearBlocklistError();
  renderBlocklists(true);
}

function openOtherLanguage() {
  const input = $("#bl-new");
  const code = input.value.trim();
  if (!/^(\*|[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*)$/.test(code)) {
    setText($("#bl-error"), t("A language code is two or three letters, such as de, pt-BR, or * for every language."));
    input.focus();
    return;
  }
  const lang = code === "*" ? "*" : code.replace(/^[A-Za-z]+/, (x) => x.toLowerCase());
  if (!blocklists.some((b) => b.lang === lang)) blocklists.push({ lang, entries: [], edited: false, unsaved: true });
  input.value = "";
  pickBlocklist(lang);
  $("#bl-entries").focus();
}

// --- sub-views --------------------------------------------------------------------------------------------

function setSub(name) {
  if (name === sub) return;
  confirming = null;
  if (editing) closeEdit();
  sub = name;
  for (const tab of $$("#mod-tabs .mod-tab")) tab.setAttribute("aria-selected", String(tab.dataset.sub === name));
  const isList = Boolean(STATUS_OF[name]);
  $("#mod-queue").hidden = !isList;
  $("#mod-log-pane").hidden = name !== "log";
  $("#mod-blocklists-pane").hidden = name !== "blocklists";
  $("#mod-blocked-pane").hidden = name !== "blocked";
  $("#mod-keys").hidden = !isList;
  if (isList) {
    historyKey = "";
    renderList();
    renderDetail();
  }
  refresh();
}

// --- wiring ------------------------------------------------------------------------------------------------

export function initModeration(context) {
  ctx = context;
  onLanguageChange(() => {
    setPending(pending);
    if (listStatus()) {
      renderList();
      renderDetail();
      historyKey = "";
      scheduleHistory(true);
    }
    renderLog();
    renderBlocked();
    if (blocklists.length) renderBlocklists(false);
  });
  for (const tab of $$("#mod-tabs .mod-tab")) tab.addEventListener("click", () => setSub(tab.dataset.sub));
  const list = $("#mod-list");
  list.addEventListener("click", (e) => {
    const row = e.target.closest(".mod-item");
    if (!row) return;
    select(row.dataset.id, false);
    if (window.matchMedia(PHONE).matches) $("#mod-detail").scrollIntoView({ block: "start", behavior: "smooth" });
  });
  for (const [name, sel] of Object.entries(ACTION_BUTTONS)) $(sel).addEventListener("click", () => run(name));
  $("#mod-confirm-yes").addEventListener("click", () => {
    const m = current();
    if (m && confirming === m.id) block(m);
  });
  $("#mod-confirm-no").addEventListener("click", cancelConfirm);
  const form = $("#mod-edit-form");
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    saveEdit();
  });
  // Enter saves and Escape cancels, in either field; the show's keys never see them.
  form.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      closeEdit();
      renderDetail();
    } else if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      e.stopPropagation();
      saveEdit();
    }
  });
  $("#mod-edit-cancel").addEventListener("click", () => {
    closeEdit();
    renderDetail();
  });
  $("#mod-blocked-body").addEventListener("click", (e) => {
    const button = e.target.closest(".mod-unblock");
    if (button && !button.disabled) unblock(button.dataset.sender);
  });
  $("#bl-lang").addEventListener("change", (e) => pickBlocklist(e.target.value));
  $("#bl-open").addEventListener("click", openOtherLanguage);
  $("#bl-new").addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      openOtherLanguage();
    }
  });
  $("#bl-entries").addEventListener("input", () => {
    const list = currentBlocklist();
    const value = $("#bl-entries").value;
    if (list && value === list.entries.join("\n")) blDrafts.delete(blLang);
    else blDrafts.set(blLang, value);
    clearBlocklistError();
    renderBlocklistControls();
    countEntries();
  });
  $("#bl-save").addEventListener("click", saveBlocklist);
  $("#mod-log-refresh").addEventListener("click", fetchLog);
}
