import { parseIni, type Props } from "./lib";

// What will run, not how it is spelled: the readers that rules use to find the setting a
// server or a job actually gets. pgBackRest reads its options from several sections of
// pgbackrest.conf and lets the command line and the environment override them; the
// postmaster lets `-c name=value` override postgresql.conf; a shell script's comment
// runs nothing.

/** One value of a pgBackRest option and where it is set. */
export interface OptionAt {
  value: string;
  /** `pgbackrest.conf [global]`, `pgbackrest.conf [blacklake]`, `--repo1-cipher-type`, `env PGBACKREST_REPO1_CIPHER_TYPE`. */
  where: string;
}

/**
 * Every value pgbackrest.conf gives `key` in any section: [global], [global:<command>],
 * [<stanza>] and [<stanza>:<command>]. A stanza's section wins over [global] for that
 * stanza, and a command's section wins for that command, so each of them is a value some
 * backup or archive push runs with.
 */
export function confValues(conf: string, key: string): OptionAt[] {
  const found: OptionAt[] = [];
  for (const [section, options] of parseIni(conf)) {
    const value = options.get(key);
    if (value !== undefined) found.push({ value, where: `[${section || "(no section)"}]` });
  }
  return found;
}

/** Repository indexes (1, 2, ...) that any section of a pgbackrest.conf configures. */
export function confRepos(conf: string): number[] {
  const repos = new Set<number>();
  for (const [, options] of parseIni(conf)) {
    for (const key of options.keys()) {
      const m = /^repo(\d+)-/.exec(key);
      if (m) repos.add(Number(m[1]));
    }
  }
  return [...repos].sort((a, b) => a - b);
}

/**
 * Shell text without its comments: a `#` that starts a word, outside quotes, to the end of
 * its line. Enough for the one-line `bash -c` scripts and entrypoints the stacks render.
 */
export function stripShellComments(text: string): string {
  return text
    .split("\n")
    .map((line) => {
      let quote: string | undefined;
      for (let i = 0; i < line.length; i++) {
        const ch = line[i];
        if (quote) {
          if (ch === quote) quote = undefined;
          else if (ch === "\\" && quote === '"') i++;
        } else if (ch === "'" || ch === '"') quote = ch;
        else if (ch === "\\") i++;
        else if (ch === "#" && (i === 0 || /\s|;|&|\|/.test(line[i - 1] ?? ""))) return line.slice(0, i);
      }
      return line;
    })
    .join("\n");
}

/** A container's command and args as the shell text they run, comments removed. */
export function containerCommand(container: Props): string {
  const words = [...((container.command ?? []) as unknown[]), ...((container.args ?? []) as unknown[])].map(String);
  return stripShellComments(words.join(" "));
}

/** Literal environment values of a container (valueFrom entries have none). */
export function literalEnv(container: Props): { name: string; value: string; index: number }[] {
  return ((container.env ?? []) as Props[]).flatMap((e, index) => (typeof e?.value === "string" ? [{ name: String(e.name), value: e.value, index }] : []));
}

/**
 * `-c name=value` and `--name=value` settings given to the postmaster in shell text (a
 * container's command, an entrypoint script): they win over postgresql.conf. A command
 * that also sets `listen_addresses=''` starts a private instance on a socket only (the
 * restore drill's scratch server, initdb's bootstrap), not the database clients reach,
 * so its settings are not the served database's.
 */
export function postmasterOverrides(text: string): Map<string, string> {
  const settings = new Map<string, string>();
  const code = stripShellComments(text).replace(/\\\n/g, " ");
  if (!/\b(postgres|postmaster|pg_ctl)\b/.test(code)) return settings;
  const served = code
    .split("\n")
    .filter((line) => !/listen_addresses=(''|""|\s|$)/.test(line))
    .join("\n");
  // -c archive_mode=off, -c 'archive_mode=off', -c "archive_mode=off", --archive_mode=off
  for (const m of served.matchAll(/(?:^|\s|\()(?:-c\s*|--)(["']?)([a-z_][a-z0-9_.]*)=(\S*)/gi)) {
    const quote = m[1] ?? "";
    const raw = m[3] ?? "";
    settings.set((m[2] ?? "").toLowerCase(), quote && raw.endsWith(quote) ? raw.slice(0, -1) : raw.replace(/^["']|["']$/g, ""));
  }
  return settings;
}

/** A boolean setting's "on" spellings, as PostgreSQL and Grafana accept them. */
export const isOn = (value: string) => ["on", "true", "1", "yes"].includes(value.toLowerCase());
