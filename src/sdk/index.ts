/*
 * The package's entry point: the Client, its options and errors, and the Worker's types.
 * The Worker itself is also at "partitura/worker"; the generated messages at "partitura/proto".
 */
export { type CallOptions, Client, type ClientOptions } from "./client.ts";
export type { ConnectionOptions, TlsOptions } from "./connection.ts";
export { PartituraError, toPartituraError } from "./errors.ts";
export {
  type BackfillOptions,
  type BackfillResult,
  type ManualRunOutcomeName,
  manualRunOutcomeName,
  type TriggerOptions,
  type TriggerResult,
} from "./manual-runs.ts";
export { backoffMs, type RetryOptions } from "./retry.ts";
export {
  type ExecutionHandler,
  type FailOptions,
  RetryLater,
  Worker,
  type WorkerExecution,
  type WorkerOptions,
} from "./worker.ts";
