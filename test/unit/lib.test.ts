import { describe, expect, it } from "vitest";
import { imagePinProblem } from "../../components/lib/image";
import { parseQuantity } from "../../components/lib/quantity";
import { objectName } from "../../components/lib/naming";
import { selectorLabels, standardLabels } from "../../components/lib/labels";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../../components/lib/securityContext";

describe("components/lib", () => {
  it("parses Kubernetes quantities", () => {
    expect(parseQuantity("500m")).toBe(0.5);
    expect(parseQuantity("10Gi")).toBe(10 * 2 ** 30);
    expect(parseQuantity("1.5G")).toBe(1.5e9);
    expect(parseQuantity("10 gigs")).toBeUndefined();
  });

  it("accepts only pinned images", () => {
    expect(imagePinProblem("quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z")).toBeUndefined();
    expect(imagePinProblem(`redis@sha256:${"a".repeat(64)}`)).toBeUndefined();
    expect(imagePinProblem("localhost:5000/team/app:1.2.3")).toBeUndefined();
    expect(imagePinProblem("redis:latest")).toBe('uses the moving tag "latest"');
    expect(imagePinProblem("redis")).toBe("has neither a tag nor a digest");
    expect(imagePinProblem("Not An Image")).toBe("is not an image reference");
  });

  it("builds DNS-1123 names and refuses others", () => {
    expect(objectName("blacklake", "postgres", "rw")).toBe("blacklake-postgres-rw");
    expect(() => objectName("Black_Lake")).toThrow('object name "Black_Lake" is not a DNS-1123 label');
    expect(() => objectName("x".repeat(64))).toThrow(/at most 63/);
  });

  it("keeps selectors to the stable label subset", () => {
    const id = { name: "postgres", instance: "blacklake", component: "database" };
    expect(Object.keys(selectorLabels(id)).sort()).toEqual(["app.kubernetes.io/component", "app.kubernetes.io/instance", "app.kubernetes.io/name"]);
    expect(standardLabels(id)).toMatchObject({ "app.kubernetes.io/part-of": "blacklake", "app.kubernetes.io/managed-by": "pulumi" });
  });

  it("defaults security contexts to the restricted profile", () => {
    expect(restrictedPodSecurityContext()).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(restrictedContainerSecurityContext()).toEqual({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(restrictedContainerSecurityContext({ readOnlyRootFilesystem: false }).readOnlyRootFilesystem).toBe(false);
  });
});
