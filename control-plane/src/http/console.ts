import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { serveStatic } from "@hono/node-server/serve-static";
import type { Context, MiddlewareHandler } from "hono";
import type { HonoEnv } from "./types.js";

/**
 * Where the built console is: `web/dist` beside the control plane's package, in a checkout
 * (`control-plane/src/http` or `control-plane/dist/http`, three levels under the root) and in an
 * install that keeps the same layout (`/opt/holdfast/control-plane` and `/opt/holdfast/web/dist`).
 */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL("../../../web/dist", import.meta.url));

/** The placeholder Vite writes where the nonce goes (web/vite.config.ts). */
const NONCE_PLACEHOLDER = /HOLDFAST_CSP_NONCE/g;

/** Paths that are never the console's: their unknown routes keep the API's JSON 404. */
const NOT_CONSOLE = /^\/(api|agent|install)(\/|$)|^\/(healthz|readyz)$/;

/** Files at the root of `web/dist` served as they are (Vite copies `web/public/` there). */
const ROOT_FILE = /^\/[\w-]+\.(svg|ico|png|txt|webmanifest)$/;

/**
 * The policy of every HTML answer. Scripts only from this origin and never inline; styles from this
 * origin and from style tags carrying this answer's nonce (Mantine's CSS variables, the scroll lock
 * of dialogs); nothing may frame the console, and forms and requests stay on this origin.
 */
export function consoleCsp(nonce: string | undefined): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    `style-src 'self'${nonce ? ` 'nonce-${nonce}'` : ""}`,
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "object-src 'none'",
  ].join("; ");
}

function htmlHeaders(c: Context<HonoEnv>, nonce: string | undefined): void {
  c.header("Content-Security-Policy", consoleCsp(nonce));
  c.header("X-Content-Type-Options", "nosniff");
  // The setup link carries its token in the fragment; no page of the console tells another site where it was.
  c.header("Referrer-Policy", "no-referrer");
  c.header("X-Frame-Options", "DENY");
  // index.html names the current hashed assets: always ask again, so a new build is picked up.
  c.header("Cache-Control", "no-cache");
}

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Holdfast</title></head>
<body>
<h1>Holdfast control plane</h1>
<p>The web console is not built. Build it in the checkout, then reload this page:</p>
<pre>npm run build</pre>
<p>Until then, the REST API under <code>/api/v1</code> does everything with an API token:</p>
<pre>holdfast user create --email you@example.com --role admin --password-stdin
holdfast api-token create --email you@example.com
curl -H "Authorization: Bearer hf_api_…" http://HOST/api/v1/agents</pre>
</body></html>`;

/** A browser navigating (not a script asking for JSON): the only requests the HTML fallback answers. */
function wantsHtml(c: Context<HonoEnv>): boolean {
  return (c.req.header("accept") ?? "").includes("text/html");
}

/**
 * Serves the console from `dir` after every other route: hashed assets under `/assets/` (cached for a
 * year: a new build has new names), the few files of the root, and `index.html` for any other page a
 * browser navigates to (client routes), with a fresh style nonce and the security headers. The API's
 * paths and requests that do not accept HTML go on to the JSON 404. Without a build, navigations get
 * a page that says how to build it.
 */
export function serveConsole(dir: string = DEFAULT_CONSOLE_DIR): MiddlewareHandler<HonoEnv> {
  let assets: MiddlewareHandler<HonoEnv> | undefined;
  const staticFiles = () =>
    (assets ??= serveStatic<HonoEnv>({
      root: dir,
      precompressed: true,
      onFound: (_path, c) => {
        c.header("X-Content-Type-Options", "nosniff");
        c.header("Cache-Control", c.req.path.startsWith("/assets/") ? "public, max-age=31536000, immutable" : "no-cache");
      },
    }));

  return async (c, next) => {
    const { method, path } = c.req;
    if ((method !== "GET" && method !== "HEAD") || NOT_CONSOLE.test(path)) return next();
    const built = existsSync(`${dir}/index.html`);
    if (built && (path.startsWith("/assets/") || ROOT_FILE.test(path))) {
      // A missing asset stays a 404: answering it with index.html would hand HTML to a script tag.
      return staticFiles()(c, next);
    }
    if (!wantsHtml(c) && path !== "/") return next();
    if (!built) {
      htmlHeaders(c, undefined);
      return c.html(NOT_BUILT);
    }
    const nonce = randomBytes(18).toString("base64");
    const page = (await readFile(`${dir}/index.html`, "utf8")).replace(NONCE_PLACEHOLDER, nonce);
    htmlHeaders(c, nonce);
    return c.html(page);
  };
}
