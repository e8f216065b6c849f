import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { RESOURCE_PRESETS, toResourceRequirements } from "../lib/resources";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../lib/securityContext";
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
  configDir: string;
  runAsUser: number;
  opts: pulumi.CustomResourceOptions;
}

/** Runs provision-database.sql for one service; retried until the primary accepts connections. */
export function provisionDatabaseJob(a: ProvisionJobArgs): k8s.batch.v1.Job {
  const fromSecret = (envName: string, secretName: pulumi.Input<string>, key: string) => ({
    name: envName,
    valueFrom: { secretKeyRef: { name: secretName, key } },
  });
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
            securityContext: restrictedPodSecurityContext(a.runAsUser),
            containers: [
              {
                name: "provision",
                image: a.image,
                command: [
                  "sh",
                  "-c",
                  `psql --no-psqlrc --set=ON_ERROR_STOP=1 --host="$PGHOST" --username=postgres --dbname=postgres --set=owner="$OWNER" --set=owner_password="$OWNER_PASSWORD" --set=database="$DATABASE" --file=${a.configDir}/provision-database.sql`,
                ],
                env: [
                  { name: "PGHOST", value: a.host },
                  fromSecret("PGPASSWORD", a.superuserSecret, "password"),
                  { name: "OWNER", value: a.database.owner },
                  fromSecret("OWNER_PASSWORD", a.ownerSecret, "password"),
                  { name: "DATABASE", value: a.database.name },
                ],
                resources: toResourceRequirements(RESOURCE_PRESETS.nano),
                securityContext: restrictedContainerSecurityContext(),
                volumeMounts: [{ name: "config", mountPath: a.configDir, readOnly: true }],
              },
            ],
            volumes: [{ name: "config", configMap: { name: a.configMapName, defaultMode: 0o444 } }],
          },
        },
      },
    },
    a.opts,
  );
}
