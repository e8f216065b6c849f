import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { allPolicies } from "../../policies/policies";
import { parseConfig } from "../../stacks/config";
import type { CapturedResource } from "../../scripts/synth/mockRuntime";
import { localConfig, type Registered, runLocal, runStack } from "../harness";
import { describe as describeViolations, mandatory, runPolicies } from "../policies/harness";

// The local stack (target "docker") against the Kubernetes target: the same rendered
// files, byte for byte, except where a file names addresses; ports only on loopback;
// hardened containers on one network; the pinned images.
// Over 300 lines because it compares the two targets service by service over one shared
// run of each.

const CONTAINER = "docker:index/container:Container";
const CONFIG_MAP = "kubernetes:core/v1:ConfigMap";
const SECRET = "kubernetes:core/v1:Secret";

type Upload = { file: string; content: string };
type Port = { internal: number; external: number; ip?: string };

let local: Registered;
/** The same stack config on the Kubernetes target: what the cluster components would mount. */
let cluster: Registered;

beforeAll(async () => {
  local = await runLocal();
  const raw = localConfig();
  cluster = await runStack("dev", { ...raw, values: { ...raw.values, target: "kubernetes" } });
}, 60_000);

const containers = () => local.ofType(CONTAINER);
const container = (service: string) => local.one(CONTAINER, service);
const uploads = (service: string): Record<string, string> => Object.fromEntries(((container(service).inputs.uploads ?? []) as Upload[]).map((u) => [u.file, u.content]));
/** Paths of the uploads whose content is a Pulumi secret. */
const secretUploads = (service: string) =>
  ((container(service).inputs.uploads ?? []) as Upload[]).filter((_, i) => container(service).secretInputs.includes(`uploads.${i}.content`)).map((u) => u.file);
const secretEnv = (service: string) =>
  ((container(service).inputs.envs ?? []) as string[]).filter((_, i) => container(service).secretInputs.includes(`envs.${i}`)).map((e) => e.split("=")[0]);
const configMap = (name: string) => cluster.one(CONFIG_MAP, name).inputs.data as Record<string, string>;
const secret = (name: string) => cluster.one(SECRET, name).inputs.stringData as Record<string, string>;
/** The file at path, which the test expects the set to hold. */
const fileAt = (files: Record<string, string>, path: string): string => {
  const content = files[path];
  if (content === undefined) throw new Error(`no file ${path} among ${Object.keys(files).join(", ")}`);
  return content;
};
const inDir = (files: Record<string, string>, dir: string) =>
  Object.fromEntries(
    Object.entries(files)
      .filter(([f]) => f.startsWith(`${dir}/`))
      .map(([f, c]) => [f.slice(dir.length + 1), c]),
  );

