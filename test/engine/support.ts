import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync, SpawnSyncReturns } from "node:child_process";
import { ROOT } from "../harness";
import { freePort } from "../integration/support/cluster";

// A real kube-apiserver (with etcd and kube-controller-manager) on 127.0.0.1, started
// and stopped by the test itself through scripts/engine/control-plane.sh.

const ENGINE = path.join(ROOT, "scripts/engine");

function binDirs(): string[] {
  const result = spawnSync("bash", [path.join(ENGINE, "env.sh")], { encoding: "utf8" });
  return result.stdout.split("\n").filter(Boolean);
}

export function engineEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, PATH: [...binDirs(), process.env.PATH].join(":"), ...extra };
}


export class ControlPlane {
  private constructor(readonly dir: string, readonly env: NodeJS.ProcessEnv, readonly kubeconfig: string) {}

  static async start(): Promise<ControlPlane> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "blacklake-control-plane-"));
    const env = engineEnv({
      BL_ETCD_CLIENT_PORT: String(await freePort()),
      BL_ETCD_PEER_PORT: String(await freePort()),
      BL_APISERVER_PORT: String(await freePort()),
    });
    const started = spawnSync("bash", [path.join(ENGINE, "control-plane.sh"), "start", dir], { env, encoding: "utf8", timeout: 180_000 });
    const plane = new ControlPlane(dir, env, path.join(dir, "kubeconfig"));
    if (started.status !== 0) {
      plane.stop();
      throw new Error(`control plane did not start (exit ${started.status}):\n${started.stderr}`);
    }
    return plane;
  }

  kubectl(args: string[], input?: string): SpawnSyncReturns<string> {
    return spawnSync("kubectl", ["--kubeconfig", this.kubeconfig, ...args], {
      env: this.env,
      encoding: "utf8",
      input,
      timeout: 120_000,
    });
  }

  stop(): void {
    spawnSync("bash", [path.join(ENGINE, "control-plane.sh"), "stop", this.dir], { env: this.env, timeout: 60_000 });
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
