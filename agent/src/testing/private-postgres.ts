import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { freeLoopbackPort, makeTempDir } from "./helpers.js";

/**
 * Test-only. A PostgreSQL server of our own on a free loopback port, with what the machine's shared
 * server (trust auth, no TLS) cannot show: password authentication (scram) and TLS with a CA made
 * here. Started with the installed server binaries; as root, initdb and the server run as `postgres`.
 */
export interface PrivatePostgres {
  port: number;
  /** The superusers `postgres`, `tls_only` (TLS connections only) and `plain_only` (no TLS) have this password. */
  password: string;
  /** The CA that signed the server's certificate (CN/SAN 127.0.0.1 and localhost). */
  caFile: string;
  /** A CA that signed nothing this server has: verify-ca against it must fail. */
  otherCaFile: string;
  stop(): void;
}

/** The newest installed PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup). */
export function postgresBinDir(): string {
  const root = "/usr/lib/postgresql";
  const majors = fs.existsSync(root) ? fs.readdirSync(root).filter((d) => /^\d+$/.test(d) && fs.existsSync(path.join(root, d, "bin", "initdb"))) : [];
  const major = majors.sort((a, b) => Number(b) - Number(a))[0];
  if (!major) throw new Error("No PostgreSQL server binaries under /usr/lib/postgresql/*/bin (apt-get install postgresql)");
  return path.join(root, major, "bin");
}

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: "pipe" });
}

/** A CA, and a server certificate for 127.0.0.1 signed by it; plus an unrelated CA. */
function makeCertificates(dir: string): void {
  openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=holdfast test CA", "-keyout", "ca.key", "-out", "ca.crt"], dir);
  openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=other CA", "-keyout", "other.key", "-out", "other.crt"], dir);
  openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr"], dir);
  fs.writeFileSync(path.join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "server.crt"], dir);
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  const dir = makeTempDir("private-pg");
  const data = path.join(dir, "data");
  const password = "s3cret:with\\odd'chars";
  const asRoot = process.getuid?.() === 0;
  const run = (tool: string, args: string[]) =>
    execFileSync(asRoot ? "runuser" : path.join(bin, tool), asRoot ? ["-u", "postgres", "--", path.join(bin, tool), ...args] : args, { stdio: "pipe" });

  makeCertificates(dir);
  fs.writeFileSync(path.join(dir, "pw"), `${password}\n`);
  if (asRoot) execFileSync("chown", ["-R", "postgres:postgres", dir]);
  fs.chmodSync(dir, 0o755);
  run("initdb", ["-D", data, "-U", "postgres", "-A", "scram-sha-256", `--pwfile=${path.join(dir, "pw")}`, "--no-sync"]);
  for (const f of ["server.crt", "server.key"]) fs.copyFileSync(path.join(dir, f), path.join(data, f));
  fs.chmodSync(path.join(data, "server.key"), 0o600);
  if (asRoot) execFileSync("chown", ["postgres:postgres", path.join(data, "server.crt"), path.join(data, "server.key")]);
  const port = await freeLoopbackPort();
  fs.appendFileSync(
    path.join(data, "postgresql.conf"),
    [`port = ${port}`, "listen_addresses = '127.0.0.1'", `unix_socket_directories = '${dir}'`, "ssl = on", "fsync = off", ""].join("\n"),
  );
  // Role `tls_only` may connect over TLS only and `plain_only` without it: which of them gets in
  // shows whether a connection used TLS. Every line asks for a password.
  fs.writeFileSync(
    path.join(data, "pg_hba.conf"),
    ["hostssl all tls_only 127.0.0.1/32 scram-sha-256", "hostnossl all plain_only 127.0.0.1/32 scram-sha-256", "host all postgres 127.0.0.1/32 scram-sha-256", ""].join("\n"),
  );
  run("pg_ctl", ["-D", data, "-l", path.join(dir, "server.log"), "-w", "-t", "30", "start"]);
  const sql = (q: string) =>
    execFileSync("psql", ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-X", "-v", "ON_ERROR_STOP=1", "-d", "postgres", "-c", q], {
      stdio: "pipe",
      env: { ...process.env, PGPASSWORD: password, PGSSLMODE: "disable" },
    });
  const quoted = password.replace(/'/g, "''");
  sql(`CREATE ROLE tls_only LOGIN SUPERUSER PASSWORD '${quoted}'; CREATE ROLE plain_only LOGIN SUPERUSER PASSWORD '${quoted}'`);
  return {
    port,
    password,
    caFile: path.join(dir, "ca.crt"),
    otherCaFile: path.join(dir, "other.crt"),
    stop() {
      try {
        run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