describe("local: the files both targets mount", () => {
  it("postgresql.conf, pg_hba.conf and the scripts are byte-identical to the ConfigMap's", () => {
    const mounted = inDir(uploads("postgres"), "/etc/postgres");
    const k8s = configMap("postgres-config");
    for (const file of ["bootstrap.sql", "entrypoint.sh", "provision-database.sql", "exporter-queries.yaml"]) {
      expect(mounted[file], file).toBe(k8s[file]);
    }
    // The one difference: the cluster's server speaks TLS only (its ssl lines, hostssl),
    // the laptop's plain TCP (docs/local.md).
    const withoutTls = (conf: string) => conf.replace(/# TLS:.*\n(ssl.*\n)+\n/, "").replace(/^hostssl/gm, "host   ");
    expect(mounted["postgresql.conf"]).not.toMatch(/^ssl/m);
    expect(withoutTls(k8s["postgresql.conf"]!)).toBe(mounted["postgresql.conf"]);
    expect(mounted["pg_hba.conf"]).not.toContain("hostssl");
    expect(withoutTls(k8s["pg_hba.conf"]!)).toBe(mounted["pg_hba.conf"]);
    expect(inDir(uploads("postgres-exporter"), "/etc/postgres")["exporter-queries.yaml"]).toBe(k8s["exporter-queries.yaml"]);
    expect(inDir(uploads("postgres-db-keycloak"), "/etc/postgres")["provision-database.sql"]).toBe(k8s["provision-database.sql"]);
  });

  it("pgbackrest.conf: the same stanza, retention, cipher and compression; only the repository's storage differs (posix volume, not MinIO over TLS)", () => {
    const mounted = fileAt(uploads("postgres"), "/etc/pgbackrest/pgbackrest.conf");
    const k8s = fileAt(configMap("postgres-config"), "pgbackrest.conf");
    expect(uploads("pgbackrest-exporter-repo1")["/etc/pgbackrest/pgbackrest.conf"]).toBe(mounted);
    const storageLine = /^repo1-(type|path|s3-[a-z-]+|storage-[a-z-]+)=.*$/;
    const rest = (conf: string) => conf.split("\n").filter((l) => !storageLine.test(l));
    expect(rest(mounted)).toEqual(rest(k8s));
    const section = (conf: string, name: string) => conf.split(`[${name}]\n`)[1]!.split("\n\n")[0];
    expect(section(mounted, "blacklake")).toBe(section(k8s, "blacklake"));
    for (const line of ["repo1-retention-full-type=time", "repo1-retention-full=7", "repo1-cipher-type=aes-256-cbc", "compress-type=zst", "compress-level=3"]) {
      expect(mounted.split("\n"), line).toContain(line);
    }
    const storage = (conf: string) => conf.split("\n").filter((l) => storageLine.test(l));
    expect(storage(mounted)).toEqual(["repo1-type=posix", "repo1-path=/pgbackrest-repo"]);
    expect(storage(k8s)).toContain("repo1-type=s3");
    expect(storage(k8s)).toContain("repo1-storage-verify-tls=y");
  });

  it("redis.conf is byte-identical; the ACL files are the same renderer's, uploaded as secrets", () => {
    expect(uploads("redis")["/etc/redis/redis.conf"]).toBe(configMap("redis-config")["redis.conf"]);
    const acl = secret("redis-acl");
    expect(uploads("redis")["/etc/redis-acl/users.acl"]).toBe(acl["users.acl"]);
    expect(uploads("redis")["/etc/redis-acl/replication.conf"]).toBe(acl["replication.conf"]);
    expect(secretUploads("redis")).toEqual(["/etc/redis-acl/users.acl", "/etc/redis-acl/replication.conf"]);
  });

  it("every rule file is byte-identical, and no other rule file is loaded", () => {
    const rules = configMap("prometheus-rules");
    expect(Object.keys(rules).length).toBeGreaterThanOrEqual(6);
    expect(inDir(uploads("prometheus"), "/etc/prometheus/rules")).toEqual(rules);
  });

  it("prometheus.yml: the same global section, alerting shape, rule_files and job names; static Docker targets instead of Kubernetes discovery", () => {
    const mounted = parse(fileAt(uploads("prometheus"), "/etc/prometheus/config/prometheus.yml"));
    const k8s = parse(fileAt(configMap("prometheus-config"), "prometheus.yml"));
    expect(mounted.global).toEqual(k8s.global);
    expect(mounted.rule_files).toEqual(k8s.rule_files);
    const jobs = (c: any) => c.scrape_configs.map((j: any) => j.job_name);
    // kube-state-metrics and the kubelet/cAdvisor jobs read Kubernetes objects and nodes: none locally.
    expect(jobs(mounted)).toEqual(jobs(k8s).filter((j: string) => !["kube-state-metrics", "kubelet", "cadvisor"].includes(j)));
    for (const job of mounted.scrape_configs) {
      const twin = k8s.scrape_configs.find((j: any) => j.job_name === job.job_name);
      expect(job.metrics_path, job.job_name).toBe(twin.metrics_path);
      expect(job.authorization, job.job_name).toEqual(twin.authorization);
      expect(job.kubernetes_sd_configs).toBeUndefined();
      expect(job.relabel_configs).toBeUndefined();
      expect(job.static_configs[0].labels.namespace).toBe("blacklake-local");
      expect(twin.kubernetes_sd_configs).toBeDefined();
    }
    expect(mounted.alerting.alertmanagers[0].static_configs[0].targets).toEqual(["alertmanager:9093"]);
    expect(k8s.alerting.alertmanagers[0].static_configs[0].targets).toEqual(["alertmanager-0.alertmanager-pods.blacklake-local.svc:9093"]);
    expect(mounted.scrape_configs.find((j: any) => j.job_name === "minio").scheme).toBeUndefined();
    expect(k8s.scrape_configs.find((j: any) => j.job_name === "minio").scheme).toBe("https");
  });

  it("alertmanager.yml is byte-identical and a secret on both targets", () => {
    expect(uploads("alertmanager")["/etc/alertmanager/alertmanager.yml"]).toBe(secret("alertmanager-config")["alertmanager.yml"]);
    expect(secretUploads("alertmanager")).toEqual(["/etc/alertmanager/alertmanager.yml"]);
  });

  it("Grafana: every dashboard and the dashboards provider are byte-identical; the datasource differs only in Prometheus' address", () => {
    const files = uploads("grafana");
    expect(inDir(files, "/etc/grafana/dashboards")).toEqual(configMap("grafana-dashboards"));
    const provisioning = configMap("grafana-provisioning");
    expect(files["/etc/grafana/provisioning/dashboards/dashboards.yaml"]).toBe(provisioning["dashboards.yaml"]);
    const mounted = JSON.parse(fileAt(files, "/etc/grafana/provisioning/datasources/datasources.yaml"));
    const k8s = JSON.parse(fileAt(provisioning, "datasources.yaml"));
    expect(mounted.datasources[0].url).toBe("http://prometheus:9090");
    expect(k8s.datasources[0].url).toBe("http://prometheus.blacklake-local.svc:9090");
    expect({ ...mounted, datasources: [{ ...mounted.datasources[0], url: "" }] }).toEqual({ ...k8s, datasources: [{ ...k8s.datasources[0], url: "" }] });
  });

  it("the Keycloak realm is byte-identical, uploaded as a secret into the import directory of `start --import-realm`", () => {
    expect(uploads("keycloak")["/opt/keycloak/data/import/blacklake.json"]).toBe(secret("keycloak-realm")["blacklake.json"]);
    expect(container("keycloak").inputs.command).toEqual(["start", "--import-realm"]);
    expect(secretUploads("keycloak")).toEqual(["/opt/keycloak/data/import/blacklake.json"]);
  });

  it("the MinIO bootstrap files are byte-identical to the bootstrap Job's ConfigMap", () => {
    expect(inDir(uploads("minio-bootstrap"), "/bootstrap")).toMatchObject(configMap("minio-bootstrap"));
  });
});

describe("local: ports", () => {
  const published = () => containers().flatMap((c) => ((c.inputs.ports ?? []) as Port[]).map((p) => ({ container: c.name, ...p })));

  it("Grafana on 3001, Prometheus on 9090 and the API on 8080, on 127.0.0.1", () => {
    expect(published()).toEqual(
      expect.arrayContaining([
        { container: "grafana", internal: 3000, external: 3001, ip: "127.0.0.1", protocol: "tcp" },
        { container: "prometheus", internal: 9090, external: 9090, ip: "127.0.0.1", protocol: "tcp" },
        { container: "api", internal: 8080, external: 8080, ip: "127.0.0.1", protocol: "tcp" },
      ]),
    );
  });

  it("nothing is published beyond the local.ports set, and everything on local.bindAddress", () => {
    const config = parseConfig(localConfig());
    const allowed = Object.values(config.local.ports).sort();
    const ports = published();
    expect(ports.map((p) => p.external).sort()).toEqual(allowed);
    expect(new Set(ports.map((p) => p.ip))).toEqual(new Set(["127.0.0.1"]));
    expect(containers().filter((c) => c.inputs.publishAllPorts)).toEqual([]);
  });
});

describe("local: containers", () => {
  it("every container is on the one bridge network, reachable by its service name", () => {
    const [network] = local.ofType("docker:index/network:Network");
    expect(local.ofType("docker:index/network:Network")).toHaveLength(1);
    expect(network!.inputs).toMatchObject({ name: "blacklake-local", driver: "bridge" });
    for (const c of containers()) {
      expect(c.inputs.networksAdvanced, c.name).toEqual([{ name: "blacklake-local", aliases: [c.name] }]);
      expect(c.inputs.networkMode, c.name).toBeUndefined();
    }
  });

  it("no container is privileged; every one drops all capabilities, forbids new privileges and names its user", () => {
    for (const c of containers()) {
      expect(c.inputs.privileged, c.name).toBe(false);
      expect((c.inputs.capabilities as any).drops, c.name).toEqual(["ALL"]);
      expect(c.inputs.securityOpts, c.name).toEqual(["no-new-privileges:true"]);
      expect(c.inputs.user, c.name).toMatch(/^[0-9]+:[0-9]+$/);
    }
    // Root only for the job that gives three new volumes to their users (fsGroup's part), with CHOWN alone.
    const root = containers().filter((c) => c.inputs.user === "0:0");
    expect(root.map((c) => c.name)).toEqual(["volume-owners"]);
    expect(root[0]!.inputs.capabilities).toEqual({ drops: ["ALL"], adds: ["CHOWN"] });
    const users = Object.fromEntries(containers().map((c) => [c.name, c.inputs.user]));
    expect(users).toMatchObject({
      postgres: "999:999",
      redis: "999:999",
      minio: "1000:1000",
      keycloak: "1000:1000",
      prometheus: "65534:65534",
      alertmanager: "65534:65534",
      grafana: "472:472",
    });
  });

  it("services restart unless-stopped; the one-shot jobs run once and are waited for", () => {
    const jobs = ["volume-owners", "minio-bootstrap", "postgres-db-keycloak"];
    for (const c of containers()) {
      if (jobs.includes(c.name)) expect(c.inputs, c.name).toMatchObject({ restart: "no", attach: true, mustRun: false });
      else expect(c.inputs.restart, c.name).toBe("unless-stopped");
    }
    expect(
      containers()
        .map((c) => c.name)
        .sort(),
    ).toEqual(
      [
        "alertmanager",
        "api",
        "grafana",
        "keycloak",
        "minio",
        "minio-bootstrap",
        "pgbackrest-exporter-repo1",
        "postgres",
        "postgres-db-keycloak",
        "postgres-exporter",
        "prometheus",
        "redis",
        "redis-exporter",
        "volume-owners",
      ].sort(),
    );
  });

  it("a read-only root filesystem wherever no file is uploaded into the container; healthchecks where the image has a tool", () => {
    for (const c of containers()) expect(c.inputs.readOnly, c.name).toBe(((c.inputs.uploads ?? []) as Upload[]).length === 0);
    for (const service of ["postgres", "redis", "keycloak", "prometheus", "alertmanager", "grafana"]) {
      expect((container(service).inputs.healthcheck as any)?.tests?.[0], service).toBe("CMD-SHELL");
    }
  });

  it("the API discovers Keycloak on the network while tokens carry the browser's issuer", () => {
    const env = container("api").inputs.envs as string[];
    expect(env).toContain("OIDC_DISCOVERY_URL=http://keycloak:8080/realms/blacklake/.well-known/openid-configuration");
    expect(env).toContain("OIDC_ISSUER=http://127.0.0.1:8180/realms/blacklake");
    expect(container("keycloak").inputs.envs as string[]).toEqual(expect.arrayContaining(["KC_HOSTNAME=http://127.0.0.1:8180", "KC_HOSTNAME_BACKCHANNEL_DYNAMIC=true"]));
  });

  it("data lives in named volumes", () => {
    const volumes = (service: string) =>
      ((container(service).inputs.volumes ?? []) as { volumeName: string; containerPath: string }[]).map((v) => `${v.volumeName}:${v.containerPath}`);
    expect(volumes("postgres")).toEqual(["blacklake-local-pgdata:/pgdata", "blacklake-local-pgbackrest-repo:/pgbackrest-repo"]);
    expect(volumes("redis")).toEqual(["blacklake-local-redis-data:/data"]);
    expect(volumes("prometheus")).toEqual(["blacklake-local-prometheus-data:/prometheus"]);
    expect(volumes("grafana")).toEqual(["blacklake-local-grafana-data:/var/lib/grafana"]);
  });

  it("credentials are Pulumi secrets: every container environment that carries one is secret", () => {
    expect(secretEnv("api")).toEqual(["DATABASE_URL", "REDIS_PASSWORD", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "OIDC_CLIENT_SECRET"]);
    expect(secretEnv("postgres")).toEqual(["POSTGRES_PASSWORD", "REPLICATION_PASSWORD", "APP_PASSWORD", "EXPORTER_PASSWORD", "PGBACKREST_REPO1_CIPHER_PASS"]);
    expect(secretEnv("keycloak")).toEqual(["KC_DB_PASSWORD", "KC_BOOTSTRAP_ADMIN_PASSWORD"]);
    expect(secretEnv("grafana")).toEqual(["GF_SECURITY_ADMIN_PASSWORD"]);
    expect(secretEnv("minio")).toEqual(["MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD", "MINIO_KMS_SECRET_KEY"]);
    expect(secretUploads("minio-bootstrap").every((f) => /user\..*\.(access|secret)-key$/.test(f))).toBe(true);
    expect(secretUploads("minio-bootstrap")).toHaveLength(6);
    const databaseUrl = (container("api").inputs.envs as string[]).find((e) => e.startsWith("DATABASE_URL="));
    expect(databaseUrl).toBe("DATABASE_URL=postgresql://blacklake_app:mock-random-postgres-app@postgres:5432/blacklake");
  });
});

describe("local: images", () => {
  it("every image is a RemoteImage of a pinned reference from config, kept locally, and every container runs one", () => {
    const config = parseConfig(localConfig());
    const images = local.ofType("docker:index/remoteImage:RemoteImage");
    const refs = images.map((i) => i.inputs.name as string);
    expect(new Set(refs).size).toBe(refs.length);
    for (const i of images) expect(i.inputs.keepLocally).toBe(true);
    const pinned = new Set(Object.values(config.images));
    for (const ref of refs) expect(pinned.has(ref), ref).toBe(true);
    const expected: Record<string, string> = {
      postgres: config.images.postgres,
      redis: config.images.redis,
      minio: config.images.minio,
      "minio-bootstrap": config.images.mc,
      keycloak: config.images.keycloak,
      prometheus: config.images.prometheus,
      alertmanager: config.images.alertmanager,
      grafana: config.images.grafana,
      api: config.images.api,
      "postgres-exporter": config.images.postgresExporter,
      "pgbackrest-exporter-repo1": config.images.pgbackrestExporter,
      "redis-exporter": config.images.redisExporter,
    };
    const idOf = (c: CapturedResource) => images.find((i) => c.inputs.image === idFromMock(i))?.inputs.name;
    for (const [service, ref] of Object.entries(expected)) expect(idOf(container(service)), service).toBe(ref);
  });
});

/** The mock runtime's imageId for a RemoteImage (scripts/synth/mockRuntime.ts). */
function idFromMock(image: CapturedResource): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const crypto = require("node:crypto") as typeof import("node:crypto");
  return `sha256:${crypto.createHash("sha256").update(String(image.inputs.name)).digest("hex")}`;
}

