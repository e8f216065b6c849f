import { z } from "zod";
import { dnsLabel, strictSection } from "../lib/settings";

// Where the NetworkPolicies' external peers are.

/**
 * An IPv4 CIDR by value, not shape: four octets 0-255, a prefix 0-32, and no bits set
 * past the prefix (10.0.0.1/8 is a typo for a host or for the range; NetworkPolicy refuses it).
 */
export function isIpv4Cidr(text: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  if (!m) return false;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return false;
  const address = octets.reduce((a, o) => a * 256 + o, 0);
  const hostBits = 2 ** (32 - prefix);
  return address % hostBits === 0;
}
const cidr = z.string().refine(isIpv4Cidr, { message: 'expected an IPv4 CIDR such as "10.0.0.0/8" (octets 0-255, prefix 0-32, no host bits set)' });
const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

export const networkSettings = strictSection({
  ingressNamespace: dnsLabel.default("ingress-nginx").describe("Namespace of the ingress controller allowed to reach the API, Keycloak and Grafana."),
  apiServerCidrs: z.array(cidr).min(1).default(PRIVATE_RANGES).describe("Where the Kubernetes API server is; narrow it to your cluster's."),
  nodeCidrs: z.array(cidr).min(1).default(PRIVATE_RANGES).describe("The nodes' addresses (kubelet metrics)."),
  internetCidrs: z.array(cidr).min(1).default(["0.0.0.0/0"]).describe("Off-site storage and alert receivers; only ports 443 and 587 are opened."),
}).prefault({});
