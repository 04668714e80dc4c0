// Sign-in. The gateway serves the public part of its configuration at
// /web/config.json:
// - "oidc": Authorization Code with PKCE through oidc-client-ts against the
//   configured issuer, tokens kept in sessionStorage, renewed silently
//   (refresh token, or a hidden iframe with prompt=none), signed out at the
//   issuer's end_session_endpoint;
// - "dev": `mesh up` with no issuer configured: the browser is signed in by
//   the URL `mesh up` prints (the dev token travels in the fragment, which
//   is never sent to a server) or a pasted dev token. Loudly named.
// - "none": the gateway has no sign-in configured.

import { UserManager, WebStorageStateStore, type User } from "oidc-client-ts";

export interface WebConfig {
  sign_in: "oidc" | "dev" | "none";
  authority?: string;
  client_id?: string;
  scope?: string;
  resource?: string;
}

/** Who is signed in and how to renew or end it. */
export interface Session {
  kind: "oidc" | "dev";
  /** Who the user is, as a person reads it. */
  name: string;
  token(): string | undefined;
  /** Tries to get a fresh token without the user; true on success. */
  renew(): Promise<boolean>;
  signOut(): Promise<void>;
  /** Starts a new interactive sign-in. */
  signIn(): Promise<void>;
}

const DEV_TOKEN_KEY = "forecast-mesh.dev-token";
const DEV_FRAGMENT = "#dev-sign-in=";

export async function loadConfig(): Promise<WebConfig> {
  const response = await fetch("/web/config.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`/web/config.json answered ${response.status}`);
  return (await response.json()) as WebConfig;
}

function manager(config: WebConfig): UserManager {
  const origin = window.location.origin;
  const extra: Record<string, string> = config.resource ? { resource: config.resource } : {};
  return new UserManager({
    authority: config.authority ?? "",
    client_id: config.client_id ?? "",
    redirect_uri: `${origin}/`,
    silent_redirect_uri: `${origin}/?silent-renew`,
    post_logout_redirect_uri: `${origin}/`,
    response_type: "code",
    scope: config.scope ?? "openid",
    automaticSilentRenew: true,
    userStore: new WebStorageStateStore({ store: window.sessionStorage }),
    extraQueryParams: extra,
  });
}

function nameOf(user: User): string {
  const profile = user.profile;
  return String(profile.name ?? profile.preferred_username ?? profile.email ?? profile.sub);
}

/**
 * Finishes a redirect back from the issuer if this page load is one, and
 * returns the session, or undefined when nobody is signed in.
 * Returns "iframe" when this load is the silent-renew iframe (nothing else
 * should run).
 */
export async function start(config: WebConfig): Promise<Session | undefined | "iframe"> {
  if (config.sign_in === "oidc") return startOidc(config);
  if (config.sign_in === "dev") return startDev();
  return undefined;
}

async function startOidc(config: WebConfig): Promise<Session | undefined | "iframe"> {
  const users = manager(config);
  const query = new URLSearchParams(window.location.search);
  if (query.has("silent-renew")) {
    await users.signinSilentCallback();
    return "iframe";
  }
  if (query.has("state") && (query.has("code") || query.has("error"))) {
    const user = await users.signinRedirectCallback();
    const back = typeof user.state === "string" ? user.state : "#/";
    window.history.replaceState(null, "", `/${back}`);
  }
  let user = await users.getUser();
  if (!user) return undefined;
  if (user.expired && !(await renewWith(users))) return undefined;
  user = await users.getUser();
  if (!user) return undefined;
  let current: User = user;
  users.events.addUserLoaded((loaded) => {
    current = loaded;
  });
  return {
    kind: "oidc",
    name: nameOf(current),
    token: () => current.access_token,
    renew: () => renewWith(users),
    signOut: async () => {
      const idToken = current.id_token;
      await users.removeUser();
      try {
        await users.signoutRedirect({ id_token_hint: idToken });
      } catch {
        window.location.assign("/");
      }
    },
    signIn: () => users.signinRedirect({ state: window.location.hash || "#/" }),
  };
}

async function renewWith(users: UserManager): Promise<boolean> {
  try {
    return (await users.signinSilent()) !== null;
  } catch {
    return false;
  }
}

/** Starts an interactive OIDC sign-in (the sign-in screen's button). */
export function signInWith(config: WebConfig): Promise<void> {
  return manager(config).signinRedirect({ state: window.location.hash || "#/" });
}

function startDev(): Session | undefined {
  if (window.location.hash.startsWith(DEV_FRAGMENT)) {
    const token = decodeURIComponent(window.location.hash.slice(DEV_FRAGMENT.length));
    window.sessionStorage.setItem(DEV_TOKEN_KEY, token);
    window.history.replaceState(null, "", "/#/");
  }
  return devSession();
}

function devSession(): Session | undefined {
  const token = window.sessionStorage.getItem(DEV_TOKEN_KEY);
  if (!token) return undefined;
  return {
    kind: "dev",
    name: "dev user (DEV SIGN-IN)",
    token: () => token,
    renew: async () => false,
    signOut: async () => {
      window.sessionStorage.removeItem(DEV_TOKEN_KEY);
      window.location.assign("/");
    },
    signIn: async () => {
      window.sessionStorage.removeItem(DEV_TOKEN_KEY);
      window.location.assign("/");
    },
  };
}

/** Signs in with a pasted dev token. */
export function devSignIn(token: string): void {
  window.sessionStorage.setItem(DEV_TOKEN_KEY, token.trim());
  window.location.assign("/#/");
  window.location.reload();
}
