// Retired displays under the display cards: each with when it was retired and, for operators,
// Un-retire (POST /api/v1/displays/{name}/unretire), after which it may connect again.
// The list comes with GET /api/v1/displays (`retired`); the live link does not carry it, so it is
// fetched again after a retire or an un-retire. Names go in through textContent.

import { api, quietly, session } from "./api.js";
import { $, fmtAgo, h, setText, toMillis } from "./dom.js";
import { onLanguageChange, t } from "./i18n.js";

let retired = []; // [{name, hello_name, retired_at}]
let report = () => {}; // (kind, title, text): the panel's toast

export function initRetired(context) {
  report = context.toast;
  onLanguageChange(render);
}

export function applyRetired(list) {
  retired = Array.isArray(list) ? list.filter((d) => d && typeof d.name === "string") : [];
  render();
}

export async function refreshRetired() {
  const reply = await quietly(api("GET", "/api/v1/displays"));
  if (reply) applyRetired(reply.retired);
}

async function unretire(name) {
  try {
    await api("POST", `/api/v1/displays/${encodeURIComponent(name)}/unretire`, {});
    report("status", t("{name} un-retired", { name }), t("It may connect again."));
  } catch (err) {
    report("error", t("Refused"), err.message || String(err));
  }
  await refreshRetired();
}

export function render() {
  const box = $("#retired-box");
  if (!box) return;
  box.hidden = retired.length === 0;
  setText($("#retired-count"), retired.length ? String(retired.length) : "");
  $("#retired-list").replaceChildren(
    ...retired.map((d) =>
      h(
        "li",
        { class: "retired-row", "data-name": d.name },
        h("span", { class: "retired-name" }, d.name),
        h("span", { class: "muted small" }, t("retired {ago}", { ago: fmtAgo(toMillis(d.retired_at)) })),
        session.canOperate
          ? h(
              "button",
              {
                type: "button",
                class: "btn btn-small retired-unretire",
                title: t("Let this display connect again, with its name, groups and settings"),
                onclick: () => unretire(d.name),
              },
              t("Un-retire"),
            )
          : null,
      ),
    ),
  );
}
