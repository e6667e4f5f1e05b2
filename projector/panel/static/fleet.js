// The fleet on each display card: groups, latency offset, clock, health and alerts;
// identify / reload / retire buttons and a small form to rename, regroup, set
// the latency, the locale and the safe area (operators only; safe_area.js). A display that
// raises a new alert (offline, silent, slow, fallback) turns its card red or
// amber and pops a toast. Everything a person or a display wrote goes in through
// textContent.

import { api, ApiError, session } from "./api.js";
import { $, fmtNum, h, setClass, setText, withoutField } from "./dom.js";
import { LANGUAGES, language, t } from "./i18n.js";
import { refreshRetired } from "./retired.js";
import { safeAreaEditor } from "./safe_area.js";

const seenAlerts = new Map(); // display name -> Set of alert codes already announced
let firstPush = true;

/** An alert's title ("Display offline"); an alert the panel does not know, by its code. */
function alertTitle(code) {
  switch (code) {
    case "offline":
      return t("Display offline");
    case "silent":
      return t("Display silent");
    case "slow":
      return t("Display under its frame rate");
    case "fallback":
      return t("Display shows the fallback card");
    default:
      return null;
  }
}

function toast(kind, title, text) {
  const el = h(
    "div",
    { class: `toast ${kind}`, role: kind === "error" ? "alert" : "status", title: t("Click to dismiss") },
    h("strong", { class: "toast-title" }, title),
    text ? h("span", { class: "toast-text" }, text) : null,
  );
  el.addEventListener("click", () => el.remove());
  const box = $("#toasts");
  if (!box) return;
  box.append(el);
  while (box.children.length > 4) box.firstElementChild.remove();
  setTimeout(() => el.remove(), kind === "error" ? 8000 : 5000);
}

/** Toast every alert that was not there at the last push (not those present when the panel opened). */
export function announceAlerts(displays) {
  const names = new Set();
  for (const d of displays) {
    names.add(d.name);
    const alerts = Array.isArray(d.alerts) ? d.alerts : [];
    const before = seenAlerts.get(d.name) || new Set();
    const now = new Set(alerts.map((a) => a.code));
    if (!firstPush) {
      for (const a of alerts) {
        if (!before.has(a.code)) {
          const alert = alertTitle(a.code) || t("Display alert");
          const title = t("{alert}: {name}", { alert, name: d.name });
          toast(a.level === "red" ? "error" : "warn", title, a.message);
        }
      }
    }
    seenAlerts.set(d.name, now);
  }
  for (const name of [...seenAlerts.keys()]) if (!names.has(name)) seenAlerts.delete(name);
  firstPush = false;
}

function fleetSection(card) {
  let box = card.querySelector(".fleet");
  if (box) return box;
  box = h(
    "div",
    { class: "fleet" },
    h("div", { class: "fleet-alerts" }),
    h("div", { class: "fleet-groups", "aria-label": t("Groups") }),
    h("div", { class: "fleet-health small muted" }),
    h("div", { class: "fleet-actions" }),
  );
  card.querySelector(".display-info").append(box);
  return box;
}

function chip(text) {
  return h("span", { class: "fleet-chip" }, text);
}

function act(label, title, run) {
  return h("button", { type: "button", class: "btn btn-small btn-quiet fleet-btn", title, onclick: run }, label);
}

async function call(method, path, body, done) {
  try {
    await api(method, path, body);
    if (done) toast("status", done);
  } catch (err) {
    toast("error", t("Refused"), err.message || String(err));
  }
}

