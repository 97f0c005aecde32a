export { getRun, getRunRow, type RunView, type RunRow } from "./get-run.js";
export { startBackup } from "./start-backup.js";
export { startRestore } from "./start-restore.js";
export { ingestEvent } from "./ingest-event.js";
export { cancelRun } from "./cancel-run.js";
export { listRunEvents, type RunEventView } from "./list-run-events.js";
export { getRunLogs } from "./get-run-logs.js";
