import { createPublicKey, randomBytes, verify } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keycloakHostnameEnv, realmDiscoveryPath } from "../../components/keycloak/files";
import { API_CLIENT_ID, DEFAULT_REALM, renderRealm } from "../../components/keycloak/realm";
import { decodeJwt, ensureKeycloakInstalled, http, KeycloakServer, postForm } from "./support/keycloak";

// Keycloak with the hostname settings both targets give it (keycloakHostnameEnv): the
// public URL for browsers and issuers, backchannel endpoints on whatever address a
// service asked on. The API discovers the realm on Keycloak's internal address (its
// NetworkPolicy does not reach the ingress) and must get endpoints it can reach, and
// tokens whose issuer is the public URL it is configured to expect.

const PUBLIC_URL = "https://auth.blacklake.example.test";
const API_SECRET = randomBytes(32).toString("base64url");
let kc: KeycloakServer;

beforeAll(async () => {
  const realm = renderRealm({
    ui: { rootUrl: "https://blacklake.example.test", redirectUris: ["https://blacklake.example.test/*"] },
    api: { secret: API_SECRET },
    accessTokenLifespanSeconds: 300,
    ssoSessionIdleTimeoutSeconds: 1800,
  });
  kc = await KeycloakServer.start({
    installDir: ensureKeycloakInstalled(),
    realms: [realm],
    admin: { username: "bootstrap-admin", password: randomBytes(18).toString("base64url") },
    env: keycloakHostnameEnv(PUBLIC_URL),
    timeoutMs: 240_000,
  });
}, 400_000);

afterAll(async () => {
  await kc?.stop();
}, 60_000);

describe("Keycloak's discovery, asked on its internal address", () => {
  let discovery: Record<string, string>;

  beforeAll(async () => {
    const r = await http(`${kc.baseUrl}${realmDiscoveryPath(DEFAULT_REALM)}`);
    expect(r.status).toBe(200);
    discovery = r.json;
  });
  /** A field of the discovery document that the test expects Keycloak to publish. */
  const field = (name: string): string => {
    const value = discovery[name];
    if (value === undefined) throw new Error(`the discovery document has no ${name}`);
    return value;
  };

  it("names the public issuer, and sends browsers to the public URL", () => {
    expect(discovery.issuer).toBe(`${PUBLIC_URL}/realms/${DEFAULT_REALM}`);
    expect(field("authorization_endpoint").startsWith(`${PUBLIC_URL}/`)).toBe(true);
  });

  it("puts the token, JWKS and introspection endpoints on the address the service asked on", () => {
    for (const endpoint of ["token_endpoint", "jwks_uri", "introspection_endpoint"]) {
      expect(field(endpoint).startsWith(`${kc.baseUrl}/realms/${DEFAULT_REALM}/`), endpoint).toBe(true);
    }
  });

  it("issues a token there whose issuer is the public one and whose signature the internal JWKS verifies", async () => {
    const r = await postForm(field("token_endpoint"), { grant_type: "client_credentials", client_id: API_CLIENT_ID, client_secret: API_SECRET });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    const token: string = r.json.access_token;
    expect(decodeJwt(token).iss).toBe(discovery.issuer);

    const [header, payload, signature] = token.split(".");
    const { kid, alg } = JSON.parse(Buffer.from(header!, "base64url").toString("utf8"));
    expect(alg).toBe("RS256");
    const jwks = await http(field("jwks_uri"));
    const jwk = jwks.json.keys.find((k: { kid: string }) => k.kid === kid);
    expect(jwk, "the signing key is in the JWKS").toBeDefined();
    const valid = verify("RSA-SHA256", Buffer.from(`${header}.${payload}`), createPublicKey({ key: jwk, format: "jwk" }), Buffer.from(signature!, "base64url"));
    expect(valid).toBe(true);
  });
});
