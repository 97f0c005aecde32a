export { createSchedule } from "./create-schedule.js";
export { deleteSchedule, updateSchedule } from "./update-schedule.js";
export { getSchedule, listSchedules, nextScheduleFirings } from "./read-schedules.js";
export { findSchedule, listScheduleRecords, runOptionsOf, type Schedule, type ScheduleView } from "./schedule-rows.js";
export { assertTimeZone, compileCron, formatWithOffset, MAX_NEXT_FIRINGS, nextFiring, nextFirings } from "./cron.js";
export { previewFirings } from "./preview-firings.js";
