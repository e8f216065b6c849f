import { asArray, resourcePolicy, type ResourcePolicy } from "./lib";

// Docker rules, for the local stack (target "docker"): a laptop's services must not be
// reachable from the network the laptop is on.

export const DOCKER = {
  container: "docker:index/container:Container",
} as const;

/** Addresses that mean "every interface of the host". */
const ALL_INTERFACES = new Set(["", "0.0.0.0", "::", "[::]"]);

const portsLoopback = resourcePolicy({
  name: "docker-ports-loopback",
  description: "Docker containers publish ports on a specific host address (loopback by default), never on all interfaces (0.0.0.0 or an empty ip).",
  enforcementLevel: "mandatory",
  types: [DOCKER.container],
  validate: ({ name, props }, report) => {
    const container = `Docker container "${props.name ?? name}"`;
    const fix = 'Set ip to "127.0.0.1" (blacklake:local.bindAddress, the default) so only this machine can connect.';
    if (props.publishAllPorts === true) {
      report(`${container}: publishAllPorts is true, which publishes every exposed port on all interfaces (0.0.0.0). Remove it and publish each port with ports[].ip. ${fix}`);
    }
    asArray(props.ports).forEach((port, i) => {
      if (port.external === undefined || port.external === null) return; // not published on the host
      const ip = port.ip === undefined || port.ip === null ? "" : String(port.ip);
      if (ALL_INTERFACES.has(ip)) {
        report(
          `${container}: ports[${i}] publishes host port ${port.external} (container port ${port.internal}) on all interfaces (ip ${ip === "" ? "unset" : ip}), reachable from any network this machine is on. ${fix}`,
        );
      }
    });
  },
});

/** Host paths whose mount hands the container the host: the Docker socket, the root, /proc, /etc, the kubelet's files. */
const HOST_CONTROL_PATHS = [/docker\.sock$/, /containerd\.sock$/, /^\/$/, /^\/proc(\/|$)/, /^\/etc(\/|$)/, /^\/var\/run\/?$/, /^\/run\/?$/, /^\/var\/lib\/(docker|kubelet)(\/|$)/];

/** Capabilities that reach past the container: the kernel, other processes, the host's network and devices. */
const HOST_CAPABILITIES = ["ALL", "SYS_ADMIN", "SYS_MODULE", "SYS_PTRACE", "SYS_RAWIO", "SYS_BOOT", "SYS_TIME", "NET_ADMIN", "DAC_READ_SEARCH", "BPF", "PERFMON", "MKNOD"];

const containerIsolation = resourcePolicy({
  name: "docker-container-isolation",
  description:
    "Docker containers stay isolated from the host: not privileged, no host network/PID/IPC namespace, no capability that reaches the host (SYS_ADMIN, NET_ADMIN, SYS_PTRACE, ...), no devices, and no mount of the Docker socket, /, /proc or /etc.",
  enforcementLevel: "mandatory",
  types: [DOCKER.container],
  validate: ({ name, props }, report) => {
    const container = `Docker container "${props.name ?? name}"`;
    const findings: string[] = [];
    if (props.privileged === true) findings.push("privileged is true");
    for (const field of ["networkMode", "pidMode", "ipc"]) if (props[field] === "host") findings.push(`${field} is "host"`);
    const adds = ((props.capabilities?.adds ?? []) as string[]).filter((c) => HOST_CAPABILITIES.includes(c.toUpperCase().replace(/^CAP_/, "")));
    if (adds.length > 0) findings.push(`capabilities.adds has ${adds.join(", ")}`);
    if (asArray(props.devices).length > 0) findings.push("devices maps host devices");
    asArray(props.volumes).forEach((v, i) => {
      if (typeof v.hostPath === "string" && HOST_CONTROL_PATHS.some((re) => re.test(v.hostPath))) findings.push(`volumes[${i}] mounts host path ${v.hostPath}`);
    });
    asArray(props.mounts).forEach((m, i) => {
      if (m.type === "bind" && typeof m.source === "string" && HOST_CONTROL_PATHS.some((re) => re.test(m.source))) findings.push(`mounts[${i}] binds host path ${m.source}`);
    });
    for (const f of findings) report(`${container}: ${f}, which gives the container control of this machine. Remove it; the local stack's services need none of it.`);
  },
});

export const dockerPolicies: ResourcePolicy[] = [portsLoopback, containerIsolation];
