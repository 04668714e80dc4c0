// Forecast any series: a stock item, a customer, or dates and values pasted
// or uploaded as CSV; the horizon in the series' own periods.

import { call, gateway } from "../api";
import { forecastFigure } from "../chart";
import {
  Frequency,
  MissingValues,
  type ForecastSeriesRequest,
  type RankedEntry,
} from "../gen/forecastmesh/gateway/v1/gateway_pb";
import { modelSection } from "../model";
import { failureOf, showError, type Page, type PageContext } from "../page";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ForecastSeriesRequestSchema } from "../gen/forecastmesh/gateway/v1/gateway_pb";
import { errorBox, h, replace, section } from "../ui";

type Point = { date: string; value: number; missing: boolean };

/** Parses "date,value" lines; a header line and blank lines are skipped; an empty value is missing. */
export function parseCsv(text: string): Point[] {
  const points: Point[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    const trimmed = line.trim();
    if (!trimmed) return;
    const [date, raw = ""] = trimmed.split(/[,;\t]/).map((s) => s.trim().replace(/^"|"$/g, ""));
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) {
      if (index === 0) return; // a header
      throw new Error(`line ${index + 1}: "${date}" is not a date (YYYY-MM-DD)`);
    }
    if (raw === "" || raw.toLowerCase() === "null" || raw.toLowerCase() === "na") {
      points.push({ date, value: 0, missing: true });
      return;
    }
    const value = Number(raw);
    if (!Number.isFinite(value)) throw new Error(`line ${index + 1}: "${raw}" is not a number`);
    points.push({ date, value, missing: false });
  });
  if (!points.length) throw new Error("the CSV holds no date,value lines");
  return points;
}

function options(entries: RankedEntry[], kind: "items" | "customers"): HTMLOptionElement[] {
  const wanted = kind === "items" ? 1 : 2;
  return entries
    .filter((e) => e.kind === wanted)
    .map((e) => h("option", { value: String(e.entityId) }, `${e.name} (#${e.entityId})`));
}

async function render(ctx: PageContext): Promise<void> {
  const result = h("div", { "aria-live": "polite" });
  const item = h("select", { id: "item", name: "item" });
  const customer = h("select", { id: "customer", name: "customer" });
  const csv = h("textarea", {
    id: "csv",
    name: "csv",
    rows: 8,
    placeholder: "date,value\n2024-01-01,120\n2024-02-01,\n2024-03-01,131",
    "aria-describedby": "csv-help",
  });
  const file = h("input", { id: "csv-file", type: "file", accept: ".csv,text/csv,text/plain" });
  file.addEventListener("change", async () => {
    const chosen = file.files?.[0];
    if (chosen) csv.value = await chosen.text();
  });
  const radio = (value: string, label: string, checked = false) =>
    h("label", { class: "choice" }, h("input", { type: "radio", name: "source", value, checked }), " ", label);
  const form = h(
    "form",
    { class: "stack", "aria-label": "Series to forecast" },
    h(
      "fieldset",
      {},
      h("legend", {}, "Series"),
      radio("item", "A stock item", true),
      radio("customer", "A customer"),
      radio("csv", "My own series (CSV)"),
    ),
    h("div", { class: "field" }, h("label", { for: "item" }, "Stock item"), item),
    h("div", { class: "field" }, h("label", { for: "customer" }, "Customer"), customer),
    h(
      "div",
      { class: "field" },
      h("label", { for: "frequency" }, "Totals (stock item or customer)"),
      h(
        "select",
        { id: "frequency", name: "frequency" },
        h("option", { value: String(Frequency.DAILY) }, "daily"),
        h("option", { value: String(Frequency.WEEKLY) }, "weekly"),
        h("option", { value: String(Frequency.MONTHLY) }, "monthly"),
      ),
    ),
    h(
      "div",
      { class: "field" },
      h("label", { for: "csv" }, "CSV of dates and values"),
      h("p", { id: "csv-help", class: "muted" }, "One line per period: YYYY-MM-DD,value. An empty value is missing and is filled by interpolation."),
      csv,
      h("label", { for: "csv-file" }, "or upload a CSV file"),
      file,
    ),
    h("div", { class: "field" }, h("label", { for: "horizon" }, "Horizon (periods of the series)"), h("input", { id: "horizon", name: "horizon", type: "number", min: 1, max: 366, value: 14, required: true })),
    h("button", { type: "submit" }, "Forecast"),
  );
  replace(ctx.main, h("h1", {}, "Forecast a series"), form, result);

  try {
    const { ranking } = await call(ctx.session, "GetRankings", (o) => gateway.getRankings({ topN: 25, windowDays: 90 }, o));
    replace(item, ...options(ranking?.entries ?? [], "items"));
    replace(customer, ...options(ranking?.entries ?? [], "customers"));
  } catch (error) {
    replace(result, showError(ctx, error));
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const source = String(data.get("source"));
    const horizon = Number(data.get("horizon"));
    let request: MessageInitShape<typeof ForecastSeriesRequestSchema>;
    let history: { date: string; value: number }[] = [];
    try {
      if (source === "csv") {
        const points = parseCsv(csv.value);
        history = points.filter((p) => !p.missing);
        request = {
          horizon,
          series: {
            case: "inline",
            value: { points, missingValues: MissingValues.INTERPOLATE },
          },
        };
      } else {
        const id = BigInt(String(data.get(source)));
        request = {
          horizon,
          frequency: Number(data.get("frequency")) as Frequency,
          series: source === "item" ? { case: "stockItemId", value: id } : { case: "customerId", value: id },
        };
      }
    } catch (error) {
      replace(result, errorBox({ ...failureOf(error, "ForecastSeries"), code: "INVALID_INPUT", message: String((error as Error).message ?? error) }));
      return;
    }
    replace(result, h("p", { role: "status" }, "Forecasting…"));
    try {
      const { forecast } = await call(ctx.session, "ForecastSeries", (o) => gateway.forecastSeries(request, o));
      if (!forecast) throw new Error("the answer held no forecast");
      replace(
        result,
        section(`Forecast: ${forecast.series}`, forecastFigure(`${forecast.series}: forecast`, history, forecast, 400)),
        modelSection(forecast),
      );
    } catch (error) {
      replace(result, showError(ctx, error));
    }
  });
}

export const forecast: Page = { path: "/forecast", title: "Forecast a series", render };
export type { ForecastSeriesRequest };
