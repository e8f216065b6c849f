import * as path from "node:path";
import { configFromStackFile, validateConfig } from "../../../stacks/config";
import type { PostgresParameters } from "../../../components/postgres/postgresqlConf";
import { ROOT } from "./install";

/** The production numbers (Pulumi.prod.yaml with the schema defaults) the servers are configured with. */
export interface ProductionPostgres {
  parameters: PostgresParameters;
  archiveTimeoutSeconds: number;
  instances: number;
}

let cached: ProductionPostgres | undefined;

export function productionPostgres(): ProductionPostgres {
  if (cached) return cached;
  const result = validateConfig(configFromStackFile(path.join(ROOT, "Pulumi.prod.yaml")));
  if (!result.ok) throw new Error(`Pulumi.prod.yaml does not validate:\n${result.problems.join("\n")}`);
  const { parameters, archiveTimeoutSeconds, instances } = result.config.postgres;
  cached = { parameters: { ...parameters }, archiveTimeoutSeconds, instances };
  return cached;
}
