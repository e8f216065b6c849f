#!/usr/bin/env bash
# End-to-end smoke test of the engine tier, entirely on 127.0.0.1 and in a temp dir:
#   1. control plane up (etcd + kube-apiserver + kube-controller-manager)
#   2. kubectl apply --dry-run=server, get ns, create+delete a namespace
#      (deletion completes only if the namespace controller runs)
#   3. Pulumi: a throw-away TypeScript program (generated under the temp dir,
#      never in the repo) on a file:// backend: up, up (must be a no-op), destroy
#        a) always: Node automation API inline program (needs no
#           pulumi-language-nodejs) managing a Namespace + ConfigMap through a
#           pulumi.dynamic provider that calls kubectl
#        b) only when pulumi-language-nodejs, pulumi-resource-kubernetes and
#           pulumi-resource-random are on PATH: a regular `runtime: nodejs` program
#           with k8s.Provider + Namespace + ConfigMap + random.RandomPassword
#   4. control plane down
# Usage: scripts/engine/smoke.sh [node_modules dir, default <repo>/node_modules]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
NODE_MODULES="${1:-$REPO/node_modules}"
# shellcheck source=env.sh
source "$HERE/env.sh"

log() { printf '[smoke %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
for b in pulumi kubectl kube-apiserver node; do command -v "$b" >/dev/null || { log "missing $b (run scripts/engine/tools.sh)"; exit 1; }; done
[[ -d "$NODE_MODULES/@pulumi/pulumi" ]] || { log "no @pulumi/pulumi under $NODE_MODULES (npm ci first)"; exit 1; }

WORK="$(mktemp -d /tmp/bl-engine-smoke.XXXXXX)"
CP="$WORK/cp"
cleanup() {
  "$HERE/control-plane.sh" stop "$CP" || true
  [[ "${BL_SMOKE_KEEP:-0}" == 1 ]] && log "kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT

"$HERE/control-plane.sh" start "$CP" >/dev/null
export KUBECONFIG="$CP/kubeconfig" BL_KUBECONFIG="$CP/kubeconfig"

log "kubectl apply --dry-run=server"
kubectl apply --dry-run=server -f - <<'EOF'
apiVersion: v1
kind: Namespace
metadata: {name: bl-dry-run}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: bl-dry-run, namespace: default}
data: {hello: world}
EOF
kubectl get ns
log "namespace create/delete (needs the namespace controller)"
kubectl create namespace bl-ns-delete
kubectl create configmap x -n bl-ns-delete --from-literal=a=b >/dev/null
kubectl delete namespace bl-ns-delete --wait=true --timeout=90s

export PULUMI_BACKEND_URL="file://$WORK/state" PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-x}"
mkdir -p "$WORK/state"

# --- 3a: automation API inline program + dynamic provider ------------------
A="$WORK/auto"; mkdir -p "$A"; ln -s "$NODE_MODULES" "$A/node_modules"
cat >"$A/tsconfig.json" <<'EOF'
{ "compilerOptions": { "strict": true, "target": "es2020", "module": "commonjs", "moduleResolution": "node", "esModuleInterop": true, "skipLibCheck": true } }
EOF
cat >"$A/auto.ts" <<'EOF'
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace } from "@pulumi/pulumi/automation";

