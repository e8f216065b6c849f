import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { prefixedName, prefixedOpts } from "../lib/scope";
import { type NamespaceArgs, objectNamespace, renamedType } from "../lib/component";
import { standardLabels } from "../lib/labels";
import { externals, type ExternalEndpoints, FLOWS, WORKLOADS } from "./flows";
import { renderNetworkPolicies } from "./policies";

export interface NetworkPoliciesArgs extends ExternalEndpoints, NamespaceArgs {
  instance: string;
}

/** Default deny in the platform's namespace, then exactly the flows of flows.ts. */
export class NetworkPolicies extends pulumi.ComponentResource {
  constructor(name: string, args: NetworkPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("blacklake:network:NetworkPolicies", name, {}, renamedType("blacklake:network:Policies", opts));
    const labels = standardLabels({ name: "blacklake", instance: args.instance, component: "network" });
    for (const policy of renderNetworkPolicies(FLOWS, WORKLOADS, externals(args))) {
      new k8s.networking.v1.NetworkPolicy(
        prefixedName(name, policy.name),
        { metadata: { name: policy.name, namespace: objectNamespace(args), labels }, spec: policy.spec },
        prefixedOpts(this, policy.name),
      );
    }
    this.registerOutputs({});
  }
}
