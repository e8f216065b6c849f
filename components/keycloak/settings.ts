import { z } from "zod";
import { autoscalingSettings } from "../lib/autoscaling";
import { parseQuantity } from "../lib/quantity";
import { computeResources, boundedCount, strictSection } from "../lib/settings";

// Keycloak's settings. Its memory follows Keycloak 26's sizing guide ("Concepts for sizing
// CPU and memory resources"): a pod with its realm caches uses about 1250 MB, of which
// about 300 MB is off the heap, and the heap is a share of the container's limit.

/** The heap's share of the memory limit: JAVA_OPTS_KC_HEAP's -XX:MaxRAMPercentage. */
export const KEYCLOAK_HEAP_PERCENT = 70;
const MB = 1000 * 1000;
const BASE_MEMORY = 1250 * MB;
const OFF_HEAP = 300 * MB;
const MIB = 1024 * 1024;

export const keycloakSettings = strictSection({
  enabled: z.boolean().default(true),
  replicas: boundedCount("a replica count", 10).default(2),
  resources: computeResources.prefault({ requests: { cpu: "500m", memory: "1280Mi" }, limits: { cpu: "2", memory: "1536Mi" } }),
  accessTokenLifespanSeconds: z.number().int().min(60).max(86400).default(300),
  ssoSessionIdleTimeoutSeconds: z.number().int().min(300).max(604800).default(1800),
  autoscaling: autoscalingSettings({ min: 2, max: 4 }),
})
  .superRefine((k, ctx) => {
    const request = parseQuantity(k.resources.requests.memory) ?? 0;
    if (request < BASE_MEMORY) {
      ctx.addIssue({
        code: "custom",
        path: ["resources", "requests", "memory"],
        params: { value: k.resources.requests.memory },
        message: `expected at least ${Math.ceil(BASE_MEMORY / MIB)}Mi: Keycloak 26 uses about 1250 MB with its realm caches, and a smaller request lets the scheduler place it where that does not fit`,
      });
    }
    const neededLimit = (BASE_MEMORY - OFF_HEAP) / (KEYCLOAK_HEAP_PERCENT / 100);
    if ((parseQuantity(k.resources.limits.memory) ?? 0) < neededLimit) {
      ctx.addIssue({
        code: "custom",
        path: ["resources", "limits", "memory"],
        params: { value: k.resources.limits.memory },
        message: `expected at least ${Math.ceil(neededLimit / MIB)}Mi: the heap is ${KEYCLOAK_HEAP_PERCENT}% of the limit and must hold the ${(BASE_MEMORY - OFF_HEAP) / MB} MB Keycloak needs beside its ~${OFF_HEAP / MB} MB off the heap`,
      });
    }
  })
  .prefault({});

export type KeycloakSettings = z.output<typeof keycloakSettings>;

/** The image Keycloak runs unless the stack pins another. */
export const KEYCLOAK_DEFAULT_IMAGES = { keycloak: "quay.io/keycloak/keycloak:26.2.5" } as const;
