import { parentPort, workerData } from "node:worker_threads";
import { describeFailure } from "./describe-failure.js";
import { runTask } from "./tasks.js";
import type { SqliteTask, WorkerMessage } from "./worker-protocol.js";

/** The worker thread's entry (run-worker.ts starts it): one task, its results, then `done` or `failed`. */
const port = parentPort;
if (port) {
  const post = (message: WorkerMessage) => port.postMessage(message);
  runTask(workerData as SqliteTask, post).then(
    () => post({ type: "done" }),
    (err: unknown) => post({ type: "failed", failure: describeFailure(err) }),
  );
}
