import { runPlatformProgram } from "./program";

// Entry point of the Pulumi program (Pulumi.yaml `main`); the exports are stack outputs.
const outputs = runPlatformProgram();

export const environment = outputs.environment;
export const namespace = outputs.namespace;
export const offsiteBackupEnabled = outputs.offsiteBackupEnabled;
/** local stack: where Grafana, Prometheus, the API, ... answer on this machine. */
export const urls = outputs.urls;
export const images = outputs.images;
export const ciRoleArns = outputs.ciRoleArns;
