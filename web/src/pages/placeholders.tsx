import { PageNotBuilt } from "./page-not-built.js";

// One component per page of the navigation not built yet, each replaced by its own folder when it is.
export const SchedulesPage = () => <PageNotBuilt title="Schedules" api="GET /api/v1/schedules" />;
