export { planGfsRetention } from "./plan-gfs.js";
export { planManualRetention } from "./plan-manual.js";
export { calendarKeys } from "./calendar.js";
export type { GfsPolicy, RetentionBackup, RetentionDecision } from "./types.js";
export { executeRetention, startRetentionTimer, type RetentionReport, type RetentionTimer } from "./execute-retention.js";
export { previewRetention, type RetentionPreview } from "./preview-retention.js";
