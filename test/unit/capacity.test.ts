import { describe, expect, it } from "vitest";
import { capacityRows, capacityTable } from "../../scripts/capacity";
import { runStack } from "../harness";

describe("npm run capacity", () => {
  it("sums requests, limits and storage per workload at the HPA minimum", async () => {
    const rows = capacityRows((await runStack("prod")).resources);
    const postgres = rows.find((r) => r.workload === "StatefulSet/postgres")!;
    // 3 instances x (postgres "large" 1 CPU / 2Gi + three exporter sidecars "nano" 25m / 32Mi each:
    // postgres_exporter and one pgbackrest_exporter per repository)
    expect(postgres.replicas).toBe(3);
    expect(postgres.cpuRequest).toBeCloseTo(3 * 1.075);
    expect(postgres.memRequest).toBe(3 * (2 * 2 ** 30 + 3 * 32 * 2 ** 20));
    expect(postgres.storage).toBe(3 * 200 * 2 ** 30);
    expect(rows.find((r) => r.workload === "Deployment/api")!.replicas).toBe(2);
    const table = capacityTable(rows);
    expect(table).toContain("| StatefulSet/minio | 4 |");
    expect(table.split("\n").at(-1)).toMatch(/^\| \*\*total\*\* \| 21 \| /);
  });
});
