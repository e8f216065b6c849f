// The BlackLake realm as Keycloak's realm representation (the JSON `kc.sh start
// --import-realm` reads from data/import/). A pure renderer: no Pulumi, no I/O.
//
// The API client's secret is an argument, never a default: in Kubernetes it comes from a
// Pulumi secret, so the rendered JSON holds a credential and belongs in a Secret (mounted
// into data/import/), never in a ConfigMap or a plain env value.
//
// `--import-realm` only creates a realm that does not exist yet (it never updates one),
// so a change here reaches a running Keycloak only through the admin API; see
// docs/runbooks/keycloak.md.
//
// Roles (the operations guide: admin (all), user (read, write, commit), viewer (read);
// service accounts for API-only access; guest read-only). The API enforces permissions;
// the realm carries the roles and documents, as role attributes, the permissions each
// one stands for:
//
//   admin            composite of user and viewer, plus administration of the platform
//   user             composite of viewer; read, write, commit
//   viewer           read
//   service-account  machine clients calling the API with the client credentials grant.
//                    Deliberately not a composite of the human roles: a service account
//                    gets exactly what it needs by an explicit, reviewable grant of
//                    user/viewer in addition. The API client's own service account user
//                    has this role alone.
//   guest            read-only access to what the API marks public. Not a composite of
//                    viewer: viewer reads everything a member may see, guest only the
//                    public part, so granting guest never widens what a user reads.
//
// Nothing is added to the realm's default roles: every role is an explicit grant.
//
// Over 300 lines because it is one document: the realm, its clients, roles, policies and
// their reasons belong together where a reviewer reads them against Keycloak's schema.

import { API_OIDC_CLIENT_ID } from "../lib/names";

export const DEFAULT_REALM = "blacklake";
export const API_CLIENT_ID = API_OIDC_CLIENT_ID;
export const UI_CLIENT_ID = "blacklake-ui";

export const DEFAULT_PASSWORD_POLICY = "length(12) and upperCase(1) and lowerCase(1) and digits(1) and notUsername and passwordHistory(5)";

/** Keycloak's brute-force detector, per user. All durations in seconds. */
export interface BruteForceOptions {
  /** Failed logins before a temporary lockout. */
  failureFactor: number;
  /** Lockout after the first `failureFactor` failures; grows by this much each further time. */
  waitIncrementSeconds: number;
  /** Upper bound of a temporary lockout. */
  maxFailureWaitSeconds: number;
  /** Failures are forgotten after this long without one. */
  maxDeltaTimeSeconds: number;
  /** Two failures within this many milliseconds are "quick": the user is locked at once... */
  quickLoginCheckMilliSeconds: number;
  /** ...for this long. */
  minimumQuickLoginWaitSeconds: number;
}

export const DEFAULT_BRUTE_FORCE: BruteForceOptions = {
  failureFactor: 5,
  waitIncrementSeconds: 60,
  maxFailureWaitSeconds: 900,
  maxDeltaTimeSeconds: 43_200,
  quickLoginCheckMilliSeconds: 1000,
  minimumQuickLoginWaitSeconds: 60,
};

export interface RealmOptions {
  /** Realm name, part of every URL (/realms/<realm>/...). Default "blacklake". */
  realm?: string;
  /** Shown on the login page. Default "BlackLake". */
  displayName?: string;
  /** The single-page UI: a public client with the authorization code flow and PKCE. */
  ui: {
    /** Default "blacklake-ui". */
    clientId?: string;
    /** The UI's base URL, e.g. https://blacklake.example.com */
    rootUrl: string;
    /** Where Keycloak may send the browser back to, e.g. ["https://blacklake.example.com/*"]. */
    redirectUris: string[];
    /** CORS origins. Default: the origins of redirectUris. */
    webOrigins?: string[];
    /** Where the browser may go after logout. Default: the redirect URIs. */
    postLogoutRedirectUris?: string[];
  };
  /** The API server: a confidential client using its service account. */
  api: {
    /** Default "blacklake-api". */
    clientId?: string;
    /** The client secret (from a Pulumi secret in Kubernetes). At least 16 characters. */
    secret: string;
  };
  /** Access token lifetime. Default 300 (5 minutes). */
  accessTokenLifespanSeconds?: number;
  /** An SSO session ends after this long without activity. Default 1800 (30 minutes). */
  ssoSessionIdleTimeoutSeconds?: number;
  /** An SSO session ends after this long regardless of activity. Default 36000 (10 hours). */
  ssoSessionMaxLifespanSeconds?: number;
  /** Keycloak password policy. Default DEFAULT_PASSWORD_POLICY. */
  passwordPolicy?: string;
  bruteForce?: Partial<BruteForceOptions>;
  /** How long the realm keeps login events for the admin console. Default 7 days. */
  eventsExpirationSeconds?: number;
}

