// The brand kit's headline fonts: the packaged ones and the fonts uploaded to the server
// (POST /api/v1/fonts, which checks each one: a sound TTF/OTF with the Latin letters,
// the digits and a family name, under the SIL Open Font License). brand.js fills its
// font select from here; an upload that the server refuses shows its reason under the field.

import { api, ApiError, quietly } from "./api.js";
import { $, h, setText } from "./dom.js";
import { t } from "./i18n.js";

const PACKAGED = { anton: "Anton", "noto-sans": "Noto Sans" };

/** The <option>s of the headline font select: packaged fonts, then uploaded ones (newest first). */
export async function fontOptions(packaged, current) {
  const options = packaged.map((f) => h("option", { value: f }, PACKAGED[f] || f));
  const listed = await quietly(api("GET", "/api/v1/fonts"));
  const uploads = (listed && listed.fonts) || [];
  for (const font of uploads) {
    const family = font.family ? `${font.family} ${font.style || ""}`.trim() : font.name || t("uploaded font");
    options.push(h("option", { value: font.font, title: font.licence || "" }, `${family} · ${t("uploaded")} · ${font.hash.slice(0, 8)}`));
  }
  if (current && !options.some((o) => o.value === current)) {
    options.push(h("option", { value: current }, current.startsWith("upload:") ? current.slice(7, 15) : current));
  }
  return options;
}

async function upload(file) {
  const path = `/api/v1/fonts?name=${encodeURIComponent(file.name || "upload")}`;
  return api("POST", path, file, { contentType: file.type || "application/octet-stream" });
}

/** Wire the "Upload a font (OFL)" input: on success, `chosen(font)` gets the kit's value for it. */
export function initFontUpload(ctx, chosen) {
  const input = $("#br-font-upload");
  input.addEventListener("change", async () => {
    const file = input.files && input.files[0];
    input.value = "";
    if (!file || !ctx.canEnter()) return;
    const error = $('[data-error-for="font"]');
    setText(error, "");
    const label = $("#br-font-upload-label");
    label.setAttribute("aria-busy", "true");
    try {
      const font = await upload(file);
      await chosen(font.font);
      ctx.toast("ok", t("Font uploaded"), t("{family} is checked and chosen; save the brand to use it.", { family: font.family }));
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (err.status !== 401) setText(error, err.message);
    } finally {
      label.removeAttribute("aria-busy");
    }
  });
}
