import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";

// ConfigMaps and Secrets keep their names, so a changed file does not change the pod
// template that mounts it, and the servers would go on running the old configuration.
// The pod template carries a digest of what it mounts instead: a changed file changes
// the template, and the StatefulSet or Deployment rolls its pods (surge or one at a time,
// as its strategy and PDB allow). Prometheus and Alertmanager are the exceptions: they
// reload changed files in place (components/monitoring/prometheus.ts, alertmanager.ts),
// so a rule or receiver change restarts nothing.

export const CONFIG_CHECKSUM_ANNOTATION = "blacklake.io/config-checksum";

/** A file set as a ConfigMap's data or a Secret's stringData holds it. */
export type FileSet = pulumi.Input<Record<string, pulumi.Input<string>>>;

/** sha256 over the file sets' names and contents, in a stable order. */
export function configChecksum(...sets: FileSet[]): pulumi.Output<string> {
  return pulumi.all(sets.map((set) => pulumi.output(set))).apply((resolved) => {
    const hash = createHash("sha256");
    for (const files of resolved) {
      for (const name of Object.keys(files).sort()) hash.update(`${name}\0${files[name]}\0`);
      hash.update("\x01");
    }
    return hash.digest("hex");
  });
}

/** The pod template annotation for the file sets the pods mount. */
export function configChecksumAnnotation(...sets: FileSet[]): Record<string, pulumi.Output<string>> {
  return { [CONFIG_CHECKSUM_ANNOTATION]: configChecksum(...sets) };
}
