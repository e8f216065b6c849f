// The policy pack's stack-level rules: they read several resources at once (a workload and
// its PDB, a backup schedule and its alerts). Over 300 lines because each rule needs its
// own cross-resource reader, kept beside the rule it serves.

import type { PolicyResource, ReportViolation } from "@pulumi/policy";
import { AWS, isAccessLogTarget } from "./aws";
import {
  asArray,
  K8S,
  kindOf,
  labelsOf,
  metadataName,
  namespaceOf,
  ofType,
  podLabelsOf,
  podSpecOf,
  type Props,
  refersTo,
  sameNamespace,
  selectorMatches,
  stackPolicy,
  type StackPolicy,
  where,
  WORKLOAD_TYPES,
} from "./lib";
import { confRepos, containerCommand } from "./effective";
import { PGBACKREST_CONF, POSTGRES_CONF } from "./platform";

// Rules that need more than one resource: PDBs and HPAs against workloads, NetworkPolicies
// against namespaces, PostgreSQL against its ConfigMap and backup CronJobs, S3 buckets
// against their versioning/encryption/public-access/lifecycle companions.

const at = (r: PolicyResource) => where(r.type, r.name, r.props);
const objectName = (r: PolicyResource) => metadataName(r.props, r.name);

/** Replicas a workload runs with: its spec.replicas, raised to an HPA's minReplicas. */
export function replicasOf(workload: PolicyResource, hpas: PolicyResource[]): number {
  const declared = typeof workload.props.spec?.replicas === "number" ? workload.props.spec.replicas : 1;
  const hpa = hpas.find(
    (h) => sameNamespace(h.props, workload.props) && h.props.spec?.scaleTargetRef?.kind === kindOf(workload.type) && h.props.spec?.scaleTargetRef?.name === objectName(workload),
  );
  return Math.max(declared, hpa?.props.spec?.minReplicas ?? 1);
}

export const pdbsFor = (workload: PolicyResource, pdbs: PolicyResource[]) =>
  pdbs.filter((p) => sameNamespace(p.props, workload.props) && selectorMatches(p.props.spec?.selector, podLabelsOf(workload.type, workload.props)));

const pdbForReplicated = stackPolicy({
  name: "stack-pdb-for-replicated-workloads",
  description: "Every Deployment/StatefulSet running more than one replica has a PodDisruptionBudget selecting its pods.",
  enforcementLevel: "mandatory",
  validate: ({ resources }, report) => {
    const hpas = ofType(resources, K8S.hpa);
    const pdbs = ofType(resources, K8S.pdb);
    for (const w of ofType(resources, K8S.deployment, K8S.statefulSet)) {
      const replicas = replicasOf(w, hpas);
      if (replicas > 1 && pdbsFor(w, pdbs).length === 0) {
        report(
          `${at(w)} runs ${replicas} replicas but no PodDisruptionBudget in its namespace selects its pod labels (spec.template.metadata.labels). ` +
            `Add a PodDisruptionBudget with maxUnavailable: 1 whose spec.selector matches spec.selector.matchLabels.`,
          w.urn,
        );
      }
    }
  },
});

/** Pods a rolling update may take down at once, per Kubernetes' rounding (maxUnavailable rounds down). */
function rolloutUnavailable(deployment: Props, replicas: number): number {
  const strategy = deployment.spec?.strategy ?? {};
  if (strategy.type === "Recreate") return replicas;
  const value = strategy.rollingUpdate?.maxUnavailable ?? "25%";
  if (typeof value === "number") return value;
  const pct = /^(\d+)%$/.exec(String(value));
  return pct ? Math.floor((replicas * Number(pct[1])) / 100) : Number(value);
}

const rolloutAvailability = stackPolicy({
  name: "stack-deployment-rollout-availability",
  description: "Deployments roll out without losing capacity (effective maxUnavailable 0) or are protected by a PodDisruptionBudget.",
  enforcementLevel: "mandatory",
  validate: ({ resources }, report) => {
    const hpas = ofType(resources, K8S.hpa);
    const pdbs = ofType(resources, K8S.pdb);
    for (const d of ofType(resources, K8S.deployment)) {
      const replicas = replicasOf(d, hpas);
      const unavailable = rolloutUnavailable(d.props, replicas);
      if (unavailable > 0 && pdbsFor(d, pdbs).length === 0) {
        report(
          `${at(d)}: a rollout may take ${unavailable} of ${replicas} pods down (spec.strategy ${d.props.spec?.strategy?.type ?? "RollingUpdate"}, ` +
            `maxUnavailable ${d.props.spec?.strategy?.rollingUpdate?.maxUnavailable ?? "25%"}) and no PodDisruptionBudget selects it. ` +
            `Set spec.strategy.rollingUpdate.maxUnavailable: 0, or add a PodDisruptionBudget for its pods.`,
          d.urn,
        );
      }
    }
  },
});

