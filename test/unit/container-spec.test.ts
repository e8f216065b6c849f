import { describe, expect, it } from "vitest";
import { type ContainerSpec, dockerContainer, kubernetesContainer } from "../../components/lib/container";
import { dockerEnv, kubernetesEnv } from "../../components/lib/env";

// The two renderers of a container declared once (components/lib/container.ts, env.ts).

const spec: ContainerSpec = {
  name: "exporter",
  image: "example.org/exporter:1.0",
  command: ["exporter"],
  args: ["--port=9000"],
  env: { MODE: "strict", TOKEN: "t0ken" },
  ports: [{ name: "metrics", port: 9000 }],
  uid: 1234,
};

describe("a container declared once", () => {
  it("renders for Kubernetes: command and args as given, ports by name, env as value/valueFrom", () => {
    expect(kubernetesContainer({ ...spec, env: { MODE: "strict", TOKEN: { secretName: "tokens", key: "exporter" }, POD: { fieldPath: "metadata.name" } } })).toEqual({
      name: "exporter",
      image: "example.org/exporter:1.0",
      command: ["exporter"],
      args: ["--port=9000"],
      ports: [{ name: "metrics", containerPort: 9000 }],
      env: [
        { name: "MODE", value: "strict" },
        { name: "TOKEN", valueFrom: { secretKeyRef: { name: "tokens", key: "exporter" } } },
        { name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      ],
    });
  });

  it("renders for Docker: Kubernetes' command is Docker's entrypoint, its args Docker's command, the uid the user", () => {
    expect(dockerContainer(spec)).toEqual({
      image: "example.org/exporter:1.0",
      user: "1234:1234",
      entrypoint: ["exporter"],
      command: ["--port=9000"],
      env: { MODE: "strict", TOKEN: "t0ken" },
    });
  });

  it("keeps the variables' order on both targets", () => {
    const env = { B: "2", A: "1", C: "3" };
    expect(kubernetesEnv(env).map((e) => e.name)).toEqual(["B", "A", "C"]);
    expect(Object.keys(dockerEnv(env))).toEqual(["B", "A", "C"]);
  });

  it("refuses to hand Docker a reference it cannot resolve, naming the variable", () => {
    expect(() => dockerEnv({ TOKEN: { secretName: "tokens", key: "exporter" } })).toThrow(/TOKEN: a Docker container takes the value, not a reference to Secret key exporter/);
    expect(() => dockerEnv({ POD: { fieldPath: "metadata.name" } })).toThrow(/POD: a Docker container takes the value, not the pod field metadata.name/);
  });
});
