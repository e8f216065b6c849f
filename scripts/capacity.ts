import { parseArgs } from "node:util";
import { parseQuantity } from "../components/lib/quantity";
import { configFromStackFile, offlineProblems } from "../stacks/config";
import { type CapturedResource, runUnderMocks } from "./synth/mockRuntime";

// npm run capacity -- --stack <name>
// CPU and memory requests and limits, and persistent storage, per component and in
// total, from what the stack declares (at its minimum replica counts), for capacity planning.

interface Row {
  workload: string;
  replicas: number;
  cpuRequest: number;
  cpuLimit: number;
  memRequest: number;
  memLimit: number;
  storage: number;
}

const GiB = 2 ** 30;
type Container = { resources?: { requests?: Record<string, string>; limits?: Record<string, string> } };

function sum(containers: Container[], kind: "requests" | "limits", resource: "cpu" | "memory"): number {
  return containers.reduce((total, c) => total + (parseQuantity(c.resources?.[kind]?.[resource] ?? "0") ?? 0), 0);
}

/** Long-running workloads only: Jobs and CronJobs come and go. */
export function capacityRows(resources: CapturedResource[]): Row[] {
  const minReplicas = new Map(
    resources
      .filter((r) => r.type === "kubernetes:autoscaling/v2:HorizontalPodAutoscaler")
      .map((r) => {
        const spec = (r.inputs as any).spec;
        return [spec.scaleTargetRef.name as string, spec.minReplicas as number];
      }),
  );
  return resources
    .filter((r) => ["kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet"].includes(r.type))
    .map((r) => {
      const o = r.inputs as any;
      const pod = o.spec.template.spec;
      const containers: Container[] = [...(pod.containers ?? []), ...(pod.initContainers ?? [])];
      const replicas = minReplicas.get(o.metadata.name) ?? o.spec.replicas ?? 1;
      const claims: any[] = o.spec.volumeClaimTemplates ?? [];
      return {
        workload: `${r.type.split(":").pop()}/${o.metadata.name}`,
        replicas,
        cpuRequest: replicas * sum(containers, "requests", "cpu"),
        cpuLimit: replicas * sum(containers, "limits", "cpu"),
        memRequest: replicas * sum(containers, "requests", "memory"),
        memLimit: replicas * sum(containers, "limits", "memory"),
        storage: replicas * claims.reduce((t, c) => t + (parseQuantity(c.spec.resources.requests.storage) ?? 0), 0),
      };
    })
    .sort((a, b) => a.workload.localeCompare(b.workload));
}

export function capacityTable(rows: Row[]): string {
  const sumOf = (key: Exclude<keyof Row, "workload">) => rows.reduce((t, r) => t + r[key], 0);
  const total: Row = {
    workload: "total",
    replicas: sumOf("replicas"),
    cpuRequest: sumOf("cpuRequest"),
    cpuLimit: sumOf("cpuLimit"),
    memRequest: sumOf("memRequest"),
    memLimit: sumOf("memLimit"),
    storage: sumOf("storage"),
  };
  const line = (r: Row) =>
    `| ${r.workload} | ${r.replicas} | ${r.cpuRequest.toFixed(2)} | ${r.cpuLimit.toFixed(2)} | ${(r.memRequest / GiB).toFixed(2)} | ${(r.memLimit / GiB).toFixed(2)} | ${(r.storage / GiB).toFixed(0)} |`;
  return [
    "| workload | pods | CPU request | CPU limit | memory request (GiB) | memory limit (GiB) | storage (GiB) |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map(line),
    line(total).replace("| total |", "| **total** |"),
  ].join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { stack: { type: "string" } } });
  if (!values.stack) {
    console.error("usage: npm run capacity -- --stack <dev|staging|prod>");
    process.exit(2);
  }
  const raw = configFromStackFile(`Pulumi.${values.stack}.yaml`);
  const problems = offlineProblems(raw);
  if (problems.length) {
    console.error(problems.join("\n"));
    process.exit(1);
  }
  console.log(capacityTable(capacityRows((await runUnderMocks(values.stack, raw)).resources)));
}

if (require.main === module) {
  main().catch((error) => {
    console.error(`capacity: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
