import { Button } from "@mantine/core";
import { IconDownload } from "@tabler/icons-react";
import { Can } from "../../session/viewer.js";
import { CancelRunButton } from "./cancel-run-button.js";
import { CopyBackupButton } from "./copy-backup-button.js";
import { DeleteBackupButton } from "./delete-backup-button.js";
import { HoldBackupButton, ReleaseHoldButton } from "./hold-buttons.js";
import { RestoreButton } from "./restore-button.js";
import { isActive, type RunView } from "./run-query.js";
import { ValidateBackupButton } from "./validate-backup-button.js";

/** What the viewer's role may do with this run, given its state. */
export function RunActions({ run }: { run: RunView }) {
  const backupDone = run.kind === "backup" && run.state === "completed";
  return (
    <>
      {isActive(run) && (
        <Can route="POST /runs/:runId/cancel">
          <CancelRunButton runId={run.runId} running={run.state === "running"} />
        </Can>
      )}
      {backupDone && (
        <>
          <Can route="GET /runs/:runId/artifact">
            {/* Same origin: the session cookie authorizes it; no token ever goes in the URL. */}
            <Button component="a" href={`/api/v1/runs/${encodeURIComponent(run.runId)}/artifact`} download leftSection={<IconDownload size={16} aria-hidden />}>
              Download
            </Button>
          </Can>
          <Can route="POST /runs/:runId/restore">
            <RestoreButton run={run} />
          </Can>
          <Can route="POST /runs/:runId/validate">
            <ValidateBackupButton runId={run.runId} />
          </Can>
          <Can route="POST /runs/:runId/copies">
            <CopyBackupButton runId={run.runId} />
          </Can>
          <Can route="POST /runs/:runId/hold">
            <HoldBackupButton run={run} />
          </Can>
          {run.hold ? (
            <Can route="DELETE /runs/:runId/hold">
              <ReleaseHoldButton runId={run.runId} />
            </Can>
          ) : (
            // A held backup cannot be deleted (BACKUP_HELD): the button comes back once it is released.
            <Can route="DELETE /runs/:runId/artifact">
              <DeleteBackupButton runId={run.runId} />
            </Can>
          )}
        </>
      )}
    </>
  );
}
