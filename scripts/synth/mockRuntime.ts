import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as runtime from "@pulumi/pulumi/runtime/rpc";
import { PROJECT, type RawConfig } from "../../stacks/config";
import { engineText } from "../../stacks/config/source";
import { runPlatformProgram } from "../../stacks/program";

// Runs the real program under Pulumi's mock runtime: no engine, no providers, no
// network. Every registered resource is captured with its type, name, inputs, parent
// and provider, which is what synth writes and what the unit tests query.

export interface CapturedResource {
  type: string;
  name: string;
  urn: string;
  inputs: Record<string, unknown>;
  /** Logical name of the parent resource, or undefined for the stack's children. */
  parent?: string;
  /** Logical name of the explicit provider, if any. */
  provider?: string;
  /** Input paths (dot-joined) whose values were Pulumi secrets when registered. */
  secretInputs: string[];
  /** Logical names of the resources it depends on (dependsOn and the inputs' dependencies). */
  dependsOn: string[];
  custom: boolean;
}

export interface ProgramRun<Outputs = ReturnType<typeof runPlatformProgram>> {
  resources: CapturedResource[];
  outputs: Outputs;
}

/** Deterministic stand-ins for values a provider would generate. */
function mockState(type: string, name: string, inputs: Record<string, unknown>, providerInputs: Record<string, unknown>): Record<string, unknown> {
  if (type.startsWith("random:")) return { ...inputs, result: `mock-random-${name}` };
  if (type === "aws:iam/accessKey:AccessKey") return { ...inputs, secret: `mock-aws-secret-${name}` };
  for (const kind of ["role", "user", "policy"] as const) {
    if (type === `aws:iam/${kind}:${kind[0]!.toUpperCase()}${kind.slice(1)}`)
      return { ...inputs, arn: `arn:aws:iam::${MOCK_ACCOUNT}:${kind}${inputs.path ?? "/"}${inputs.name ?? name}` };
  }
  if (type === "aws:s3/bucket:Bucket") return { ...inputs, arn: `arn:aws:s3:::${inputs.bucket ?? name}` };
  if (type === "aws:kms/key:Key") {
    // A key's id is a UUID the account picks; one derived from the name keeps runs stable.
    const id = crypto.createHash("sha256").update(name).digest("hex");
    const uuid = `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20, 32)}`;
    return { ...inputs, keyId: uuid, arn: `arn:aws:kms:${providerInputs.region ?? "us-east-1"}:${MOCK_ACCOUNT}:key/${uuid}` };
  }
  if (type === "aws:iam/openIdConnectProvider:OpenIdConnectProvider") {
    return { ...inputs, arn: `arn:aws:iam::${MOCK_ACCOUNT}:oidc-provider/${String(inputs.url).replace(/^https:\/\//, "")}` };
  }
  if (type === "aws:ecr/repository:Repository") {
    return { ...inputs, repositoryUrl: `${MOCK_ACCOUNT}.dkr.ecr.${providerInputs.region ?? "us-east-1"}.amazonaws.com/${inputs.name}` };
  }
  if (type === "docker:index/image:Image") {
    // A digest derived from the reference: stable across runs, different per image.
    const reference = String(inputs.imageName);
    const digest = crypto.createHash("sha256").update(reference).digest("hex");
    return { ...inputs, repoDigest: `${reference.replace(/:[^:/]+$/, "")}@sha256:${digest}` };
  }
  if (type === "docker:index/remoteImage:RemoteImage") {
    // A pulled image: its id and digest derived from the reference, stable across runs.
    const reference = String(inputs.name);
    const digest = crypto.createHash("sha256").update(reference).digest("hex");
    return { ...inputs, imageId: `sha256:${digest}`, repoDigest: `${reference.replace(/:[^:/]+$/, "")}@sha256:${digest}` };
  }
  return inputs;
}

