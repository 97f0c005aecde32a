export { deliverRun, failDeliveries, DELIVERY_ATTEMPTS } from "./deliver-run.js";
