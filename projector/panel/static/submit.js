// The public message form: one POST to /api/v1/messages. Strings from the
// server are shown with textContent only.
const form = document.getElementById("message-form");
const text = document.getElementById("text");
const count = document.getElementById("count");
const country = document.getElementById("country");
const result = document.getElementById("result");
const send = document.getElementById("send");

// The browser's own locale is the best guess for language and country.
const locale = navigator.language || "";
const region = locale.split("-")[1];
if (region && region.length === 2) country.value = region.toUpperCase();

text.addEventListener("input", () => { count.textContent = String(text.value.length); });
country.addEventListener("input", () => { country.value = country.value.toUpperCase(); });

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  result.className = "";
  if (!text.value.trim()) {
    result.textContent = "Please write a message first.";
    result.className = "error";
    return;
  }
  send.disabled = true;
  const body = { text: text.value, name: document.getElementById("name").value };
  if (country.value) body.country = country.value;
  if (/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(locale)) body.lang = locale;
  try {
    const response = await fetch("/api/v1/messages", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({}));
    if (response.ok) {
      result.textContent = answer.status === "approved"
        ? "Thank you! Your message is on its way to the screens."
        : "Thank you! Your message will appear once a volunteer has read it.";
      result.className = "ok";
      form.reset();
      count.textContent = "0";
    } else {
      result.textContent = (answer.error && answer.error.message) || "Sorry, that did not work. Please try again.";
      result.className = "error";
    }
  } catch {
    result.textContent = "No connection. Please try again in a moment.";
    result.className = "error";
  } finally {
    send.disabled = false;
  }
});
