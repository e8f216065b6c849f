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

export const dockerPolicies: ResourcePolicy[] = [portsLoopback];
