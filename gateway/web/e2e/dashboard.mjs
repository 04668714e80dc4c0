// The browser test: Debian's Chromium driven by playwright-core signs in
// through oidc-provider's own login page and checks every page of the
// dashboard against the API, live updates, a refused scope, an expired
// session, sign-out, phone width, the keyboard and axe-core. Screenshots
// go to OUT_DIR. Exits non-zero on the first failed check.
//
// Env: GATEWAY_URL, ISSUER, OUT_DIR, CHROMIUM (default /usr/bin/chromium).

import assert from "node:assert/strict";
import { mkdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const GATEWAY = process.env.GATEWAY_URL;
const ISSUER = process.env.ISSUER;
const OUT = process.env.OUT_DIR;
assert.ok(GATEWAY && ISSUER && OUT, "GATEWAY_URL, ISSUER and OUT_DIR are set");
await mkdir(OUT, { recursive: true });
const AXE = await readFile(require.resolve("axe-core/axe.min.js"), "utf8");
const USER_KEY = `oidc.user:${ISSUER}:dashboard`;

let checks = 0;
const passed = [];
function ok(name) {
  checks += 1;
  passed.push(name);
  console.log(`ok ${checks} - ${name}`);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
// Generous: the whole suite may run beside this test on two cores.
context.setDefaultTimeout(120_000);
const page = await context.newPage();
const consoleErrors = [];
// Errors on the dashboard's own pages (the provider's login page is not ours).
const ours = () => page.url().startsWith(GATEWAY);
page.on("console", (m) => m.type() === "error" && ours() && consoleErrors.push(`${m.location().url}: ${m.text()}`));
page.on("pageerror", (e) => ours() && consoleErrors.push(String(e)));

async function screenshot(name) {
  const file = path.join(OUT, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`# screenshot ${file}`);
}

async function axe(name) {
  // Evaluated over the DevTools protocol: the page's CSP rightly refuses inline scripts.
  await page.evaluate(AXE);
  const result = await page.evaluate(async () =>
    // eslint-disable-next-line no-undef
    axe.run(document, { resultTypes: ["violations"] }),
  );
  const serious = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(
    serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`),
    [],
    `${name}: axe finds no serious violation`,
  );
  const minor = result.violations.map((v) => `${v.id} (${v.impact})`).join(", ") || "none";
  ok(`${name}: axe-core finds no serious or critical violation (others: ${minor})`);
}

async function token() {
  const stored = await page.evaluate((key) => sessionStorage.getItem(key), USER_KEY);
  assert.ok(stored, "the signed-in user is in sessionStorage");
  return JSON.parse(stored).access_token;
}

async function api(pathAndQuery) {
  const response = await fetch(`${GATEWAY}${pathAndQuery}`, { headers: { authorization: `Bearer ${await token()}` } });
  const body = await response.json();
  assert.equal(response.status, 200, `${pathAndQuery}: ${JSON.stringify(body)}`);
  return body;
}

async function signIn(login) {
  await page.goto(`${GATEWAY}/`);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.href.startsWith(ISSUER));
  // oidc-provider's own login page.
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill("any password");
  await page.locator('button[type="submit"]').click();
  await page.waitForURL((url) => url.href.startsWith(GATEWAY));
  await page.locator("#user-name").waitFor();
  assert.equal(await page.locator("#user-name").textContent(), login);
}

async function go(hash, heading) {
  await page.goto(`${GATEWAY}/${hash}`);
  await page.getByRole("heading", { level: 1, name: heading }).waitFor();
}

try {
  // Sign-in through the provider's login page (code + PKCE).
  await page.goto(`${GATEWAY}/`);
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  await screenshot("sign-in");
  await signIn("alice");
  const claims = JSON.parse(Buffer.from((await token()).split(".")[1], "base64url").toString());
  assert.equal(claims.iss, ISSUER);
  assert.equal(claims.aud, "forecast-mesh");
  assert.match(claims.scope, /audit:read/);
  ok("alice signs in on oidc-provider's login page; the access token is a JWT for the gateway");

  // The dashboard: KPI cards equal to the API's, against the previous window.
  await go("#/?live=2", "Dashboard");
  await page.locator('[data-kpi="revenue"]').waitFor();
  const kpis = await api("/api/kpis?window_days=30");
  for (const [key, field] of [
    ["revenue", "revenue"],
    ["orders", "orders"],
    ["customers", "customers"],
    ["averageOrderValue", "average_order_value"],
    ["units", "units"],
  ]) {
    const card = page.locator(`[data-kpi="${key}"]`);
    assert.equal(Number(await card.getAttribute("data-value")), Number(kpis.kpis[field]), `${key} equals the API's`);
    const change = await card.locator(".change").getAttribute("data-change");
    assert.equal(Number(change), Number(kpis.change[field]), `${key} change equals the API's`);
  }
  ok(`the KPI cards equal GET /api/kpis (revenue ${kpis.kpis.revenue}, change ${kpis.change.revenue})`);

  // The forecast, its bands and why, then a live update.
  await page.locator(".chart canvas").first().waitFor();
  await page.locator("table.candidates tbody tr").first().waitFor();
  const model = await page.locator('[data-field="model"]').textContent();
  const candidates = await page.locator("table.candidates tbody tr").count();
  assert.ok(candidates >= 2, `several candidates are listed (${candidates})`);
  assert.ok(await page.locator("table.candidates").getByText("(chosen)").count(), "the chosen model is marked");
  assert.match(await page.locator(".forecast-table tbody tr").first().textContent(), /–/, "the table lists intervals");
  ok(`the dashboard draws history, the forecast and its 80%/95% bands; model ${model} and ${candidates} candidates`);
  await page.waitForFunction(() => Number(document.querySelector("[data-updates]")?.dataset.updates) >= 2, null, {
    timeout: 120_000,
  });
  ok(`a live update arrives through WatchDashboard: ${await page.locator("[data-updates]").textContent()}`);
  await axe("dashboard");
  await screenshot("dashboard");

  // Phone width: nothing wider than the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(300);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  const wide = await page.evaluate(() =>
    [...document.querySelectorAll("main *")]
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest(".table-wrap"))
      .slice(0, 5)
      .map((e) => `${e.tagName.toLowerCase()}.${e.className}`),
  );
  assert.ok(overflow <= 1, `no horizontal scrolling at 390 px (${overflow} px too wide: ${wide.join(", ")})`);
  await screenshot("dashboard-phone");
  ok("at phone width (390 px) the page fits the screen");
  await page.setViewportSize({ width: 1280, height: 900 });

  // Keyboard: the skip link comes first and moves focus to the content.
  // A reload, not a navigation to the same #/ (which keeps the page and
  // Chromium's focus starting point where the last step left them).
  await page.goto(`${GATEWAY}/#/`);
  await page.reload();
  await page.locator('[data-kpi="revenue"]').waitFor();
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Skip to content");
  await page.keyboard.press("Enter");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "main");
  await page.locator('nav a[href="#/rankings"]').focus();
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { level: 1, name: "Rankings" }).waitFor();
  assert.equal(await page.locator('nav a[aria-current="page"]').textContent(), "Rankings");
  ok("keyboard: the skip link is the first stop, nav links open pages and mark the current one");

  // Rankings equal the API's.
  await page.locator('table[data-kind="items"] tbody tr').first().waitFor();
  const rankings = await api("/api/rankings?top_n=10&window_days=30");
  const items = rankings.ranking.entries.filter((e) => e.kind === "RANKED_KIND_STOCK_ITEM").sort((a, b) => a.rank - b.rank);
  const rows = await page.locator('table[data-kind="items"] tbody tr td:nth-child(2)').allTextContents();
  assert.deepEqual(rows, items.map((e) => `${e.name} (#${e.entity_id})`));
  const customers = await page.locator('table[data-kind="customers"] tbody tr').count();
  assert.equal(customers, rankings.ranking.entries.filter((e) => e.kind === "RANKED_KIND_CUSTOMER").length);
  ok(`rankings list the API's ${items.length} stock items in order and ${customers} customers`);
  await axe("rankings");
  await screenshot("rankings");

  // Recommendations with their reasons and figures.
  await go("#/recommendations", "Recommendations");
  await page.locator(".recommendation, .recommendations + p, main p:has-text('None.')").first().waitFor();
  const recommendations = await api("/api/recommendations?window_days=30");
  const shown = await page.locator(".recommendation").count();
  assert.equal(shown, recommendations.run.recommendations.length);
  if (shown) {
    const first = recommendations.run.recommendations[0];
    assert.equal(await page.locator(".recommendation p").first().textContent(), first.reason);
    assert.ok((await page.locator(".recommendation .figures dt").count()) > 0, "figures are listed");
  }
  ok(`recommendations: the API's ${shown}, each with its reason and figures`);
  await axe("recommendations");
  await screenshot("recommendations");

  // Forecast any series: a pasted monthly CSV with a missing month.
  await go("#/forecast", "Forecast a series");
  await page.locator("#item option").first().waitFor({ state: "attached" });
  const csv = ["date,value"];
  for (let i = 0; i < 36; i++) {
    const month = new Date(Date.UTC(2021, i, 1)).toISOString().slice(0, 10);
    const value = i === 20 ? "" : String(Math.round(200 + 3 * i + 40 * Math.sin((2 * Math.PI * i) / 12)));
    csv.push(`${month},${value}`);
  }
  await page.getByLabel("My own series (CSV)").check();
  await page.locator("#csv").fill(csv.join("\n"));
  await page.locator("#horizon").fill("6");
  await page.getByRole("button", { name: "Forecast" }).click();
  await page.locator('[data-field="model"]').waitFor({ timeout: 120_000 });
  assert.match(await page.locator("main").textContent(), /filled|interpolat/i, "the filled month is noted");
  assert.equal(await page.locator(".forecast-table tbody tr").count(), 6);
  await axe("forecast");
  await screenshot("forecast-csv");
  ok("a pasted monthly CSV with a missing month is forecast 6 months ahead, the fill noted");
  await page.getByLabel("A stock item").check();
  await page.locator("#frequency").selectOption({ label: "weekly" });
  await page.locator("#horizon").fill("8");
  await page.getByRole("button", { name: "Forecast" }).click();
  await page.waitForFunction(() => document.querySelectorAll(".forecast-table tbody tr").length === 8, null, {
    timeout: 120_000,
  });
  ok("a stock item picked from the list is forecast 8 weeks ahead");

  // A refused request shows the gateway's message and the trace id
  // (300 weeks is within the form's bound, beyond the API's 156).
  await page.locator("#horizon").fill("300");
  await page.getByRole("button", { name: "Forecast" }).click();
  const refusal = page.locator('.error[data-code="INVALID_ARGUMENT"]');
  await refusal.waitFor();
  const refusedTrace = await refusal.locator(".trace-id").textContent();
  assert.match(refusedTrace, /^[0-9a-f]{32}$/);
  ok(`a refused forecast shows its message and trace id: ${(await refusal.textContent()).slice(0, 120)}`);

  // The audit log, paged and filtered.
  await go("#/audit", "Audit log");
  await page.locator("table.audit tbody tr").first().waitFor();
  // Read after the page's own call, so the API's list may hold that call too.
  const audit = await api("/api/storage/audit-logs?limit=60");
  const apiTraces = new Set(audit.entries.map((e) => e.trace_id));
  const pageTraces = await page.locator("table.audit tbody tr td:nth-child(5)").allTextContents();
  assert.ok(
    pageTraces.length >= Math.min(50, audit.entries.length - 1) && pageTraces.length <= audit.entries.length,
    `the page shows ${pageTraces.length} entries, the API ${audit.entries.length}`,
  );
  assert.ok(pageTraces.every((t) => apiTraces.has(t)), "every row is an entry the API lists");
  // Filters are the store's: each change loads a first page of matches.
  const auditColumn = async (column) => {
    await page.waitForFunction(() => !document.querySelector("main [aria-busy]"));
    return page.locator(`table.audit tbody tr td:nth-child(${column})`).allTextContents();
  };
  await page.locator("#method-filter").selectOption("GetKpis");
  const kpiTraces = await auditColumn(5);
  const apiKpis = await api("/api/storage/audit-logs?method=GetKpis&limit=50");
  assert.ok(apiKpis.entries.length > 0, "the dashboard's KPI calls are audited");
  assert.deepEqual(kpiTraces, apiKpis.entries.map((e) => e.trace_id), "filtered by method, as the API filters");
  const methods = await auditColumn(2);
  assert.ok(methods.every((m) => m === "GetKpis"), `filtered by method: ${methods}`);
  await page.locator("#status-filter").selectOption("INVALID_ARGUMENT");
  await page.locator("#method-filter").selectOption("");
  const statuses = await auditColumn(3);
  assert.ok(statuses.length > 0 && statuses.every((s) => s === "INVALID_ARGUMENT"), `filtered by status: ${statuses}`);
  await page.locator("#status-filter").selectOption("");
  // The refused forecast's trace id finds its one entry. The audit is
  // written behind the answer: wait until the API lists it.
  for (let tries = 0; ; tries++) {
    const found = await api(`/api/storage/audit-logs?trace_id=${refusedTrace}`);
    if (found.entries.length > 0) break;
    assert.ok(tries < 50, `the refused call ${refusedTrace} was never audited`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await page.locator("#trace-filter").fill(refusedTrace);
  await page.locator("#trace-filter").press("Enter");
  assert.deepEqual(await auditColumn(5), [refusedTrace], "the trace filter finds the refused call");
  assert.deepEqual(await auditColumn(3), ["INVALID_ARGUMENT"]);
  await page.locator("#trace-filter").fill("not-a-trace");
  await page.locator("#trace-filter").press("Enter");
  const badTrace = page.locator('.error[data-code="INVALID_ARGUMENT"]');
  await badTrace.waitFor();
  assert.match(await badTrace.textContent(), /trace_id/);
  await page.locator("#trace-filter").fill("");
  await page.locator("#trace-filter").press("Enter");
  await auditColumn(5);
  ok(`the audit log shows the API's ${pageTraces.length} newest entries; filters by method, status and trace id are the API's`);
  await axe("audit");
  await screenshot("audit");

  // Run history.
  await go("#/runs", "Run history");
  await page.locator('table[data-list="ListForecastRuns"] tbody tr').first().waitFor();
  await page.locator('table[data-list="ListRankingRuns"] tbody tr').first().waitFor();
  const runs = await api("/api/storage/forecasts?limit=20");
  assert.equal(await page.locator('table[data-list="ListForecastRuns"] tbody tr').count(), runs.runs.length);
  ok(`run history lists the API's ${runs.runs.length} forecast runs, and ranking and recommendation runs`);
  await axe("runs");
  await screenshot("runs");

  // An expired session renews silently (refresh token).
  const before = await token();
  await page.evaluate((key) => {
    const user = JSON.parse(sessionStorage.getItem(key));
    user.expires_at = Math.floor(Date.now() / 1000) - 60;
    sessionStorage.setItem(key, JSON.stringify(user));
  }, USER_KEY);
  // A new page load (a hash change alone keeps the page and its session).
  await page.reload();
  await page.getByRole("heading", { level: 1, name: "Run history" }).waitFor();
  assert.notEqual(await token(), before, "a new access token");
  await go("#/", "Dashboard");
  await page.locator('[data-kpi="revenue"]').waitFor();
  ok("an expired session renews without the user and the dashboard loads");

  // A call answered UNAUTHENTICATED renews the session and is retried once
  // (the test answers the first GetRankings itself, as a gateway would for
  // a token that expired in flight).
  const beforeRetry = await token();
  let refused = 0;
  const rankingsPath = "**/forecastmesh.gateway.v1.GatewayService/GetRankings";
  await page.route(rankingsPath, async (route) => {
    if (refused > 0) return route.continue();
    refused += 1;
    await route.fulfill({
      status: 200,
      headers: { "content-type": "application/grpc-web+proto", "grpc-status": "16", "grpc-message": "token has expired" },
      body: "",
    });
  });
  await go("#/rankings", "Rankings");
  await page.locator('table[data-kind="items"] tbody tr').first().waitFor();
  await page.unroute(rankingsPath);
  assert.equal(refused, 1);
  assert.notEqual(await token(), beforeRetry, "renewed before the retry");
  ok("a call answered UNAUTHENTICATED renews the session and is retried once");

  // Without a refresh token it renews in a hidden iframe (prompt=none),
  // while the provider's session lasts.
  const beforeIframe = await token();
  await page.evaluate((key) => {
    const user = JSON.parse(sessionStorage.getItem(key));
    user.expires_at = Math.floor(Date.now() / 1000) - 60;
    delete user.refresh_token;
    sessionStorage.setItem(key, JSON.stringify(user));
  }, USER_KEY);
  await page.reload();
  await page.locator('table[data-kind="items"] tbody tr').first().waitFor();
  assert.notEqual(await token(), beforeIframe, "a new access token from the iframe");
  ok("without a refresh token the session renews in a hidden iframe (prompt=none)");

  // A session that cannot renew asks to sign in again.
  await page.evaluate((key) => {
    const user = JSON.parse(sessionStorage.getItem(key));
    user.expires_at = Math.floor(Date.now() / 1000) - 60;
    user.access_token = "expired";
    delete user.refresh_token;
    sessionStorage.setItem(key, JSON.stringify(user));
  }, USER_KEY);
  await context.clearCookies();
  await page.reload();
  await page.getByRole("button", { name: "Sign in" }).waitFor();
  ok("a session that cannot renew (no refresh token, no provider session) asks to sign in again");

  // A user without audit:read sees a clear refusal with a trace id.
  await signIn("viewer");
  await go("#/audit", "Audit log");
  const denied = page.locator('.error[data-code="PERMISSION_DENIED"]');
  await denied.waitFor();
  const deniedTrace = await denied.locator(".trace-id").textContent();
  assert.match(deniedTrace, /^[0-9a-f]{32}$/);
  assert.match(await denied.textContent(), /audit:read/);
  await axe("refusal");
  await screenshot("audit-refused");
  ok(`viewer (no audit:read) sees PERMISSION_DENIED naming the scope, trace ${deniedTrace}`);
  await go("#/", "Dashboard");
  await page.locator('[data-kpi="revenue"]').waitFor();
  ok("viewer still sees the dashboard (forecasts:read)");

  // Sign-out ends the session at the provider too.
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL((url) => url.href.startsWith(ISSUER));
  await page.locator('button[autofocus], button[type="submit"]').first().click();
  await page.waitForURL((url) => url.href.startsWith(GATEWAY));
  await page.getByRole("button", { name: "Sign in" }).waitFor();
  assert.equal(await page.evaluate((key) => sessionStorage.getItem(key), USER_KEY), null);
  ok("sign-out ends the session at the provider and returns to the sign-in screen");

  const unexpected = consoleErrors.filter((e) => !/status of 40[13]|PERMISSION_DENIED|INVALID_ARGUMENT|UNAUTHENTICATED/.test(e));
  assert.deepEqual(unexpected, [], "no unexpected console errors");
  ok("no unexpected console errors");
  console.log(`${checks} passed, 0 failed`);
} catch (error) {
  await screenshot("failure").catch(() => {});
  console.error(`not ok ${checks + 1} - ${error?.stack ?? error}`);
  console.log(`${checks} passed, 1 failed`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
