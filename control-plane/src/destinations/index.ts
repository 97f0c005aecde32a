export { createDestination, listDestinations, getDestination, openDestination, type DestinationView } from "./create-destination.js";
export { localDestination } from "./local.js";
export type { Destination } from "./types.js";
