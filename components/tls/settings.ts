import { z } from "zod";
import { hostname, positiveInt, strictSection } from "../lib/settings";

// Who signs the platform's certificates. cert-manager does the signing and the renewing;
// the stack names the issuer and the lifetimes. The in-cluster issuer must be one that
// puts its CA into each Secret's ca.crt (a CA, Vault or self-signed issuer, or a
// trust-manager bundle), because every client verifies the server against that file.

const issuerRef = (defaultName: string) =>
  strictSection({
    kind: z.enum(["ClusterIssuer", "Issuer"]).default("ClusterIssuer").describe("ClusterIssuer (cluster-wide) or Issuer (in the platform's namespace)."),
    name: hostname.default(defaultName).describe("The issuer's name."),
  }).prefault({});

export const tlsSettings = strictSection({
  issuer: issuerRef("blacklake-internal-ca").describe(
    "Signs the in-cluster certificates (PostgreSQL, MinIO). Must fill ca.crt in the Secrets it writes (a CA issuer): clients verify against it.",
  ),
  durationDays: positiveInt("a number of days").max(397).default(90).describe("Lifetime of each certificate."),
  renewBeforeDays: positiveInt("a number of days").default(30).describe("cert-manager renews a certificate this long before it expires."),
})
  .superRefine((t, ctx) => {
    if (t.renewBeforeDays >= t.durationDays) {
      ctx.addIssue({ code: "custom", path: ["renewBeforeDays"], message: `expected less than durationDays (${t.durationDays}): a certificate must live before it is renewed` });
    }
  })
  .prefault({});

export type TlsSettings = z.output<typeof tlsSettings>;
export type IssuerRef = TlsSettings["issuer"];
export { issuerRef };
