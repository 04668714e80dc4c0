// What every page gets: the session, its own part of the document, a signal
// that aborts when the user leaves the page, and the route's parameters.

import { CallFailed, type Failure } from "./api";
import type { Session } from "./auth";
import { errorBox } from "./ui";

export interface PageContext {
  session: Session;
  main: HTMLElement;
  signal: AbortSignal;
  params: URLSearchParams;
}

export interface Page {
  path: string;
  title: string;
  render(ctx: PageContext): Promise<void>;
}

/** Returns the failure of a call, or a local one for anything else. */
export function failureOf(error: unknown, method = "page"): Failure {
  if (error instanceof CallFailed) return error.failure;
  return { method, code: "INTERNAL", message: String(error), traceId: "none (no call was made)" };
}

/** Returns an alert for `error`, with a sign-in button when the session ended. */
export function showError(ctx: PageContext, error: unknown): HTMLElement {
  return errorBox(failureOf(error), () => void ctx.session.signIn());
}
