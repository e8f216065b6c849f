// The local stack's API, wired to the database, queue, object store and Keycloak.

import * as pulumi from "@pulumi/pulumi";
import { API_OIDC_CLIENT_ID, SERVICES } from "../../components/lib/names";
import { KEYCLOAK_HTTP_PORT, realmDiscoveryPath } from "../../components/keycloak/files";
import { DEFAULT_REALM } from "../../components/keycloak/realm";
import { POSTGRES_PORT } from "../../components/postgres/files";
import { fromSpec } from "./container";
import { API_PROBE_PATHS, apiEnv } from "../api";
import { workloadContainer } from "../../components/workload";
import type { LocalContext, Database, Store, Identity } from "./context";

/** The API, with the database, queue, object store and (when enabled) Keycloak it uses. */
export function localApi(ctx: LocalContext, d: { database: Database; queue: { redisPasswords: { app: pulumi.Output<string> } }; store: Store; identity?: Identity }) {
  const { config, local, image, run } = ctx;
  const { keysOf, minioUrl } = d.store;
  const { appPassword } = d.database;
  const { redisPasswords } = d.queue;
  const { identity } = d;
  const pg = config.postgres;
  // keysOf throws, naming the consumers it has, when the bootstrap declares no api consumer.
  const apiKeys = keysOf(SERVICES.api);
  const api = workloadContainer(SERVICES.api, {
    image: image(config.images.api),
    port: config.api.port,
    ...API_PROBE_PATHS,
    env: apiEnv({
      databaseUrl: pulumi.interpolate`postgresql://${pg.appUser}:${appPassword}@${SERVICES.postgres}:${POSTGRES_PORT}/${pg.appDatabase}`,
      redis: { host: SERVICES.redis, username: "app", password: redisPasswords.app },
      objectStore: { endpoint: minioUrl, accessKey: apiKeys.accessKey, secretKey: apiKeys.secretKey },
      ...(identity
        ? {
            oidc: {
              discoveryUrl: `http://${SERVICES.keycloak}:${KEYCLOAK_HTTP_PORT}${realmDiscoveryPath(DEFAULT_REALM)}`,
              issuer: identity.issuer,
              clientId: API_OIDC_CLIENT_ID,
              clientSecret: identity.clientSecret,
            },
          }
        : {}),
    }),
  });
  run({ ...fromSpec(SERVICES.api, api), ports: [{ internal: config.api.port, external: local.ports.api }] });
}
