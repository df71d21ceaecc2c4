import { timestampMs } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { Worker } from "../src/sdk/worker.ts";
import type { LedgerEntry } from "./support/execution-ledger.ts";
import {
  HOLD_MS,
  MAX_IN_FLIGHT,
  partitionMove,
  type StartWorker,
  serverRestart,
  streamCut,
} from "./support/worker-faults.ts";

/*
 * The TypeScript Worker keeps every execution across a stream cut, a server restart and a
 * partition move (issue 11, must-show 2); the scenarios and the ledger they check are shared
 * with the Python Worker's tests (test/support/worker-faults.ts).
 */

const startTsWorker: StartWorker = (address, task) => {
  const ledger: LedgerEntry[] = [];
  let running = 0;
  const worker = new Worker({
    address,
    task,
    maxInFlight: MAX_IN_FLIGHT,
    handler: async (execution) => {
      running++;
      ledger.push({
        instance: execution.instance,
        slot: execution.scheduledAt ? timestampMs(execution.scheduledAt) : 0,
        attempt: execution.attempt,
        at: Date.now(),
        leaseExpiresAt: execution.leaseExpiresAt ? timestampMs(execution.leaseExpiresAt) : 0,
      });
      await new Promise((resolve) => setTimeout(resolve, HOLD_MS));
      running--;
    },
  }).start();
  return { ledger, inFlight: () => running, stop: () => worker.stop() };
};

test.serial("the TypeScript Worker: a stream cut loses and repeats nothing", (t) =>
  streamCut(t, startTsWorker, "ts-cut"),
);

test.serial("the TypeScript Worker: a server SIGKILLed and restarted loses nothing", (t) =>
  serverRestart(t, startTsWorker, "ts-restart"),
);

test.serial(
  "the TypeScript Worker: partitions moving (a replica joins, one leaves) lose and repeat nothing",
  (t) => partitionMove(t, startTsWorker, "ts-move"),
);
