import { postgresClusterExample } from "./index";

const example = postgresClusterExample();
export const primaryHost = example.primaryHost;
export const appSecretName = example.appSecretName;
