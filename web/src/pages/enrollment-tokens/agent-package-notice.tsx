import { InstallManifest } from "@holdfast/shared";
import { Alert, Code } from "@mantine/core";
import { IconPackageOff } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import { queryKeys } from "../../api/query-keys.js";
import classes from "./enrollment-tokens.module.css";

/** What to tell when the control plane has no agent package to hand out, or nothing when it has one. */
export function missingPackageNotice(manifest: InstallManifest): string | undefined {
  if (manifest.packages.length > 0) return undefined;
  return `No agent package is built on this control plane, so the install script has nothing to install. On the control plane's machine, in its checkout, run:`;
}

/** `GET /install/manifest.json`: public, outside the API, so read with plain fetch and checked with its schema. */
async function fetchManifest(): Promise<InstallManifest> {
  const res = await fetch("/install/manifest.json", { credentials: "omit" });
  if (!res.ok) throw new Error(`GET /install/manifest.json answered ${res.status}`);
  return InstallManifest.parse(await res.json());
}

/** A warning under the enroll commands while no agent package is built (`npm run package:agent`). */
export function AgentPackageNotice() {
  const manifest = useQuery({ queryKey: queryKeys.installManifest, queryFn: fetchManifest });
  const notice = manifest.data ? missingPackageNotice(manifest.data) : undefined;
  if (!notice) return null;
  return (
    <Alert color="yellow" variant="light" classNames={{ title: classes.noticeTitle }} icon={<IconPackageOff aria-hidden />} title="No agent package to install">
      {notice} <Code>npm run package:agent</Code>
    </Alert>
  );
}
