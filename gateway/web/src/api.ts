// The gateway's public API over gRPC-web (Connect-Web), same origin. Every
// call sends a fresh W3C traceparent; a failure carries the trace id the
// gateway answered with (or, if it answered nothing, the one sent), its
// code and its message.

import { Code, ConnectError, createClient, type CallOptions, type Client } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { GatewayService } from "./gen/forecastmesh/gateway/v1/gateway_pb";
import type { Session } from "./auth";

export type Gateway = Client<typeof GatewayService>;

/** A failed call, as the page shows it. */
export interface Failure {
  method: string;
  /** The gRPC code name, e.g. "PERMISSION_DENIED". */
  code: string;
  message: string;
  traceId: string;
}

export const gateway: Gateway = createClient(
  GatewayService,
  createGrpcWebTransport({ baseUrl: window.location.origin }),
);

function hex(bytes: number): string {
  const buffer = new Uint8Array(bytes);
  crypto.getRandomValues(buffer);
  return Array.from(buffer, (b) => b.toString(16).padStart(2, "0")).join("");
}

function traceIdOf(traceparent: string | null): string | undefined {
  const parts = traceparent?.split("-");
  return parts && parts.length === 4 && parts[1].length === 32 ? parts[1] : undefined;
}

/** Per-call options: the bearer token, a new trace, the answer's trace id. */
export class Trace {
  readonly sent = hex(16);
  answered: string | undefined;

  options(session: Session, signal?: AbortSignal): CallOptions {
    const headers = new Headers({ traceparent: `00-${this.sent}-${hex(8)}-01` });
    const token = session.token();
    if (token) headers.set("authorization", `Bearer ${token}`);
    return {
      headers,
      signal,
      onHeader: (h) => {
        this.answered = traceIdOf(h.get("traceparent")) ?? this.answered;
      },
    };
  }

  failure(method: string, error: unknown): Failure {
    const connect = ConnectError.from(error);
    const traceId = traceIdOf(connect.metadata.get("traceparent")) ?? this.answered ?? this.sent;
    return {
      method,
      code: Code[connect.code].replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase(),
      message: connect.rawMessage,
      traceId,
    };
  }
}

/** Thrown by [`call`] with what the page shows. */
export class CallFailed extends Error {
  constructor(readonly failure: Failure) {
    super(`${failure.method}: ${failure.code}: ${failure.message} (trace ${failure.traceId})`);
  }
}

/**
 * Calls one unary method. An UNAUTHENTICATED answer renews the session once
 * (silently) and retries; if that fails the failure says so.
 */
export async function call<T>(
  session: Session,
  method: string,
  run: (options: CallOptions) => Promise<T>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const trace = new Trace();
    try {
      return await run(trace.options(session));
    } catch (error) {
      const failure = trace.failure(method, error);
      if (failure.code === "UNAUTHENTICATED" && attempt === 0 && (await session.renew())) continue;
      throw new CallFailed(failure);
    }
  }
}
