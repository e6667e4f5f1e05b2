// Small DOM and formatting helpers. Every string that came from the server or a
// person goes into the page through textContent or setAttribute, never innerHTML.
// Numbers, times and words follow the panel's language (i18n.js).

import { language, t, tn } from "./i18n.js";

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

/** Create an element: h("li", {class: "x", title: t}, "text", child). Strings become text nodes. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";

export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined) continue;
    if (key === "text") el.textContent = value;
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** A fresh copy of a <template>'s first element. */
export function fromTemplate(id) {
  return document.getElementById(id).content.firstElementChild.cloneNode(true);
}

/** Set text only when it changed, so re-rendering ten times a second costs nothing. */
export function setText(el, text) {
  const value = text === null || text === undefined ? "" : String(text);
  if (el.textContent !== value) el.textContent = value;
}

export function setClass(el, name, on) {
  el.classList.toggle(name, Boolean(on));
}

/**
 * The locale numbers and dates are written in: the panel's language, in Latin digits
 * (what the displays draw, and what an operator reads off a cue sheet).
 */
export function numberLocale() {
  return `${language()}-u-nu-latn`;
}

const formats = new Map(); // "lang|options" -> Intl.NumberFormat

/** An Intl.NumberFormat for the panel's language, made once per language and options. */
export function numberFormat(options = {}) {
  const key = `${language()}|${JSON.stringify(options)}`;
  let format = formats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(numberLocale(), options);
    formats.set(key, format);
  }
  return format;
}

export function fmtInt(n) {
  return typeof n === "number" && Number.isFinite(n) ? numberFormat({ maximumFractionDigits: 0 }).format(n) : "–";
}

export function fmtNum(n, digits = 1) {
  if (typeof n !== "number" || !Number.isFinite(n)) return "–";
  return numberFormat({ maximumFractionDigits: digits, minimumFractionDigits: 0 }).format(n);
}

/** 75 -> "1:15", 3725 -> "1:02:05". */
export function fmtClock(seconds) {
  if (typeof seconds !== "number" || !Number.isFinite(seconds)) return "–:––";
  const whole = Math.max(0, Math.floor(seconds));
  const hh = Math.floor(whole / 3600);
  const mm = Math.floor((whole % 3600) / 60);
  const ss = String(whole % 60).padStart(2, "0");
  return hh > 0 ? `${hh}:${String(mm).padStart(2, "0")}:${ss}` : `${mm}:${ss}`;
}

/** "just now", "42 s ago", "5 min ago", "3 h ago". */
export function fmtAgo(epochMs, now = Date.now()) {
  if (!Number.isFinite(epochMs)) return t("never");
  const s = Math.max(0, Math.round((now - epochMs) / 1000));
  if (s < 5) return t("just now");
  if (s < 90) return t("{n} s ago", { n: fmtInt(s) });
  if (s < 90 * 60) return t("{n} min ago", { n: fmtInt(Math.round(s / 60)) });
  if (s < 48 * 3600) return t("{n} h ago", { n: fmtInt(Math.round(s / 3600)) });
  return t("{n} d ago", { n: fmtInt(Math.round(s / 86400)) });
}

/** RFC 3339 string or epoch seconds -> epoch milliseconds (NaN when unknown). */
export function toMillis(value) {
  if (typeof value === "number") return value * 1000;
  if (typeof value === "string") return Date.parse(value);
  return NaN;
}

/** "cues[1].hold: must be ..." next to the hold field reads better as "must be ...". */
export function withoutField(message, field) {
  const text = String(message || "");
  return field && text.startsWith(`${field}: `) ? text.slice(field.length + 2) : text;
}

/** crypto.randomUUID needs a secure context; a panel on http://192.168.x.y is not one. */
export function newId() {
  if (globalThis.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const CHANNELS = ["letter", "email", "sms", "fax", "tweet", "signature", "other"];

export const CHANNEL_COLORS = {
  letter: "#f5c518",
  email: "#38c7f4",
  sms: "#3ddc84",
  fax: "#b48cff",
  tweet: "#ff6fb5",
  signature: "#ff9640",
  other: "#9aa4b2",
};


export function channelColor(channel) {
  return CHANNEL_COLORS[channel] || "#c8ced8";
}

/** A colour square for a channel. The panel's CSP forbids style attributes; CSSOM is fine. */
export function swatch(channel) {
  const el = document.createElement("span");
  el.className = "swatch";
  el.style.background = channelColor(channel);
  return el;
}

/** The channel as a heading ("Letters"); a channel the panel does not know, as it is named. */
export function channelTitle(channel) {
  switch (channel) {
    case "letter":
      return t("Letters");
    case "email":
      return t("Emails");
    case "sms":
      return t("SMS");
    case "fax":
      return t("Faxes");
    case "tweet":
      return t("Tweets");
    case "signature":
      return t("Signatures");
    case "other":
      return t("Other");
    default:
      return String(channel);
  }
}

/** A transition's name in the panel's language (one the panel does not know, as it is). */
export function transitionName(name) {
  if (name === "cut") return t("cut");
  if (name === "crossfade") return t("crossfade");
  if (name === "wipe") return t("wipe");
  return String(name);
}

/** Counted: "1 letter", "1,800 letters" (each language's plural forms). */
export function countOf(n, channel) {
  const count = fmtInt(n);
  switch (channel) {
    case "letter":
      return tn("{count} letter", "{count} letters", n, { count });
    case "email":
      return tn("{count} email", "{count} emails", n, { count });
    case "sms":
      return tn("{count} SMS", "{count} SMS", n, { count });
    case "fax":
      return tn("{count} fax", "{count} faxes", n, { count });
    case "tweet":
      return tn("{count} tweet", "{count} tweets", n, { count });
    case "signature":
      return tn("{count} signature", "{count} signatures", n, { count });
    default:
      return tn("{count} action", "{count} actions", n, { count });
  }
}