/** The parts of Keycloak's RealmRepresentation this renderer writes. */
export interface RoleRepresentation {
  name: string;
  description: string;
  composite: boolean;
  composites?: { realm: string[] };
  attributes: Record<string, string[]>;
}

export interface ProtocolMapperRepresentation {
  name: string;
  protocol: "openid-connect";
  protocolMapper: string;
  consentRequired: boolean;
  config: Record<string, string>;
}

export interface ClientRepresentation {
  clientId: string;
  name: string;
  description: string;
  enabled: boolean;
  protocol: "openid-connect";
  publicClient: boolean;
  bearerOnly: boolean;
  clientAuthenticatorType?: "client-secret";
  secret?: string;
  standardFlowEnabled: boolean;
  implicitFlowEnabled: boolean;
  directAccessGrantsEnabled: boolean;
  serviceAccountsEnabled: boolean;
  consentRequired: boolean;
  fullScopeAllowed: boolean;
  frontchannelLogout: boolean;
  rootUrl?: string;
  baseUrl?: string;
  redirectUris: string[];
  webOrigins: string[];
  attributes: Record<string, string>;
  protocolMappers?: ProtocolMapperRepresentation[];
}

export interface UserRepresentation {
  username: string;
  enabled: boolean;
  serviceAccountClientId?: string;
  realmRoles: string[];
}

export interface RealmRepresentation extends BruteForceOptions {
  realm: string;
  displayName: string;
  enabled: boolean;
  sslRequired: "external";
  registrationAllowed: boolean;
  registrationEmailAsUsername: boolean;
  rememberMe: boolean;
  verifyEmail: boolean;
  loginWithEmailAllowed: boolean;
  duplicateEmailsAllowed: boolean;
  resetPasswordAllowed: boolean;
  editUsernameAllowed: boolean;
  accessTokenLifespan: number;
  accessTokenLifespanForImplicitFlow: number;
  ssoSessionIdleTimeout: number;
  ssoSessionMaxLifespan: number;
  accessCodeLifespan: number;
  accessCodeLifespanLogin: number;
  accessCodeLifespanUserAction: number;
  passwordPolicy: string;
  bruteForceProtected: boolean;
  permanentLockout: boolean;
  eventsEnabled: boolean;
  eventsExpiration: number;
  eventsListeners: string[];
  enabledEventTypes: string[];
  adminEventsEnabled: boolean;
  adminEventsDetailsEnabled: boolean;
  roles: { realm: RoleRepresentation[] };
  clients: ClientRepresentation[];
  users: UserRepresentation[];
}

export const REALM_ROLES = ["admin", "user", "viewer", "service-account", "guest"] as const;
export type RealmRole = (typeof REALM_ROLES)[number];

/**
 * Events stored for the admin console (Realm settings > Events) and logged by the
 * jboss-logging listener: every authentication failure (the audit log of the operations
 * guide), lockouts, and credential changes. The Prometheus counters
 * (keycloak_user_events_total) count every event regardless of this list.
 */
export const ENABLED_EVENT_TYPES = [
  "LOGIN",
  "LOGIN_ERROR",
  "LOGOUT",
  "LOGOUT_ERROR",
  "CLIENT_LOGIN",
  "CLIENT_LOGIN_ERROR",
  "CODE_TO_TOKEN_ERROR",
  "REFRESH_TOKEN_ERROR",
  "INTROSPECT_TOKEN_ERROR",
  "TOKEN_EXCHANGE_ERROR",
  "UPDATE_PASSWORD",
  "UPDATE_PASSWORD_ERROR",
  "UPDATE_CREDENTIAL",
  "REMOVE_CREDENTIAL",
  "RESET_PASSWORD",
  "RESET_PASSWORD_ERROR",
  "USER_DISABLED_BY_TEMPORARY_LOCKOUT",
  "USER_DISABLED_BY_PERMANENT_LOCKOUT",
  "IDENTITY_PROVIDER_LOGIN_ERROR",
];

