// The local stack's identity provider: Keycloak, its database provisioned on the local PostgreSQL.

import { fileOf } from "../../components/lib/confFile";
import { KEYCLOAK_DATABASE, SERVICES } from "../../components/lib/names";
import { KEYCLOAK_HTTP_PORT, keycloakContainer, keycloakRealmFiles, REALM_FILE } from "../../components/keycloak/files";
import { DEFAULT_REALM } from "../../components/keycloak/realm";
import { provisionDatabaseContainer } from "../../components/postgres/containers";
import { POSTGRES_PORT } from "../../components/postgres/files";
import { fromSpec } from "./container";
import type { LocalContext, Database, Identity } from "./context";

/** Keycloak, its database on the local PostgreSQL. */
export function localKeycloak(ctx: LocalContext, db: Database): Identity {
  const { config, local, image, password, run } = ctx;
  const { postgres, superuserPassword, pgFiles } = db;
  const dbPassword = password("postgres-db-keycloak");
  const provisioned = run(
    {
      ...fromSpec(
        "postgres-db-keycloak",
        provisionDatabaseContainer(image(config.images.postgres), {
          host: SERVICES.postgres,
          superuserPassword,
          owner: KEYCLOAK_DATABASE.owner,
          ownerPassword: dbPassword,
          tls: false,
          database: KEYCLOAK_DATABASE.name,
          script: fileOf(pgFiles, "provision-database.sql"),
          // The Kubernetes Job's backoffLimit: retried while the server starts.
          attempts: 60,
        }),
      ),
      oneShot: true,
    },
    [postgres],
  );
  const apiClientSecret = password("keycloak-api-client");
  const adminPassword = password("keycloak-admin");
  const realm = apiClientSecret.apply((clientSecret) => keycloakRealmFiles(config.keycloak, { domain: config.domain, apiClientSecret: clientSecret }));
  run(
    {
      ...fromSpec(
        SERVICES.keycloak,
        keycloakContainer(
          image(config.images.keycloak),
          {
            database: { url: `jdbc:postgresql://${SERVICES.postgres}:${POSTGRES_PORT}/${KEYCLOAK_DATABASE.name}`, username: KEYCLOAK_DATABASE.owner, password: dbPassword },
            // The address a browser on this machine uses; tokens carry it as their issuer. The API
            // asks on http://keycloak:8080 and gets backchannel endpoints there.
            publicUrl: ctx.urls.keycloak,
            admin: { username: "admin", password: adminPassword },
            // No ingress in front, and one node: no cluster discovery.
            behindProxy: false,
            cache: "local",
          },
          { realm: { [REALM_FILE]: realm.apply((f) => f[REALM_FILE]) } },
        ),
      ),
      ports: [{ internal: KEYCLOAK_HTTP_PORT, external: local.ports.keycloak }],
    },
    [provisioned],
  );
  return { issuer: `${ctx.urls.keycloak}/realms/${DEFAULT_REALM}`, clientSecret: apiClientSecret };
}
