import { CSRF_HEADER, type SessionView } from "@holdfast/shared";

/** One `Set-Cookie` header, split into its name, value and attributes (lower-cased names). */
export interface SetCookie {
  name: string;
  value: string;
  attributes: Map<string, string>;
}

export function parseSetCookie(header: string): SetCookie {
  const [pair = "", ...attrs] = header.split(";").map((s) => s.trim());
  const eq = pair.indexOf("=");
  const attributes = new Map<string, string>();
  for (const a of attrs) {
    const i = a.indexOf("=");
    attributes.set((i < 0 ? a : a.slice(0, i)).toLowerCase(), i < 0 ? "" : a.slice(i + 1));
  }
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attributes };
}

/**
 * What a console in a browser does with the session: keeps the cookie the server sets (and drops it
 * when the server clears it), sends it back, and sends the CSRF token with changes when told to.
 */
export class Browser {
  cookie: { name: string; value: string } | undefined;
  csrfToken: string | undefined;
  lastSetCookie: SetCookie | undefined;

  constructor(
    readonly baseUrl: string,
    /** Headers sent on every request (X-Forwarded-For/-Proto when a test plays a proxy). */
    readonly headers: Record<string, string> = {},
  ) {}

  async fetch(path: string, init: { method?: string; json?: unknown; csrf?: boolean | string; headers?: Record<string, string> } = {}): Promise<Response> {
    const headers = new Headers({ ...this.headers, ...init.headers });
    if (this.cookie) headers.set("cookie", `${this.cookie.name}=${this.cookie.value}`);
    if (init.json !== undefined) headers.set("content-type", "application/json");
    const csrf = typeof init.csrf === "string" ? init.csrf : init.csrf ? this.csrfToken : undefined;
    if (csrf !== undefined) headers.set(CSRF_HEADER, csrf);
    const res = await fetch(`${this.baseUrl}${path}`, { method: init.method ?? "GET", headers, body: init.json === undefined ? null : JSON.stringify(init.json) });
    for (const set of res.headers.getSetCookie()) {
      this.lastSetCookie = parseSetCookie(set);
      const { name, value, attributes } = this.lastSetCookie;
      this.cookie = attributes.get("max-age") === "0" ? undefined : { name, value };
    }
    return res;
  }

  /** Signs in; keeps the cookie and the CSRF token. Returns the response, its body read. */
  async signIn(email: string, password: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any; res: Response }> {
    const res = await this.fetch("/api/v1/session", { method: "POST", json: { email, password }, headers });
    const body = (await res.json()) as any;
    if (res.status === 201) this.csrfToken = (body as Extract<SessionView, { via: "session" }>).csrfToken;
    return { status: res.status, body, res };
  }
}
