import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { NamespaceArgs } from "../lib/component";
import { ObjectScope } from "../lib/scope";
import { serverCertificate } from "../tls/certificate";
import type { TlsSettings } from "../tls/settings";
import type { IngressSettings } from "./settings";

export type { IngressSettings };

/** One public host: the Service behind it and the paths the world may reach. */
export interface PublicRoute {
  /** The Service's name; the Ingress and its certificate are named after it. */
  service: string;
  port: number;
  host: string;
  /** Path prefixes exposed; "/" for the whole service. */
  paths: string[];
}

export interface PublicIngressArgs extends NamespaceArgs {
  instance: string;
  settings: IngressSettings;
  /** Certificate lifetimes (the issuer is settings.issuer). */
  tls: TlsSettings;
  routes: PublicRoute[];
}

/**
 * The platform's public hosts: per route an Ingress of the configured class that serves
 * only HTTPS with a cert-manager certificate of its own (named <service>-public-tls),
 * and sends only the route's paths to its Service.
 */
export class PublicIngress extends pulumi.ComponentResource {
  /** The public URL of each route, by Service name. */
  readonly urls: Record<string, string> = {};

  constructor(name: string, args: PublicIngressArgs, opts?: pulumi.ComponentResourceOptions) {
    super("blacklake:ingress:PublicIngress", name, {}, opts);
    const scope = new ObjectScope(this, args, { name: "ingress", instance: args.instance, component: "ingress" }, name);
    for (const route of args.routes) {
      const secretName = `${route.service}-public-tls`;
      const certificate = serverCertificate(scope, args.tls, { secretName, dnsNames: [route.host], issuer: args.settings.issuer });
      new k8s.networking.v1.Ingress(
        scope.childName(route.service),
        {
          metadata: {
            ...scope.meta(route.service),
            // ingress-nginx redirects plain HTTP to HTTPS once a host has TLS; said here so it holds whatever the controller's default.
            annotations: { "nginx.ingress.kubernetes.io/force-ssl-redirect": "true" },
          },
          spec: {
            ingressClassName: args.settings.className,
            tls: [{ hosts: [route.host], secretName }],
            rules: [
              {
                host: route.host,
                http: {
                  paths: route.paths.map((p) => ({ path: p, pathType: "Prefix", backend: { service: { name: route.service, port: { number: route.port } } } })),
                },
              },
            ],
          },
        },
        { ...scope.childOpts(route.service), dependsOn: [certificate] },
      );
      this.urls[route.service] = `https://${route.host}`;
    }
    this.registerOutputs({ urls: this.urls });
  }
}
