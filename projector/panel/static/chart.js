// Actions per hour by channel, as stacked bars in an inline <svg>. No library:
// a few dozen rectangles, redrawn when the data arrives or the card is resized.

import { CHANNELS, channelColor, channelTitle, fmtInt, h, numberFormat, s, swatch } from "./dom.js";
import { t } from "./i18n.js";

/** The smallest 1, 2 or 5 x 10^k at or above `value` (at least 1). */
export function niceMax(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * power >= value) return step * power;
  }
  return 10 * power;
}

function channelOrder(hours) {
  const seen = new Set();
  for (const hour of hours) for (const ch of Object.keys(hour.by_channel || {})) seen.add(ch);
  const known = CHANNELS.filter((c) => seen.has(c));
  const extra = [...seen].filter((c) => !CHANNELS.includes(c)).sort();
  return [...known, ...extra];
}

function hourLabel(start) {
  const d = new Date(start);
  return Number.isNaN(d.getTime()) ? "" : String(d.getHours()).padStart(2, "0");
}

/** Draw `hours` ([{start, by_channel}], oldest first) into `svg`; fill `legend` (a <ul>). */
export function drawChart(svg, legend, hours) {
  const width = Math.max(160, svg.clientWidth || svg.parentElement.clientWidth || 400);
  const height = Math.max(100, svg.clientHeight || svg.parentElement.clientHeight || 170);
  svg.replaceChildren();
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const pad = { left: 40, right: 4, top: 8, bottom: 20 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const order = channelOrder(hours);
  const sums = hours.map((hr) => Object.values(hr.by_channel || {}).reduce((a, b) => a + (Number(b) || 0), 0));
  const max = niceMax(Math.max(0, ...sums));
  const compact = numberFormat({ notation: "compact", maximumFractionDigits: 1 });

  const grid = s("g", { class: "grid" });
  for (const frac of [0, 0.5, 1]) {
    const y = pad.top + plotH - frac * plotH;
    grid.append(
      s("line", { x1: pad.left, x2: width - pad.right, y1: y, y2: y }),
      s("text", { x: pad.left - 6, y: y + 4, "text-anchor": "end", text: compact.format(max * frac) }),
    );
  }
  svg.append(grid);

  const n = hours.length;
  const slot = n > 0 ? plotW / n : plotW;
  const barW = Math.max(2, slot * 0.72);
  const labelEvery = slot >= 26 ? 1 : slot >= 12 ? 3 : 6;
  const bars = s("g", { class: "bars" });
  hours.forEach((hour, i) => {
    const x = pad.left + i * slot + (slot - barW) / 2;
    let y = pad.top + plotH;
    const label = hourLabel(hour.start);
    for (const channel of order) {
      const count = Number((hour.by_channel || {})[channel]) || 0;
      if (count <= 0) continue;
      const barH = (count / max) * plotH;
      y -= barH;
      const rect = s("rect", {
        class: "bar",
        "data-channel": channel,
        x: x.toFixed(1),
        y: y.toFixed(1),
        width: barW.toFixed(1),
        height: Math.max(1, barH).toFixed(1),
        rx: Math.min(2, barW / 4),
        fill: channelColor(channel),
      });
      rect.append(s("title", { text: `${label}:00 · ${channelTitle(channel)}: ${fmtInt(count)}` }));
      bars.append(rect);
    }
    if (i % labelEvery === 0) {
      bars.append(
        s("text", { x: (x + barW / 2).toFixed(1), y: height - 5, "text-anchor": "middle", text: label }),
      );
    }
  });
  svg.append(bars);

  if (sums.every((v) => v === 0)) {
    svg.append(
      s("text", {
        class: "empty-note",
        x: pad.left + plotW / 2,
        y: pad.top + plotH / 2,
        "text-anchor": "middle",
        text: n ? t("No actions in the last 24 hours") : t("No data yet"),
      }),
    );
  }

  if (legend) {
    legend.replaceChildren(
      ...order.map((channel) =>
        h("li", {}, swatch(channel), channelTitle(channel)),
      ),
    );
  }
}
