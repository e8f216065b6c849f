import { z } from "zod";
import { dnsLabel, strictSection } from "../lib/settings";

// Where the NetworkPolicies' external peers are.

const cidr = z.string().regex(/^([0-9]{1,3}\.){3}[0-9]{1,3}\/[0-9]{1,2}$/, { message: 'expected an IPv4 CIDR such as "10.0.0.0/8"' });
const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

export const networkSettings = strictSection({
  ingressNamespace: dnsLabel.default("ingress-nginx").describe("Namespace of the ingress controller allowed to reach the API, Keycloak and Grafana."),
  apiServerCidrs: z.array(cidr).min(1).default(PRIVATE_RANGES).describe("Where the Kubernetes API server is; narrow it to your cluster's."),
  nodeCidrs: z.array(cidr).min(1).default(PRIVATE_RANGES).describe("The nodes' addresses (kubelet metrics)."),
  internetCidrs: z.array(cidr).min(1).default(["0.0.0.0/0"]).describe("Off-site storage and alert receivers; only ports 443 and 587 are opened."),
}).prefault({});
