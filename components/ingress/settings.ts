import { z } from "zod";
import { dnsLabel, strictSection } from "../lib/settings";
import { issuerRef } from "../tls/settings";

// How the public hosts (PUBLIC_HOSTS: the API, Keycloak, Grafana under the stack's domain)
// reach the cluster: through the ingress controller of one IngressClass, with a
// certificate per host from an issuer browsers trust.

export const ingressSettings = strictSection({
  enabled: z.boolean().default(true).describe("Ingress objects and certificates for the public hosts (api., auth. and grafana.<domain>)."),
  className: dnsLabel.default("nginx").describe("The IngressClass of the cluster's ingress controller (its namespace is network.ingressNamespace)."),
  issuer: issuerRef("letsencrypt").describe("Signs the public hosts' certificates: an issuer browsers trust (ACME, say), not the in-cluster CA."),
}).prefault({});

export type IngressSettings = z.output<typeof ingressSettings>;
