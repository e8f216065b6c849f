import { describe, expect, it } from "vitest";
import { isAlertRule } from "../../components/lib/mixin";
import { redisMixin } from "../../components/redis/mixin";
import { renderUsersAcl } from "../../components/redis/redisConf";
import { runStack, type StackName } from "../harness";

type Obj = { data?: Record<string, string>; spec?: any };

async function redis(stack: StackName) {
  const run = await runStack(stack);
  const get = (type: string, name: string) => run.one(type, name).inputs as unknown as Obj;
  return { run, get, conf: get("kubernetes:core/v1:ConfigMap", "redis-config").data! };
}

describe("the Redis queue", () => {
  it("renders the platform's persistence and memory policy", async () => {
    const { conf } = await redis("prod");
    const redisConf = conf["redis.conf"];
    for (const line of ["appendonly yes", "appendfsync everysec", "maxmemory 256mb", "maxmemory-policy noeviction", "protected-mode yes", "aclfile /etc/redis-acl/users.acl"]) {
      expect(redisConf).toContain(`\n${line}\n`);
    }
    expect(redisConf).not.toMatch(/requirepass|masterauth/);
  });

  it("runs three replicas with Sentinel in prod and one without in staging", async () => {
    const prod = await redis("prod");
    const prodSts = prod.get("kubernetes:apps/v1:StatefulSet", "redis").spec;
    expect(prodSts.replicas).toBe(3);
    expect(prodSts.template.spec.containers.map((c: any) => c.name)).toEqual(["redis", "exporter", "sentinel"]);
    expect(prod.conf["sentinel.conf"]).toContain("sentinel monitor queue redis-0.redis-pods.blacklake.svc 6379 2");
    const staging = await redis("staging");
    const stagingSts = staging.get("kubernetes:apps/v1:StatefulSet", "redis").spec;
    expect(stagingSts.replicas).toBe(1);
    expect(stagingSts.template.spec.containers.map((c: any) => c.name)).toEqual(["redis", "exporter"]);
    expect(staging.conf["sentinel.conf"]).toBeUndefined();
    expect(staging.get("kubernetes:core/v1:Service", "redis").spec.selector["statefulset.kubernetes.io/pod-name"]).toBe("redis-0");
  });

  it("protects Sentinel with a password of its own, which the probe, the start script and the API use", async () => {
    const { run, get } = await redis("prod");
    const containers = get("kubernetes:apps/v1:StatefulSet", "redis").spec.template.spec.containers as any[];
    const authRef = (c: any) => c.env.find((e: any) => e.name === "SENTINEL_AUTH_PASSWORD")?.valueFrom.secretKeyRef;
    for (const name of ["redis", "sentinel"]) expect(authRef(containers.find((c) => c.name === name)), name).toEqual({ name: "redis-sentinel-auth", key: "password" });
    expect(containers.find((c) => c.name === "sentinel").livenessProbe.exec.command.join(" ")).toContain('REDISCLI_AUTH="$SENTINEL_AUTH_PASSWORD"');
    expect(run.one("kubernetes:core/v1:Secret", "redis-sentinel-auth").secretInputs).toContain("stringData");
    const api = (run.one("kubernetes:apps/v1:Deployment", "api").inputs as any).spec.template.spec.containers[0].env;
    expect(api.find((e: any) => e.name === "REDIS_SENTINEL_PASSWORD").valueFrom.secretKeyRef).toEqual({ name: "redis-app", key: "sentinelPassword" });
    const staging = await runStack("staging");
    expect(staging.has("kubernetes:core/v1:Secret", "redis-sentinel-auth")).toBe(false);
  });

  it("starts its scripts with sh: the alpine image has no bash", async () => {
    const { get } = await redis("prod");
    const containers = get("kubernetes:apps/v1:StatefulSet", "redis").spec.template.spec.containers as { name: string; image: string; command?: string[] }[];
    const scripted = containers.filter((c) => c.command?.some((arg) => arg.endsWith("-start.sh")));
    expect(scripted.map((c) => c.name).sort()).toEqual(["redis", "sentinel"]);
    for (const c of scripted) {
      expect(c.image).toMatch(/alpine/);
      expect(c.command?.[0], c.name).toBe("sh");
    }
  });

  it("keeps passwords in Secrets only", async () => {
    const { run } = await redis("prod");
    const acl = run.one("kubernetes:core/v1:Secret", "redis-acl");
    expect(acl.secretInputs).toContain("stringData");
    expect(Object.keys((acl.inputs as { stringData: object }).stringData).sort()).toEqual(["replication.conf", "users.acl"]);
    const pod = (run.one("kubernetes:apps/v1:StatefulSet", "redis").inputs as any).spec.template.spec;
    expect(pod.volumes.find((v: any) => v.name === "acl").secret).toBeDefined();
  });

  it("gives each user only what it needs", () => {
    const acl = renderUsersAcl({ app: "a", exporter: "e", replication: "r", sentinel: "s", admin: "x" });
    // Off and passwordless (no one logs in as it), with the permissions the AOF replay needs.
    expect(acl).toMatch(/^user default off resetpass ~\* &\* \+@all$/m);
    expect(acl).toMatch(/^user app on >a ~\* &\* \+@all -@admin -@dangerous$/m);
    expect(acl).toMatch(/^user exporter on >e ~\* -@all .*\+info/m);
    expect(acl).not.toMatch(/^user exporter .*(\+@all|flushall|\+eval)/m);
    expect(acl).toMatch(/^user replication on >r -@all \+psync \+replconf \+ping$/m);
  });

  // Severity, summary, description and runbook of every alert: test/unit/monitoring-alerts.test.ts.
  it("alerts on the guide's queue and cache thresholds", () => {
    const alerts = redisMixin({ namespace: "blacklake", podSelector: {} })
      .ruleGroups.flatMap((g) => g.rules)
      .filter(isAlertRule);
    const expr = (name: string) => alerts.find((a) => a.alert === name)!.expr;
    expect(expr("JobQueueDepthHigh")).toMatch(/> 100$/);
    expect(expr("DeadLetterQueueNotEmpty")).toMatch(/> 0$/);
    expect(expr("RedisCacheHitRatioLow")).toMatch(/ < 0\.8 and on \(namespace\) blacklake:redis_lookups:rate5m\{[^}]*\} >= 1$/);
  });
});