/** The account the stack files name (state bucket, OIDC providers). */
export const MOCK_ACCOUNT = "111122223333";

/**
 * Who runs the update. AWS names a role session by an sts assumed-role ARN, which drops
 * the role's path; `roleArn` is the role behind it, as IAM's GetRole answers (what
 * aws.iam.getSessionContext looks up). The default is an operator signed in through SSO,
 * whose role has a path, as every SSO role does.
 */
export interface MockCaller {
  arn: string;
  roleArn?: string;
}

export const SSO_OPERATOR: MockCaller = {
  arn: `arn:aws:sts::${MOCK_ACCOUNT}:assumed-role/AWSReservedSSO_PlatformAdmin_0123456789abcdef/jane@blacklake.example.com`,
  roleArn: `arn:aws:iam::${MOCK_ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_PlatformAdmin_0123456789abcdef`,
};

/** aws.iam.getSessionContext as the provider answers: an assumed-role session's role, other ARNs as they are. */
function sessionContext(arn: string, caller: MockCaller): Record<string, unknown> {
  const session = /^arn:aws:sts::(\d{12}):assumed-role\/([^/]+)\/(.+)$/.exec(arn);
  if (!session) return { arn, issuerArn: arn, issuerId: "", issuerName: "", sessionName: "", id: arn };
  const [, , roleName, sessionName] = session;
  if (!caller.roleArn?.endsWith(`/${roleName}`)) throw new Error(`getSessionContext: no IAM role named ${roleName} (the provider fails the same way)`);
  return { arn, issuerArn: caller.roleArn, issuerId: "AROAMOCK", issuerName: roleName, sessionName, id: arn };
}

/** Invokes: the caller's identity and a registry login for AWS (no account is reached); others echo their inputs. */
function mockCall(token: string, inputs: Record<string, unknown>, providerInputs: Record<string, unknown>, caller: MockCaller): Record<string, unknown> {
  const region = providerInputs.region ?? "us-east-1";
  switch (token) {
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return { accountId: MOCK_ACCOUNT, arn: caller.arn, userId: "AROAMOCK:session", id: MOCK_ACCOUNT };
    case "aws:iam/getSessionContext:getSessionContext":
      return sessionContext(String(inputs.arn), caller);
    case "aws:ecr/getAuthorizationToken:getAuthorizationToken":
      return {
        proxyEndpoint: `https://${MOCK_ACCOUNT}.dkr.ecr.${region}.amazonaws.com`,
        userName: "AWS",
        password: "mock-ecr-password",
        authorizationToken: "mock",
        expiresAt: "",
        id: "mock",
        region,
      };
    default:
      return inputs;
  }
}

const urnName = (urn: string | undefined) => (urn ? urn.split("::").pop() : undefined);
/** A provider reference is "<urn>::<id>": its logical name. */
const providerName = (reference: string | undefined) => (reference ? urnName(reference.split("::").slice(0, -1).join("::")) : undefined);

const isSecretWrapper = (node: unknown): node is { value: unknown } =>
  node !== null && typeof node === "object" && (node as Record<string, unknown>)[runtime.specialSigKey] === runtime.specialSecretSig;

/** Inputs as plain values: secret wrappers replaced by what they wrap (secretInputs records where they were). */
function unwrapSecrets(node: unknown): unknown {
  if (isSecretWrapper(node)) return unwrapSecrets(node.value);
  if (Array.isArray(node)) return node.map(unwrapSecrets);
  if (node === null || typeof node !== "object") return node;
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, unwrapSecrets(v)]));
}

/** Paths of the values the SDK serialised as secrets (wrapped with Pulumi's secret signature). */
function secretPaths(node: unknown, path: string[] = []): string[] {
  if (node === null || typeof node !== "object") return [];
  if (isSecretWrapper(node)) return [path.join(".")];
  return Object.entries(node as Record<string, unknown>).flatMap(([key, value]) => secretPaths(value, [...path, key]));
}

