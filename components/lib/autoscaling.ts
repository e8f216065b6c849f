import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

// One HorizontalPodAutoscaler shape for every stateless workload: scale on average CPU,
// react to load within the scale-up window, and wait out the scale-down stabilisation
// before removing pods (the operations guide: up after 2 minutes above 70%, down after
// 5 minutes of low load).

export interface AutoscalingSettings {
  enabled: boolean;
  minReplicas: number;
  maxReplicas: number;
  targetCpuUtilizationPercent: number;
  scaleUpStabilizationSeconds: number;
  scaleDownStabilizationSeconds: number;
}

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
