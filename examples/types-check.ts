// Type-checks against the installed package's .d.ts: options, execution fields, errors.
import { Client, PartituraError, type WorkerOptions } from "partitura";
import type { ScheduleOutcome } from "partitura/proto";
import { Worker } from "partitura/worker";

const options: WorkerOptions = { address: "127.0.0.1:50051", task: "emails", maxInFlight: 4 };
const worker = new Worker(options);
const client = new Client({ address: options.address, deadlineMs: 5_000 });
export async function check(): Promise<ScheduleOutcome | undefined> {
  try {
    const { outcomes } = await client.schedule({ task: "emails", instances: [{ name: "x" }] });
    return outcomes[0];
  } catch (error) {
    if (error instanceof PartituraError) console.log(error.codeName, error.details);
    return undefined;
  } finally {
    await worker.stop();
  }
}
