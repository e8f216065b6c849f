// The local stack's object store: MinIO over plain HTTP on the private network, and its bootstrap.

import * as pulumi from "@pulumi/pulumi";
import { SERVICES } from "../../components/lib/names";
import * as random from "@pulumi/random";
import { MINIO_API_PORT, minioBootstrapFiles } from "../../components/minio/files";
import { credentialFiles, PROMETHEUS_CONSUMER } from "../../components/minio/policies";
import { minioServerContainer } from "../../components/minio/statefulSet";
import { minioBootstrapContainer } from "../../components/minio/jobs";
import { fromSpec } from "./container";
import type { LocalContext, Volumes } from "./context";

/** MinIO (plain HTTP on the private network: pgBackRest uses the posix repository). */
export function localMinio(ctx: LocalContext, v: Volumes) {
  const { config, local, child, image, password, run } = ctx;
  const { minioData, volumeOwners } = v;
  const minioRootUser = new random.RandomString("minio-root-user", { length: 16, special: false, upper: false }, child).result;
  const minioRootPassword = password("minio-root-password", 40);
  const kmsKey = new random.RandomBytes("minio-kms-key", { length: 32 }, child).base64;
  // An empty certs directory: MinIO serves plain HTTP.
  const server = fromSpec(
    SERVICES.minio,
    minioServerContainer(image(config.images.minio), { certsDir: "/tmp/certs", console: false, drives: "/data0", driveVolumes: ["data0"], tls: false }),
    { data0: minioData },
  );
  run(
    {
      ...server,
      env: { MINIO_ROOT_USER: minioRootUser, MINIO_ROOT_PASSWORD: minioRootPassword, MINIO_KMS_SECRET_KEY: pulumi.interpolate`blacklake-sse:${kmsKey}`, ...server.env },
      ports: [{ internal: MINIO_API_PORT, external: local.ports.minio }],
    },
    [volumeOwners],
  );
  const bootstrap = minioBootstrapFiles(config.minio);
  const keyPair = (consumer: string) => ({
    accessKey: new random.RandomString(`minio-${consumer}-access-key`, { length: 20, special: false, lower: false }, child).result,
    secretKey: password(`minio-${consumer}-secret-key`, 40),
  });
  const consumerKeys = new Map([...bootstrap.consumers.map((c) => c.name), PROMETHEUS_CONSUMER].map((c) => [c, keyPair(c)]));
  const keysOf = (consumer: string) => {
    const keys = consumerKeys.get(consumer);
    if (!keys) throw new Error(`local stack: no MinIO consumer "${consumer}" (there are: ${[...consumerKeys.keys()].join(", ")})`);
    return keys;
  };
  const minioUrl = `http://${SERVICES.minio}:${MINIO_API_PORT}`;
  const keyFiles = [...consumerKeys].flatMap(([consumer, keys]) => {
    const files = credentialFiles(consumer);
    return [
      [files.accessKey, keys.accessKey],
      [files.secretKey, keys.secretKey],
    ] as const;
  });
  run({
    ...fromSpec(
      "minio-bootstrap",
      minioBootstrapContainer(image(config.images.mc), {
        url: minioUrl,
        root: { user: minioRootUser, password: minioRootPassword },
        tls: false,
        files: bootstrap.files,
        keys: Object.fromEntries(keyFiles),
      }),
    ),
    oneShot: true,
  });

  return { keysOf, minioUrl };
}
