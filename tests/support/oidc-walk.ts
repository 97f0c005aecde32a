import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

/** An answer as a browser sees it before following it: status, Location, the cookies set, the body. */
export interface Answer {
  status: number;
  location: string | undefined;
  setCookies: string[];
  body: string;
}

/** One request, no redirect followed; https trusts `ca` (the test's CA) and nothing else. */
export function send(url: string, init: { method?: string; cookies?: string[]; form?: Record<string, string>; ca?: string } = {}): Promise<Answer> {
  const target = new URL(url);
  const body = init.form ? new URLSearchParams(init.form).toString() : undefined;
  const headers: Record<string, string> = { accept: "text/html,application/json" };
  if (init.cookies?.length) headers.cookie = init.cookies.join("; ");
  if (body !== undefined) headers["content-type"] = "application/x-www-form-urlencoded";
  const request = target.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(target, { method: init.method ?? "GET", headers, ...(init.ca ? { ca: init.ca } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const location = res.headers.location === undefined ? undefined : new URL(res.headers.location, target).href;
        resolve({ status: res.statusCode ?? 0, location, setCookies: res.headers["set-cookie"] ?? [], body: Buffer.concat(chunks).toString("utf8") });
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** `name=value` of each Set-Cookie, as a browser would send them back (paths and expiry left aside: one flow, one host). */
export const cookiePairs = (setCookies: string[]) => setCookies.map((c) => c.split(";")[0]!).filter((c) => !/=$/.test(c));

/**
 * A person at the provider: follows the authorization URL to the provider's login form, signs in as
 * `login`, and returns where the provider sends the browser back (the control plane's callback with
 * `code` and `state`), without following it.
 */
export async function signInAtProvider(authorizationUrl: string, login: string, ca: string): Promise<string> {
  const jar: string[] = [];
  let url = authorizationUrl;
  let form: Record<string, string> | undefined;
  for (let hop = 0; hop < 10; hop++) {
    const answer = await send(url, { ca, cookies: jar, ...(form ? { method: "POST", form } : {}) });
    form = undefined;
    jar.push(...cookiePairs(answer.setCookies));
    if (answer.location) {
      if (!answer.location.startsWith("https:")) return answer.location;
      url = answer.location;
      continue;
    }
    const action = /<form[^>]*action="([^"]+)"/.exec(answer.body)?.[1];
    if (answer.status !== 200 || !action) throw new Error(`the provider answered ${answer.status} at ${url}: ${answer.body.slice(0, 300)}`);
    url = new URL(action, url).href;
    form = /name="login"/.test(answer.body) ? { prompt: "login", login, password: "any password" } : { prompt: "consent" };
  }
  throw new Error("the provider never sent the browser back");
}