const ROLE_DEFINITIONS: Record<RealmRole, { description: string; permissions: string[]; composites: RealmRole[] }> = {
  admin: { description: "Everything, including administration of the platform", permissions: ["read", "write", "commit", "admin"], composites: ["user", "viewer"] },
  user: { description: "Read, write and commit", permissions: ["read", "write", "commit"], composites: ["viewer"] },
  viewer: { description: "Read", permissions: ["read"], composites: [] },
  "service-account": {
    description: "A machine client using the API only (client credentials); grant data roles explicitly",
    permissions: ["api"],
    composites: [],
  },
  guest: { description: "Read-only access to public resources", permissions: ["read-public"], composites: [] },
};

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new Error(`keycloak realm: ${name} must be a positive integer, got ${value}`);
  return value;
}

/** A redirect URI or origin: https, or http on loopback for local development; never a bare wildcard. */
function checkedUrl(kind: string, value: string): URL {
  if (/^[*+]$/.test(value.trim())) throw new Error(`keycloak realm: ${kind} "${value}" would allow any URL`);
  let url: URL;
  try {
    url = new URL(value.replace(/\*$/, ""));
  } catch {
    throw new Error(`keycloak realm: ${kind} "${value}" is not an absolute URL`);
  }
  const loopback = ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw new Error(`keycloak realm: ${kind} "${value}" must use https (http only on localhost)`);
  }
  if (url.hostname.includes("*")) throw new Error(`keycloak realm: ${kind} "${value}" has a wildcard host`);
  return url;
}

