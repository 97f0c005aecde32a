import { setNonce } from "get-nonce";

/**
 * The nonce the control plane put in this page's Content-Security-Policy (style-src) and in
 * `<meta property="csp-nonce">`. The browser hides a nonce attribute from getAttribute once parsed;
 * the `nonce` property keeps it. Undefined under `vite dev`, which sends no CSP.
 */
export function readCspNonce(doc: Document = document): string | undefined {
  const meta = doc.querySelector<HTMLMetaElement>('meta[property="csp-nonce"]');
  const nonce = meta?.nonce || meta?.getAttribute("nonce") || undefined;
  return nonce && nonce !== "HOLDFAST_CSP_NONCE" ? nonce : undefined;
}

/**
 * Hands the nonce to everything that inserts a style tag: Mantine (its CSS variables and responsive
 * props, through MantineProvider's getStyleNonce) and the scroll lock of modals (react-remove-scroll,
 * through get-nonce). Call once, before the first render.
 */
export function adoptCspNonce(nonce: string | undefined): void {
  if (nonce) setNonce(nonce);
}
