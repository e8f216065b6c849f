import { literalEnv } from "./effective";
import { containerPolicy, K8S, resourcePolicy, where } from "./lib";

// Credentials written where anyone with read access to the object (or the process list)
// sees them: ConfigMap data and literal container environment values. A Secret, an
// environment variable from one, or a file mounted from one is the place for them.

/** Key names that are credentials: password, secret, token, key (as whole words). */
const CREDENTIAL_KEY = /(^|[._-])(password|passwd|pwd|pass|secret|token|key|apikey|api[_-]key|access[_-]key|secret[_-]key|private[_-]key|credentials?)([._-]|$)/i;
/** URIs with a password in their user info: postgresql://user:pass@host. */
const CREDENTIAL_URI = /\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@'"]+:([^\s@'"/]+)@/gi;
/**
 * `password = value`, `api_key: value`, `TOKEN=value`, `repo1-cipher-pass=value`
 * assignments, in any letter case.
 */
const CREDENTIAL_ASSIGNMENT =
  /^\s*(?:export\s+)?["']?((?:[\w.-]*[._-])?(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|auth[_-]?pass)|[\w.-]*(?:password|passwd|secret|token))["']?\s*[:=]\s*(.+?)\s*$/gim;
/** Server directives whose argument is a password: Redis' requirepass, masterauth, `sentinel auth-pass <master> <password>`; an ACL user's `>password`. */
const CREDENTIAL_DIRECTIVE = /^\s*(requirepass|masterauth|sentinel\s+auth-pass\s+\S+|user\s+\S+\s.*?>)\s*(\S+)/gim;
/** A value that only refers to a credential kept elsewhere: $VAR, ${VAR}, {{ template }}, <placeholder>, file paths. */
const isReference = (value: string) => /^["']?(\$|\{\{|<|\/|%|file:|env:|secret:)/i.test(value) || value.trim() === "" || value === "''" || value === '""';

/** Where `text` carries a credential: a description of each finding, for the message. */
export function credentialsIn(text: string): string[] {
  const found: string[] = [];
  for (const [uri, password = ""] of text.matchAll(CREDENTIAL_URI)) {
    if (!isReference(password)) found.push(`a URI with an embedded password (${uri.replace(password, "***")})`);
  }
  for (const m of text.matchAll(CREDENTIAL_ASSIGNMENT)) {
    if (!isReference((m[2] ?? "").replace(/;$/, ""))) found.push(`a literal value for ${m[1]}`);
  }
  for (const m of text.matchAll(CREDENTIAL_DIRECTIVE)) {
    if (!isReference(m[2] ?? "")) found.push(`a literal password for ${(m[1] ?? "").trim().split(/\s+/).slice(0, 2).join(" ")}`);
  }
  return found;
}

const FIX = "Move the credential to a Secret (or reference an environment variable from one) and keep only the reference.";

const secretsInConfigMaps = resourcePolicy({
  name: "k8s-no-secrets-in-configmaps",
  description:
    "ConfigMaps hold no credentials: no keys named password/secret/token/key, no URIs with user:password@, no literal password/passphrase/token assignments in any spelling (cipher-pass=, PassWord:), no requirepass/masterauth/auth-pass directives.",
  enforcementLevel: "mandatory",
  types: [K8S.configMap],
  validate: ({ type, name, props }, report) => {
    const data: Record<string, string> = { ...(props.data ?? {}), ...(props.binaryData ?? {}) };
    for (const [key, value] of Object.entries(data)) {
      if (CREDENTIAL_KEY.test(key)) {
        report(`${where(type, name, props)}: data key "${key}" (data.${key}) looks like a credential. ${FIX}`);
        continue;
      }
      if (typeof value !== "string") continue;
      for (const finding of credentialsIn(value)) report(`${where(type, name, props)}: data.${key} contains ${finding}. ${FIX}`);
    }
  },
});

/** Environment variable names that carry a credential. */
const CREDENTIAL_ENV = /(PASSWORD|PASSWD|PASSPHRASE|_PASS$|^PASS$|SECRET|TOKEN|API_?KEY|ACCESS_KEY|PRIVATE_KEY|CREDENTIALS?)/i;

const noCredentialEnv = containerPolicy({
  name: "k8s-no-credential-env-literals",
  description:
    "No container environment variable carries a credential as a literal value (a *_PASSWORD/*_TOKEN/*_SECRET name with a value, or a URL with user:password@): use valueFrom.secretKeyRef.",
  enforcementLevel: "mandatory",
  kinds: ["initContainers", "containers", "ephemeralContainers"],
  check: (c, at, report) => {
    for (const e of literalEnv(c.container)) {
      const where = `${at}: container "${c.container.name}" ${c.path}.env[${e.index}] (${e.name})`;
      if (CREDENTIAL_ENV.test(e.name) && !isReference(e.value)) report(`${where} is a literal value. Set valueFrom.secretKeyRef instead.`);
      else for (const finding of credentialsIn(e.value)) report(`${where} contains ${finding}. Set valueFrom.secretKeyRef instead.`);
    }
  },
});

export const credentialPolicies = [secretsInConfigMaps, noCredentialEnv];
