import type * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { z } from "zod";
import { boundedCount, percent, positiveInt, strictSection } from "./settings";

// One HorizontalPodAutoscaler shape for every stateless workload: scale on average CPU,
// react to load within the scale-up window, and wait out the scale-down stabilisation
// before removing pods (the operations guide: up after 2 minutes above 70%, down after
// 5 minutes of low load).

/** The settings section of an autoscaled workload, with its own replica bounds. */
export const autoscalingSettings = (defaults: { min: number; max: number }) =>
  strictSection({
    enabled: z.boolean().default(true),
    minReplicas: positiveInt("a replica count").default(defaults.min),
    maxReplicas: boundedCount("a replica count", 100).default(defaults.max),
    targetCpuUtilizationPercent: percent.default(70).describe("Scale up above this average CPU use."),
    scaleUpStabilizationSeconds: z.number().int().min(0).max(3600).default(120),
    scaleDownStabilizationSeconds: z.number().int().min(0).max(3600).default(300),
  })
    .superRefine((a, ctx) => {
      if (a.minReplicas > a.maxReplicas) {
        ctx.addIssue({
          code: "custom",
          path: ["minReplicas"],
          message: `expected at most maxReplicas (${a.maxReplicas})`,
        });
      }
    })
    .prefault({});

export type AutoscalingSettings = z.output<ReturnType<typeof autoscalingSettings>>;

export function horizontalPodAutoscaler(
  name: string,
  metadata: k8s.types.input.meta.v1.ObjectMeta,
  target: { apiVersion: string; kind: string; name: pulumi.Input<string> },
  s: AutoscalingSettings,
  opts: pulumi.CustomResourceOptions,
): k8s.autoscaling.v2.HorizontalPodAutoscaler {
  return new k8s.autoscaling.v2.HorizontalPodAutoscaler(
    name,
    {
      metadata,
      spec: {
        scaleTargetRef: target,
        minReplicas: s.minReplicas,
        maxReplicas: s.maxReplicas,
        metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: s.targetCpuUtilizationPercent } } }],
        behavior: {
          scaleUp: {
            stabilizationWindowSeconds: s.scaleUpStabilizationSeconds,
            selectPolicy: "Max",
            policies: [
              { type: "Percent", value: 100, periodSeconds: 60 },
              { type: "Pods", value: 4, periodSeconds: 60 },
            ],
          },
          scaleDown: {
            stabilizationWindowSeconds: s.scaleDownStabilizationSeconds,
            selectPolicy: "Min",
            policies: [{ type: "Percent", value: 50, periodSeconds: 60 }],
          },
        },
      },
    },
    opts,
  );
}
