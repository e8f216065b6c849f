import * as pulumi from "@pulumi/pulumi";

// Roles assumed with an OIDC token (IRSA for Kubernetes service accounts, GitHub Actions
// for CI) trust exactly one token subject and the STS audience: a wildcard would let any
// service account of the cluster, or any repository, assume them. The policy pack's
// aws-iam-web-identity-subject checks the same.

export function webIdentityTrustPolicy(providerArn: pulumi.Input<string>, issuer: string, subject: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.jsonStringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: providerArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: { StringEquals: { [`${issuer}:sub`]: subject, [`${issuer}:aud`]: "sts.amazonaws.com" } },
      },
    ],
  });
}
