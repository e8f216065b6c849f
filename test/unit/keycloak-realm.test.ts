import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { isAlertRule, type RecordingRule } from "../../components/lib/mixin";
import { AUTH_FAILURES_CRITICAL_PER_MINUTE, AUTH_FAILURES_WARNING_PER_MINUTE, keycloakMixin, LOGIN_FAILURES_PER_MINUTE } from "../../components/keycloak/mixin";
import { API_CLIENT_ID, type ClientRepresentation, DEFAULT_PASSWORD_POLICY, type RealmOptions, renderRealm, UI_CLIENT_ID } from "../../components/keycloak/realm";
import { ROOT } from "../harness";

const SECRET = "unit-test-secret-0123456789abcdef";
const base: RealmOptions = {
  ui: { rootUrl: "https://blacklake.example.com", redirectUris: ["https://blacklake.example.com/*"] },
  api: { secret: SECRET },
};
const client = (realm: ReturnType<typeof renderRealm>, clientId: string): ClientRepresentation => {
  const c = realm.clients.find((x) => x.clientId === clientId);
  expect(c, clientId).toBeDefined();
  return c!;
};

describe("the Keycloak realm", () => {
  const realm = renderRealm(base);

  it("is the blacklake realm, https outside private networks, no self-registration", () => {
    expect(realm).toMatchObject({ realm: "blacklake", enabled: true, sslRequired: "external", registrationAllowed: false });
    expect(renderRealm({ ...base, realm: "other", displayName: "Other" })).toMatchObject({ realm: "other", displayName: "Other" });
  });

  it("has the guide's roles: admin > user > viewer, service-account and guest standalone", () => {
    const roles = Object.fromEntries(realm.roles.realm.map((r) => [r.name, r]));
    expect(Object.keys(roles).sort()).toEqual(["admin", "guest", "service-account", "user", "viewer"]);
    expect(roles.admin!.composites?.realm.sort()).toEqual(["user", "viewer"]);
    expect(roles.user!.composites?.realm).toEqual(["viewer"]);
    for (const name of ["viewer", "service-account", "guest"]) {
      expect(roles[name]!.composite, name).toBe(false);
      expect(roles[name]!.composites, name).toBeUndefined();
    }
    expect(roles.user!.attributes.permissions).toEqual(["read", "write", "commit"]);
    expect(roles.viewer!.attributes.permissions).toEqual(["read"]);
    for (const r of realm.roles.realm) expect(r.composite, r.name).toBe((r.composites?.realm.length ?? 0) > 0);
  });

  it("makes blacklake-api confidential and service-account only, with the secret it is given", () => {
    const api = client(realm, API_CLIENT_ID);
    expect(api).toMatchObject({
      publicClient: false,
      bearerOnly: false,
      clientAuthenticatorType: "client-secret",
      secret: SECRET,
      serviceAccountsEnabled: true,
      standardFlowEnabled: false,
      implicitFlowEnabled: false,
      directAccessGrantsEnabled: false,
      redirectUris: [],
    });
    expect(api.attributes["oauth2.device.authorization.grant.enabled"]).toBe("false");
  });

  it("gives the API client's service account user the service-account role only", () => {
    expect(realm.users).toEqual([{ username: "service-account-blacklake-api", enabled: true, serviceAccountClientId: API_CLIENT_ID, realmRoles: ["service-account"] }]);
  });

  it("makes blacklake-ui public, code flow with PKCE S256 only, on its own URLs", () => {
    const ui = client(realm, UI_CLIENT_ID);
    expect(ui).toMatchObject({
      publicClient: true,
      standardFlowEnabled: true,
      implicitFlowEnabled: false,
      directAccessGrantsEnabled: false,
      serviceAccountsEnabled: false,
      rootUrl: "https://blacklake.example.com",
      redirectUris: ["https://blacklake.example.com/*"],
      webOrigins: ["https://blacklake.example.com"],
    });
    expect(ui.secret).toBeUndefined();
    expect(ui.attributes["pkce.code.challenge.method"]).toBe("S256");
    expect(ui.attributes["post.logout.redirect.uris"]).toBe("https://blacklake.example.com/*");
    expect(ui.protocolMappers?.[0]).toMatchObject({ protocolMapper: "oidc-audience-mapper", config: { "included.client.audience": API_CLIENT_ID } });
  });

  it("takes web origins and post-logout URIs when given", () => {
    const ui = client(
      renderRealm({
        ...base,
        ui: {
          ...base.ui,
          redirectUris: ["https://a.example.com/app/*", "http://localhost:3000/*"],
          webOrigins: ["https://a.example.com"],
          postLogoutRedirectUris: ["https://a.example.com/bye", "https://a.example.com/"],
        },
      }),
      UI_CLIENT_ID,
    );
    expect(ui.webOrigins).toEqual(["https://a.example.com"]);
    expect(ui.attributes["post.logout.redirect.uris"]).toBe("https://a.example.com/bye##https://a.example.com/");
    const derived = client(
      renderRealm({ ...base, ui: { ...base.ui, redirectUris: ["https://a.example.com/x/*", "https://a.example.com/y/*", "http://localhost:3000/*"] } }),
      UI_CLIENT_ID,
    );
    expect(derived.webOrigins).toEqual(["https://a.example.com", "http://localhost:3000"]);
  });

  it("protects against brute force with a bounded, growing temporary lockout", () => {
    expect(realm).toMatchObject({ bruteForceProtected: true, permanentLockout: false, failureFactor: 5, waitIncrementSeconds: 60, maxFailureWaitSeconds: 900 });
    expect(realm.maxFailureWaitSeconds).toBeGreaterThan(realm.waitIncrementSeconds);
    expect(realm.quickLoginCheckMilliSeconds).toBeGreaterThan(0);
    expect(renderRealm({ ...base, bruteForce: { failureFactor: 3 } })).toMatchObject({ failureFactor: 3, waitIncrementSeconds: 60 });
  });

  it("has the password policy, by default and as given", () => {
    expect(realm.passwordPolicy).toBe(DEFAULT_PASSWORD_POLICY);
    for (const rule of ["length(12)", "upperCase(1)", "lowerCase(1)", "digits(1)", "notUsername", "passwordHistory(5)"]) expect(realm.passwordPolicy).toContain(rule);
    expect(renderRealm({ ...base, passwordPolicy: "length(16)" }).passwordPolicy).toBe("length(16)");
  });

  it("takes token and session lifetimes from the options, with short defaults", () => {
    expect(realm).toMatchObject({ accessTokenLifespan: 300, ssoSessionIdleTimeout: 1800, ssoSessionMaxLifespan: 36_000 });
    const custom = renderRealm({ ...base, accessTokenLifespanSeconds: 120, ssoSessionIdleTimeoutSeconds: 600, ssoSessionMaxLifespanSeconds: 7200 });
    expect(custom).toMatchObject({ accessTokenLifespan: 120, ssoSessionIdleTimeout: 600, ssoSessionMaxLifespan: 7200 });
  });

  it("records authentication failures and lockouts", () => {
    expect(realm.eventsEnabled).toBe(true);
    expect(realm.eventsListeners).toContain("jboss-logging");
    for (const type of ["LOGIN_ERROR", "CLIENT_LOGIN_ERROR", "USER_DISABLED_BY_TEMPORARY_LOCKOUT", "UPDATE_PASSWORD"]) expect(realm.enabledEventTypes).toContain(type);
    expect(realm.adminEventsEnabled).toBe(true);
    expect(realm.adminEventsDetailsEnabled).toBe(false);
  });

  it("hard-codes no secret: the only credential in the output is the one passed in", () => {
    const json = JSON.stringify(realm);
    expect(json.split(SECRET)).toHaveLength(2);
    const other = JSON.stringify(renderRealm({ ...base, api: { secret: "a-completely-different-secret-42" } }));
    expect(other).not.toContain(SECRET);
    expect(json).not.toMatch(/"(password|credentials)"/);
    const source = fs.readFileSync(path.join(ROOT, "components/keycloak/realm.ts"), "utf8");
    expect(source).not.toMatch(/secret:\s*["'`]/);
    expect(() => JSON.parse(json)).not.toThrow();
  });

  it.each<[string, Partial<RealmOptions>]>([
    ["a short secret", { api: { secret: "short" } }],
    ["an empty secret", { api: { secret: "" } }],
    ["a wildcard redirect", { ui: { rootUrl: "https://a.example.com", redirectUris: ["*"] } }],
    ["a plain-http redirect", { ui: { rootUrl: "https://a.example.com", redirectUris: ["http://a.example.com/*"] } }],
    ["no redirect", { ui: { rootUrl: "https://a.example.com", redirectUris: [] } }],
    ["a zero token lifespan", { accessTokenLifespanSeconds: 0 }],
    ["tokens outliving the session", { accessTokenLifespanSeconds: 3600, ssoSessionIdleTimeoutSeconds: 1800 }],
    ["a fractional lockout", { bruteForce: { waitIncrementSeconds: 1.5 } }],
    ["an upper-case realm name", { realm: "BlackLake" }],
  ])("refuses %s", (_, override) => {
    expect(() => renderRealm({ ...base, ...override })).toThrow(/keycloak realm/);
  });
});

describe("the Keycloak monitoring mixin", () => {
  const mixin = keycloakMixin({ namespace: "blacklake", podSelector: { "app.kubernetes.io/name": "keycloak" } });
  const rules = mixin.ruleGroups.flatMap((g) => g.rules);
  const alerts = rules.filter(isAlertRule);
  const alert = (name: string) => alerts.find((a) => a.alert === name)!;

  it("scrapes /metrics on the management port", () => {
    expect(mixin.scrapeTargets).toEqual([
      { jobName: "keycloak", namespace: "blacklake", podSelector: { "app.kubernetes.io/name": "keycloak" }, portName: "management", path: "/metrics" },
    ]);
  });

  // Severity, summary, description and runbook of every alert: test/unit/monitoring-alerts.test.ts.
  it("has the guide's alerts, each with the Keycloak runbook", () => {
    expect(alerts.map((a) => a.alert).sort()).toEqual(["KeycloakAuthenticationFailuresCritical", "KeycloakAuthenticationFailuresHigh", "KeycloakDown"]);
    for (const a of alerts) expect(a.annotations.runbook, a.alert).toBe("docs/runbooks/keycloak.md");
  });

  it("fires KeycloakDown when the scrape fails for a minute", () => {
    expect(alert("KeycloakDown")).toMatchObject({ expr: 'up{job="keycloak", namespace="blacklake"} == 0', for: "1m", labels: { severity: "critical" } });
  });

  it("alerts on more than 50 failed logins a minute (critical, security) and more than 10 (warning)", () => {
    const critical = alert("KeycloakAuthenticationFailuresCritical");
    const warning = alert("KeycloakAuthenticationFailuresHigh");
    expect(AUTH_FAILURES_CRITICAL_PER_MINUTE).toBe(50);
    expect(AUTH_FAILURES_WARNING_PER_MINUTE).toBe(10);
    expect(critical.expr).toBe(`${LOGIN_FAILURES_PER_MINUTE}{namespace="blacklake"} > 50`);
    expect(critical.labels).toEqual({ severity: "critical", category: "security" });
    expect(warning.expr).toBe(`${LOGIN_FAILURES_PER_MINUTE}{namespace="blacklake"} > 10`);
    expect(warning.labels.severity).toBe("warning");
  });

  it("computes failures per minute from Keycloak's user event counter, failures only", () => {
    const rec = rules.find((r): r is RecordingRule => "record" in r && r.record === LOGIN_FAILURES_PER_MINUTE)!;
    // rate() is per second: * 60 makes it per minute, the unit of the thresholds
    expect(rec.expr).toBe('sum by (namespace, realm) (rate(keycloak_user_events_total{job="keycloak", namespace="blacklake", event=~"login|client_login", error!=""}[5m])) * 60');
    // Keycloak 26 has no event="login_error" (the integration test checks against the server)
    expect(rec.expr).not.toContain("login_error");
  });

  it("has a dashboard over the same series", () => {
    expect(mixin.dashboards[0]!.panels.map((p) => p.queries[0]!.expr)).toContain(LOGIN_FAILURES_PER_MINUTE);
  });
});
