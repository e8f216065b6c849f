import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keycloakMixin, LOGIN_FAILURE_EVENTS } from "../../components/keycloak/mixin";
import { selectedNames } from "../harness/exporterCoverage";
import { recordOrCompare } from "./support/metrics";
import { API_CLIENT_ID, DEFAULT_BRUTE_FORCE, REALM_ROLES, renderRealm, UI_CLIENT_ID } from "../../components/keycloak/realm";
import { decodeJwt, ensureKeycloakInstalled, http, KeycloakServer, postForm } from "./support/keycloak";
import { sleep } from "./support/proc";

// Our rendered realm, imported by a real Keycloak 26 (dev mode, H2 file database) on
// loopback: the realm, roles, clients and flows behave as the renderer says, brute-force
// protection locks a user out and the runbook's kcadm commands unlock it, and the
// metric the authentication-failure alerts use is the one Keycloak exports.

const REALM = "blacklake";
const API_SECRET = randomBytes(32).toString("base64url");
const ACCESS_TOKEN_LIFESPAN = 240; // not Keycloak's default (300), so a token proves the option arrived
const UI_ORIGIN = "https://blacklake.example.test";

const realm = renderRealm({
  ui: { rootUrl: UI_ORIGIN, redirectUris: [`${UI_ORIGIN}/*`] },
  api: { secret: API_SECRET },
  accessTokenLifespanSeconds: ACCESS_TOKEN_LIFESPAN,
  ssoSessionIdleTimeoutSeconds: 900,
});

const ADMIN = { username: "bootstrap-admin", password: randomBytes(18).toString("base64url") };
/** Satisfies the default password policy (12+, upper, lower, digit, not the username). */
const USER_PASSWORD = `Correct-Horse-${randomBytes(4).toString("hex")}-9Q`;

let kc: KeycloakServer;
let installDir: string;
let startedAt: number;

beforeAll(async () => {
  installDir = ensureKeycloakInstalled();
  startedAt = Date.now();
  const t0 = Date.now();
  kc = await KeycloakServer.start({ installDir, realms: [realm], admin: ADMIN, timeoutMs: 240_000 });
  process.stderr.write(`keycloak: ready after ${((Date.now() - t0) / 1000).toFixed(1)} s on ${kc.baseUrl}, management ${kc.managementUrl}\n`);
}, 400_000);

afterAll(async () => {
  await kc?.stop();
}, 60_000);

const realmUrl = () => `${kc.baseUrl}/realms/${REALM}`;
const token = (form: Record<string, string>) => postForm(kc.tokenUrl(REALM), form);
const clientCredentials = (secret: string) => token({ grant_type: "client_credentials", client_id: API_CLIENT_ID, client_secret: secret });

async function clientByClientId(clientId: string): Promise<any> {
  const r = await kc.adminOk("GET", `realms/${REALM}/clients?clientId=${encodeURIComponent(clientId)}`);
  expect(r.json, clientId).toHaveLength(1);
  return r.json[0];
}

