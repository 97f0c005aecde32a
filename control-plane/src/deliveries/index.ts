export { createDeliveryWorker, type DeliveryWorker, type DeliveryWorkerOptions } from "./delivery-worker.js";
export { failDeliveries } from "./fail-deliveries.js";
export { listRunDeliveries, type DeliveryView } from "./list-deliveries.js";
export { artifactObjectName, sidecarName, objectsOf } from "./object-name.js";
export { backoffAfter, type DeliveryPolicy } from "./retry-policy.js";
export { usedBytes } from "./quota.js";
