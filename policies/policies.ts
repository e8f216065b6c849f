import type { Policies } from "@pulumi/policy";
import { awsPolicies, awsStackPolicies } from "./aws";
import { authPolicies, authStackPolicies } from "./auth";
import { availabilityStackPolicies } from "./availability";
import { credentialPolicies } from "./credentials";
import { networkPolicies } from "./network";
import { rbacPolicies } from "./rbac";
import { supplyChainPolicies, supplyChainStackPolicies } from "./supplyChain";
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
  ...credentialPolicies,
  ...rbacPolicies,
  ...networkPolicies,
  ...supplyChainPolicies,
  ...authPolicies,
  ...platformPolicies,
  ...databasePolicies,
  ...databaseStackPolicies,
  ...awsPolicies,
  ...awsStackPolicies,
  ...iamPolicies,
  ...iamStackPolicies,
  ...dockerPolicies,
  ...stackPolicies,
  ...availabilityStackPolicies,
  ...authStackPolicies,
  ...supplyChainStackPolicies,
];

export { awsPolicies, dockerPolicies, kubernetesPolicies, platformPolicies, stackPolicies };
