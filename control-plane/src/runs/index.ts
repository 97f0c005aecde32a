export { getRun, getRunRow, type RunView, type RunRow } from "./get-run.js";
export { startBackup } from "./start-backup.js";
export { ingestEvent } from "./ingest-event.js";
