import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { kubernetesContainer } from "../lib/container";
import { RESOURCE_PRESETS, toResourceRequirements } from "../lib/resources";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../lib/securityContext";
import { postgresCaVolume, provisionDatabaseContainer } from "./containers";
import { POSTGRES_UID } from "./files";
import type { ServiceDatabase } from "./index";

export interface ProvisionJobArgs {
  name: string;
  meta: { name: string; namespace: pulumi.Input<string>; labels: Record<string, string> };
  image: pulumi.Input<string>;
  host: pulumi.Input<string>;
  database: ServiceDatabase;
  superuserSecret: pulumi.Input<string>;
  ownerSecret: pulumi.Input<string>;
  configMapName: pulumi.Input<string>;
  /** The server's TLS Secret, whose CA the job verifies the server with. */
  tlsSecretName: pulumi.Input<string>;
  opts: pulumi.CustomResourceOptions;
}

/** Runs provision-database.sql for one service; retried until the primary accepts connections. */
export function provisionDatabaseJob(a: ProvisionJobArgs): k8s.batch.v1.Job {
  return new k8s.batch.v1.Job(
    a.name,
    {
      metadata: a.meta,
      spec: {
        backoffLimit: 10,
        activeDeadlineSeconds: 1800,
        // No ttlSecondsAfterFinished: Pulumi owns this Job, and a Job the cluster deleted
        // on its own would show as drift on every refresh and run again on the next up.
        template: {
          metadata: { labels: a.meta.labels },
          spec: {
            restartPolicy: "OnFailure",
            automountServiceAccountToken: false,
            securityContext: restrictedPodSecurityContext(POSTGRES_UID),
            containers: [
              {
                ...kubernetesContainer(
                  provisionDatabaseContainer(a.image, {
                    host: a.host,
                    superuserPassword: { secretName: a.superuserSecret, key: "password" },
                    owner: a.database.owner,
                    ownerPassword: { secretName: a.ownerSecret, key: "password" },
                    database: a.database.name,
                    tls: true,
                  }),
                ),
                resources: toResourceRequirements(RESOURCE_PRESETS.nano),
                securityContext: restrictedContainerSecurityContext(),
              },
            ],
            volumes: [{ name: "config", configMap: { name: a.configMapName, defaultMode: 0o444 } }, postgresCaVolume(a.tlsSecretName)],
          },
        },
      },
    },
    a.opts,
  );
}
