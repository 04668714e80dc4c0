// DOM helpers: elements built from data with textContent only (never
// innerHTML), number formats, and the one way an error is shown.

import type { Failure } from "./api";

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined | ((event: Event) => void)>;

/** Returns a new element with `attrs` (on* keys become listeners) and `children`. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (value === true) {
      element.setAttribute(name, "");
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the children of `parent`. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

const money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 0 });
const money2 = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 2 });
const count = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat("en-US", { maximumFractionDigits: 3 });
const percent = new Intl.NumberFormat("en-US", { style: "percent", maximumFractionDigits: 1 });
const signedPercent = new Intl.NumberFormat("en-US", {
  style: "percent",
  maximumFractionDigits: 1,
  signDisplay: "exceptZero",
});

export const fmt = {
  money: (v: number) => money.format(v),
  money2: (v: number) => money2.format(v),
  count: (v: number | bigint) => count.format(v),
  decimal: (v: number) => decimal.format(v),
  percent: (v: number) => percent.format(v),
  change: (v: number | undefined) => (v === undefined ? "n/a" : signedPercent.format(v)),
  time: (ms: bigint | number) => new Date(Number(ms)).toISOString().replace("T", " ").slice(0, 19) + " UTC",
};

/** Returns an alert showing `failure`: its code, message and trace id. */
export function errorBox(failure: Failure, signInAgain?: () => void): HTMLElement {
  return h(
    "div",
    { class: "error", role: "alert", "data-code": failure.code },
    h("p", {}, h("strong", {}, `${failure.method} failed: ${failure.code}`), " — ", failure.message),
    h("p", {}, "Trace id: ", h("code", { class: "trace-id" }, failure.traceId)),
    failure.code === "UNAUTHENTICATED" && signInAgain
      ? h("p", {}, "Your session has ended. ", h("button", { type: "button", onclick: signInAgain }, "Sign in again"))
      : null,
  );
}

/** Returns a table with a caption, in a keyboard-scrollable region. */
export function table(caption: string, headers: string[], rows: Child[][], attrs: Attrs = {}): HTMLElement {
  return h(
    "div",
    { class: "table-wrap", tabindex: 0, role: "region", "aria-label": caption },
    h(
      "table",
      attrs,
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, ...headers.map((name) => h("th", { scope: "col" }, name)))),
      h("tbody", {}, ...rows.map((cells) => h("tr", {}, ...cells.map((cell) => h("td", {}, cell))))),
    ),
  );
}

/** Returns a section with a heading. */
export function section(title: string, ...children: Child[]): HTMLElement {
  const id = "s-" + title.toLowerCase().replace(/[^a-z0-9]+/g, "-");
  return h("section", { "aria-labelledby": id }, h("h2", { id }, title), ...children);
}
