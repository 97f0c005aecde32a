import { createHash } from "node:crypto";

/**
 * The page the setup URL opens until the console exists: it reads the token from the URL's fragment
 * (never sent to a server), takes it out of the address bar and history, and POSTs it with the first
 * admin's e-mail and password to /api/v1/setup. Its one script is allowed by hash, nothing else runs.
 */
const SCRIPT = `
const token = new URLSearchParams(location.hash.slice(1)).get("token") || "";
history.replaceState(null, "", location.pathname);
const form = document.getElementById("setup");
const out = document.getElementById("out");
if (!token) out.textContent = "This page needs the setup URL that holdfast serve printed (…/setup#token=…).";
form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const body = { token, email: form.email.value, password: form.password.value };
  const res = await fetch("/api/v1/setup", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const answer = await res.json().catch(() => ({}));
  if (res.ok) { form.remove(); out.textContent = "Admin " + answer.user.email + " created. Sign in with POST /api/v1/session, or create an API token: holdfast api-token create --email " + answer.user.email; }
  else out.textContent = (answer.error && answer.error.message) || "Setup failed (" + res.status + ")";
});
`;

export const SETUP_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Holdfast setup</title></head>
<body>
<h1>Create the first admin</h1>
<form id="setup">
<p><label>E-mail <input name="email" type="email" autocomplete="username" required></label></p>
<p><label>Password (at least 12 characters) <input name="password" type="password" autocomplete="new-password" minlength="12" required></label></p>
<p><button>Create admin</button></p>
</form>
<p id="out" role="status"></p>
<script>${SCRIPT}</script>
</body></html>`;

const scriptHash = createHash("sha256").update(SCRIPT).digest("base64");

/** Headers of the setup page: only its own script runs, it talks only to this origin, nothing is cached or referred. */
export const SETUP_PAGE_HEADERS = {
  "content-security-policy": `default-src 'none'; script-src 'sha256-${scriptHash}'; connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'`,
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};
