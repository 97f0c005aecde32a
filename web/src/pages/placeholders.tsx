import { PageNotBuilt } from "./page-not-built.js";

// One component per page of the navigation not built yet, each replaced by its own folder when it is.
export const DashboardPage = () => <PageNotBuilt title="Dashboard" api="GET /api/v1/stats" />;
export const RunsPage = () => <PageNotBuilt title="Runs" api="GET /api/v1/runs" />;
export const DatasourcesPage = () => <PageNotBuilt title="Datasources" api="GET /api/v1/datasources" />;
export const DestinationsPage = () => <PageNotBuilt title="Destinations" api="GET /api/v1/destinations" />;
export const UsersPage = () => <PageNotBuilt title="Users" api="holdfast user create" />;
export const ApiTokensPage = () => <PageNotBuilt title="API tokens" api="holdfast api-token create" />;
export const EnrollmentTokensPage = () => <PageNotBuilt title="Enrollment tokens" api="holdfast token create" />;
