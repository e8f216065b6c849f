import { describe, expect, it } from "vitest";
import { type ContainerSpec, dockerContainer, kubernetesContainer } from "../../components/lib/container";
import { dockerEnv, kubernetesEnv } from "../../components/lib/env";

// The two renderers of a container declared once (components/lib/container.ts, env.ts).

const spec: ContainerSpec = {
  name: "exporter",
  image: "example.org/exporter:1.0",
  command: ["exporter"],
  args: ["--port=9000"],
  env: { MODE: "strict", TOKEN: "t0ken" },
  ports: [{ name: "metrics", port: 9000 }],
  uid: 1234,
};

describe("a container declared once", () => {
  it("renders for Kubernetes: command and args as given, ports by name, env as value/valueFrom", () => {
    expect(kubernetesContainer({ ...spec, env: { MODE: "strict", TOKEN: { secretName: "tokens", key: "exporter" }, POD: { fieldPath: "metadata.name" } } })).toEqual({
      name: "exporter",
      image: "example.org/exporter:1.0",
      command: ["exporter"],
      args: ["--port=9000"],
      ports: [{ name: "metrics", containerPort: 9000 }],
      env: [
        { name: "MODE", value: "strict" },
        { name: "TOKEN", valueFrom: { secretKeyRef: { name: "tokens", key: "exporter" } } },
        { name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      ],
    });
  });

  it("renders for Docker: Kubernetes' command is Docker's entrypoint, its args Docker's command, the uid the user", () => {
    expect(dockerContainer(spec)).toEqual({
      image: "example.org/exporter:1.0",
      user: "1234:1234",
      entrypoint: ["exporter"],
      command: ["--port=9000"],
      env: { MODE: "strict", TOKEN: "t0ken" },
    });
  });

  it("keeps the variables' order on both targets", () => {
    const env = { B: "2", A: "1", C: "3" };
    expect(kubernetesEnv(env).map((e) => e.name)).toEqual(["B", "A", "C"]);
    expect(Object.keys(dockerEnv(env))).toEqual(["B", "A", "C"]);
  });

  it("refuses to hand Docker a reference it cannot resolve, naming the variable", () => {
    expect(() => dockerEnv({ TOKEN: { secretName: "tokens", key: "exporter" } })).toThrow(/TOKEN: a Docker container takes the value, not a reference to Secret key exporter/);
    expect(() => dockerEnv({ POD: { fieldPath: "metadata.name" } })).toThrow(/POD: a Docker container takes the value, not the pod field metadata.name/);
  });

  describe("mounts and health, declared once", () => {
    const server: ContainerSpec = {
      name: "server",
      image: "example.org/server:1.0",
      ports: [{ name: "http", port: 8080 }],
      uid: 1000,
      mounts: [
        { kind: "data", volume: "data", path: "/data" },
        { kind: "files", volume: "config", path: "/etc/server", files: { "a.conf": "a=1", "b.conf": "b=2" } },
        { kind: "files", volume: "config", path: "/etc/server-main.conf", subPath: "a.conf", files: { "a.conf": "a=1", "b.conf": "b=2" } },
        { kind: "files", volume: "token", path: "/run/token", files: { token: "s3cret" }, secret: true },
        { kind: "data", volume: "shared", path: "/shared", readOnly: true },
        { kind: "scratch", volume: "tmp", path: "/tmp" },
      ],
      health: { http: { port: "http", readinessPath: "/ready", livenessPath: "/live", startupSeconds: 60 }, docker: "check-server" },
    };

    it("gives Kubernetes the mounts in order, files read-only, one file by subPath, and probes from the same check", () => {
      const k = kubernetesContainer(server);
      expect(k.volumeMounts).toEqual([
        { name: "data", mountPath: "/data" },
        { name: "config", mountPath: "/etc/server", readOnly: true },
        { name: "config", mountPath: "/etc/server-main.conf", subPath: "a.conf", readOnly: true },
        { name: "token", mountPath: "/run/token", readOnly: true },
        { name: "shared", mountPath: "/shared", readOnly: true },
        { name: "tmp", mountPath: "/tmp" },
      ]);
      expect(k.readinessProbe).toMatchObject({ httpGet: { path: "/ready", port: "http" } });
      expect(k.livenessProbe).toMatchObject({ httpGet: { path: "/live", port: "http" } });
      expect(k.startupProbe).toMatchObject({ httpGet: { path: "/ready", port: "http" }, failureThreshold: 12 });
    });

    it("gives Docker the files as uploads (secret ones marked), data as volumes by name, scratch as tmpfs, and the shell check", () => {
      const d = dockerContainer(server);
      expect(d.uploads).toEqual([
        { file: "/etc/server/a.conf", content: "a=1", secret: false },
        { file: "/etc/server/b.conf", content: "b=2", secret: false },
        { file: "/etc/server-main.conf", content: "a=1", secret: false },
        { file: "/run/token/token", content: "s3cret", secret: true },
      ]);
      expect(d.volumes).toEqual([
        { volume: "data", path: "/data", readOnly: false },
        { volume: "shared", path: "/shared", readOnly: true },
      ]);
      expect(d.tmpfs).toEqual(["/tmp"]);
      expect(d.healthcheck).toBe("check-server");
    });

    it("runs an exec readiness check on Docker as the same words, and gives an HTTP check without a shell line none", () => {
      expect(dockerContainer({ ...server, mounts: [], health: { exec: { readiness: ["pg_isready", "--port", "5432"] } } }).healthcheck).toBe("pg_isready --port 5432");
      expect(kubernetesContainer({ ...server, health: { exec: { readiness: ["pg_isready", "--port", "5432"] } } }).readinessProbe).toMatchObject({
        exec: { command: ["pg_isready", "--port", "5432"] },
      });
      expect(dockerContainer({ ...server, mounts: [], health: { http: { port: "http", readinessPath: "/", livenessPath: "/" } } }).healthcheck).toBeUndefined();
    });

    it("refuses what Docker cannot do, naming the container and the mount or word", () => {
      expect(() => dockerContainer({ ...server, mounts: [{ kind: "files", volume: "ca", path: "/etc/ca" }] })).toThrow(
        /server: mount "ca" at \/etc\/ca has no file contents; a Docker container needs them/,
      );
      expect(() => dockerContainer({ ...server, mounts: [{ kind: "files", volume: "config", path: "/etc/x.conf", subPath: "x.conf", files: { "a.conf": "" } }] })).toThrow(
        /names file x.conf, which the set does not have \(a.conf\)/,
      );
      expect(() => dockerContainer({ ...server, mounts: [], health: { exec: { readiness: ["sh", "-c", "ping | grep PONG"] } } })).toThrow(
        /needs shell quoting; give the Docker healthcheck as a shell line/,
      );
    });
  });
});
