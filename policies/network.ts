import { asArray, K8S, type Props, resourcePolicy, where } from "./lib";

// Network exposure that a default-deny policy does not prevent: another NetworkPolicy
// that re-opens ingress to everyone or egress to everything, Service externalIPs, and
// host paths reached through a PersistentVolume.

const ANYWHERE = ["0.0.0.0/0", "::/0"];
/** Ports of the platform's data stores: PostgreSQL, Redis, Sentinel, MinIO. */
const DATA_PORTS = [5432, 6379, 26379, 9000];

const isAnywhere = (peer: Props) => ANYWHERE.includes(peer.ipBlock?.cidr);
const portsOf = (rule: Props) => asArray(rule.ports).map((p) => p.port);

const noReopen = resourcePolicy({
  name: "k8s-network-policy-no-reopen",
  description:
    "No NetworkPolicy re-opens what the default deny closes: every ingress rule names its sources (no empty from, no 0.0.0.0/0), and no egress rule allows every destination, every port to the internet, or a data-store port to the internet.",
  enforcementLevel: "mandatory",
  types: [K8S.networkPolicy],
  validate: ({ type, name, props }, report) => {
    const at = where(type, name, props);
    asArray(props.spec?.ingress).forEach((rule, i) => {
      const from = asArray(rule.from);
      if (from.length === 0) report(`${at}: spec.ingress[${i}] has no from, so it admits every source in and outside the cluster. Name the pods or namespaces that connect.`);
      from.forEach((peer, j) => {
        if (isAnywhere(peer)) report(`${at}: spec.ingress[${i}].from[${j}] admits ${peer.ipBlock.cidr}. Name the pods or namespaces that connect.`);
      });
    });
    asArray(props.spec?.egress).forEach((rule, i) => {
      const to = asArray(rule.to);
      const ports = portsOf(rule);
      if (to.length === 0) {
        report(`${at}: spec.egress[${i}] has no to, so it allows every destination${ports.length ? ` on ${ports.join(", ")}` : ""}. Name the destinations.`);
        return;
      }
      to.forEach((peer, j) => {
        if (!isAnywhere(peer)) return;
        const data = ports.filter((p) => DATA_PORTS.includes(Number(p)));
        if (ports.length === 0) report(`${at}: spec.egress[${i}].to[${j}] allows ${peer.ipBlock.cidr} on every port. Limit it to the ports the pods use (443).`);
        else if (data.length > 0)
          report(`${at}: spec.egress[${i}].to[${j}] allows ${peer.ipBlock.cidr} on data-store port ${data.join(", ")}. Reach the data stores inside the cluster.`);
      });
    });
  },
});

const noExternalIps = resourcePolicy({
  name: "k8s-service-no-external-ips",
  description: "Services set no spec.externalIPs: any address listed there is captured by kube-proxy on every node (CVE-2020-8554).",
  enforcementLevel: "mandatory",
  types: [K8S.service],
  validate: ({ type, name, props }, report) => {
    const ips = (props.spec?.externalIPs ?? []) as string[];
    if (ips.length > 0) report(`${where(type, name, props)}: spec.externalIPs is ${ips.join(", ")}. Remove it and expose the Service through the ingress.`);
  },
});

const PERSISTENT_VOLUME = "kubernetes:core/v1:PersistentVolume";
const noHostPathVolumes = resourcePolicy({
  name: "k8s-persistent-volume-no-host-path",
  description: "PersistentVolumes are not hostPath or local volumes: a claim bound to one reads and writes the node's own files.",
  enforcementLevel: "mandatory",
  types: [PERSISTENT_VOLUME],
  validate: ({ type, name, props }, report) => {
    const source = props.spec?.hostPath ? `hostPath ${props.spec.hostPath.path}` : props.spec?.local ? `local ${props.spec.local.path}` : undefined;
    if (source) report(`${where(type, name, props)}: spec is a ${source} volume. Provision volumes through the stack's storage class instead.`);
  },
});

export const networkPolicies = [noReopen, noExternalIps, noHostPathVolumes];