const DEFAULT_MIN_REPLICAS = 2;
const hpaMinReplicas = stackPolicy({
  name: "stack-hpa-min-replicas",
  description: "In highly available stacks (policy config highAvailability, default true) every HPA keeps at least minReplicas (default 2) pods and targets a declared workload.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      highAvailability: { type: "boolean", default: true, description: "Whether this stack must survive the loss of a pod (prod: true)." },
      minReplicas: { type: "integer", minimum: 1, default: DEFAULT_MIN_REPLICAS, description: "Smallest HPA minReplicas in an HA stack." },
    },
  },
  validate: ({ resources, getConfig }, report) => {
    const config = getConfig<{ highAvailability?: boolean; minReplicas?: number }>();
    const min = config.minReplicas ?? DEFAULT_MIN_REPLICAS;
    for (const hpa of ofType(resources, K8S.hpa)) {
      const target = hpa.props.spec?.scaleTargetRef ?? {};
      const found = resources.some((r) => kindOf(r.type) === target.kind && objectName(r) === target.name && sameNamespace(r.props, hpa.props));
      if (!found) {
        report(`${at(hpa)}: spec.scaleTargetRef ${target.kind}/${target.name} is not declared in this stack. Point scaleTargetRef at the workload it scales.`, hpa.urn);
      }
      const minReplicas = hpa.props.spec?.minReplicas ?? 1;
      if ((config.highAvailability ?? true) && minReplicas < min) {
        report(
          `${at(hpa)}: spec.minReplicas is ${minReplicas}, below the highly-available minimum of ${min}. ` +
            `Raise autoscaling.minReplicas to ${min} in the stack config (or set highAvailability: false in this stack's policy config if it is not production).`,
          hpa.urn,
        );
      }
    }
  },
});

/** Namespaces the stack declares or puts objects in. */
function stackNamespaces(resources: PolicyResource[]): string[] {
  const names = new Set<string>();
  for (const r of resources) {
    if (!r.type.startsWith("kubernetes:")) continue;
    if (r.type === K8S.namespace) names.add(objectName(r));
    else if (namespaceOf(r.props)) names.add(namespaceOf(r.props)!);
  }
  return [...names].sort();
}

function deniesAll(policy: Props, direction: "Ingress" | "Egress"): boolean {
  const spec = policy.spec ?? {};
  const selectsAll = Object.keys(spec.podSelector?.matchLabels ?? {}).length === 0 && asArray(spec.podSelector?.matchExpressions).length === 0;
  const types: string[] = spec.policyTypes ?? (spec.egress ? ["Ingress", "Egress"] : ["Ingress"]);
  const rules = direction === "Ingress" ? spec.ingress : spec.egress;
  return selectsAll && types.includes(direction) && asArray(rules).length === 0;
}

const defaultDeny = stackPolicy({
  name: "stack-network-policy-default-deny",
  description: "Every namespace the stack uses has a default-deny NetworkPolicy for ingress and egress (empty podSelector, no rules).",
  enforcementLevel: "mandatory",
  validate: ({ resources }, report) => {
    const policies = ofType(resources, K8S.networkPolicy);
    for (const ns of stackNamespaces(resources)) {
      const inNs = policies.filter((p) => (namespaceOf(p.props) ?? "default") === ns);
      const missing = (["Ingress", "Egress"] as const).filter((d) => !inNs.some((p) => deniesAll(p.props, d)));
      if (missing.length > 0) {
        report(
          `Namespace "${ns}" has no default-deny NetworkPolicy for ${missing.join(" and ")}. ` +
            `Add a NetworkPolicy in it with spec.podSelector: {}, spec.policyTypes: ["Ingress", "Egress"] and no rules, then allow each flow explicitly.`,
        );
      }
    }
  },
});

export const isPostgres = (r: PolicyResource) => r.type === K8S.statefulSet && labelsOf(r.props)["app.kubernetes.io/name"] === "postgres";

