import { PolicyPack } from "@pulumi/policy";
import { allPolicies } from "./policies";

// The CrossGuard entry point: `pulumi preview --policy-pack policies`. Constructing the
// PolicyPack starts the policy analyzer server, so only this file does it.
new PolicyPack("blacklake", {
  description: "BlackLake platform guardrails: Kubernetes pod security, PostgreSQL backups, alerting hygiene, AWS storage and IAM.",
  enforcementLevel: "advisory",
  policies: allPolicies,
});
