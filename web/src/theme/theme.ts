import { createTheme } from "@mantine/core";

/**
 * Mantine's defaults with a calmer primary colour and the system font stack (no web font to fetch).
 * Focus rings show for keyboard focus only (`focusRing: "auto"`), always visible then.
 */
export const theme = createTheme({
  primaryColor: "teal",
  primaryShade: { light: 7, dark: 5 },
  focusRing: "auto",
  defaultRadius: "sm",
  fontFamily: "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif",
  fontFamilyMonospace: "ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace",
});