describe("local: the policy pack", () => {
  it("finds no mandatory violation in the committed local stack", async () => {
    const violations = mandatory(await runPolicies(allPolicies, local.resources));
    expect(violations, describeViolations(violations)).toEqual([]);
  });

  it('accepts local.bindAddress "0.0.0.0" as config, but the pack flags every published port', async () => {
    const raw = localConfig();
    const values = { ...raw.values, local: { ...(raw.values.local as object), bindAddress: "0.0.0.0" } };
    const open = await runLocal({ ...raw, values });
    const violations = mandatory(await runPolicies(allPolicies, open.resources));
    expect(new Set(violations.map((v) => v.policy))).toEqual(new Set(["docker-ports-loopback"]));
    expect(violations).toHaveLength(7);
    const grafana = violations.find((v) => v.message.includes("blacklake-local-grafana"));
    expect(grafana?.message).toContain("host port 3001");
    expect(grafana?.message).toContain('Set ip to "127.0.0.1"');
  });
});

// One declaration, two renderers (components/lib/env.ts): the containers both targets run
// take their command lines and environment from the same function, so they cannot drift.
describe("containers declared once for both targets", () => {
  type K8sContainer = { name: string; args?: string[]; env?: { name: string; value?: string; valueFrom?: unknown }[] };
  const podContainer = (type: string, name: string, containerName: string) =>
    (cluster.one(type, name).inputs as { spec: { template: { spec: { containers: K8sContainer[] } } } }).spec.template.spec.containers.find(
      (c) => c.name === containerName,
    ) as K8sContainer;
  const dockerEnvOf = (service: string) => Object.fromEntries((container(service).inputs.envs as string[]).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));

  // [docker service, kubernetes kind, object, container, variables only the cluster has, only Docker has, target-own values]
  it.each([
    ["grafana", "kubernetes:apps/v1:Deployment", "grafana", "grafana", [], [], ["GF_AUTH_ANONYMOUS_ENABLED", "GF_SERVER_ROOT_URL"]],
    ["keycloak", "kubernetes:apps/v1:Deployment", "keycloak", "keycloak", ["KC_PROXY_HEADERS"], [], ["KC_CACHE", "KC_HOSTNAME"]],
    // pgBackRest's variables come from a Secret (envFrom) on the cluster.
    // The cluster's clients verify the server's certificate (PGSSLMODE, PGSSLROOTCERT); locally no TLS.
    ["postgres", "kubernetes:apps/v1:StatefulSet", "postgres", "postgres", ["PGSSLMODE", "PGSSLROOTCERT"], ["PGBACKREST_REPO1_CIPHER_PASS"], ["POD_NAME", "PRIMARY_HOST"]],
    ["postgres-exporter", "kubernetes:apps/v1:StatefulSet", "postgres", "exporter", [], [], ["DATA_SOURCE_URI"]],
    ["postgres-db-keycloak", "kubernetes:batch/v1:Job", "postgres-db-keycloak", "provision", ["PGSSLMODE", "PGSSLROOTCERT"], [], ["PGHOST"]],
    ["redis-exporter", "kubernetes:apps/v1:StatefulSet", "redis", "exporter", [], [], ["REDIS_ADDR"]],
    // The root user and KMS key come from a Secret (envFrom) on the cluster.
    ["minio", "kubernetes:apps/v1:StatefulSet", "minio", "minio", [], ["MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD", "MINIO_KMS_SECRET_KEY"], []],
  ] as const)(
    "%s: the same variables in the same order, and the same literal values but the target's own",
    (service, type, name, containerName, clusterOnly, dockerOnly, targetOwn) => {
      const k8sEnv = podContainer(type, name, containerName).env ?? [];
      const docker = dockerEnvOf(service);
      expect(Object.keys(docker).filter((n) => !(dockerOnly as readonly string[]).includes(n))).toEqual(
        k8sEnv.map((e) => e.name).filter((n) => !(clusterOnly as readonly string[]).includes(n)),
      );
      for (const e of k8sEnv) if (e.value !== undefined && !(targetOwn as readonly string[]).includes(e.name) && e.name in docker) expect(docker[e.name], e.name).toBe(e.value);
    },
  );

  it("the API gets the same variables in the same order from both compositions (literals or Secret keys on the cluster)", () => {
    const cluster = (podContainer("kubernetes:apps/v1:Deployment", "api", "api").env ?? []).map((e) => e.name);
    // Sentinel's variables exist only where Sentinel runs (not in the local stack's config).
    expect(Object.keys(dockerEnvOf("api"))).toEqual(cluster.filter((n) => !n.startsWith("REDIS_SENTINEL") && n !== "REDIS_MASTER_NAME"));
  });

  // [docker service, kubernetes kind, object, container, mount paths only the cluster has, only Docker has]
  it.each([
    ["prometheus", "kubernetes:apps/v1:StatefulSet", "prometheus", "prometheus", ["/etc/prometheus/ca"], []],
    ["alertmanager", "kubernetes:apps/v1:StatefulSet", "alertmanager", "alertmanager", [], []],
    ["grafana", "kubernetes:apps/v1:Deployment", "grafana", "grafana", [], []],
    // The database's CA (or certificate): the cluster's PostgreSQL speaks TLS only, the laptop's plain TCP.
    ["keycloak", "kubernetes:apps/v1:Deployment", "keycloak", "keycloak", ["/etc/postgres-tls"], []],
    // The cluster's drives are /data0../dataN and TLS; locally one drive, plain HTTP.
    ["minio", "kubernetes:apps/v1:StatefulSet", "minio", "minio", ["/data1", "/etc/minio/certs"], []],
    // Locally the one repository is a posix one on a volume; on the cluster, object stores over TLS (their CA).
    ["postgres", "kubernetes:apps/v1:StatefulSet", "postgres", "postgres", ["/etc/pgbackrest/ca", "/etc/postgres-tls"], ["/pgbackrest-repo"]],
    ["postgres-exporter", "kubernetes:apps/v1:StatefulSet", "postgres", "exporter", ["/etc/postgres-tls"], []],
    ["pgbackrest-exporter-repo1", "kubernetes:apps/v1:StatefulSet", "postgres", "backup-metrics-repo1", ["/etc/pgbackrest/ca"], ["/pgbackrest-repo"]],
    ["postgres-db-keycloak", "kubernetes:batch/v1:Job", "postgres-db-keycloak", "provision", ["/etc/postgres-tls"], []],
    ["minio-bootstrap", "kubernetes:batch/v1:Job", "minio-bootstrap", "bootstrap", ["/ca"], []],
    // redis-start.sh's run directory: the lone local instance runs redis-server itself.
    ["redis", "kubernetes:apps/v1:StatefulSet", "redis", "redis", ["/run/redis"], []],
    ["api", "kubernetes:apps/v1:Deployment", "api", "api", ["/etc/postgres-tls"], []],
  ] as const)("%s mounts what its one spec declares on both targets", (service, type, name, containerName, clusterOnly, dockerOnly) => {
    const k8sPaths = ((podContainer(type, name, containerName) as { volumeMounts?: { mountPath: string }[] }).volumeMounts ?? []).map((m) => m.mountPath);
    const inputs = container(service).inputs as { uploads?: { file: string }[]; volumes?: { containerPath: string }[]; tmpfs?: Record<string, string> };
    // An upload is a file at a mounted path or in a mounted directory.
    const mountOf = (file: string) => k8sPaths.find((p) => file === p || file.startsWith(`${p}/`)) ?? file;
    const dockerPaths = new Set([...(inputs.uploads ?? []).map((u) => mountOf(u.file)), ...(inputs.volumes ?? []).map((v) => v.containerPath), ...Object.keys(inputs.tmpfs ?? {})]);
    expect([...dockerPaths].filter((p) => !(dockerOnly as readonly string[]).includes(p)).sort()).toEqual(
      k8sPaths.filter((p) => !(clusterOnly as readonly string[]).includes(p)).sort(),
    );
  });

  it("the exporters and the provisioning run the same command lines", () => {
    expect(container("postgres-exporter").inputs.command).toEqual(podContainer("kubernetes:apps/v1:StatefulSet", "postgres", "exporter").args);
    expect(container("pgbackrest-exporter-repo1").inputs.command).toEqual(podContainer("kubernetes:apps/v1:StatefulSet", "postgres", "backup-metrics-repo1").args);
    expect(container("redis-exporter").inputs.command).toEqual(podContainer("kubernetes:apps/v1:StatefulSet", "redis", "exporter").args);
    const job = podContainer("kubernetes:batch/v1:Job", "postgres-db-keycloak", "provision") as unknown as { command: string[] };
    expect((container("postgres-db-keycloak").inputs.command as string[])[0]).toContain(`do ${job.command[2]} && exit 0`);
  });

  it("Prometheus and Alertmanager: the same flags, Alertmanager gossiping only on the cluster", () => {
    expect(container("prometheus").inputs.command).toEqual(podContainer("kubernetes:apps/v1:StatefulSet", "prometheus", "prometheus").args);
    const clusterArgs = podContainer("kubernetes:apps/v1:StatefulSet", "alertmanager", "alertmanager").args ?? [];
    const localArgs = container("alertmanager").inputs.command as string[];
    expect(localArgs.filter((a) => !a.startsWith("--cluster."))).toEqual(clusterArgs.filter((a) => !a.startsWith("--cluster.")));
    expect(localArgs.filter((a) => a.startsWith("--cluster."))).toEqual(["--cluster.listen-address="]);
  });
});
