// The public message form: one POST to /api/v1/messages, in the supporter's language.
// The server sends the page in the language their browser asks for (or ?lang=, which
// a QR code can carry); the switcher changes it and this browser remembers the choice.
// Strings from the server are shown with textContent only.
import { language, languageSelect, onLanguageChange, rememberLanguage, setLanguage, shipped, storedLanguage, t } from "./i18n.js";

const LANG_KEY = "projector.submit.lang";
const form = document.getElementById("message-form");
const text = document.getElementById("text");
const count = document.getElementById("count");
const country = document.getElementById("country");
const result = document.getElementById("result");
const send = document.getElementById("send");
const picker = document.getElementById("lang");

// The browser's own locale is the best guess for the message's language and the country.
const locale = navigator.language || "";
const region = locale.split("-")[1];
if (region && region.length === 2) country.value = region.toUpperCase();

// What #result says, kept as a function so a language change says it again in the new words.
let said = null;

function say(kind, words, detail = "") {
  said = { kind, words, detail };
  renderResult();
}

function renderResult() {
  result.className = said ? said.kind : "";
  if (!said) {
    result.replaceChildren();
    return;
  }
  const parts = [document.createTextNode(said.words())];
  if (said.detail) {
    // The server's own words (English, naming the field): kept, but as the detail.
    const small = document.createElement("small");
    small.className = "detail";
    small.dir = "auto";
    small.textContent = said.detail;
    parts.push(small);
  }
  result.replaceChildren(...parts);
}

/** The message's language: the page's, unless the browser says the same language more precisely (fr-FR). */
function messageLanguage() {
  const valid = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(locale);
  if (valid && shipped(locale) === language()) return locale;
  return language();
}

function refusal(status, answer) {
  const error = (answer && answer.error) || {};
  const detail = error.message || "";
  if (status === 429) return [() => t("Too many messages from here. Please try again in a minute."), detail];
  if (error.field === "text") return [() => t("Please check your message."), detail];
  if (error.field === "name") return [() => t("Please check your first name."), detail];
  if (error.field === "country") return [() => t("Please check your country: two letters, such as FR."), detail];
  return [() => t("Sorry, that did not work. Please try again."), detail];
}

text.addEventListener("input", () => {
  count.textContent = String(text.value.length);
});
country.addEventListener("input", () => {
  country.value = country.value.toUpperCase();
});

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!text.value.trim()) {
    say("error", () => t("Please write a message first."));
    text.focus();
    return;
  }
  if (country.value && !/^[A-Za-z]{2}$/.test(country.value)) {
    say("error", () => t("Please check your country: two letters, such as FR."));
    country.focus();
    return;
  }
  say("", () => "");
  send.disabled = true;
  const body = { text: text.value, name: document.getElementById("name").value, lang: messageLanguage() };
  if (country.value) body.country = country.value;
  try {
    const response = await fetch("/api/v1/messages", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({}));
    if (response.ok) {
      say(
        "ok",
        answer.status === "approved"
          ? () => t("Thank you! Your message is on its way to the screens.")
          : () => t("Thank you! Your message will appear once a volunteer has read it."),
      );
      form.reset();
      count.textContent = "0";
    } else {
      const [words, detail] = refusal(response.status, answer);
      say("error", words, detail);
    }
  } catch {
    say("error", () => t("No connection. Please try again in a moment."));
  } finally {
    send.disabled = false;
  }
});

async function pick(code) {
  rememberLanguage(LANG_KEY, code);
  // The address says the choice too, so a reload (or a shared link) keeps it over a QR code's ?lang=.
  const url = new URL(location.href);
  url.searchParams.set("lang", code);
  history.replaceState(null, "", url);
  await setLanguage(code);
}

onLanguageChange(() => {
  picker.value = language();
  renderResult();
});

// ?lang= (a QR code's), else this browser's earlier choice, else what the server chose
// from Accept-Language (the page's <html lang>).
const asked = shipped(new URLSearchParams(location.search).get("lang"));
await setLanguage(asked || storedLanguage(LANG_KEY) || shipped(document.documentElement.lang) || "en");
languageSelect(picker, language(), pick);
