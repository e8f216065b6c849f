import { selectorLabels } from "../../components/lib/labels";
import type { MonitoringMixin } from "../../components/lib/mixin";
import { keycloakMixin } from "../../components/keycloak/mixin";
import { minioMixin } from "../../components/minio/mixin";
import { postgresMixin } from "../../components/postgres/mixin";
import { redisMixin } from "../../components/redis/mixin";
import { stackMixins } from "../mixins";

// The local stack's mixins: the list both compositions share (stacks/mixins.ts), with each
// component's mixin made from the same options its component gives it on Kubernetes; the
// rule files and dashboards are byte-identical on both targets (test/unit/local.test.ts).

export interface LocalMixinOptions {
  instance: string;
  postgresRepos: { index: number; schedules: { full: string; diff?: string; incr: string } }[];
  replicationLagAlertSeconds: number;
  rpo: { rpoSeconds: number; archiveTimeoutSeconds: number };
  restoreDrill: false | { rtoSeconds: number };
  keycloak: boolean;
}

const selector = (name: string, instance: string, component: string) => selectorLabels({ name, instance, component });

export function localMixins(o: LocalMixinOptions): MonitoringMixin[] {
  const ns = o.instance;
  return stackMixins({
    namespace: ns,
    instance: ns,
    apiPodSelector: selector("api", ns, "api"),
    components: [
      postgresMixin({
        namespace: ns,
        name: "postgres",
        podSelector: selector("postgres", ns, "database"),
        repos: o.postgresRepos,
        replicationLagAlertSeconds: o.replicationLagAlertSeconds,
        rpo: o.rpo,
        restoreDrill: o.restoreDrill,
      }),
      redisMixin({ namespace: ns, podSelector: selector("redis", ns, "queue") }),
      minioMixin({ namespace: ns, podSelector: selector("minio", ns, "object-storage"), mirror: false }),
      ...(o.keycloak ? [keycloakMixin({ namespace: ns, podSelector: selector("keycloak", ns, "identity") })] : []),
    ],
  });
}
