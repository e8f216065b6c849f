import { describe, expect, it } from "vitest";
import { validateConfig } from "../../stacks/config";
import { stackConfig, type StackName } from "../harness";
import { badCases, type Values } from "./badConfigs";

// Each bad config must stop with one line naming the key path, the value found and
// what is allowed. The cases (test/unit/badConfigs.ts) mutate a valid stack file so each
// isolates one problem.

function mutated(stack: StackName, mutate: (v: Values) => void) {
  const raw = stackConfig(stack);
  const values = structuredClone(raw.values) as Values;
  mutate(values);
  return validateConfig({ ...raw, values });
}

function problemsOf(stack: StackName, mutate: (v: Values) => void): string[] {
  const result = mutated(stack, mutate);
  if (result.ok) throw new Error("expected the config to be rejected");
  return result.problems;
}

describe("config validation: every bad case names its key path, the value found and what is allowed", () => {
  it("has at least 30 distinct bad cases", () => {
    expect(new Set(badCases.map((c) => c.line)).size).toBeGreaterThanOrEqual(30);
  });

  it.each(badCases)("$name", ({ stack, mutate, line }) => {
    expect(problemsOf(stack ?? "prod", mutate)).toContain(line);
  });
});

describe("config validation: reporting", () => {
  it("accepts every committed stack file", () => {
    for (const stack of ["dev", "staging", "prod"] as const) {
      const result = validateConfig(stackConfig(stack));
      expect(result.ok ? [] : result.problems, stack).toEqual([]);
    }
  });

  it("reports every problem at once, not only the first", () => {
    const problems = problemsOf("prod", (v) => {
      v.postgres.instances = 0;
      v.redis = "big";
      v.minio.console = { enabled: true };
      v.typo = true;
    });
    expect(problems).toHaveLength(4);
    expect(problems.map((p) => p.split(":")[0])).toEqual(["minio.console.enabled", "postgres.instances", "redis", "typo"]);
  });

  it("still applies cross-section rules to sections that are valid when others are not", () => {
    const problems = problemsOf("prod", (v) => {
      v.redis = "big";
      v.minio.console = { enabled: true };
    });
    expect(problems).toContain("minio.console.enabled: found true; expected false in prod (the console is an admin surface)");
  });

  it("never prints an encrypted value from the stack file", () => {
    const raw = stackConfig("prod");
    const values = structuredClone(raw.values) as Values;
    values.monitoring.receivers.critical = { kind: "webhook", url: "[secret]" };
    const result = validateConfig({ values, secretPaths: [["monitoring", "receivers", "critical", "url"]] });
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.problems).toEqual(["monitoring.receivers.critical.url: found [secret]; expected an https:// URL"]);
  });

  it("fills production defaults from the operations guide", () => {
    const result = validateConfig({
      values: {
        environment: "prod",
        monitoring: {
          prometheus: { replicas: 2 },
          receivers: { critical: { kind: "email", to: "oncall@example.com" } },
          smtp: { smarthost: "smtp.example.com:587", from: "alerts@example.com" },
        },
      },
      secretPaths: [],
    });
    if (!result.ok) throw new Error(result.problems.join("\n"));
    const { postgres, api } = result.config;
    expect(postgres.parameters).toEqual({ maxConnections: 100, sharedBuffers: "256MB", workMem: "4MB", maintenanceWorkMem: "64MB", effectiveCacheSize: "1GB" });
    expect(postgres.archiveTimeoutSeconds).toBe(60);
    expect(postgres.backups.pgbackrest.repos).toEqual([
      { name: "repo1", storage: "minio", schedules: { full: "0 2 * * *", incr: "0 */4 * * *" }, retention: { fullDays: 30, incrementalDays: 7 } },
    ]);
    expect(api.autoscaling).toMatchObject({
      minReplicas: 2,
      maxReplicas: 20,
      targetCpuUtilizationPercent: 70,
      scaleUpStabilizationSeconds: 120,
      scaleDownStabilizationSeconds: 300,
    });
    expect(api.resources.requests).toEqual({ cpu: "100m", memory: "128Mi" });
  });
});
