import type * as k8s from "@pulumi/kubernetes";
import { DNS_NAMESPACE, DNS_PORT, type External, type Flow, type Workload } from "./flows";

// NetworkPolicy specs rendered from the flow matrix: a default deny of ingress and
// egress for every pod, DNS for everyone, then per workload one policy that allows
// exactly its declared inbound flows and its declared outbound flows. Pure: the
// component wraps each in a Kubernetes object.

export interface NetworkPolicySpec {
  name: string;
  spec: k8s.types.input.networking.v1.NetworkPolicySpec;
}

type Peer = k8s.types.input.networking.v1.NetworkPolicyPeer;

function peer(name: string, workloads: Workload[], externals: External[]): Peer[] {
  const workload = workloads.find((w) => w.name === name);
  if (workload) return [{ podSelector: { matchLabels: workload.podLabels } }];
  const external = externals.find((e) => e.name === name);
  if (!external) throw new Error(`flow endpoint "${name}" is neither a workload nor an external`);
  if (external.namespace) return [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": external.namespace } } }];
  return (external.cidrs ?? []).map((cidr) => ({ ipBlock: { cidr } }));
}

/** One rule per (peer, port): simple to read, and the reachability test reads it the same way. */
function rules(flows: Flow[], endpoint: (f: Flow) => string, direction: "from" | "to", workloads: Workload[], externals: External[]) {
  return flows.map((f) => ({
    [direction]: peer(endpoint(f), workloads, externals),
    ports: [{ protocol: f.protocol ?? "TCP", port: f.port }],
  }));
}

export function renderNetworkPolicies(flows: Flow[], workloads: Workload[], externals: External[]): NetworkPolicySpec[] {
  const policies: NetworkPolicySpec[] = [
    { name: "default-deny", spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } },
    {
      name: "allow-dns",
      spec: {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [
          {
            to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": DNS_NAMESPACE } } }],
            ports: [
              { protocol: "UDP", port: DNS_PORT },
              { protocol: "TCP", port: DNS_PORT },
            ],
          },
        ],
      },
    },
  ];
  for (const w of workloads) {
    const inbound = flows.filter((f) => f.to === w.name);
    const outbound = flows.filter((f) => f.from === w.name);
    if (inbound.length === 0 && outbound.length === 0) continue;
    policies.push({
      name: `allow-${w.name}`,
      spec: {
        podSelector: { matchLabels: w.podLabels },
        policyTypes: ["Ingress", "Egress"],
        // An empty list would be dropped by the API server and re-applied on every update;
        // leaving the field out means the same (nothing allowed in that direction).
        ...(inbound.length ? { ingress: rules(inbound, (f) => f.from, "from", workloads, externals) } : {}),
        ...(outbound.length ? { egress: rules(outbound, (f) => f.to, "to", workloads, externals) } : {}),
      },
    });
  }
  return policies;
}