const kubeconfig = process.env.BL_KUBECONFIG!;
interface ManifestArgs { kubeconfig: string; manifest: string }
const kubectlProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: ManifestArgs) {
    require("child_process").execFileSync("kubectl", ["--kubeconfig", inputs.kubeconfig, "apply", "-f", "-"], { input: inputs.manifest });
    const m = JSON.parse(inputs.manifest);
    return { id: `${m.kind}/${m.metadata.namespace ?? ""}/${m.metadata.name}`, outs: inputs };
  },
  async diff(_id: string, olds: ManifestArgs, news: ManifestArgs) {
    return { changes: olds.manifest !== news.manifest };
  },
  async update(_id: string, _olds: ManifestArgs, news: ManifestArgs) {
    require("child_process").execFileSync("kubectl", ["--kubeconfig", news.kubeconfig, "apply", "-f", "-"], { input: news.manifest });
    return { outs: news };
  },
  async delete(_id: string, props: ManifestArgs) {
    require("child_process").execFileSync("kubectl", ["--kubeconfig", props.kubeconfig, "delete", "--ignore-not-found", "--wait=true", "-f", "-"], { input: props.manifest });
  },
};
class KubectlManifest extends pulumi.dynamic.Resource {
  constructor(name: string, manifest: object, opts?: pulumi.CustomResourceOptions) {
    super(kubectlProvider, name, { kubeconfig, manifest: JSON.stringify(manifest) }, opts);
  }
}
const program = async () => {
  const ns = new KubectlManifest("ns", { apiVersion: "v1", kind: "Namespace", metadata: { name: "bl-smoke-auto" } });
  const cm = new KubectlManifest("cm", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "smoke", namespace: "bl-smoke-auto" }, data: { hello: "world" } }, { dependsOn: [ns] });
  return { cmId: cm.id };
};
async function main() {
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: "dev", projectName: "blsmoke-auto", program },
    { workDir: __dirname, projectSettings: { name: "blsmoke-auto", runtime: "nodejs", backend: { url: process.env.PULUMI_BACKEND_URL! } } },
  );
  const out = (s: string) => process.stdout.write(s);
  const up1 = await stack.up({ onOutput: out });
  console.log("UP1", JSON.stringify(up1.summary.resourceChanges));
  const up2 = await stack.up({ onOutput: out });
  console.log("UP2", JSON.stringify(up2.summary.resourceChanges));
  const changed = Object.entries(up2.summary.resourceChanges ?? {}).filter(([k, v]) => k !== "same" && v);
  if (changed.length) throw new Error("second up was not a no-op: " + JSON.stringify(changed));
  const d = await stack.destroy({ onOutput: out });
  console.log("DESTROY", JSON.stringify(d.summary.resourceChanges));
  await stack.workspace.removeStack(stack.name);
}
main().catch(e => { console.error("SMOKE FAILED:", e?.message ?? e); process.exit(1); });
EOF
log "pulumi (automation API inline program, dynamic provider)"
(cd "$A" && node -r ts-node/register/transpile-only auto.ts)
if kubectl get ns bl-smoke-auto >/dev/null 2>&1; then
  kubectl get ns bl-smoke-auto -o jsonpath='{.status.phase}' | grep -q Terminating || { log "bl-smoke-auto survived destroy"; exit 1; }
fi

# --- 3b: regular program with the real providers (when they exist) --------
have_plugin() { # <name> <version>: in $PULUMI_HOME's plugin cache or on PATH
  [[ -x "$PULUMI_HOME/plugins/resource-$1-$2/pulumi-resource-$1" ]] || command -v "pulumi-resource-$1" >/dev/null
}
if command -v pulumi-language-nodejs >/dev/null && have_plugin kubernetes "$BL_PULUMI_K8S_VERSION" \
  && have_plugin random "$BL_PULUMI_RANDOM_VERSION"; then
  P="$WORK/prog"; mkdir -p "$P"; ln -s "$NODE_MODULES" "$P/node_modules"
  cp "$A/tsconfig.json" "$P/"
  printf 'name: blsmoke\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n' >"$P/Pulumi.yaml"
  echo '{ "name": "blsmoke", "private": true, "main": "index.ts" }' >"$P/package.json"
  cat >"$P/index.ts" <<'EOF'
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import * as fs from "fs";
const provider = new k8s.Provider("local", { kubeconfig: fs.readFileSync(process.env.BL_KUBECONFIG!, "utf8") });
const ns = new k8s.core.v1.Namespace("smoke", { metadata: { name: "bl-smoke" } }, { provider });
const cm = new k8s.core.v1.ConfigMap("smoke", { metadata: { name: "smoke", namespace: ns.metadata.name }, data: { hello: "world" } }, { provider });
const pw = new random.RandomPassword("pw", { length: 24, special: false });
export const configMap = cm.metadata.name;
export const pwLength = pw.result.apply(r => r.length);
EOF
  log "pulumi (runtime: nodejs program, kubernetes + random providers)"
  (
    cd "$P"
    pulumi stack init dev --non-interactive
    pulumi up --yes --non-interactive
    pulumi preview --expect-no-changes --non-interactive
    pulumi up --yes --non-interactive --expect-no-changes
    pulumi destroy --yes --non-interactive
    pulumi stack rm dev --yes --non-interactive
  )
else
  log "SKIP 3b: needs pulumi-language-nodejs (next to pulumi) and the kubernetes $BL_PULUMI_K8S_VERSION / random $BL_PULUMI_RANDOM_VERSION plugins (tools.sh all)"
fi
log "OK"
