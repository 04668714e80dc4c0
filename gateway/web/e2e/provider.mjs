// A real OpenID provider for the browser test: oidc-provider (certified),
// on loopback, with the dashboard as a registered public client (code +
// PKCE), JWT access tokens for the gateway's resource, refresh tokens, its
// own login page (devInteractions: any password) and RP-initiated logout.
//
// Accounts: "alice" is granted forecasts:read and audit:read; "viewer" only
// forecasts:read (audit:read is recorded as refused, so no consent screen
// asks for it).
//
// Env: GATEWAY_ORIGIN (the dashboard's origin, e.g. http://127.0.0.1:8080).
// Prints one JSON line {"issuer": ...} once it listens.

import { generateKeyPairSync } from "node:crypto";
import http from "node:http";
import Provider from "oidc-provider";

const origin = process.env.GATEWAY_ORIGIN;
if (!origin) throw new Error("GATEWAY_ORIGIN is not set");
// A resource indicator is an absolute URI; the gateway checks the audience.
const RESOURCE = "urn:forecast-mesh:gateway";
const AUDIENCE = "forecast-mesh";
const SCOPES = { alice: "forecasts:read audit:read", viewer: "forecasts:read" };
const ALL = "forecasts:read audit:read";

const server = http.createServer();
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const key = { ...privateKey.export({ format: "jwk" }), kid: "browser-test-1", use: "sig", alg: "RS256" };

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: "dashboard",
      token_endpoint_auth_method: "none",
      redirect_uris: [`${origin}/`, `${origin}/?silent-renew`],
      post_logout_redirect_uris: [`${origin}/`],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
    },
  ],
  jwks: { keys: [key] },
  cookies: { keys: ["browser-test-only"] },
  claims: { openid: ["sub", "name"] },
  scopes: ["openid", "offline_access"],
  findAccount: async (_ctx, id) => ({ accountId: id, claims: async () => ({ sub: id, name: id }) }),
  clientBasedCORS: (_ctx, requestOrigin) => requestOrigin === origin,
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed("refresh_token"),
  ttl: { AccessToken: 600, IdToken: 600, RefreshToken: 3600, Session: 3600, Grant: 3600, Interaction: 600 },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => RESOURCE,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (_ctx, indicator) => {
        if (indicator !== RESOURCE) throw new Provider.errors.InvalidTarget();
        return {
          scope: ALL,
          audience: AUDIENCE,
          accessTokenTTL: 600,
          accessTokenFormat: "jwt",
          jwt: { sign: { alg: "RS256" } },
        };
      },
    },
  },
  // A first-party client: the grant is made here, by account, instead of a
  // consent screen.
  loadExistingGrant: async (ctx) => {
    const existing = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (existing) return ctx.oidc.provider.Grant.find(existing);
    const accountId = ctx.oidc.session.accountId;
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId });
    grant.addOIDCScope("openid offline_access");
    grant.addOIDCClaims(["sub", "name"]);
    const granted = SCOPES[accountId] ?? "";
    if (granted) grant.addResourceScope(RESOURCE, granted);
    const refused = ALL.split(" ").filter((s) => !granted.split(" ").includes(s));
    if (refused.length) grant.rejectResourceScope(RESOURCE, refused.join(" "));
    await grant.save();
    return grant;
  },
});
provider.on("server_error", (_ctx, error) => console.error("provider error:", error));
server.on("request", provider.callback());
console.log(JSON.stringify({ issuer }));
