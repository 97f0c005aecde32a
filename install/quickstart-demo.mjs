// The first-run demo of `npm start`: a small SQLite database on this machine as a datasource of the
// local agent, a folder under the data dir as destination, and a paused daily schedule, so that
// "Run now", the delivered file and a restore are a click away. Made once, on a fresh data dir,
// through the same API a person would use; `demo/demo.json` records what it made.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";

export const DEMO_NAMES = { datasource: "Demo: shop (SQLite)", destination: "Demo: local folder", schedule: "Demo: daily at 03:00" };

/** A few hundred rows of a made-up shop: enough to look like data, small enough to back up in a second. */
export function createDemoDatabase(file) {
  const db = new Database(file);
  try {
    db.pragma("journal_mode = WAL");
    db.exec(`
      CREATE TABLE IF NOT EXISTS customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id), placed_at TEXT NOT NULL, total_cents INTEGER NOT NULL);
    `);
    if (db.prepare("SELECT count(*) AS n FROM customers").get().n > 0) return;
    const cities = ["Lisbon", "Porto", "Berlin", "Osaka", "Lagos", "Quito", "Oslo"];
    const names = ["Ada", "Grace", "Linus", "Barbara", "Ken", "Radia", "Dennis", "Frances", "Edsger", "Margaret"];
    const addCustomer = db.prepare("INSERT INTO customers (name, city) VALUES (?, ?)");
    const addOrder = db.prepare("INSERT INTO orders (customer_id, placed_at, total_cents) VALUES (?, ?, ?)");
    db.transaction(() => {
      for (let i = 0; i < 50; i++) addCustomer.run(`${names[i % names.length]} ${i + 1}`, cities[i % cities.length]);
      for (let i = 0; i < 400; i++) addOrder.run((i % 50) + 1, new Date(Date.UTC(2026, 0, 1) + i * 3_600_000).toISOString(), 500 + ((i * 7919) % 20_000));
    })();
  } finally {
    db.close();
  }
}

async function call(url, token, method, route, body) {
  const res = await fetch(`${url}/api/v1${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const answer = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${answer.message ?? ""}`.trim());
  return answer;
}

async function waitForAgent(url, token, agentId, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { items } = await call(url, token, "GET", "/agents");
    if (items.some((a) => a.id === agentId && a.status === "online")) return;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error("the local agent did not come online within 30 s");
}

/** Makes the demo; returns what it made, also written to `<dataDir>/demo/demo.json`. */
export async function setUpDemo({ url, token, dataDir, agentId }) {
  const demoDir = path.join(dataDir, "demo");
  const backupsDir = path.join(demoDir, "backups");
  mkdirSync(backupsDir, { recursive: true, mode: 0o700 });
  const databaseFile = path.join(demoDir, "shop.sqlite");
  createDemoDatabase(databaseFile);

  await waitForAgent(url, token, agentId);
  const datasource = await call(url, token, "POST", "/datasources", {
    agentId,
    name: DEMO_NAMES.datasource,
    engine: "sqlite",
    connection: { path: databaseFile },
    tags: ["demo"],
    note: "Made by `npm start` as a demo. Delete it (and its schedule) when you add your own databases.",
  });
  const destination = await call(url, token, "POST", "/destinations", { name: DEMO_NAMES.destination, type: "local", config: { path: backupsDir } });
  const timezone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const schedule = await call(url, token, "POST", "/schedules", {
    datasourceId: datasource.id,
    name: DEMO_NAMES.schedule,
    cron: "0 3 * * *",
    timezone,
    destinationIds: [destination.id],
    retention: { keepLast: 7 },
    paused: true,
  });
  const made = { datasourceId: datasource.id, destinationId: destination.id, scheduleId: schedule.id, databaseFile, backupsDir };
  writeFileSync(path.join(demoDir, "demo.json"), `${JSON.stringify(made, null, 2)}\n`, { mode: 0o600 });
  return made;
}

/** The agent's id, from the identity its enrollment wrote. */
export function enrolledAgentId(agentDir) {
  return JSON.parse(readFileSync(path.join(agentDir, "identity.json"), "utf8")).agentId;
}
