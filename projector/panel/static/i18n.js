// The panel's and /submit's words in the reader's language.
//
// English is the source: every string in the page and the scripts is an English
// msgid, and a language's catalog (GET /i18n/panel/<lang>.json, compiled from
// projector/i18n/locales/<lang>/LC_MESSAGES/panel.po) maps it to its words. A
// string the catalog lacks shows in English, never blank.
//
//   t("Live total")                          -> "Total en direct"
//   t("Identifying {name}", {name})          -> placeholders are {name}, filled as text
//   tn("{count} cue", "{count} cues", n, {count: fmtInt(n)})  -> the language's plural form
//
// Static markup is marked up, not scripted:
//   <h2 data-i18n>Displays</h2>                 its text is the msgid
//   <p data-i18n>Build one in <button data-i18n-arg="editor">Edit show</button>.</p>
//       msgid "Build one in {editor}."; the child element is kept and moved where the
//       translation puts {editor} (it may be translated itself with its own data-i18n)
//   <input placeholder="GB" data-i18n-placeholder>, data-i18n-title, data-i18n-aria-label
// The first pass stores each msgid in its data-i18n* attribute, so later passes (another
// language) translate from English again. Text a script writes is translated by that
// script with t(), and re-rendered from onLanguageChange().

/** The shipped languages, each by its own name (what a reader looks for in a list). */
export const LANGUAGES = [
  ["en", "English"],
  ["fr", "Français"],
  ["tr", "Türkçe"],
  ["es", "Español"],
  ["ar", "العربية"],
  ["ru", "Русский"],
  ["km", "ខ្មែរ"],
  ["th", "ไทย"],
  ["pt", "Português"],
  ["de", "Deutsch"],
];
const SHIPPED = new Set(LANGUAGES.map(([code]) => code));
const RTL = new Set(["ar", "fa", "he", "ur"]);
const ATTRIBUTES = ["placeholder", "title", "aria-label"];

let lang = "en";
let messages = {};
let plurals = {};
let categories = ["one", "other"];
let pluralRules = null;
const loaded = new Map(); // lang -> the catalog's JSON, so switching back costs nothing
const listeners = new Set();
let switches = 0; // the latest setLanguage call wins, however the catalogs' answers arrive

// --- words --------------------------------------------------------------------------------------

function fill(text, values) {
  if (!values) return text;
  return text.replace(/\{(\w+)\}/g, (whole, key) =>
    Object.hasOwn(values, key) && values[key] !== null && values[key] !== undefined ? String(values[key]) : whole,
  );
}

/** The words for `msgid` in the current language (English when the catalog lacks them). */
export function t(msgid, values) {
  const found = messages[msgid];
  return fill(typeof found === "string" && found ? found : msgid, values);
}

/** Counted words: the language's plural form for `n` (CLDR's rules, as the catalog orders them). */
export function tn(singular, plural, n, values) {
  const forms = plurals[singular];
  if (Array.isArray(forms) && forms.length) {
    let index = forms.length - 1;
    try {
      pluralRules = pluralRules || new Intl.PluralRules(lang);
      const at = categories.indexOf(pluralRules.select(n));
      if (at >= 0 && at < forms.length) index = at;
    } catch {
      /* an old browser without PluralRules: the last form ("other") */
    }
    if (forms[index]) return fill(forms[index], values);
  }
  return fill(n === 1 ? singular : plural, values);
}

/** The current language's code ("en", "ar", ...). */
export function language() {
  return lang;
}

export function isRtl() {
  return RTL.has(lang);
}

/** The shipped language a tag asks for ("pt-BR" -> "pt"), or null. */
export function shipped(tag) {
  const base = String(tag || "").trim().replace(/_/g, "-").split("-")[0].toLowerCase();
  return SHIPPED.has(base) ? base : null;
}

/** The first of the browser's languages that ships, else English. */
export function browserLanguage() {
  const wanted = Array.isArray(navigator.languages) && navigator.languages.length ? navigator.languages : [navigator.language];
  for (const tag of wanted) {
    const found = shipped(tag);
    if (found) return found;
  }
  return "en";
}

export function storedLanguage(key) {
  try {
    return shipped(localStorage.getItem(key));
  } catch {
    return null; // storage refused (private mode): the choice lasts this page only
  }
}

export function rememberLanguage(key, code) {
  try {
    localStorage.setItem(key, code);
  } catch {
    /* see storedLanguage */
  }
}

/** Call `fn(lang)` after every language change (to re-render what a script wrote). */
export function onLanguageChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

async function fetchCatalog(code) {
  if (code === "en") return { lang: "en", dir: "ltr", messages: {}, plurals: {}, plural_categories: ["one", "other"] };
  if (loaded.has(code)) return loaded.get(code);
  const response = await fetch(`/i18n/panel/${encodeURIComponent(code)}.json`, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`catalog ${code}: HTTP ${response.status}`);
  const catalog = await response.json();
  loaded.set(code, catalog);
  return catalog;
}

