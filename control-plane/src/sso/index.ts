export { finishSsoSignIn, FLOW_TTL_MS, startSsoSignIn } from "./sign-in-flow.js";
export { getSsoSettingsView, refuseDisabledPasswordSignIn, saveSsoSettings, ssoStatus } from "./settings.js";