/** ConfigMaps a workload mounts (volumes and projected sources), as declared resources. */
function mountedConfigMaps(workload: PolicyResource, resources: PolicyResource[]): PolicyResource[] {
  const pod = podSpecOf(workload.type, workload.props);
  const names = asArray(pod?.spec.volumes).flatMap((v) => [
    ...(v.configMap?.name ? [v.configMap.name as string] : []),
    ...asArray(v.projected?.sources).flatMap((s) => (s.configMap?.name ? [s.configMap.name as string] : [])),
  ]);
  return ofType(resources, K8S.configMap).filter((c) => names.includes(objectName(c)) && sameNamespace(c.props, workload.props));
}

export function postgresConfigs(pg: PolicyResource, resources: PolicyResource[]) {
  const mounted = mountedConfigMaps(pg, resources);
  const withConf = (key: string) => mounted.find((c) => typeof c.props.data?.[key] === "string");
  return { postgresql: withConf(POSTGRES_CONF), pgbackrest: withConf(PGBACKREST_CONF) };
}

const postgresConfig = stackPolicy({
  name: "stack-postgres-config-present",
  description: "Every PostgreSQL StatefulSet (app.kubernetes.io/name=postgres) mounts a declared ConfigMap with postgresql.conf and pgbackrest.conf.",
  enforcementLevel: "mandatory",
  validate: ({ resources }, report) => {
    for (const pg of resources.filter(isPostgres)) {
      const { postgresql, pgbackrest } = postgresConfigs(pg, resources);
      const missing = [...(postgresql ? [] : [POSTGRES_CONF]), ...(pgbackrest ? [] : [PGBACKREST_CONF])];
      if (missing.length > 0) {
        report(
          `${at(pg)}: no ConfigMap mounted through spec.template.spec.volumes carries ${missing.join(" and ")}. ` +
            `Mount the cluster's rendered config ConfigMap (components/postgres) so WAL archiving and pgBackRest settings are under policy.`,
          pg.urn,
        );
      }
    }
  },
});

/** CronJobs that belong to the same PostgreSQL instance (same namespace, app name and instance). */
export function postgresCronJobs(pg: PolicyResource, resources: PolicyResource[]): PolicyResource[] {
  const pgLabels = labelsOf(pg.props);
  return ofType(resources, K8S.cronJob).filter((c) => {
    const labels = labelsOf(c.props);
    return (
      sameNamespace(c.props, pg.props) &&
      labels["app.kubernetes.io/name"] === pgLabels["app.kubernetes.io/name"] &&
      (labels["app.kubernetes.io/instance"] ?? pgLabels["app.kubernetes.io/instance"]) === pgLabels["app.kubernetes.io/instance"] &&
      c.props.spec?.suspend !== true
    );
  });
}

/** The shell text a CronJob's containers run, comments removed (a commented-out backup runs nothing). */
export const commandOf = (cron: PolicyResource) => asArray(podSpecOf(cron.type, cron.props)?.spec.containers).map(containerCommand).join(" ; ");

/** True when one command of the text (between `&&`, `||`, `;` and newlines) runs that backup. */
export const runsBackup = (command: string, backupType: "full" | "incr" | "diff", repo: number, onlyRepo: boolean) =>
  command
    .split(/&&|\|\||;|\n/)
    .some(
      (one) =>
        /\bpgbackrest\b/.test(one) &&
        /\bbackup\b/.test(one) &&
        new RegExp(`--type[= ]${backupType}\\b`).test(one) &&
        (new RegExp(`--repo[= ]${repo}\\b`).test(one) || (onlyRepo && !/--repo[= ]\d/.test(one))),
    );

