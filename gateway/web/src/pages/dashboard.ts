// The dashboard: KPI cards against the previous window, the revenue history
// with the forecast and its bands, and why that model; kept live through
// WatchDashboard.

import { call, gateway, Trace } from "../api";
import { forecastFigure, historyOf } from "../chart";
import type { GetKpisResponse } from "../gen/forecastmesh/gateway/v1/gateway_pb";
import { modelSection } from "../model";
import { showError, type Page, type PageContext } from "../page";
import { fmt, h, replace, section, errorBox } from "../ui";

const WINDOW_DAYS = 30;

type Key = "revenue" | "orders" | "customers" | "averageOrderValue" | "units";
const CARDS: { key: Key; label: string; format: (v: number) => string }[] = [
  { key: "revenue", label: "Revenue", format: fmt.money },
  { key: "orders", label: "Orders", format: fmt.count },
  { key: "customers", label: "Customers", format: fmt.count },
  { key: "averageOrderValue", label: "Average order value", format: fmt.money2 },
  { key: "units", label: "Units", format: fmt.count },
];

function cards(response: GetKpisResponse): HTMLElement {
  const kpis = response.kpis;
  const change = response.change;
  return section(
    "Key figures",
    h(
      "p",
      { class: "muted" },
      kpis ? `${kpis.windowStart} to ${kpis.windowEnd}, against the ${WINDOW_DAYS} days before` : "",
    ),
    h(
      "ul",
      { class: "cards" },
      ...CARDS.map(({ key, label, format }) => {
        const value = Number(kpis?.[key] ?? 0);
        const delta: number | undefined = change?.[key];
        const direction = delta === undefined ? "" : delta > 0 ? "up" : delta < 0 ? "down" : "flat";
        return h(
          "li",
          { class: "card", "data-kpi": key, "data-value": String(value) },
          h("span", { class: "label" }, label),
          h("span", { class: "value" }, format(value)),
          h(
            "span",
            { class: `change ${direction}`, "data-change": delta === undefined ? "" : String(delta) },
            delta === undefined
              ? "no previous figure"
              : `${direction === "up" ? "▲" : direction === "down" ? "▼" : "="} ${fmt.change(delta)} vs previous ${WINDOW_DAYS} days`,
          ),
        );
      }),
    ),
  );
}

async function render(ctx: PageContext): Promise<void> {
  const interval = Math.min(300, Math.max(1, Number(ctx.params.get("live") ?? 30) || 30));
  const status = h("p", { class: "live", role: "status", "aria-live": "polite", "data-updates": "0" }, "Connecting…");
  const kpiSlot = h("div", { "aria-busy": "true" });
  const chartSlot = h("div", { "aria-busy": "true" }, h("p", {}, "Loading the forecast…"));
  const errorSlot = h("div");
  replace(ctx.main, h("h1", {}, "Dashboard"), status, errorSlot, kpiSlot, chartSlot);

  const loadKpis = async () => {
    try {
      const response = await call(ctx.session, "GetKpis", (o) =>
        gateway.getKpis({ windowDays: WINDOW_DAYS }, o),
      );
      replace(kpiSlot, cards(response));
      kpiSlot.removeAttribute("aria-busy");
    } catch (error) {
      replace(kpiSlot, showError(ctx, error));
    }
  };
  await loadKpis();

  let updates = 0;
  let renewed = false;
  for (;;) {
    const trace = new Trace();
    try {
      const stream = gateway.watchDashboard(
        { intervalSeconds: interval, forecastDays: 30 },
        trace.options(ctx.session, ctx.signal),
      );
      for await (const message of stream) {
        updates += 1;
        replace(errorSlot);
        if (updates > 1) await loadKpis();
        if (message.forecast) {
          replace(
            chartSlot,
            section(
              "Revenue and forecast",
              forecastFigure("Daily revenue: history and 30-day forecast", historyOf(message.history), message.forecast),
            ),
            modelSection(message.forecast),
          );
          chartSlot.removeAttribute("aria-busy");
        }
        status.dataset.updates = String(updates);
        status.textContent = `Live: updated ${fmt.time(message.refreshedAtUnixMs)} (every ${interval} s, update ${updates})`;
      }
      if (ctx.signal.aborted) return;
      status.textContent = "The live feed ended; reconnecting…";
      await new Promise((resolve) => setTimeout(resolve, 2000));
    } catch (error) {
      if (ctx.signal.aborted) return;
      const failure = trace.failure("WatchDashboard", error);
      if (failure.code === "UNAUTHENTICATED" && !renewed && (await ctx.session.renew())) {
        renewed = true;
        continue;
      }
      status.textContent = "The live feed stopped.";
      replace(errorSlot, errorBox(failure, () => void ctx.session.signIn()));
      return;
    }
  }
}

export const dashboard: Page = { path: "/", title: "Dashboard", render };
