// The forecast chart: history, the point forecast and its 80% and 95% bands
// (uPlot), plus the same figures as a table for screen readers and keyboard
// users.

import uPlot from "uplot";
import type { DailySales, Forecast } from "./gen/forecastmesh/gateway/v1/gateway_pb";
import { fmt, h, table } from "./ui";

function seconds(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) / 1000;
}

function band(forecast: Forecast, level: number): { lower: (number | null)[]; upper: (number | null)[] } {
  const lower: (number | null)[] = [];
  const upper: (number | null)[] = [];
  for (const point of forecast.points) {
    const interval = point.intervals.find((i) => Math.abs(i.level - level) < 1e-9);
    lower.push(interval ? interval.lower : null);
    upper.push(interval ? interval.upper : null);
  }
  return { lower, upper };
}

/** Draws `history` (the last `historyDays` of it) and `forecast` into a new figure. */
export function forecastFigure(
  title: string,
  history: { date: string; value: number }[],
  forecast: Forecast,
  historyDays = 180,
): HTMLElement {
  const shown = history.slice(-historyDays);
  const xs = [...shown.map((d) => seconds(d.date)), ...forecast.points.map((p) => seconds(p.date))];
  const pad = (n: number) => Array<number | null>(n).fill(null);
  const hist = [...shown.map((d) => d.value), ...pad(forecast.points.length)];
  const point = [...pad(shown.length), ...forecast.points.map((p) => p.value)];
  const b80 = band(forecast, 0.8);
  const b95 = band(forecast, 0.95);
  const data: uPlot.AlignedData = [
    xs,
    hist,
    point,
    [...pad(shown.length), ...b95.upper],
    [...pad(shown.length), ...b80.upper],
    [...pad(shown.length), ...b80.lower],
    [...pad(shown.length), ...b95.lower],
  ];
  const plot = h("div", {
    class: "chart",
    role: "img",
    "aria-label": `${title}: ${shown.length} days of history and ${forecast.points.length} forecast periods with 80% and 95% intervals; the table below lists the forecast`,
  });
  const figure = h(
    "figure",
    { class: "forecast-figure" },
    h("figcaption", {}, title),
    plot,
    h(
      "details",
      {},
      h("summary", {}, "The forecast as a table"),
      table(
        `${title}: forecast points`,
        ["date", "forecast", "80% interval", "95% interval"],
        forecast.points.map((p, i) => [
          p.date,
          fmt.money(p.value),
          b80.lower[i] === null ? "n/a" : `${fmt.money(b80.lower[i]!)} – ${fmt.money(b80.upper[i]!)}`,
          b95.lower[i] === null ? "n/a" : `${fmt.money(b95.lower[i]!)} – ${fmt.money(b95.upper[i]!)}`,
        ]),
        { class: "forecast-table" },
      ),
    ),
  );
  const opts = (width: number): uPlot.Options => ({
    width,
    height: Math.max(220, Math.min(360, Math.round(width * 0.45))),
    legend: { show: true, live: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true } },
    axes: [{}, { values: (_u, ticks) => ticks.map((t) => fmt.money(t)), size: 70 }],
    series: [
      {},
      { label: "history", stroke: "#1f4e79", width: 1.5 },
      { label: "forecast", stroke: "#b34700", width: 2, dash: [6, 3] },
      { label: "95% upper", stroke: "rgba(179,71,0,0.25)", width: 1 },
      { label: "80% upper", stroke: "rgba(179,71,0,0.45)", width: 1 },
      { label: "80% lower", stroke: "rgba(179,71,0,0.45)", width: 1 },
      { label: "95% lower", stroke: "rgba(179,71,0,0.25)", width: 1 },
    ],
    bands: [
      { series: [3, 6], fill: "rgba(179,71,0,0.10)" },
      { series: [4, 5], fill: "rgba(179,71,0,0.22)" },
    ],
  });
  // Drawn once the figure is in the document and has a width.
  requestAnimationFrame(() => {
    const width = Math.max(280, plot.clientWidth || 600);
    const chart = new uPlot(opts(width), data, plot);
    const observer = new ResizeObserver(() => {
      if (!plot.isConnected) {
        observer.disconnect();
        chart.destroy();
        return;
      }
      const w = Math.max(280, plot.clientWidth);
      if (Math.abs(w - chart.width) > 4) chart.setSize({ width: w, height: opts(w).height });
    });
    observer.observe(plot);
  });
  return figure;
}

export function historyOf(days: DailySales[]): { date: string; value: number }[] {
  return days.map((d) => ({ date: d.date, value: d.revenue }));
}
