// What every part of the local stack shares: the config, the stack's naming, and how to
// run a container; and what one service hands the next.

import type * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";
import type { ResolvedRepo } from "../../components/postgres/files";
import type { PlatformConfig } from "../config";
import type { LocalContainerSpec } from "./container";

/** Where the posix pgBackRest repository lives in the database container (a named volume). */
export const LOCAL_PGBACKREST_REPO_PATH = "/pgbackrest-repo";

/** What every section of the local stack uses: the config, the network's naming, and how to run a container. */
export interface LocalContext {
  config: PlatformConfig;
  ns: string;
  local: PlatformConfig["local"];
  child: pulumi.CustomResourceOptions;
  image: (ref: string) => pulumi.Output<string>;
  volume: (volumeName: string) => docker.Volume;
  password: (purpose: string, length?: number) => pulumi.Output<string>;
  run: (spec: LocalContainerSpec, dependsOn?: pulumi.Resource[]) => docker.Container;
  /** Where a browser on this machine reaches each service. */
  urls: LocalUrls;
}

/** The volumes whose owner a job sets, by name, and that job. */
export interface Volumes {
  pgdata: string;
  pgbackrestRepo: string;
  minioData: string;
  volumeOwners: docker.Container;
}

export interface Database {
  postgres: docker.Container;
  superuserPassword: pulumi.Output<string>;
  appPassword: pulumi.Output<string>;
  repos: ResolvedRepo[];
  pgFiles: Record<string, string>;
}

export interface Store {
  keysOf: (consumer: string) => { accessKey: pulumi.Output<string>; secretKey: pulumi.Output<string> };
  minioUrl: string;
}

export interface Identity {
  issuer: string;
  clientSecret: pulumi.Output<string>;
}

export type LocalUrls = Record<"api" | "grafana" | "prometheus" | "alertmanager" | "keycloak" | "minio" | "postgres", string>;
