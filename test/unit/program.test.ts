import { describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { runUnderMocks } from "../../scripts/synth/mockRuntime";
import { stackConfig } from "../harness";

describe("the program with a bad config", () => {
  it("stops before registering any resource, with every problem and no stack trace", async () => {
    const raw = stackConfig("prod");
    const values = { ...raw.values, postgres: { instances: 0 }, typo: 1 };
    const registered: string[] = [];
    const attempt = runUnderMocks("prod", { ...raw, values }).then((run) => registered.push(...run.resources.map((r) => r.type)));
    const error = await attempt.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(pulumi.RunError);
    const message = (error as Error).message;
    expect(message).toContain("invalid configuration (2 problems)");
    expect(message).toContain("postgres.instances: found 0; expected an instance count >= 1");
    expect(message).toContain("typo: found an unknown key; expected one of the keys");
    expect(registered).toEqual([]);
  });
});