function editForm(card, d) {
  const box = fleetSection(card);
  if (box.querySelector(".fleet-form")) return;
  const name = h("input", { class: "fleet-in-name", value: d.name, maxlength: 100, "aria-label": t("Name") });
  const groups = h("input", {
    class: "fleet-in-groups",
    value: (d.groups || []).join(", "),
    placeholder: t("facade, lobby"),
    "aria-label": t("Groups, comma separated"),
  });
  const latency = h("input", {
    class: "fleet-in-latency",
    type: "number",
    min: 0,
    max: 1000,
    step: 1,
    value: d.latency_ms || 0,
    "aria-label": t("Latency offset in ms"),
  });
  const locale = localeSelect(d.locale);
  const safe = safeAreaEditor(card, d);
  const close = () => {
    safe.close();
    form.remove();
  };
  const field = (label, input, key) =>
    h("label", {}, h("span", {}, label), input, h("small", { class: "field-error", "data-for": key }));
  // novalidate: the server is the judge, and its refusal is shown next to the field it names.
  const form = h(
    "form",
    { class: "fleet-form", novalidate: true },
    field(t("Name"), name, "name"),
    field(t("Groups"), groups, "groups"),
    field(t("Latency ms"), latency, "latency_ms"),
    field(t("Locale"), locale, "locale"),
    safe.element,
    h(
      "div",
      { class: "fleet-form-buttons" },
      h("button", { type: "submit", class: "btn btn-small btn-primary" }, t("Save")),
      h("button", { type: "button", class: "btn btn-small", onclick: close }, t("Cancel")),
    ),
  );
  const refused = (err, target) => {
    if (!(err instanceof ApiError) || err.status !== 422 || !err.field) {
      toast("error", t("Not saved"), err.message || String(err));
      return;
    }
    if (err.field === "output" || err.field.startsWith("safe_area")) {
      safe.showError(err.field, err.message, target);
      return;
    }
    const small = form.querySelector(`.field-error[data-for="${CSS.escape(err.field.split(/[.[]/)[0])}"]`);
    if (!small) {
      toast("error", t("Not saved"), err.message);
      return;
    }
    setText(small, withoutField(err.message, err.field));
    small.previousElementSibling?.setAttribute("aria-invalid", "true");
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    for (const small of form.querySelectorAll(".field-error")) setText(small, "");
    for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
    const body = {
      groups: groups.value.split(",").map((g) => g.trim()).filter(Boolean),
      latency_ms: latency.value.trim() === "" ? 0 : Number(latency.value),
    };
    if (name.value.trim() && name.value.trim() !== d.name) body.name = name.value.trim();
    // Sent only when changed: "" is the display's own locale (null), anything else a locale tag.
    if (locale.value !== (d.locale || "")) body.locale = locale.value || null;
    const changes = safe.pending();
    const whole = changes.find(([target]) => target === "");
    if (whole) body.safe_area = whole[1];
    let path = `/api/v1/displays/${encodeURIComponent(d.name)}`;
    try {
      const reply = await api("PUT", path, body);
      if (whole) safe.stored("", whole[1]);
      path = `/api/v1/displays/${encodeURIComponent((reply && reply.name) || d.name)}`;
    } catch (err) {
      refused(err, "");
      return;
    }
    // Each output's safe area has its own address; the display hears each at once.
    for (const [output, area] of changes.filter(([target]) => target !== "")) {
      try {
        await api("PUT", `${path}/outputs/${encodeURIComponent(output)}/safe-area`, area);
        safe.stored(output, area);
      } catch (err) {
        refused(err, output);
        return;
      }
    }
    close();
  });
  box.append(form);
  name.focus();
}

