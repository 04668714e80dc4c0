// Why a forecast looks as it does: the chosen model, every candidate's
// backtest scores, the seasons found, the intervals' coverage, the notes.

import { Frequency, type Forecast, type ModelScore } from "./gen/forecastmesh/gateway/v1/gateway_pb";
import { fmt, h, section, table } from "./ui";

const UNIT: Record<number, string> = {
  [Frequency.UNSPECIFIED]: "days",
  [Frequency.DAILY]: "days",
  [Frequency.WEEKLY]: "weeks",
  [Frequency.MONTHLY]: "months",
  [Frequency.QUARTERLY]: "quarters",
  [Frequency.YEARLY]: "years",
};

function coverage(score: ModelScore | undefined, level: number): string {
  const found = score?.coverage.find((c) => Math.abs(c.level - level) < 1e-9);
  return found ? fmt.percent(found.coverage) : "n/a";
}

/** Returns the section explaining `forecast`. */
export function modelSection(forecast: Forecast): HTMLElement {
  const accuracy = forecast.accuracy;
  const unit = UNIT[forecast.frequency] ?? "periods";
  const baseline = forecast.candidates.find((c) => c.model.startsWith("SeasonalNaive"));
  const seasons = forecast.seasonalPeriods.length
    ? forecast.seasonalPeriods.join(", ") + ` ${unit}`
    : "none found";
  const why =
    `${forecast.model} had the lowest backtest error of ${forecast.candidates.length} candidates` +
    (accuracy ? ` (MASE ${fmt.decimal(accuracy.mase)}` : "") +
    (accuracy && baseline ? `, against ${fmt.decimal(baseline.mase)} for the seasonal naive baseline)` : accuracy ? ")" : "") +
    ". A MASE below 1 beats the seasonal naive forecast.";
  return section(
    "Model",
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Series"),
      h("dd", {}, forecast.series || "total revenue"),
      h("dt", {}, "Chosen model"),
      h("dd", { "data-field": "model" }, forecast.model),
      h("dt", {}, "Structure"),
      h("dd", {}, forecast.modelParameters || "n/a"),
      h("dt", {}, "Seasonality found"),
      h("dd", { "data-field": "seasons" }, seasons),
      h("dt", {}, "Fitted on"),
      h("dd", {}, `${fmt.count(forecast.historyPoints)} ${unit}, forecasting ${forecast.horizon} ${unit}`),
      h("dt", {}, "Interval coverage in backtests"),
      h("dd", {}, `80%: ${coverage(accuracy, 0.8)}; 95%: ${coverage(accuracy, 0.95)} of actuals inside`),
    ),
    h("p", { class: "why" }, "Why: ", why),
    table(
      "Candidates, best first (rolling-origin backtests)",
      ["model", "MASE", "sMAPE", "MAPE", "80% coverage", "95% coverage"],
      forecast.candidates.map((c) => [
        c.model === forecast.model ? h("strong", {}, `${c.model} (chosen)`) : c.model,
        fmt.decimal(c.mase),
        fmt.percent(c.smape),
        c.mape === undefined ? "n/a" : fmt.percent(c.mape),
        coverage(c, 0.8),
        coverage(c, 0.95),
      ]),
      { class: "candidates" },
    ),
    forecast.notes.length
      ? h("div", {}, h("h3", {}, "Notes"), h("ul", {}, ...forecast.notes.map((n) => h("li", {}, n))))
      : null,
  );
}