/** Config as the engine hands it to the program: each top-level value as text (engineText). */
function stringConfig(values: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [`${PROJECT}:${key}`, engineText(value)]));
}

// The Pulumi runtime is process-global: runs must not overlap, so they queue.
let previousRun: Promise<unknown> = Promise.resolve();

/**
 * Runs a program for one stack's config and returns what it registered: the platform's
 * program unless another is given (an example, or one component on its own).
 */
export function runUnderMocks(stack: string, config: RawConfig, program?: undefined, caller?: MockCaller): Promise<ProgramRun>;
export function runUnderMocks<Outputs>(stack: string, config: RawConfig, program: () => Outputs, caller?: MockCaller): Promise<ProgramRun<Outputs>>;
export function runUnderMocks(stack: string, config: RawConfig, program: () => unknown = runPlatformProgram, caller: MockCaller = SSO_OPERATOR): Promise<ProgramRun<unknown>> {
  const run = previousRun.then(
    () => runAlone(stack, config, program, caller),
    () => runAlone(stack, config, program, caller),
  );
  previousRun = run.catch(() => undefined);
  return run;
}

async function runAlone(stack: string, config: RawConfig, program: () => unknown, caller: MockCaller): Promise<ProgramRun<unknown>> {
  const resources: CapturedResource[] = [];
  // Explicit providers' inputs by name: a real provider answers from its region.
  const providerInputs = new Map<string, Record<string, unknown>>();
  const pending = new Map<string, { parent?: string; urn: string; secretInputs: string[]; dependsOn: string[] }[]>();

  // Secret keys as the engine marks them: the top-level key of each encrypted value.
  const secretKeys = [...new Set(config.secretPaths.map((p) => `${PROJECT}:${String(p[0])}`))];
  pulumi.runtime.setAllConfig(stringConfig(config.values), secretKeys);
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const key = `${args.type}::${args.name}`;
        const registration = pending.get(key)?.shift();
        const inputs = unwrapSecrets(args.inputs) as Record<string, unknown>;
        resources.push({
          type: args.type,
          name: args.name,
          urn: registration?.urn ?? "",
          inputs,
          parent: registration?.parent,
          secretInputs: registration?.secretInputs ?? [],
          dependsOn: registration?.dependsOn ?? [],
          provider: providerName(args.provider),
          custom: args.custom ?? true,
        });
        if (args.type.startsWith("pulumi:providers:")) providerInputs.set(args.name, inputs);
        return { id: `${args.name}-id`, state: mockState(args.type, args.name, inputs, providerInputs.get(providerName(args.provider) ?? "") ?? {}) };
      },
      call: (args) => mockCall(args.token, args.inputs, providerInputs.get(providerName(args.provider) ?? "") ?? {}, caller),
    },
    PROJECT,
    stack,
    false,
  );

  // The mock monitor does not pass the parent to newResource; record it on the way in.
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource: (
      req: { getType(): string; getName(): string; getParent(): string; getDependenciesList(): string[]; getObject(): { toJavaScript(): unknown } },
      cb: unknown,
    ) => unknown;
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    const key = `${req.getType()}::${req.getName()}`;
    const parentUrn = req.getParent();
    const parentType = parentUrn ? parentUrn.split("::")[2] : undefined;
    const type = parentType ? `${parentType}$${req.getType()}` : req.getType();
    const urn = `urn:pulumi:${stack}::${PROJECT}::${type}::${req.getName()}`;
    const secretInputs = secretPaths(req.getObject()?.toJavaScript());
    const dependsOn = req.getDependenciesList().map((d) => urnName(d) ?? d);
    pending.set(key, [...(pending.get(key) ?? []), { parent: urnName(parentUrn), urn, secretInputs, dependsOn }]);
    return register(req, cb);
  };

  const outputs = program();
  await pulumi.runtime.disconnect();
  return { resources, outputs };
}
