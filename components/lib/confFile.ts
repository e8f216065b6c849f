// Shared bits of the key = value configuration formats our renderers produce.

export const RENDERED_HEADER = "Rendered by the blacklake Pulumi program; edit the stack config, not this file.";

/** A PostgreSQL-style quoted string: single quotes, embedded quotes doubled. */
export function quoteSingle(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Boolean as pgBackRest writes it. */
export function yesNo(value: boolean): "y" | "n" {
  return value ? "y" : "n";
}
