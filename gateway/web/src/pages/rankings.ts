// Rankings: the top stock items and customers by revenue, with growth
// against the previous window and the trend the forecast expects.

import { call, gateway } from "../api";
import { RankedKind, type RankedEntry } from "../gen/forecastmesh/gateway/v1/gateway_pb";
import { showError, type Page, type PageContext } from "../page";
import { fmt, h, replace, section, table } from "../ui";

function rows(entries: RankedEntry[], kind: RankedKind) {
  return entries
    .filter((e) => e.kind === kind)
    .sort((a, b) => a.rank - b.rank)
    .map((e) => [
      String(e.rank),
      `${e.name} (#${e.entityId})`,
      fmt.money(e.revenue),
      fmt.money(e.previousRevenue),
      fmt.change(e.growth),
      fmt.change(e.forecastTrend),
    ]);
}

async function render(ctx: PageContext): Promise<void> {
  const topN = Math.min(100, Math.max(1, Number(ctx.params.get("top") ?? 10) || 10));
  const windowDays = Math.min(365, Math.max(1, Number(ctx.params.get("window") ?? 30) || 30));
  const result = h("div", { "aria-busy": "true" }, h("p", {}, "Ranking…"));
  const form = h(
    "form",
    {
      class: "controls",
      onsubmit: (event: Event) => {
        event.preventDefault();
        const data = new FormData(event.target as HTMLFormElement);
        window.location.hash = `#/rankings?top=${data.get("top")}&window=${data.get("window")}`;
      },
    },
    h("label", { for: "top" }, "Entries of each kind"),
    h("input", { id: "top", name: "top", type: "number", min: 1, max: 100, value: topN }),
    h("label", { for: "window" }, "Window (days)"),
    h("input", { id: "window", name: "window", type: "number", min: 1, max: 365, value: windowDays }),
    h("button", { type: "submit" }, "Rank"),
  );
  replace(ctx.main, h("h1", {}, "Rankings"), form, result);
  try {
    const { ranking } = await call(ctx.session, "GetRankings", (o) =>
      gateway.getRankings({ topN, windowDays }, o),
    );
    const entries = ranking?.entries ?? [];
    const headers = ["rank", "name", `revenue (${windowDays} days)`, "previous window", "growth", "forecast trend"];
    replace(
      result,
      h("p", { class: "muted" }, `Run ${ranking?.id ?? ""}, recorded ${ranking ? fmt.time(ranking.recordedAtUnixMs) : ""}.`),
      section("Stock items", table("Top stock items by revenue", headers, rows(entries, RankedKind.STOCK_ITEM), { "data-kind": "items" })),
      section("Customers", table("Top customers by revenue", headers, rows(entries, RankedKind.CUSTOMER), { "data-kind": "customers" })),
    );
  } catch (error) {
    replace(result, showError(ctx, error));
  }
  result.removeAttribute("aria-busy");
}

export const rankings: Page = { path: "/rankings", title: "Rankings", render };
