export { createDatasource } from "./create-datasource.js";
export { getDatasource, type DatasourceView } from "./get-datasource.js";
export { listDatasources } from "./list-datasources.js";
export { testDatasource } from "./test-datasource.js";
export { preflightDatasource } from "./preflight-datasource.js";
export { listDatabases } from "./list-databases.js";
export { updateDatasource } from "./update-datasource.js";
export { deleteDatasource } from "./delete-datasource.js";
