import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

// A throw-away certificate authority for one test run, made with openssl: what
// cert-manager's CA issuer does in the cluster (a CA, a server key and certificate, and the
// CA beside them), so the real servers run with the TLS settings we render and the real
// clients verify them.

export interface Pki {
  /** The CA certificate: what a client verifies the server with (cert-manager's ca.crt). */
  caFile: string;
  /** MinIO's --certs-dir: public.crt, private.key, CAs/. */
  certsDir: string;
  /** The server's certificate and key inside certsDir (cert-manager's tls.crt and tls.key). */
  certFile: string;
  keyFile: string;
}

/**
 * A CA and a server certificate for 127.0.0.1 and localhost. The SAN carries 127.0.0.1
 * both as an IP address (what Go's verifier, i.e. mc, checks) and as a DNS name:
 * pgBackRest 2.45 matches the host only against DNS names and the common name, never
 * against IP SANs ("unable to find hostname '127.0.0.1' in certificate common name or
 * subject alternative names"). `hosts` adds DNS names (a name the server is reached by).
 */
export function makePki(dir: string, hosts: string[] = []): Pki {
  const certsDir = path.join(dir, "certs");
  fs.mkdirSync(path.join(certsDir, "CAs"), { recursive: true });
  const caKey = path.join(dir, "ca.key");
  const caFile = path.join(dir, "ca.crt");
  const csr = path.join(dir, "server.csr");
  const ext = path.join(dir, "server.ext");
  const certFile = path.join(certsDir, "public.crt");
  const keyFile = path.join(certsDir, "private.key");
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  openssl(
    "req",
    "-x509",
    ...ec,
    "-keyout",
    caKey,
    "-out",
    caFile,
    "-days",
    "2",
    "-subj",
    "/CN=blacklake integration test CA",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  );
  openssl("req", ...ec, "-keyout", keyFile, "-out", csr, "-subj", "/CN=127.0.0.1");
  const names = ["IP:127.0.0.1", "DNS:127.0.0.1", "DNS:localhost", ...hosts.map((h) => `DNS:${h}`)];
  fs.writeFileSync(
    ext,
    [`subjectAltName=${names.join(",")}`, "basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature,keyEncipherment", "extendedKeyUsage=serverAuth", ""].join("\n"),
  );
  openssl("x509", "-req", "-in", csr, "-CA", caFile, "-CAkey", caKey, "-CAcreateserial", "-days", "2", "-out", certFile, "-extfile", ext);
  fs.rmSync(caKey); // nothing else gets signed by it
  return { caFile, certsDir, certFile, keyFile };
}

function openssl(...args: string[]): void {
  execFileSync("openssl", args, { stdio: ["ignore", "pipe", "pipe"], timeout: 30_000 });
}
