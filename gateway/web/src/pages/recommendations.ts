// Recommendations: restock, promote or review, each with its reason in
// words and the figures behind it.

import { call, gateway } from "../api";
import { RecommendationAction, type Recommendation } from "../gen/forecastmesh/gateway/v1/gateway_pb";
import { showError, type Page, type PageContext } from "../page";
import { fmt, h, replace } from "../ui";

const ACTIONS: Record<number, string> = {
  [RecommendationAction.RESTOCK]: "Restock",
  [RecommendationAction.PROMOTE]: "Promote",
  [RecommendationAction.REVIEW]: "Review",
};

function figure(name: string, value: number): string {
  const lower = name.toLowerCase();
  if (lower.includes("revenue")) return fmt.money(value);
  if (lower.includes("growth") || lower.includes("trend") || lower.includes("share")) return fmt.change(value);
  return fmt.decimal(value);
}

function item(r: Recommendation): HTMLElement {
  const action = ACTIONS[r.action] ?? "Unspecified";
  return h(
    "li",
    { class: "recommendation", "data-action": action.toLowerCase() },
    h("h2", {}, h("span", { class: `badge ${action.toLowerCase()}` }, action), " ", `${r.name} (#${r.stockItemId})`),
    h("p", {}, r.reason),
    h(
      "dl",
      { class: "figures" },
      ...Object.entries(r.figures)
        .sort(([a], [b]) => a.localeCompare(b))
        .flatMap(([name, value]) => [h("dt", {}, name.replaceAll("_", " ")), h("dd", {}, figure(name, value))]),
    ),
  );
}

async function render(ctx: PageContext): Promise<void> {
  const list = h("div", { "aria-busy": "true" }, h("p", {}, "Loading recommendations…"));
  const filter = h(
    "select",
    { id: "action-filter" },
    h("option", { value: "" }, "every action"),
    ...Object.values(ACTIONS).map((a) => h("option", { value: a.toLowerCase() }, a)),
  );
  const count = h("p", { role: "status", class: "muted" });
  replace(
    ctx.main,
    h("h1", {}, "Recommendations"),
    h("div", { class: "controls" }, h("label", { for: "action-filter" }, "Show"), filter),
    count,
    list,
  );
  try {
    const { run } = await call(ctx.session, "GetRecommendations", (o) =>
      gateway.getRecommendations({ windowDays: 30 }, o),
    );
    const all = run?.recommendations ?? [];
    const show = () => {
      const chosen = filter.value;
      const shown = all.filter((r) => !chosen || (ACTIONS[r.action] ?? "").toLowerCase() === chosen);
      count.textContent = `${shown.length} of ${all.length} recommendations (run ${run?.id ?? ""})`;
      replace(list, shown.length ? h("ul", { class: "recommendations" }, ...shown.map(item)) : h("p", {}, "None."));
    };
    filter.addEventListener("change", show);
    show();
  } catch (error) {
    replace(list, showError(ctx, error));
  }
  list.removeAttribute("aria-busy");
}

export const recommendations: Page = { path: "/recommendations", title: "Recommendations", render };