export function renderRealm(options: RealmOptions): RealmRepresentation {
  const realm = options.realm ?? DEFAULT_REALM;
  if (!/^[a-z0-9][a-z0-9-]*$/.test(realm)) throw new Error(`keycloak realm: name "${realm}" must be lower-case letters, digits and dashes`);
  const apiClientId = options.api.clientId ?? API_CLIENT_ID;
  const uiClientId = options.ui.clientId ?? UI_CLIENT_ID;
  if (apiClientId === uiClientId) throw new Error("keycloak realm: the API and UI clients need different client ids");

  const secret = options.api.secret;
  if (typeof secret !== "string" || secret.length < 16 || secret.trim() !== secret) {
    throw new Error("keycloak realm: the API client secret must be at least 16 characters without surrounding whitespace");
  }

  const accessTokenLifespan = positiveInteger("accessTokenLifespanSeconds", options.accessTokenLifespanSeconds ?? 300);
  const ssoSessionIdleTimeout = positiveInteger("ssoSessionIdleTimeoutSeconds", options.ssoSessionIdleTimeoutSeconds ?? 1800);
  const ssoSessionMaxLifespan = positiveInteger("ssoSessionMaxLifespanSeconds", options.ssoSessionMaxLifespanSeconds ?? 36_000);
  if (ssoSessionIdleTimeout > ssoSessionMaxLifespan) throw new Error("keycloak realm: the SSO idle timeout exceeds the SSO maximum lifespan");
  if (accessTokenLifespan > ssoSessionIdleTimeout) {
    throw new Error("keycloak realm: access tokens must expire before the SSO session idles out (accessTokenLifespanSeconds <= ssoSessionIdleTimeoutSeconds)");
  }
  const eventsExpiration = positiveInteger("eventsExpirationSeconds", options.eventsExpirationSeconds ?? 7 * 86_400);

  const bruteForce = { ...DEFAULT_BRUTE_FORCE, ...(options.bruteForce ?? {}) };
  for (const [k, v] of Object.entries(bruteForce)) positiveInteger(`bruteForce.${k}`, v);
  if (bruteForce.waitIncrementSeconds > bruteForce.maxFailureWaitSeconds) {
    throw new Error("keycloak realm: bruteForce.waitIncrementSeconds exceeds bruteForce.maxFailureWaitSeconds");
  }

  const passwordPolicy = (options.passwordPolicy ?? DEFAULT_PASSWORD_POLICY).trim();
  if (!passwordPolicy) throw new Error("keycloak realm: the password policy is empty");

  checkedUrl("ui.rootUrl", options.ui.rootUrl);
  if (options.ui.redirectUris.length === 0) throw new Error("keycloak realm: the UI client needs at least one redirect URI");
  const redirectUris = options.ui.redirectUris.map((u) => {
    checkedUrl("redirect URI", u);
    return u;
  });
  const webOrigins = options.ui.webOrigins
    ? options.ui.webOrigins.map((o) => checkedUrl("web origin", o).origin)
    : [...new Set(redirectUris.map((u) => checkedUrl("redirect URI", u).origin))];
  const postLogoutRedirectUris = (options.ui.postLogoutRedirectUris ?? redirectUris).map((u) => {
    checkedUrl("post-logout redirect URI", u);
    return u;
  });

  const roles: RoleRepresentation[] = REALM_ROLES.map((name) => {
    const def = ROLE_DEFINITIONS[name];
    return {
      name,
      description: def.description,
      composite: def.composites.length > 0,
      ...(def.composites.length > 0 ? { composites: { realm: [...def.composites] } } : {}),
      attributes: { permissions: [...def.permissions] },
    };
  });

  // Flows neither client uses stay off explicitly, so that a Keycloak default changing
  // between versions cannot turn one on.
  const noExtraGrants = {
    "oauth2.device.authorization.grant.enabled": "false",
    "oidc.ciba.grant.enabled": "false",
    "standard.token.exchange.enabled": "false",
  };

  const apiClient: ClientRepresentation = {
    clientId: apiClientId,
    name: "BlackLake API",
    description: "The API server: confidential, client credentials (service account) only",
    enabled: true,
    protocol: "openid-connect",
    publicClient: false,
    bearerOnly: false,
    clientAuthenticatorType: "client-secret",
    secret,
    standardFlowEnabled: false,
    implicitFlowEnabled: false,
    directAccessGrantsEnabled: false,
    serviceAccountsEnabled: true,
    consentRequired: false,
    fullScopeAllowed: true,
    frontchannelLogout: false,
    redirectUris: [],
    webOrigins: [],
    attributes: {
      ...noExtraGrants,
      // No refresh token for client credentials: the client simply asks again.
      "client_credentials.use_refresh_token": "false",
    },
  };

  const uiClient: ClientRepresentation = {
    clientId: uiClientId,
    name: "BlackLake UI",
    description: "The browser UI: public, authorization code flow with PKCE (S256)",
    enabled: true,
    protocol: "openid-connect",
    publicClient: true,
    bearerOnly: false,
    standardFlowEnabled: true,
    implicitFlowEnabled: false,
    directAccessGrantsEnabled: false,
    serviceAccountsEnabled: false,
    consentRequired: false,
    fullScopeAllowed: true,
    frontchannelLogout: true,
    rootUrl: options.ui.rootUrl,
    baseUrl: "/",
    redirectUris,
    webOrigins,
    attributes: {
      ...noExtraGrants,
      "pkce.code.challenge.method": "S256",
      "post.logout.redirect.uris": postLogoutRedirectUris.join("##"),
    },
    protocolMappers: [
      {
        // The UI's access tokens are for the API: the API checks aud = its client id.
        name: `audience ${apiClientId}`,
        protocol: "openid-connect",
        protocolMapper: "oidc-audience-mapper",
        consentRequired: false,
        config: {
          "included.client.audience": apiClientId,
          "access.token.claim": "true",
          "id.token.claim": "false",
          "introspection.token.claim": "true",
        },
      },
    ],
  };

  return {
    realm,
    displayName: options.displayName ?? "BlackLake",
    enabled: true,
    sslRequired: "external",
    registrationAllowed: false,
    registrationEmailAsUsername: false,
    rememberMe: false,
    verifyEmail: false,
    loginWithEmailAllowed: true,
    duplicateEmailsAllowed: false,
    // Needs an SMTP server in the realm; enable both together.
    resetPasswordAllowed: false,
    editUsernameAllowed: false,
    accessTokenLifespan,
    accessTokenLifespanForImplicitFlow: accessTokenLifespan, // the implicit flow is off; keep it no longer anyway
    ssoSessionIdleTimeout,
    ssoSessionMaxLifespan,
    accessCodeLifespan: 60,
    accessCodeLifespanLogin: 1800,
    accessCodeLifespanUserAction: 300,
    passwordPolicy,
    bruteForceProtected: true,
    permanentLockout: false,
    ...bruteForce,
    eventsEnabled: true,
    eventsExpiration,
    eventsListeners: ["jboss-logging"],
    enabledEventTypes: [...ENABLED_EVENT_TYPES],
    adminEventsEnabled: true,
    // Details would copy request bodies (user representations) into the event store.
    adminEventsDetailsEnabled: false,
    roles: { realm: roles },
    clients: [apiClient, uiClient],
    users: [
      {
        // Keycloak's name for a client's service account user.
        username: `service-account-${apiClientId}`,
        enabled: true,
        serviceAccountClientId: apiClientId,
        realmRoles: ["service-account"],
      },
    ],
  };
}
