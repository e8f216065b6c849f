import type { PlatformConfig } from "../config";
import { LocalPlatform } from "./platform";

/**
 * The local stack (target "docker"): the platform's services as containers on the
 * engine of the machine running Pulumi, mounting the same rendered files as the
 * Kubernetes components. The config schema already keeps it a dev-shaped stack with no
 * cloud account and nothing built.
 */
export function composeLocal(config: PlatformConfig) {
  const platform = new LocalPlatform("local", { config });
  return { platform };
}