/**
 * Switch to a shipped language: load its catalog, set <html lang dir>, translate the
 * marked-up page (templates too), then tell the listeners. A catalog that cannot be
 * loaded leaves the page in English (with a warning), never half-empty.
 */
export async function setLanguage(code) {
  const wanted = shipped(code) || "en";
  const mine = ++switches;
  let catalog;
  try {
    catalog = await fetchCatalog(wanted);
  } catch (err) {
    console.warn(`projector: no ${wanted} words (${err && err.message}); English it is`);
    catalog = await fetchCatalog("en");
  }
  if (mine !== switches) return lang; // a later choice is on its way
  lang = catalog.lang || wanted;
  messages = catalog.messages && typeof catalog.messages === "object" ? catalog.messages : {};
  plurals = catalog.plurals && typeof catalog.plurals === "object" ? catalog.plurals : {};
  categories = Array.isArray(catalog.plural_categories) ? catalog.plural_categories : ["one", "other"];
  pluralRules = null;
  const root = document.documentElement;
  root.lang = lang;
  root.dir = catalog.dir === "rtl" || RTL.has(lang) ? "rtl" : "ltr";
  translatePage();
  root.removeAttribute("data-i18n-pending");
  for (const fn of listeners) {
    try {
      fn(lang);
    } catch (err) {
      console.error(err);
    }
  }
  return lang;
}

// --- marked-up markup ----------------------------------------------------------------------------------

/** Translate the document and every <template> (rows and cards are cloned from them later). */
export function translatePage() {
  translateTree(document);
  for (const template of document.querySelectorAll("template")) translateTree(template.content);
}

const normal = (text) => String(text || "").replace(/\s+/g, " ").trim();

/** The msgid of an element's own text: its text with each data-i18n-arg child as {name}. */
function msgidOf(el) {
  let text = "";
  for (const node of el.childNodes) {
    if (node.nodeType === Node.TEXT_NODE) text += node.data;
    else if (node.nodeType === Node.ELEMENT_NODE && node.hasAttribute("data-i18n-arg")) {
      text += `{${node.getAttribute("data-i18n-arg")}}`;
    }
  }
  return normal(text);
}

function translateText(el) {
  let id = el.getAttribute("data-i18n");
  if (!id) {
    id = msgidOf(el);
    if (!id) return;
    el.setAttribute("data-i18n", id);
  }
  const args = new Map();
  for (const child of el.children) {
    if (child.hasAttribute("data-i18n-arg")) args.set(child.getAttribute("data-i18n-arg"), child);
  }
  const text = t(id);
  if (!args.size) {
    if (el.textContent !== text) el.textContent = text;
    return;
  }
  // Words around kept elements: the translation decides the order; an element it
  // forgets is put at the end rather than lost.
  const nodes = [];
  for (const [i, part] of text.split(/\{(\w+)\}/).entries()) {
    if (i % 2 === 0) {
      if (part) nodes.push(document.createTextNode(part));
    } else if (args.has(part)) {
      nodes.push(args.get(part));
      args.delete(part);
    } else {
      nodes.push(document.createTextNode(`{${part}}`));
    }
  }
  for (const rest of args.values()) nodes.push(document.createTextNode(" "), rest);
  el.replaceChildren(...nodes);
}

function translateAttribute(el, name) {
  const marker = `data-i18n-${name}`;
  let id = el.getAttribute(marker);
  if (!id) {
    id = normal(el.getAttribute(name));
    if (!id) return;
    el.setAttribute(marker, id);
  }
  el.setAttribute(name, t(id));
}

/** Translate every marked element under `root` (a document, element or fragment). */
export function translateTree(root) {
  const own = root.nodeType === Node.ELEMENT_NODE ? [root] : [];
  const all = (selector) => [...own.filter((el) => el.matches(selector)), ...root.querySelectorAll(selector)];
  for (const el of all("[data-i18n]")) translateText(el);
  for (const name of ATTRIBUTES) {
    for (const el of all(`[data-i18n-${name}]`)) translateAttribute(el, name);
  }
}

// --- a language <select> -----------------------------------------------------------------------------------

/**
 * Fill `select` with the shipped languages by their own names, show `current`, and call
 * `onPick(code)` when the reader picks another. Each option says its language (lang="..."),
 * so a screen reader reads "ខ្មែរ" as Khmer.
 */
export function languageSelect(select, current, onPick) {
  select.replaceChildren(
    ...LANGUAGES.map(([code, name]) => {
      const option = document.createElement("option");
      option.value = code;
      option.lang = code;
      option.textContent = name;
      return option;
    }),
  );
  select.value = current;
  select.addEventListener("change", () => onPick(select.value));
}
