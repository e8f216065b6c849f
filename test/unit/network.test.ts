import { describe, expect, it } from "vitest";
import { ALERTMANAGER_CLUSTER_PORT } from "../../components/monitoring/alertmanager";
import { DNS_PORT, FLOWS, WORKLOADS } from "../../components/network/flows";
import { kubernetesName, podTemplateOf, runStack, STACKS } from "../harness";

// Reachability computed from the NetworkPolicy objects the stack registers (not from
// the flow matrix they were rendered from), compared with the declared matrix: nothing
// more, nothing less. Kubernetes semantics: a connection needs an egress rule on the
// source's policies AND an ingress rule on the destination's, once any policy selects
// the pod for that direction.

type Labels = Record<string, string>;
interface Peer {
  podSelector?: { matchLabels?: Labels };
  namespaceSelector?: { matchLabels?: Labels };
  ipBlock?: { cidr: string };
}
interface Rule {
  from?: Peer[];
  to?: Peer[];
  ports?: { port: number; protocol?: string }[];
}
interface Policy {
  podSelector: { matchLabels?: Labels };
  policyTypes: string[];
  ingress?: Rule[];
  egress?: Rule[];
}

const selects = (selector: { matchLabels?: Labels } | undefined, labels: Labels) => Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);

/** An endpoint: a workload of the namespace (by labels), or an outside place. */
type Endpoint = { kind: "pod"; name: string; labels: Labels } | { kind: "namespace"; name: string; namespace: string } | { kind: "cidr"; name: string; cidr: string };

function peerMatches(peer: Peer, e: Endpoint): boolean {
  if (peer.ipBlock) return e.kind === "cidr" && e.cidr === peer.ipBlock.cidr;
  if (peer.namespaceSelector) return e.kind === "namespace" && selects(peer.namespaceSelector, { "kubernetes.io/metadata.name": e.namespace });
  return e.kind === "pod" && selects(peer.podSelector, e.labels);
}

type Protocol = "TCP" | "UDP";
const portMatches = (rule: Rule, protocol: Protocol, port: number) => !rule.ports || rule.ports.some((p) => p.port === port && (p.protocol ?? "TCP") === protocol);

function allows(policies: Policy[], direction: "ingress" | "egress", pod: Labels, other: Endpoint, protocol: Protocol, port: number): boolean {
  const type = direction === "ingress" ? "Ingress" : "Egress";
  const applicable = policies.filter((p) => p.policyTypes.includes(type) && selects(p.podSelector, pod));
  if (applicable.length === 0) return true; // not isolated in this direction
  return applicable.some((p) =>
    (p[direction] ?? []).some((rule) => portMatches(rule, protocol, port) && (rule[direction === "ingress" ? "from" : "to"] ?? []).some((peer) => peerMatches(peer, other))),
  );
}

describe.each(STACKS)("NetworkPolicies of the %s stack", (stack) => {
  it("allow exactly the declared flows between every pair of endpoints, on every declared port", async () => {
    const run = await runStack(stack);
    const policies = run.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").map((r) => (r.inputs as { spec: Policy }).spec);
    const ingressNamespace = "ingress-nginx"; // network.ingressNamespace's default, used by every stack
    const pods: Endpoint[] = WORKLOADS.map((w) => ({ kind: "pod", name: w.name, labels: w.podLabels }));
    const outside: Endpoint[] = [
      { kind: "namespace", name: "ingress", namespace: ingressNamespace },
      { kind: "namespace", name: "other-namespace", namespace: "some-other-team" },
      { kind: "cidr", name: "kube-apiserver", cidr: "10.0.0.0/8" },
      { kind: "cidr", name: "internet", cidr: "0.0.0.0/0" },
    ];
    const ports = [...new Set([...FLOWS.map((f) => f.port), 22, 80, 5432, 6379, 9000])];
    const allowed = new Set<string>();
    for (const from of [...pods, ...outside]) {
      for (const to of [...pods, ...outside]) {
        if (from.kind !== "pod" && to.kind !== "pod") continue; // neither end is ours
        for (const port of ports) {
          for (const protocol of ["TCP", "UDP"] as const) {
            const egress = from.kind === "pod" ? allows(policies, "egress", from.labels, to, protocol, port) : true;
            const ingress = to.kind === "pod" ? allows(policies, "ingress", to.labels, from, protocol, port) : true;
            if (egress && ingress) allowed.add(`${from.name} -> ${to.name}:${port}/${protocol}`);
          }
        }
      }
    }
    // The declared matrix, with the kube-apiserver and kubelets both inside the private ranges this test probes.
    const declared = new Set(FLOWS.map((f) => `${f.from} -> ${f.to === "kubelets" ? "kube-apiserver" : f.to}:${f.port}/${f.protocol ?? "TCP"}`));
    expect([...allowed].sort()).toEqual([...declared].sort());
  });

  it("deny ingress and egress by default and allow DNS to every pod", async () => {
    const run = await runStack(stack);
    const byName = Object.fromEntries(
      run.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy").map((r): [string, Policy] => [kubernetesName(r) ?? r.name, (r.inputs as { spec: Policy }).spec]),
    );
    expect(byName["default-deny"]).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    const dns = byName["allow-dns"]!.egress![0]!;
    expect(dns.ports!.map((p) => `${p.protocol}/${p.port}`)).toEqual([`UDP/${DNS_PORT}`, `TCP/${DNS_PORT}`]);
    expect(dns.to![0]!.namespaceSelector!.matchLabels).toEqual({ "kubernetes.io/metadata.name": "kube-system" });
  });
});

describe("the flow matrix", () => {
  // memberlist, which Alertmanager's HA uses, needs both: with UDP refused each replica
  // sees the other failed and both send every notification.
  it("lets the Alertmanager replicas gossip on their cluster port over TCP and UDP", () => {
    const gossip = FLOWS.filter((f) => f.from === "alertmanager" && f.to === "alertmanager" && f.port === ALERTMANAGER_CLUSTER_PORT);
    expect(gossip.map((f) => f.protocol ?? "TCP").sort()).toEqual(["TCP", "UDP"]);
  });

  it("selects pods the stack really labels that way", async () => {
    const run = await runStack("prod");
    const podTemplates = run.kubernetesObjects().flatMap((o) => {
      const template = podTemplateOf(o);
      return template ? [template.metadata?.labels as Labels] : [];
    });
    for (const w of WORKLOADS) {
      expect(
        podTemplates.some((labels) => selects({ matchLabels: w.podLabels }, labels)),
        w.name,
      ).toBe(true);
    }
  });
});