describe("Keycloak with our realm", () => {
  it("imported the realm: the OIDC discovery document", async () => {
    const r = await http(`${realmUrl()}/.well-known/openid-configuration`);
    expect(r.status).toBe(200);
    expect(r.json.issuer).toBe(`${kc.baseUrl}/realms/${REALM}`);
    expect(r.json.token_endpoint).toBe(kc.tokenUrl(REALM));
    expect(r.json.code_challenge_methods_supported).toContain("S256");
    expect(r.json.grant_types_supported).toContain("client_credentials");
  });

  it("has the realm settings we rendered", async () => {
    const r = (await kc.adminOk("GET", `realms/${REALM}`)).json;
    expect(r).toMatchObject({
      realm: REALM,
      sslRequired: "external",
      registrationAllowed: false,
      bruteForceProtected: true,
      permanentLockout: false,
      failureFactor: DEFAULT_BRUTE_FORCE.failureFactor,
      accessTokenLifespan: ACCESS_TOKEN_LIFESPAN,
      ssoSessionIdleTimeout: 900,
      passwordPolicy: realm.passwordPolicy,
      eventsEnabled: true,
      adminEventsEnabled: true,
    });
    expect([...r.enabledEventTypes].sort()).toEqual([...realm.enabledEventTypes].sort());
  });

  it("has the realm roles, admin > user > viewer, service-account and guest standalone", async () => {
    const names = (await kc.adminOk("GET", `realms/${REALM}/roles`)).json.map((r: any) => r.name);
    expect(names).toEqual(expect.arrayContaining([...REALM_ROLES]));
    const composites = async (role: string) => (await kc.adminOk("GET", `realms/${REALM}/roles/${role}/composites`)).json.map((r: any) => r.name).sort();
    expect(await composites("admin")).toEqual(["user", "viewer"]);
    expect(await composites("user")).toEqual(["viewer"]);
    for (const role of ["viewer", "service-account", "guest"]) expect(await composites(role), role).toEqual([]);
  });

  it("has the clients as rendered: a confidential API client and a public UI client requiring PKCE", async () => {
    const api = await clientByClientId(API_CLIENT_ID);
    expect(api).toMatchObject({ publicClient: false, serviceAccountsEnabled: true, standardFlowEnabled: false, implicitFlowEnabled: false, directAccessGrantsEnabled: false });
    const ui = await clientByClientId(UI_CLIENT_ID);
    expect(ui).toMatchObject({ publicClient: true, standardFlowEnabled: true, implicitFlowEnabled: false, directAccessGrantsEnabled: false, serviceAccountsEnabled: false });
    expect(ui.attributes["pkce.code.challenge.method"]).toBe("S256");
    expect(ui.redirectUris).toEqual([`${UI_ORIGIN}/*`]);
    expect(ui.webOrigins).toEqual([UI_ORIGIN]);
  });

  it("makes the UI use the code flow with PKCE S256, on its own redirect URIs only", async () => {
    const auth = (params: Record<string, string>) =>
      http(
        `${realmUrl()}/protocol/openid-connect/auth?${new URLSearchParams({ client_id: UI_CLIENT_ID, scope: "openid", redirect_uri: `${UI_ORIGIN}/callback`, state: "s", ...params })}`,
      );
    const challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    const withPkce = await auth({ response_type: "code", code_challenge: challenge, code_challenge_method: "S256" });
    expect(withPkce.status).toBe(200); // the login page

    const withoutPkce = await auth({ response_type: "code" });
    expect(withoutPkce.status).toBe(302);
    const location = new URL(withoutPkce.headers.get("location")!);
    expect(location.origin).toBe(UI_ORIGIN);
    expect(location.searchParams.get("error")).toBe("invalid_request");
    expect(location.searchParams.get("error_description")).toMatch(/code_challenge_method/);

    const plain = await auth({ response_type: "code", code_challenge: challenge, code_challenge_method: "plain" });
    expect(new URL(plain.headers.get("location")!).searchParams.get("error")).toBe("invalid_request");

    const implicit = await auth({ response_type: "token", code_challenge: challenge, code_challenge_method: "S256" });
    expect(new URL(implicit.headers.get("location")!.replace("#", "?")).searchParams.get("error")).toMatch(/unauthorized_client|unsupported_response_type/);

    const foreign = await auth({ response_type: "code", code_challenge: challenge, code_challenge_method: "S256", redirect_uri: "https://evil.example.test/callback" });
    expect(foreign.status).toBe(400);
    expect(foreign.text).toContain("Invalid parameter: redirect_uri");

    const password = await token({ grant_type: "password", client_id: UI_CLIENT_ID, username: "nobody", password: "x" });
    expect(password.status).toBe(400);
    expect(password.json.error).toBe("unauthorized_client");
    expect(password.json.error_description).toMatch(/direct access grants/i);
  });

  it("gives blacklake-api a token with the service-account role and the configured lifespan", async () => {
    const r = await clientCredentials(API_SECRET);
    expect(r.status, r.text).toBe(200);
    // expires_in counts from the moment of the answer, so it may be a second short; the
    // token's own exp - iat below is the exact lifespan.
    expect(r.json.expires_in).toBeGreaterThanOrEqual(ACCESS_TOKEN_LIFESPAN - 1);
    expect(r.json.expires_in).toBeLessThanOrEqual(ACCESS_TOKEN_LIFESPAN);
    expect(r.json.refresh_token).toBeUndefined();
    const jwt = decodeJwt(r.json.access_token);
    expect(jwt.iss).toBe(`${kc.baseUrl}/realms/${REALM}`);
    expect(jwt.azp).toBe(API_CLIENT_ID);
    expect(jwt.exp - jwt.iat).toBe(ACCESS_TOKEN_LIFESPAN);
    expect(jwt.realm_access?.roles).toContain("service-account");
    for (const human of ["admin", "user", "viewer", "guest"]) expect(jwt.realm_access?.roles).not.toContain(human);
    expect(jwt.preferred_username).toBe(`service-account-${API_CLIENT_ID}`);
  });

  it("refuses a wrong client secret with 401, and the password grant to the API client", async () => {
    const wrong = await clientCredentials(`${API_SECRET}x`);
    expect(wrong.status).toBe(401);
    expect(wrong.json.access_token).toBeUndefined();
    expect(wrong.json.error).toBe("unauthorized_client");

    // the right secret, but a grant the client does not allow (RFC 6749: 400 unauthorized_client)
    const password = await token({ grant_type: "password", client_id: API_CLIENT_ID, client_secret: API_SECRET, username: "nobody", password: "x" });
    expect(password.status).toBe(400);
    expect(password.json.error).toBe("unauthorized_client");
    expect(password.json.error_description).toMatch(/direct access grants/i);
  });

  describe("brute-force protection", () => {
    const testClient = "bruteforce-test"; // created here, not in the realm file: our realm has no direct-grant client
    const username = "brute-force-victim";
    let userId: string;
    const login = (password: string) => token({ grant_type: "password", client_id: testClient, username, password });
    const attackStatus = async () => (await kc.adminOk("GET", `realms/${REALM}/attack-detection/brute-force/users/${userId}`)).json;

    beforeAll(async () => {
      await kc.adminOk("POST", `realms/${REALM}/clients`, {
        clientId: testClient,
        publicClient: true,
        directAccessGrantsEnabled: true,
        standardFlowEnabled: false,
      });
      userId = KeycloakServer.createdId(
        await kc.adminApi("POST", `realms/${REALM}/users`, {
          username,
          enabled: true,
          email: `${username}@example.test`,
          emailVerified: true,
          firstName: "Brute",
          lastName: "Force",
        }),
      );
    });

    it("enforces the password policy when an administrator sets a password", async () => {
      const weak = await kc.adminApi("PUT", `realms/${REALM}/users/${userId}/reset-password`, { type: "password", value: "password1", temporary: false });
      expect(weak.status).toBe(400);
      expect(weak.json.error_description ?? weak.json.errorMessage).toMatch(/Invalid password/);
      await kc.adminOk("PUT", `realms/${REALM}/users/${userId}/reset-password`, { type: "password", value: USER_PASSWORD, temporary: false });
      expect((await login(USER_PASSWORD)).status).toBe(200);
    });

    it(`locks the user after ${DEFAULT_BRUTE_FORCE.failureFactor} failed logins; then the right password is refused`, async () => {
      const { failureFactor, quickLoginCheckMilliSeconds } = DEFAULT_BRUTE_FORCE;
      for (let i = 1; i <= failureFactor; i++) {
        if (i === failureFactor) {
          // One failure short, the user is not locked yet: it is failureFactor that locks, not a quick-login check.
          expect(await attackStatus()).toMatchObject({ numFailures: failureFactor - 1, disabled: false });
        }
        const r = await login(`wrong-password-${i}`);
        expect(r.status).toBe(401);
        expect(r.json.error).toBe("invalid_grant");
        await sleep(quickLoginCheckMilliSeconds + 200); // slower than a "quick" retry
      }
      const status = await attackStatus();
      expect(status).toMatchObject({ numFailures: failureFactor, disabled: true, lastIPFailure: "127.0.0.1" });
      const locked = await login(USER_PASSWORD);
      expect(locked.status).toBe(401);
      expect(locked.json.access_token).toBeUndefined();
    });

    it("records LOGIN_ERROR events for the admin console", async () => {
      const r = await kc.adminOk("GET", `realms/${REALM}/events?type=LOGIN_ERROR&user=${userId}&max=100`);
      expect(r.json.length).toBeGreaterThanOrEqual(DEFAULT_BRUTE_FORCE.failureFactor);
      expect(r.json.every((e: any) => e.type === "LOGIN_ERROR" && e.clientId === testClient)).toBe(true);
    });

    it("is undone by the runbook's kcadm commands", async () => {
      await kc.kcadm(["config", "credentials", "--server", kc.baseUrl, "--realm", "master", "--user", ADMIN.username, "--password", ADMIN.password]);
      const users = JSON.parse((await kc.kcadm(["get", "users", "-r", REALM, "-q", `username=${username}`, "-q", "exact=true", "--fields", "id,username,enabled"])).stdout);
      expect(users).toEqual([{ id: userId, username, enabled: true }]);
      const before = JSON.parse((await kc.kcadm(["get", `attack-detection/brute-force/users/${userId}`, "-r", REALM])).stdout);
      expect(before).toMatchObject({ disabled: true, numFailures: DEFAULT_BRUTE_FORCE.failureFactor });
      await kc.kcadm(["delete", `attack-detection/brute-force/users/${userId}`, "-r", REALM]);
      expect(await attackStatus()).toMatchObject({ disabled: false, numFailures: 0 });
      const r = await login(USER_PASSWORD);
      expect(r.status, r.text).toBe(200);
    });
  });

  describe("metrics (management port)", () => {
    /** keycloak_user_events_total samples as label maps with their values. */
    async function userEvents(): Promise<{ labels: Record<string, string>; value: number }[]> {
      const r = await http(`${kc.managementUrl}/metrics`);
      expect(r.status).toBe(200);
      return r.text
        .split("\n")
        .filter((l) => l.startsWith("keycloak_user_events_total{"))
        .map((line) => {
          const m = /^keycloak_user_events_total\{(.*)\} (\S+)$/.exec(line)!;
          const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
          return { labels, value: Number(m[2]) };
        });
    }

    it("produces the series the mixin selects, with the recorded label sets", async () => {
      const r = await http(`${kc.managementUrl}/metrics`);
      expect(r.status).toBe(200);
      const selected = selectedNames([keycloakMixin({ namespace: "blacklake", podSelector: {} })]);
      recordOrCompare(
        "keycloak",
        r.text,
        [
          `Recorded by test/integration/keycloak.test.ts (RECORD_METRICS=1) from ${fs.readFileSync(path.join(kc.home, "version.txt"), "utf8").trim()}, after its logins and failures; only the families the mixin selects.`,
        ],
        (n) => selected.has(n),
      );
    });

    it('counts failed logins as keycloak_user_events_total{event="login"|"client_login", error!=""}: what the alerts select', async () => {
      const samples = (await userEvents()).filter((s) => s.labels.realm === REALM);
      const value = (event: string, error: string) => samples.find((s) => s.labels.event === event && s.labels.error === error)?.value ?? 0;
      // the brute-force test's failures, and the wrong client secret
      expect(value("login", "invalid_user_credentials")).toBeGreaterThanOrEqual(DEFAULT_BRUTE_FORCE.failureFactor);
      expect(value("client_login", "invalid_client_credentials")).toBeGreaterThanOrEqual(1);
      // a login while locked out is a failure too
      expect(value("login", "user_temporarily_disabled")).toBeGreaterThanOrEqual(1);
      // successes carry an empty error, so error!="" tells them apart
      expect(value("login", "")).toBeGreaterThanOrEqual(1);
      expect(value("client_login", "")).toBeGreaterThanOrEqual(1);
      // there is no event="login_error": the _ERROR event types count under their base name
      expect(samples.filter((s) => s.labels.event!.endsWith("_error"))).toEqual([]);
      const failures = samples.filter((s) => s.labels.error !== "" && (LOGIN_FAILURE_EVENTS as readonly string[]).includes(s.labels.event!));
      expect(failures.reduce((sum, s) => sum + s.value, 0)).toBeGreaterThanOrEqual(DEFAULT_BRUTE_FORCE.failureFactor + 2);
    });

    it("serves health and metrics on the management port only", async () => {
      expect((await http(`${kc.managementUrl}/health/ready`)).status).toBe(200);
      expect((await http(`${kc.managementUrl}/health/live`)).status).toBe(200);
      expect((await http(`${kc.baseUrl}/metrics`)).status).toBe(404);
      expect((await http(`${kc.baseUrl}/health/ready`)).status).toBe(404);
    });
  });

  it("listens on 127.0.0.1 only", () => {
    const addresses = kc.listeningAddresses();
    expect(addresses).toEqual(expect.arrayContaining([`127.0.0.1:${kc.httpPort}`, `127.0.0.1:${kc.managementPort}`]));
    for (const a of addresses) expect(a).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it("wrote nothing into the install dir", () => {
    const changed: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(p);
        if (fs.lstatSync(p).mtimeMs >= startedAt) changed.push(path.relative(installDir, p));
      }
    };
    walk(installDir);
    expect(changed).toEqual([]);
  });
});
