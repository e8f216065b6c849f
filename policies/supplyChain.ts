import type { PolicyResource } from "@pulumi/policy";
import { containersOf, imageRegistry, podSpecOf, resourcePolicy, stackPolicy, where, WORKLOAD_TYPES } from "./lib";

// Where images and objects come from: ECR images from the accounts this stack pushes to,
// and no Helm release whose objects the pack never sees. Tag pinning is in kubernetes.ts.

const ECR_HOST = /^(\d{12})\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com$/;
const DOCKER_IMAGE = "docker:index/image:Image";

/** The ECR accounts the stack's own image builds push to. */
function pushedAccounts(resources: PolicyResource[]): string[] {
  return resources.filter((r) => r.type === DOCKER_IMAGE && typeof r.props.imageName === "string").flatMap((r) => ECR_HOST.exec(imageRegistry(r.props.imageName))?.[1] ?? []);
}

const ownEcr = stackPolicy({
  name: "stack-ecr-own-account",
  description:
    "Images from an ECR registry come from an account this stack's image builds push to, or one listed in ecrAccounts: another account's repository is not under our scanning and tag rules.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      ecrAccounts: { type: "array", items: { type: "string", pattern: "^\\d{12}$" }, default: [], description: "Further AWS accounts whose ECR images pods may run." },
    },
  },
  validate: ({ resources, getConfig }, report) => {
    const allowed = [...pushedAccounts(resources), ...(getConfig<{ ecrAccounts?: string[] }>().ecrAccounts ?? [])];
    for (const w of resources.filter((r) => WORKLOAD_TYPES.includes(r.type))) {
      const pod = podSpecOf(w.type, w.props);
      if (!pod) continue;
      for (const c of containersOf(pod, ["initContainers", "containers", "ephemeralContainers"])) {
        if (typeof c.container.image !== "string") continue; // unknown until the build: it is the stack's own
        const account = ECR_HOST.exec(imageRegistry(c.container.image))?.[1];
        if (account && !allowed.includes(account)) {
          report(
            `${where(w.type, w.name, w.props)}: ${c.path}.image "${c.container.image}" comes from the ECR of account ${account}, which this stack does not push to ` +
              `(${allowed.join(", ") || "none"}). Build the image into the stack's own repository, or list the account in stack-ecr-own-account.ecrAccounts.`,
            w.urn,
          );
        }
      }
    }
  },
});

/** Resource types whose Kubernetes objects are rendered inside the provider, out of the pack's sight. */
const OPAQUE_TYPES = ["kubernetes:helm.sh/v3:Release"];
const noOpaqueReleases = resourcePolicy({
  name: "k8s-no-opaque-releases",
  description: "No helm.v3.Release: the objects it installs are never registered, so no policy sees them. Use helm.v4.Chart, which registers each object.",
  enforcementLevel: "mandatory",
  types: OPAQUE_TYPES,
  validate: ({ type, name, props }, report) => {
    report(
      `${where(type, name, props)}: installs chart ${props.chart ?? "(unnamed)"}${props.version ? ` ${props.version}` : ""} as a Helm release, whose objects the policy pack never sees. Use kubernetes.helm.v4.Chart instead.`,
    );
  },
});

export const supplyChainPolicies = [noOpaqueReleases];
export const supplyChainStackPolicies = [ownEcr];
