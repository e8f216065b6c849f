// The app.kubernetes.io labels every object carries. Selectors use only the stable
// subset (name, instance, component): a selector that includes a version or
// managed-by label would orphan pods on upgrade, and Deployment selectors are immutable.

export const PART_OF = "blacklake";
export const MANAGED_BY = "pulumi";

export interface LabelIdentity {
  /** The application, e.g. "postgres". */
  name: string;
  /** The instance of the platform, e.g. "blacklake-prod". */
  instance: string;
  /** The role inside the application, e.g. "database", "backup". */
  component: string;
}

export function selectorLabels(id: LabelIdentity): Record<string, string> {
  return {
    "app.kubernetes.io/name": id.name,
    "app.kubernetes.io/instance": id.instance,
    "app.kubernetes.io/component": id.component,
  };
}

export function standardLabels(id: LabelIdentity): Record<string, string> {
  return {
    ...selectorLabels(id),
    "app.kubernetes.io/part-of": PART_OF,
    "app.kubernetes.io/managed-by": MANAGED_BY,
  };
}
