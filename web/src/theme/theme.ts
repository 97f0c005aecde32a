import { Anchor, type CSSVariablesResolver, createTheme, Modal } from "@mantine/core";

/**
 * Mantine's defaults, adjusted so every text meets WCAG AA contrast (the browser suite's axe scan
 * fails on less): a deep teal, filled components that pick black or white text by the background's
 * luminance (0.18: white text only where it reaches 4.5:1), links in text underlined, dialogs' close
 * buttons named. Focus rings show for keyboard focus (`focusRing: "auto"`). The system font stack:
 * no web font to fetch.
 */
export const theme = createTheme({
  primaryColor: "teal",
  primaryShade: { light: 9, dark: 9 },
  autoContrast: true,
  luminanceThreshold: 0.18,
  focusRing: "auto",
  defaultRadius: "sm",
  fontFamily: "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif",
  fontFamilyMonospace: "ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace",
  components: {
    Anchor: Anchor.extend({ defaultProps: { underline: "always" } }),
    Modal: Modal.extend({ defaultProps: { closeButtonProps: { "aria-label": "Close" } } }),
  },
});

/**
 * Mantine's dimmed text (gray 6 on white, dark 2 on dark 7) is under 4.5:1; one shade stronger on
 * each side. So is its error red (a field's message and its text while invalid): red 9 on white,
 * red 4 on dark.
 */
export const cssVariablesResolver: CSSVariablesResolver = (t) => ({
  variables: {},
  light: { "--mantine-color-dimmed": t.colors.gray[7]!, "--mantine-color-error": t.colors.red[9]! },
  dark: { "--mantine-color-dimmed": t.colors.dark[1]!, "--mantine-color-error": t.colors.red[4]! },
});
