// The dev sign-in `mesh up` prints: the URL carries a dev token in its
// fragment; the page opens signed in as the dev user, says so loudly, and
// shows the API's figures. Env: GATEWAY_URL, DEV_TOKEN, OUT_DIR, CHROMIUM.

import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { chromium } from "playwright-core";

const { GATEWAY_URL: GATEWAY, DEV_TOKEN: TOKEN, OUT_DIR: OUT } = process.env;
assert.ok(GATEWAY && TOKEN && OUT, "GATEWAY_URL, DEV_TOKEN and OUT_DIR are set");
await mkdir(OUT, { recursive: true });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
});
let checks = 0;
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(120_000);
  await page.goto(`${GATEWAY}/`);
  await page.getByRole("heading", { name: "Dev sign-in" }).waitFor();
  await page.screenshot({ path: path.join(OUT, "dev-sign-in.png"), fullPage: true });
  checks += 1;
  console.log(`ok ${checks} - without a token the page offers the dev sign-in`);

  await page.goto(`${GATEWAY}/#dev-sign-in=${encodeURIComponent(TOKEN)}`);
  await page.locator('[data-kpi="revenue"]').waitFor();
  assert.match(await page.locator(".dev-banner").textContent(), /DEV SIGN-IN/);
  assert.match(await page.locator("#user-name").textContent(), /dev user/);
  assert.ok(!page.url().includes(TOKEN), "the token leaves the address bar");
  const response = await fetch(`${GATEWAY}/api/kpis?window_days=30`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const kpis = await response.json();
  assert.equal(Number(await page.locator('[data-kpi="revenue"]').getAttribute("data-value")), kpis.kpis.revenue);
  await page.locator(".chart canvas").first().waitFor();
  await page.screenshot({ path: path.join(OUT, "dashboard-dev.png"), fullPage: true });
  checks += 1;
  console.log(`ok ${checks} - the URL mesh up prints opens the dashboard as the dev user, loudly named, with the API's figures`);
  console.log(`${checks} passed, 0 failed`);
} catch (error) {
  console.error(`not ok ${checks + 1} - ${error?.stack ?? error}`);
  console.log(`${checks} passed, 1 failed`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