const backupCronJobs = stackPolicy({
  name: "stack-postgres-backup-cronjobs",
  description: "Every PostgreSQL StatefulSet has active scheduled full and incremental pgBackRest backup CronJobs for every repository in its pgbackrest.conf.",
  enforcementLevel: "mandatory",
  validate: ({ resources }, report) => {
    for (const pg of resources.filter(isPostgres)) {
      const { pgbackrest } = postgresConfigs(pg, resources);
      // Every section counts: a stanza section may configure a repository of its own.
      const repos = pgbackrest ? confRepos(pgbackrest.props.data[PGBACKREST_CONF]) : [];
      const commands = postgresCronJobs(pg, resources).map(commandOf);
      for (const repo of repos.length > 0 ? repos : [1]) {
        for (const backupType of ["full", "incr"] as const) {
          if (!commands.some((c) => runsBackup(c, backupType, repo, repos.length <= 1))) {
            report(
              `${at(pg)}: no active CronJob runs \`pgbackrest --repo=${repo} backup --type=${backupType}\` for it (CronJobs labelled app.kubernetes.io/name=` +
                `${labelsOf(pg.props)["app.kubernetes.io/name"]} in namespace ${namespaceOf(pg.props)}). ` +
                `Schedule ${backupType === "full" ? "a full" : "an incremental"} backup for repo${repo} (postgres.backups.pgbackrest.repos[].schedules.${backupType} in the stack config).`,
              pg.urn,
            );
          }
        }
      }
    }
  },
});

const restoreDrill = stackPolicy({
  name: "stack-postgres-restore-drill",
  description: "Every PostgreSQL StatefulSet has an active restore-drill CronJob that restores its latest backup.",
  enforcementLevel: "mandatory",
  validate: ({ resources }, report) => {
    for (const pg of resources.filter(isPostgres)) {
      const drills = postgresCronJobs(pg, resources).filter((c) => labelsOf(c.props)["app.kubernetes.io/component"] === "restore-drill" || /restore/.test(commandOf(c)));
      if (drills.length === 0) {
        report(
          `${at(pg)}: no active restore-drill CronJob (app.kubernetes.io/component=restore-drill) in namespace ${namespaceOf(pg.props)} tests its backups. ` +
            `Declare the restore drill CronJob (components/postgres/backupJobs.ts); an untested backup is not a backup.`,
          pg.urn,
        );
      }
    }
  },
});

const serviceAccountExists = stackPolicy({
  name: "stack-service-account-exists",
  description: "A pod's serviceAccountName refers to a ServiceAccount the stack declares in the same namespace.",
  enforcementLevel: "mandatory",
  validate: ({ resources }, report) => {
    const accounts = ofType(resources, K8S.serviceAccount);
    for (const w of resources.filter((r) => WORKLOAD_TYPES.includes(r.type))) {
      const pod = podSpecOf(w.type, w.props);
      const account = pod?.spec.serviceAccountName;
      if (!account || account === "default") continue;
      if (!accounts.some((a) => objectName(a) === account && sameNamespace(a.props, w.props))) {
        report(
          `${at(w)}: ${pod!.path}.serviceAccountName "${account}" is not a ServiceAccount declared in namespace ${namespaceOf(w.props)}. ` +
            `Declare the ServiceAccount (with its Role and RoleBinding) alongside the workload.`,
          w.urn,
        );
      }
    }
  },
});

const pdbSelectsWorkload = stackPolicy({
  name: "stack-pdb-selects-workload",
  description: "Every PodDisruptionBudget selects the pods of at least one declared workload.",
  enforcementLevel: "mandatory",
  validate: ({ resources }, report) => {
    const workloads = resources.filter((r) => WORKLOAD_TYPES.includes(r.type));
    for (const pdb of ofType(resources, K8S.pdb)) {
      const selects = workloads.some((w) => sameNamespace(w.props, pdb.props) && selectorMatches(pdb.props.spec?.selector, podLabelsOf(w.type, w.props)));
      if (!selects) {
        report(`${at(pdb)}: spec.selector matches no declared workload's pod labels. Fix spec.selector to the workload's spec.selector.matchLabels.`, pdb.urn);
      }
    }
  },
});

/** Labels the controllers add to pods, which a pod template does not declare. */
const CONTROLLER_LABELS = ["statefulset.kubernetes.io/pod-name", "apps.kubernetes.io/pod-index", "controller-revision-hash", "pod-template-hash"];

const serviceSelectsPods = stackPolicy({
  name: "stack-service-selects-pods",
  description: "Every Service with a selector selects the pods of a declared workload in its namespace.",
  enforcementLevel: "mandatory",
  validate: ({ resources }, report) => {
    const workloads = resources.filter((r) => WORKLOAD_TYPES.includes(r.type));
    for (const svc of ofType(resources, K8S.service)) {
      const selector: Record<string, string> = svc.props.spec?.selector ?? {};
      const declared = Object.fromEntries(Object.entries(selector).filter(([k]) => !CONTROLLER_LABELS.includes(k)));
      if (Object.keys(selector).length === 0) continue; // ExternalName or manually managed endpoints.
      const selects = workloads.some((w) => sameNamespace(w.props, svc.props) && selectorMatches({ matchLabels: declared }, podLabelsOf(w.type, w.props)));
      if (!selects) {
        report(`${at(svc)}: spec.selector ${JSON.stringify(selector)} matches no declared workload's pod labels, so it has no endpoints. Fix spec.selector.`, svc.urn);
      }
    }
  },
});

