import { type Answer, api, unwrap } from "../../api/client.js";

/** `POST /api/v1/enrollment-tokens`: the token once, with the commands that enroll a host with it against the address this console is open at. */
export function issueEnrollmentToken(body: { ttl?: string; name?: string }) {
  return unwrap(api["enrollment-tokens"].$post({ json: body }));
}

export type IssuedEnrollmentToken = Answer<Awaited<ReturnType<typeof api["enrollment-tokens"]["$post"]>>>;
