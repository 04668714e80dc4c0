// The dashboard's entry: reads the sign-in configuration the gateway
// serves, signs the user in, and routes between the pages (#/path?query).

import "uplot/dist/uPlot.min.css";
import "./style.css";

import { devSignIn, loadConfig, signInWith, start, type Session, type WebConfig } from "./auth";
import type { Page } from "./page";
import { failureOf } from "./page";
import { audit } from "./pages/audit";
import { dashboard } from "./pages/dashboard";
import { forecast } from "./pages/forecast";
import { rankings } from "./pages/rankings";
import { recommendations } from "./pages/recommendations";
import { runs } from "./pages/runs";
import { errorBox, h, replace } from "./ui";

const PAGES: Page[] = [dashboard, rankings, recommendations, forecast, audit, runs];

function element(id: string): HTMLElement {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found;
}

function route(): { page: Page; params: URLSearchParams } {
  const hash = window.location.hash.replace(/^#/, "") || "/";
  const [path, query = ""] = hash.split("?");
  const page = PAGES.find((p) => p.path === path) ?? dashboard;
  return { page, params: new URLSearchParams(query) };
}

function nav(current: Page): void {
  replace(
    element("nav"),
    h(
      "ul",
      {},
      ...PAGES.map((p) =>
        h("li", {}, h("a", { href: `#${p.path}`, "aria-current": p === current ? "page" : undefined }, p.title)),
      ),
    ),
  );
}

function signedIn(session: Session): void {
  const main = element("main");
  replace(
    element("session"),
    h("span", { class: "who" }, "Signed in as ", h("strong", { id: "user-name" }, session.name)),
    " ",
    h("button", { type: "button", id: "sign-out", onclick: () => void session.signOut() }, "Sign out"),
  );
  if (session.kind === "dev") {
    replace(
      element("banner"),
      h(
        "p",
        { class: "dev-banner", role: "note" },
        h("strong", {}, "DEV SIGN-IN"),
        ": signed in with a dev token from `mesh up`, not through an identity provider. Never use this outside your own machine.",
      ),
    );
  }
  let controller = new AbortController();
  let first = true;
  const show = async () => {
    controller.abort();
    controller = new AbortController();
    const { page, params } = route();
    nav(page);
    document.title = `${page.title} · forecast-mesh`;
    const signal = controller.signal;
    const rendering = page.render({ session, main, signal, params }).catch((error) => {
      if (!signal.aborted) replace(main, errorBox(failureOf(error)));
    });
    // Move focus to the new page's heading (not on first load: the skip
    // link stays the first stop).
    if (!first) main.querySelector("h1")?.focus();
    if (!first) main.focus();
    first = false;
    await rendering;
  };
  window.addEventListener("hashchange", () => void show());
  void show();
}

function signInScreen(config: WebConfig): void {
  const main = element("main");
  replace(element("nav"));
  if (config.sign_in === "oidc") {
    replace(
      main,
      h("h1", {}, "Sign in"),
      h("p", {}, "Sign in with your organisation's account to see the dashboard."),
      h("p", { class: "muted" }, `Identity provider: ${config.authority}`),
      h("button", { type: "button", id: "sign-in", onclick: () => void signInWith(config) }, "Sign in"),
    );
  } else if (config.sign_in === "dev") {
    const input = h("textarea", { id: "dev-token", rows: 4, "aria-describedby": "dev-help" });
    replace(
      element("banner"),
      h("p", { class: "dev-banner", role: "note" }, h("strong", {}, "DEV SIGN-IN"), ": this gateway runs with the dev issuer of `mesh up`; no identity provider is configured."),
    );
    replace(
      main,
      h("h1", {}, "Dev sign-in"),
      h("p", { id: "dev-help" }, "Open the sign-in URL `mesh up` printed, or paste a token from `mesh token`."),
      h(
        "form",
        { class: "stack", onsubmit: (e: Event) => (e.preventDefault(), devSignIn(input.value)) },
        h("label", { for: "dev-token" }, "Dev bearer token"),
        input,
        h("button", { type: "submit" }, "Sign in with this dev token"),
      ),
    );
  } else {
    replace(
      main,
      h("h1", {}, "Sign-in is not configured"),
      h("p", {}, "Set GATEWAY_OIDC_AUTHORITY and GATEWAY_OIDC_CLIENT_ID on the gateway."),
    );
  }
}

async function boot(): Promise<void> {
  const main = element("main");
  // A dev sign-in URL opened over this page changes only the fragment.
  window.addEventListener("hashchange", () => {
    if (window.location.hash.startsWith("#dev-sign-in=")) window.location.reload();
  });
  try {
    const config = await loadConfig();
    const session = await start(config);
    if (session === "iframe") return;
    if (session) signedIn(session);
    else signInScreen(config);
  } catch (error) {
    replace(
      main,
      h("h1", {}, "The dashboard could not start"),
      errorBox(failureOf(error, "sign-in")),
      h("p", {}, h("a", { href: "/" }, "Start again")),
    );
  }
}

void boot();
