import type { Edit, Mutation } from "./prodEdits";

// Unsafe edits of the local stack (target docker): each container must stay isolated
// from the laptop it runs on and publish only on loopback.

const container =
  (name: string, change: (inputs: any) => void): Edit =>
  (rs) => {
    const found = rs.filter((r) => r.type === "docker:index/container:Container" && r.name === name);
    if (found.length !== 1) throw new Error(`local has ${found.length} containers named ${name}`);
    change(found[0]!.inputs);
  };

export const LOCAL_EDITS: Mutation[] = [
  { what: "local: the API container runs privileged", policy: "docker-container-isolation", mentions: "blacklake-local-api", edit: container("api", (i) => (i.privileged = true)) },
  {
    what: "local: Prometheus shares the host's network",
    policy: "docker-container-isolation",
    mentions: "blacklake-local-prometheus",
    edit: container("prometheus", (i) => (i.networkMode = "host")),
  },
  {
    what: "local: PostgreSQL shares the host's PID namespace",
    policy: "docker-container-isolation",
    mentions: "blacklake-local-postgres",
    edit: container("postgres", (i) => (i.pidMode = "host")),
  },
  {
    what: "local: Grafana mounts the Docker socket",
    policy: "docker-container-isolation",
    mentions: "blacklake-local-grafana",
    edit: container("grafana", (i) => (i.volumes = [...(i.volumes ?? []), { hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock" }])),
  },
  {
    what: "local: MinIO bind-mounts the host's /etc",
    policy: "docker-container-isolation",
    mentions: "blacklake-local-minio",
    edit: container("minio", (i) => (i.mounts = [...(i.mounts ?? []), { type: "bind", source: "/etc", target: "/host-etc" }])),
  },
  {
    what: "local: Redis gains SYS_ADMIN",
    policy: "docker-container-isolation",
    mentions: "blacklake-local-redis",
    edit: container("redis", (i) => i.capabilities.adds.push("SYS_ADMIN")),
  },
  {
    what: "local: the API is published on every interface",
    policy: "docker-ports-loopback",
    mentions: "blacklake-local-api",
    edit: container("api", (i) => {
      for (const p of i.ports) p.ip = "0.0.0.0";
    }),
  },
];
