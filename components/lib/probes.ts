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
  /** Where liveness is asked, when not on `port`. */
  livenessPort?: number | string;
  /** Allowed start-up time before liveness applies; servers such as Keycloak need minutes. */
  startupSeconds?: number;
}

export function httpProbes(p: HttpProbePaths): ProbePair {
  const get = (path: string, port = p.port) => ({ httpGet: { path, port } });
  return withStartup(
    { readinessProbe: { ...get(p.readinessPath), ...READINESS }, livenessProbe: { ...get(p.livenessPath, p.livenessPort), ...LIVENESS } },
    get(p.readinessPath),
    p.startupSeconds,
  );
}

export function tcpProbes(port: number | string, startupSeconds?: number): ProbePair {
  const check = { tcpSocket: { port } };
  return withStartup({ readinessProbe: { ...check, ...READINESS }, livenessProbe: { ...check, ...LIVENESS } }, check, startupSeconds);
}

/** `startup`: what the startup probe asks (readiness unless given), e.g. "alive" for a server whose start may be a long recovery. */
export function execProbes(readiness: string[], liveness: string[] = readiness, startupSeconds?: number, startup: string[] = readiness): ProbePair {
  return withStartup(
    {
      readinessProbe: { exec: { command: readiness }, ...READINESS },
      livenessProbe: { exec: { command: liveness }, ...LIVENESS },
    },
    { exec: { command: startup } },
    startupSeconds,
  );
}

function withStartup(pair: ProbePair, check: Probe, startupSeconds?: number): ProbePair {
  if (!startupSeconds) return pair;
  const periodSeconds = 5;
  return { ...pair, startupProbe: { ...check, periodSeconds, failureThreshold: Math.ceil(startupSeconds / periodSeconds) } };
}

/**
 * How a container tells it is ready and alive, declared once: Kubernetes turns it into
 * probes, Docker into a healthcheck. Docker runs its check inside the container with the
 * image's own tools, so an HTTP check there is a shell line the service writes for its
 * image (`docker`); images without a shell (the exporters) get none on Docker.
 */
export type Health =
  | { http: HttpProbePaths; docker?: string }
  | { exec: { readiness: string[]; liveness?: string[]; startup?: string[]; startupSeconds?: number }; docker?: string };

export function kubernetesProbes(health: Health): ProbePair {
  if ("http" in health) return httpProbes(health.http);
  return execProbes(health.exec.readiness, health.exec.liveness, health.exec.startupSeconds, health.exec.startup);
}

/** The shell line Docker's healthcheck runs: the service's own, or an exec readiness check whose words need no quoting. */
export function dockerHealthcheck(container: string, health: Health): string | undefined {
  if (health.docker !== undefined || "http" in health) return health.docker;
  const unsafe = health.exec.readiness.find((word) => !/^[\w./:=@%+-]+$/.test(word));
  if (unsafe !== undefined)
    throw new Error(`${container}: readiness check word ${JSON.stringify(unsafe)} needs shell quoting; give the Docker healthcheck as a shell line (health.docker)`);
  return health.exec.readiness.join(" ");
}
