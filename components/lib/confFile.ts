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

/** One file of a rendered set (file name -> text); a missing one is a caller's bug, named with the files there are. */
export function fileOf(files: Record<string, string>, name: string): string {
  const text = files[name];
  if (text === undefined) throw new Error(`no rendered file "${name}" (there are: ${Object.keys(files).join(", ")})`);
  return text;
}
