export { startServer, type RunningServer, type StartOptions } from "./server.js";
export { loadEnv, type Env } from "./env.js";
export { openDatabase, type Database, type Db } from "./db/index.js";
export { createApp, type AppType } from "./http/app.js";
export type { AppContext } from "./context.js";
