import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { ObjectScope } from "../lib/scope";
import type { IssuerRef, TlsSettings } from "./settings";

/** What one server certificate covers and where cert-manager writes it. */
export interface CertificateRequest {
  /** The kubernetes.io/tls Secret cert-manager writes: tls.crt, tls.key and (CA issuers) ca.crt. */
  secretName: string;
  dnsNames: pulumi.Input<string>[];
  ipAddresses?: string[];
  /** The issuer; the in-cluster one of the settings when absent. */
  issuer?: IssuerRef;
}

const hours = (days: number) => `${days * 24}h`;

/**
 * A cert-manager Certificate (cert-manager.io/v1) for a server: an ECDSA P-256 key that
 * is rotated on every renewal, server authentication only, the lifetimes of the settings.
 */
export function serverCertificate(scope: ObjectScope, tls: TlsSettings, r: CertificateRequest): k8s.apiextensions.CustomResource {
  const issuer = r.issuer ?? tls.issuer;
  return new k8s.apiextensions.CustomResource(
    scope.childName(r.secretName),
    {
      apiVersion: "cert-manager.io/v1",
      kind: "Certificate",
      metadata: scope.meta(r.secretName, "tls"),
      spec: {
        secretName: r.secretName,
        secretTemplate: { labels: scope.labels },
        dnsNames: r.dnsNames,
        ...(r.ipAddresses?.length ? { ipAddresses: r.ipAddresses } : {}),
        duration: hours(tls.durationDays),
        renewBefore: hours(tls.renewBeforeDays),
        privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
        usages: ["server auth", "digital signature", "key encipherment"],
        issuerRef: { group: "cert-manager.io", kind: issuer.kind, name: issuer.name },
      },
    },
    scope.childOpts(r.secretName),
  );
}
