import type { Policies } from "@pulumi/policy";
import { awsPolicies } from "./aws";
import { databasePolicies, databaseStackPolicies } from "./database";
import { dockerPolicies } from "./docker";
import { iamPolicies, iamStackPolicies } from "./iam";
import { kubernetesPolicies } from "./kubernetes";
import { platformPolicies } from "./platform";
import { stackPolicies } from "./stack";

// Every policy of the pack, importable without constructing the PolicyPack (which would
// try to connect to the engine): tests import this module, never index.ts.
export const allPolicies: Policies = [
  ...kubernetesPolicies,
  ...platformPolicies,
  ...databasePolicies,
  ...databaseStackPolicies,
  ...awsPolicies,
  ...iamPolicies,
  ...iamStackPolicies,
  ...dockerPolicies,
  ...stackPolicies,
];

export { awsPolicies, dockerPolicies, kubernetesPolicies, platformPolicies, stackPolicies };
