import type { AppType } from "@holdfast/control-plane";
import { hc } from "hono/client";
import { createConsoleFetch } from "../api/console-fetch.js";

/**
 * The API for the pages used before anyone is signed in (sign-in, first-admin setup): their refusals
 * answer 401 (a wrong password, a setup link that is not the current one) and are shown on the form,
 * not a reason to leave for the sign-in page.
 */
export const openApi = hc<AppType>(window.location.origin, {
  fetch: createConsoleFetch({ csrfToken: () => undefined, onUnauthenticated: () => {} }),
}).api.v1;
