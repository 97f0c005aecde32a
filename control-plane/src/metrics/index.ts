export { metrics, observeRunEnd } from "./process-series.js";
export { metricsHandler } from "./metrics-route.js";
