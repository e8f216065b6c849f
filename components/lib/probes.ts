import type * as k8s from "@pulumi/kubernetes";

type Probe = k8s.types.input.core.v1.Probe;

// Timings tuned for servers that answer within a second when healthy: readiness reacts
// fast (10 s) so traffic drains quickly, liveness is slower (30 s of failures) so a busy
// server is not killed for a slow answer.

export interface ProbePair {
  readinessProbe: Probe;
  livenessProbe: Probe;
  startupProbe?: Probe;
}

const READINESS = { periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2, successThreshold: 1 };
const LIVENESS = { periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3, successThreshold: 1 };

export interface HttpProbePaths {
  port: number | string;
  readinessPath: string;
  livenessPath: string;
  /** Allowed start-up time before liveness applies; servers such as Keycloak need minutes. */
  startupSeconds?: number;
}

export function httpProbes(p: HttpProbePaths): ProbePair {
  const get = (path: string) => ({ httpGet: { path, port: p.port } });
  return withStartup({ readinessProbe: { ...get(p.readinessPath), ...READINESS }, livenessProbe: { ...get(p.livenessPath), ...LIVENESS } }, get(p.readinessPath), p.startupSeconds);
}

export function tcpProbes(port: number | string, startupSeconds?: number): ProbePair {
  const check = { tcpSocket: { port } };
  return withStartup({ readinessProbe: { ...check, ...READINESS }, livenessProbe: { ...check, ...LIVENESS } }, check, startupSeconds);
}

export function execProbes(readiness: string[], liveness: string[] = readiness, startupSeconds?: number): ProbePair {
  return withStartup(
    {
      readinessProbe: { exec: { command: readiness }, ...READINESS },
      livenessProbe: { exec: { command: liveness }, ...LIVENESS },
    },
    { exec: { command: readiness } },
    startupSeconds,
  );
}

function withStartup(pair: ProbePair, check: Probe, startupSeconds?: number): ProbePair {
  if (!startupSeconds) return pair;
  const periodSeconds = 5;
  return { ...pair, startupProbe: { ...check, periodSeconds, failureThreshold: Math.ceil(startupSeconds / periodSeconds) } };
}
