import { z } from "zod";
import { autoscalingSettings } from "../lib/autoscaling";
import { computeResources, positiveInt, strictSection } from "../lib/settings";

// Keycloak's settings.

export const keycloakSettings = strictSection({
  enabled: z.boolean().default(true),
  replicas: positiveInt("a replica count").default(2),
  resources: computeResources.prefault("medium"),
  accessTokenLifespanSeconds: z.number().int().min(60).max(86400).default(300),
  ssoSessionIdleTimeoutSeconds: z.number().int().min(300).max(604800).default(1800),
  autoscaling: autoscalingSettings({ min: 2, max: 4 }),
}).prefault({});

export type KeycloakSettings = z.output<typeof keycloakSettings>;

/** The image Keycloak runs unless the stack pins another. */
export const KEYCLOAK_DEFAULT_IMAGES = { keycloak: "quay.io/keycloak/keycloak:26.2.5" } as const;