/** Add the fleet's part to a display card (called by displays.js on every render). */
export function decorateCard(card, d) {
  const box = fleetSection(card);
  const alerts = Array.isArray(d.alerts) ? d.alerts : [];
  const level = alerts.some((a) => a.level === "red") ? "red" : alerts.length ? "amber" : "";
  setClass(card, "alert-red", level === "red");
  setClass(card, "alert-amber", level === "amber");
  card.dataset.alert = alerts.map((a) => a.code).join(" ");
  const alertBox = box.querySelector(".fleet-alerts");
  const alertText = alerts
    .map((a) => t("{alert}: {message}", { alert: alertTitle(a.code) || a.code, message: a.message }))
    .join(" · ");
  setText(alertBox, alertText);

  const groupBox = box.querySelector(".fleet-groups");
  const groupKey = (d.groups || []).join("\u0000");
  if (groupBox.dataset.key !== groupKey) {
    groupBox.dataset.key = groupKey;
    groupBox.replaceChildren(...(d.groups || []).map(chip));
  }

  const parts = [];
  if (typeof d.latency_ms === "number" && d.latency_ms > 0) {
    parts.push(t("latency {ms} ms", { ms: fmtNum(d.latency_ms, 0) }));
  }
  const masked = (d.safe_area ? 1 : 0) + Object.keys(d.output_safe_areas || {}).length;
  if (masked) parts.push(t("safe area set"));
  if (d.locale) parts.push(t("locale {tag}", { tag: d.locale }));
  if (typeof d.clock_offset_ms === "number") {
    const offset = `${d.clock_offset_ms >= 0 ? "+" : ""}${fmtNum(d.clock_offset_ms, 1)}`;
    parts.push(t("clock {offset} ms", { offset }));
  }
  if (typeof d.rtt_ms === "number") parts.push(t("rtt {ms} ms", { ms: fmtNum(d.rtt_ms, 1) }));
  if (typeof d.dropped_frames === "number") parts.push(t("{count} dropped", { count: fmtNum(d.dropped_frames, 0) }));
  if (typeof d.memory_mb === "number") parts.push(t("{mib} MiB", { mib: fmtNum(d.memory_mb, 0) }));
  if (typeof d.temperature_c === "number") parts.push(t("{degrees} °C", { degrees: fmtNum(d.temperature_c, 0) }));
  setText(box.querySelector(".fleet-health"), parts.join(" · "));
  const last = d.last_error && !d.error ? t("last error: {error}", { error: d.last_error }) : "";
  box.querySelector(".fleet-health").title = last;

  const actions = box.querySelector(".fleet-actions");
  const operate = session.canOperate;
  const key = `${operate}|${d.connected !== false}|${language()}`;
  if (actions.dataset.key !== key) {
    actions.dataset.key = key;
    const path = () => `/api/v1/displays/${encodeURIComponent(card.dataset.name)}`;
    actions.replaceChildren(
      ...(operate
        ? [
            d.connected !== false
              ? act(t("Identify"), t("Show this display's ident card for 5 s"), () =>
                  call("POST", `${path()}/identify`, {}, t("Identifying {name}", { name: card.dataset.name })),
                )
              : null,
            d.connected !== false
              ? act(t("Reload"), t("Re-enter its scenes and reconnect"), () =>
                  call("POST", `${path()}/reload`, {}, t("Reloading {name}", { name: card.dataset.name })),
                )
              : null,
            act(t("Edit"), t("Rename, groups, latency offset, locale, safe area"), () =>
              editForm(card, currentOf(card)),
            ),
            act(t("Retire"), t("Forget this display and refuse it until un-retired"), () => {
              const question = t("Retire {name}? It is disconnected and refused until un-retired.", {
                name: card.dataset.name,
              });
              if (window.confirm(question)) {
                call("POST", `${path()}/retire`, {}, t("{name} retired", { name: card.dataset.name })).then(
                  refreshRetired,
                );
              }
            }),
          ].filter(Boolean)
        : []),
    );
  }
  card._fleet = d;
}

function currentOf(card) {
  return card._fleet || { name: card.dataset.name, groups: [], latency_ms: 0 };
}

/**
 * The display's locale: its own (--locale, else the campaign's language) or one the
 * operator sets here. A tag set elsewhere (tr-TR, through the API) stays listed as it is.
 */
function localeSelect(current) {
  const options = [
    h("option", { value: "" }, t("— display's own —")),
    ...LANGUAGES.map(([code, name]) => h("option", { value: code, lang: code }, `${name} · ${code}`)),
  ];
  if (current && !LANGUAGES.some(([code]) => code === current)) {
    options.splice(1, 0, h("option", { value: current }, current));
  }
  const select = h("select", { class: "fleet-in-locale", "aria-label": t("Locale") }, ...options);
  select.value = current || "";
  return select;
}
