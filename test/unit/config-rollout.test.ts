import { describe, expect, it } from "vitest";
import { CONFIG_CHECKSUM_ANNOTATION } from "../../components/lib/checksum";
import { kubernetesName, type Registered, runStack, stackConfig } from "../harness";

// A changed rendered file must reach the running servers: the pod templates that mount
// it carry a digest of it (components/lib/checksum.ts), so exactly those workloads roll
// and no other. Prometheus and Alertmanager are the exceptions: they reload their files in
// place, so a rule or receiver change rolls nothing (monitoring-servers.test.ts reloads the
// real ones).

const WORKLOADS = ["kubernetes:apps/v1:StatefulSet", "kubernetes:apps/v1:Deployment"];

/** Each workload's pod template annotations, by kind and name. */
function podAnnotations(run: Registered): Record<string, Record<string, string>> {
  return Object.fromEntries(
    run.resources
      .filter((r) => WORKLOADS.includes(r.type))
      .map((r) => [`${r.type.split(":").pop()} ${kubernetesName(r) ?? r.name}`, ((r.inputs as any).spec.template.metadata.annotations ?? {}) as Record<string, string>]),
  );
}

/** The workloads whose pod template differs between two runs of the stack. */
function rolled(before: Registered, after: Registered): string[] {
  const a = podAnnotations(before);
  const b = podAnnotations(after);
  return Object.keys(a)
    .filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]))
    .sort();
}

/** The prod stack with one config value changed. */
async function prodWith(change: (values: any) => void): Promise<Registered> {
  const config = stackConfig("prod");
  const values = structuredClone(config.values) as any;
  change(values);
  return runStack("prod", { ...config, values });
}

describe("a changed configuration file rolls exactly the pods that mount it (prod)", () => {
  it("every workload that mounts rendered files carries their digest", async () => {
    const annotations = podAnnotations(await runStack("prod"));
    const withDigest = Object.keys(annotations).filter((k) => annotations[k]![CONFIG_CHECKSUM_ANNOTATION]);
    expect(withDigest.sort()).toEqual(["Deployment grafana", "Deployment keycloak", "StatefulSet postgres", "StatefulSet redis"]);
  });

  it("Alertmanager instead has a reloader beside it that watches the file it mounts", async () => {
    const am = (await runStack("prod")).resources.find((r) => r.type === "kubernetes:apps/v1:StatefulSet" && kubernetesName(r) === "alertmanager");
    expect(am, "the alertmanager StatefulSet").toBeDefined();
    const containers: any[] = (am!.inputs as any).spec.template.spec.containers;
    const reloader = containers.find((c) => c.name === "config-reloader");
    expect(reloader.env).toContainEqual({ name: "CONFIG_FILE", value: "/etc/alertmanager/alertmanager.yml" });
    expect(reloader.volumeMounts).toEqual([expect.objectContaining({ name: "config", mountPath: "/etc/alertmanager" })]);
    expect(reloader.image).toBe(containers.find((c) => c.name === "alertmanager").image);
  });

  it("Prometheus instead reloads its config and rule files when they change", async () => {
    const prometheus = (await runStack("prod")).resources.find((r) => r.type === "kubernetes:apps/v1:StatefulSet" && kubernetesName(r) === "prometheus");
    expect(prometheus, "the prometheus StatefulSet").toBeDefined();
    const args: string[] = (prometheus!.inputs as any).spec.template.spec.containers[0].args;
    expect(args).toEqual(expect.arrayContaining(["--enable-feature=auto-reload-config", "--config.auto-reload-interval=30s"]));
  });

  it.each([
    ["postgresql.conf (max_connections)", (v: any) => (v.postgres.parameters = { ...v.postgres.parameters, maxConnections: 250 }), ["StatefulSet postgres"]],
    ["redis.conf (maxmemory)", (v: any) => (v.redis = { ...v.redis, maxmemory: "96mb" }), ["StatefulSet redis"]],
    // A backup schedule is only in the rules: nothing rolls (Prometheus reloads them), not the database either.
    ["the rule files (a backup schedule)", (v: any) => (v.postgres.backups.pgbackrest.repos[0].schedules.full = "0 3 * * *"), []],
    // Alertmanager reloads it in place (its config-reloader): nothing rolls.
    ["alertmanager.yml (a receiver)", (v: any) => (v.monitoring.receivers.warning = { kind: "email", to: "someone-else@blacklake.example.com" }), []],
    ["the realm (the access token lifespan)", (v: any) => (v.keycloak = { ...v.keycloak, accessTokenLifespanSeconds: 120 }), ["Deployment keycloak"]],
  ])("%s: rolls exactly the pods that mount it", async (_what, change, expected) => {
    expect(rolled(await runStack("prod"), await prodWith(change))).toEqual(expected);
  });
});
