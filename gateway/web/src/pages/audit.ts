// The audit trail, newest first, a page at a time; filtered by method,
// status and trace id in the store, so every page holds only matches.

import { call, gateway } from "../api";
import { GatewayService, type AuditEntry } from "../gen/forecastmesh/gateway/v1/gateway_pb";
import { showError, type Page, type PageContext } from "../page";
import { fmt, h, replace, table } from "../ui";

const PAGE_SIZE = 50;
const STATUSES = [
  "OK",
  "INVALID_ARGUMENT",
  "UNAUTHENTICATED",
  "PERMISSION_DENIED",
  "NOT_FOUND",
  "RESOURCE_EXHAUSTED",
  "CANCELLED",
  "DEADLINE_EXCEEDED",
  "UNAVAILABLE",
  "INTERNAL",
];

function shortMethod(method: string): string {
  return method.split("/").pop() ?? method;
}

async function render(ctx: PageContext): Promise<void> {
  const tokens: string[] = [""];
  let entries: AuditEntry[] = [];
  let next = "";
  const method = h(
    "select",
    { id: "method-filter" },
    h("option", { value: "" }, "every method"),
    ...GatewayService.methods.map((m) => h("option", { value: m.name }, m.name)),
  );
  const status = h(
    "select",
    { id: "status-filter" },
    h("option", { value: "" }, "every status"),
    ...STATUSES.map((s) => h("option", { value: s }, s)),
  );
  const trace = h("input", {
    id: "trace-filter",
    type: "search",
    placeholder: "32 hex digits",
    spellcheck: "false",
    autocomplete: "off",
    size: "34",
  });
  const summary = h("p", { role: "status", class: "muted" });
  const body = h("div", { "aria-busy": "true" });
  const first = h("button", { type: "button" }, "First page");
  const more = h("button", { type: "button" }, "Next page");
  const filtered = () => Boolean(method.value || status.value || trace.value.trim());

  const draw = () => {
    // A filtered page can be short, even empty, before the log ends: one
    // call examines a bounded number of entries.
    const further = filtered() && next && entries.length < PAGE_SIZE ? " Next page looks further back." : "";
    summary.textContent = `Page ${tokens.length}: ${entries.length} ${filtered() ? "matching " : ""}entries.${further}`;
    replace(
      body,
      table(
        "Audit log, newest first",
        ["time", "method", "status", "principal", "trace id"],
        entries.map((e) => [
          fmt.time(e.recordedAtUnixMs),
          shortMethod(e.method),
          e.statusCode,
          h("code", { title: e.principal }, e.principal.slice(0, 12)),
          h("code", {}, e.traceId),
        ]),
        { class: "audit" },
      ),
    );
    more.disabled = !next;
    first.disabled = tokens.length === 1;
  };
  const load = async (token: string) => {
    body.setAttribute("aria-busy", "true");
    try {
      const response = await call(ctx.session, "ListAuditLogs", (o) =>
        gateway.listAuditLogs(
          {
            pageSize: PAGE_SIZE,
            pageToken: token,
            method: method.value,
            statusCode: status.value,
            traceId: trace.value.trim(),
          },
          o,
        ),
      );
      entries = response.entries;
      next = response.nextPageToken;
      draw();
    } catch (error) {
      more.disabled = true;
      first.disabled = tokens.length === 1;
      summary.textContent = "";
      replace(body, showError(ctx, error));
    }
    body.removeAttribute("aria-busy");
  };
  const restart = () => {
    tokens.length = 1;
    void load("");
  };
  method.addEventListener("change", restart);
  status.addEventListener("change", restart);
  trace.addEventListener("change", restart);
  more.addEventListener("click", () => {
    tokens.push(next);
    void load(next);
  });
  first.addEventListener("click", restart);
  replace(
    ctx.main,
    h("h1", {}, "Audit log"),
    h(
      "div",
      { class: "controls" },
      h("label", { for: "method-filter" }, "Method"),
      method,
      h("label", { for: "status-filter" }, "Status"),
      status,
      h("label", { for: "trace-filter" }, "Trace id"),
      trace,
    ),
    summary,
    body,
    h("div", { class: "pager" }, first, more),
  );
  await load("");
}

export const audit: Page = { path: "/audit", title: "Audit log", render };
