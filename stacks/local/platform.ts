// The local stack's composition: every service as Docker containers, rendered from the
// containers the components declare for every target (one file per service here).

import * as pulumi from "@pulumi/pulumi";
import { renamedType } from "../../components/lib/component";
import * as docker from "@pulumi/docker";
import { generatedPassword } from "../../components/lib/credentials";
import type { PlatformConfig } from "../config";
import { localContainer, type LocalContainerSpec } from "./container";
import type { MonitoringMixin } from "../../components/lib/mixin";
import type { LocalContext, LocalUrls } from "./context";
import { localPostgres, localVolumes } from "./database";
import { localRedis } from "./queue";
import { localMinio } from "./objectStore";
import { localKeycloak } from "./identity";
import { localApi } from "./api";
import { localMonitoring } from "./monitoring";

export { RESTART_POLICY } from "./container";
export { LOCAL_PGBACKREST_REPO_PATH } from "./context";

export interface LocalPlatformArgs {
  /** The validated stack config (target "docker"); the component reads no pulumi.Config. */
  config: PlatformConfig;
}

/**
 * The platform as containers on one Docker engine: the same services, users and rendered
 * files as on Kubernetes, on one private bridge network named after the stack, with only
 * the `local.ports` published, on `local.bindAddress` (loopback by default).
 */
export class LocalPlatform extends pulumi.ComponentResource {
  readonly networkName: pulumi.Output<string>;
  readonly urls: LocalUrls;
  readonly grafanaAdminPassword: pulumi.Output<string>;
  readonly containers: docker.Container[] = [];
  /** The mixins the local Prometheus loads and Grafana shows. */
  readonly mixins: readonly MonitoringMixin[];

  constructor(name: string, args: LocalPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("blacklake:local:LocalPlatform", name, {}, renamedType("blacklake:local:Platform", opts));
    const config = args.config;
    const ns = config.namespace;
    const local = config.local;
    const child = { parent: this };
    const host = (port: number) => `http://${local.bindAddress}:${port}`;
    this.urls = {
      api: host(local.ports.api),
      grafana: host(local.ports.grafana),
      prometheus: host(local.ports.prometheus),
      alertmanager: host(local.ports.alertmanager),
      keycloak: host(local.ports.keycloak),
      minio: host(local.ports.minio),
      postgres: `postgresql://${local.bindAddress}:${local.ports.postgres}`,
    };

    const network = new docker.Network("network", { name: ns, driver: "bridge", attachable: false }, child);
    this.networkName = network.name;
    const images = new Map<string, docker.RemoteImage>();
    const image = (ref: string) => {
      if (!images.has(ref)) images.set(ref, new docker.RemoteImage(`image-${images.size}`, { name: ref, keepLocally: true }, child));
      return images.get(ref)!.imageId;
    };
    const volumes = new Map<string, docker.Volume>();
    const volume = (volumeName: string) => {
      if (!volumes.has(volumeName)) volumes.set(volumeName, new docker.Volume(volumeName, { name: `${ns}-${volumeName}` }, child));
      return volumes.get(volumeName)!;
    };
    const password = (purpose: string, length = 32) => generatedPassword(purpose, this, length);
    const run = (spec: LocalContainerSpec, dependsOn: pulumi.Resource[] = []) => {
      const container = localContainer(spec, { prefix: ns, network, volume, bindAddress: local.bindAddress, parent: this, dependsOn: [...images.values(), ...dependsOn] });
      this.containers.push(container);
      return container;
    };

    const ctx: LocalContext = { config, ns, local, child, image, volume, password, run, urls: this.urls };
    const owned = localVolumes(ctx);
    const database = localPostgres(ctx, owned);
    const queue = localRedis(ctx);
    const store = localMinio(ctx, owned);
    const identity = config.keycloak.enabled ? localKeycloak(ctx, database) : undefined;
    if (config.api.enabled) localApi(ctx, { database, queue, store, identity });
    const monitoring = localMonitoring(ctx, { database, store });
    this.mixins = monitoring.mixins;
    this.grafanaAdminPassword = monitoring.grafanaAdminPassword;

    this.registerOutputs({ networkName: this.networkName, urls: this.urls, grafanaAdminPassword: this.grafanaAdminPassword });
  }
}