// ---------------------------------------------------------------- S3 bucket companions

function bucketCompanion(def: {
  name: string;
  description: string;
  companion: readonly string[];
  inline?: (bucket: Props) => boolean;
  accept?: (companion: Props, bucket: PolicyResource, resources: PolicyResource[]) => boolean;
  fix: string;
}): StackPolicy {
  return stackPolicy({
    name: def.name,
    description: def.description,
    enforcementLevel: "mandatory",
    validate: ({ resources }, report: ReportViolation) => {
      const companions = resources.filter((r) => def.companion.includes(r.type));
      for (const bucket of resources.filter((r) => AWS.bucket.includes(r.type as never))) {
        if (def.inline?.(bucket.props)) continue;
        const ok = companions.some((c) => refersTo(c, "bucket", bucket, "bucket") && (def.accept?.(c.props, bucket, resources) ?? true));
        if (!ok) report(`${kindOf(bucket.type)} "${bucket.name}": ${def.fix}`, bucket.urn);
      }
    },
  });
}

const bucketVersioned = bucketCompanion({
  name: "aws-s3-bucket-versioned",
  description: "Every S3 bucket has versioning enabled (a BucketVersioning resource with status Enabled).",
  companion: AWS.versioning,
  inline: (b) => b.versioning?.enabled === true || asArray(b.versionings).some((v) => v.enabled === true),
  accept: (v) => v.versioningConfiguration?.status === "Enabled",
  fix: `no BucketVersioning with versioningConfiguration.status "Enabled" refers to it (bucket: <bucket>.id). Declare aws.s3.BucketVersioning for it.`,
});

const bucketEncrypted = bucketCompanion({
  name: "aws-s3-bucket-encrypted",
  description: "Every S3 bucket has a server-side encryption configuration using aws:kms (AES256 on an access-log bucket only, see aws-s3-sse-kms).",
  companion: AWS.encryption,
  accept: (e, bucket, resources) =>
    asArray(e.rules).length > 0 &&
    asArray(e.rules).every((r) => {
      const algorithm = String(r.applyServerSideEncryptionByDefault?.sseAlgorithm);
      return algorithm.startsWith("aws:kms") || (algorithm === "AES256" && isAccessLogTarget(bucket, resources));
    }),
  fix: `no BucketServerSideEncryptionConfiguration with sseAlgorithm "aws:kms" refers to it. Declare one with the platform's KMS key.`,
});

const bucketPublicAccessBlocked = bucketCompanion({
  name: "aws-s3-bucket-public-access-blocked",
  description: "Every S3 bucket has a BucketPublicAccessBlock with all four flags true.",
  companion: AWS.publicAccessBlock,
  accept: (p) => ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"].every((f) => p[f] === true),
  fix: `no BucketPublicAccessBlock with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets all true refers to it. Declare one.`,
});

const bucketLifecycle = bucketCompanion({
  name: "aws-s3-bucket-lifecycle",
  description: "Every S3 bucket has a lifecycle configuration with at least one Enabled rule (expire noncurrent versions, abort uploads).",
  companion: AWS.lifecycle,
  inline: (b) => asArray(b.lifecycleRules).some((r) => r.enabled === true),
  accept: (l) => asArray(l.rules).some((r) => r.status === "Enabled"),
  fix: `no BucketLifecycleConfiguration with an Enabled rule refers to it. Declare one that expires noncurrent versions and aborts incomplete multipart uploads.`,
});

export const stackPolicies: StackPolicy[] = [
  pdbForReplicated,
  rolloutAvailability,
  hpaMinReplicas,
  defaultDeny,
  postgresConfig,
  backupCronJobs,
  restoreDrill,
  serviceAccountExists,
  pdbSelectsWorkload,
  serviceSelectsPods,
  bucketVersioned,
  bucketEncrypted,
  bucketPublicAccessBlocked,
  bucketLifecycle,
];
