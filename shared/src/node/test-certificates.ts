import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

/**
 * Certificates for tests, made with the openssl CLI (argument arrays, no shell): EC P-256 keys,
 * valid for two days, naming 127.0.0.1, ::1 and localhost. Node-only and test-only: nothing of the
 * product calls it.
 */
const SAN = "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost";

function openssl(args: string[]): void {
  execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
}

export function makeKey(file: string): string {
  openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", file]);
  fs.chmodSync(file, 0o600);
  return file;
}

/** A self-signed certificate for `keyFile` (made when missing), written to `certFile`. */
export function makeSelfSigned(dir: string, name: string, keyFile = path.join(dir, `${name}.key`)): { certFile: string; keyFile: string } {
  if (!fs.existsSync(keyFile)) makeKey(keyFile);
  const certFile = path.join(dir, `${name}.crt`);
  openssl(["req", "-x509", "-new", "-key", keyFile, "-out", certFile, "-days", "2", "-subj", `/CN=${name}`, "-addext", SAN]);
  return { certFile, keyFile };
}

/**
 * A private CA and a leaf it signed: `chainFile` holds leaf then CA (what a server serves),
 * `caFile` the CA alone.
 */
export function makeCaChain(dir: string, name: string, leafNames = SAN): { chainFile: string; keyFile: string; caFile: string; caKeyFile: string } {
  const caKeyFile = makeKey(path.join(dir, `${name}-ca.key`));
  const caFile = path.join(dir, `${name}-ca.crt`);
  openssl(["req", "-x509", "-new", "-key", caKeyFile, "-out", caFile, "-days", "2", "-subj", `/CN=${name} test CA`, "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
  const keyFile = makeKey(path.join(dir, `${name}.key`));
  const csr = path.join(dir, `${name}.csr`);
  openssl(["req", "-new", "-key", keyFile, "-out", csr, "-subj", `/CN=${name}`]);
  const ext = path.join(dir, `${name}.ext`);
  fs.writeFileSync(ext, `${leafNames.replace("subjectAltName=", "subjectAltName = ")}\nbasicConstraints = CA:FALSE\n`);
  const leafFile = path.join(dir, `${name}-leaf.crt`);
  openssl(["x509", "-req", "-in", csr, "-CA", caFile, "-CAkey", caKeyFile, "-CAcreateserial", "-out", leafFile, "-days", "2", "-extfile", ext]);
  const chainFile = path.join(dir, `${name}-chain.crt`);
  fs.writeFileSync(chainFile, fs.readFileSync(leafFile, "utf8") + fs.readFileSync(caFile, "utf8"));
  return { chainFile, keyFile, caFile, caKeyFile };
}
