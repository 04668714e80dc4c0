// Run history: recorded forecasts, rankings and recommendations, newest
// first, each list paged on its own.

import { call, gateway, type Gateway } from "../api";
import { showError, type Page, type PageContext } from "../page";
import { fmt, h, replace, section, table } from "../ui";

type Child = Parameters<typeof h>[2];

interface Listing<R> {
  title: string;
  method: string;
  list: (g: Gateway, token: string, o: Parameters<Gateway["listForecastRuns"]>[1]) => Promise<{ runs: R[]; nextPageToken: string }>;
  headers: string[];
  row: (run: R) => Child[];
}

const PAGE_SIZE = 20;

function listing<R>(ctx: PageContext, l: Listing<R>): HTMLElement {
  const body = h("div", { "aria-busy": "true" });
  const more = h("button", { type: "button" }, `More ${l.title.toLowerCase()}`);
  let next = "";
  const rows: Child[][] = [];
  const load = async () => {
    try {
      const response = await call(ctx.session, l.method, (o) => l.list(gateway, next, o));
      rows.push(...response.runs.map(l.row));
      next = response.nextPageToken;
      replace(body, table(`${l.title}, newest first`, l.headers, rows, { "data-list": l.method }));
      more.hidden = !next;
    } catch (error) {
      more.hidden = true;
      replace(body, showError(ctx, error));
    }
    body.removeAttribute("aria-busy");
  };
  more.addEventListener("click", () => void load());
  void load();
  return section(l.title, body, more);
}

async function render(ctx: PageContext): Promise<void> {
  replace(
    ctx.main,
    h("h1", {}, "Run history"),
    listing(ctx, {
      title: "Forecast runs",
      method: "ListForecastRuns",
      list: (g, pageToken, o) => g.listForecastRuns({ pageSize: PAGE_SIZE, pageToken }, o),
      headers: ["recorded", "series", "model", "horizon (days)", "history", "MASE", "trace id"],
      row: (r) => [
        fmt.time(r.recordedAtUnixMs),
        r.series || "total revenue",
        r.model,
        String(r.horizonDays),
        String(r.historyPoints),
        r.accuracy ? fmt.decimal(r.accuracy.mase) : "n/a",
        h("code", {}, r.traceId),
      ],
    }),
    listing(ctx, {
      title: "Ranking runs",
      method: "ListRankingRuns",
      list: (g, pageToken, o) => g.listRankingRuns({ pageSize: PAGE_SIZE, pageToken }, o),
      headers: ["recorded", "window (days)", "entries", "first", "trace id"],
      row: (r) => [
        fmt.time(r.recordedAtUnixMs),
        String(r.windowDays),
        String(r.entries.length),
        r.entries.find((e) => e.rank === 1)?.name ?? "n/a",
        h("code", {}, r.traceId),
      ],
    }),
    listing(ctx, {
      title: "Recommendation runs",
      method: "ListRecommendationRuns",
      list: (g, pageToken, o) => g.listRecommendationRuns({ pageSize: PAGE_SIZE, pageToken }, o),
      headers: ["recorded", "recommendations", "trace id"],
      row: (r) => [fmt.time(r.recordedAtUnixMs), String(r.recommendations.length), h("code", {}, r.traceId)],
    }),
  );
}

export const runs: Page = { path: "/runs", title: "Run history", render };
