// A TypeScript SDK Worker in plain Node (no tsx): runs the executions of the task "emails" and
// exits after COUNT of them. Run: PARTITURA_ADDRESS=127.0.0.1:50051 COUNT=3 node worker.mjs
import { Client, Worker } from "partitura";

const address = process.env.PARTITURA_ADDRESS ?? "127.0.0.1:50051";
const count = Number(process.env.COUNT ?? 3);

const client = new Client({ address });
const { task } = await client.getTask({ name: "emails" });
console.log(`task ${task?.name} has ${task?.partitionCount} partitions`);
client.close();

let done = 0;
const worker = new Worker({ address, task: "emails", maxInFlight: 8 });
for await (const execution of worker) {
  console.log(`sending ${execution.instance} to ${execution.execution.args?.to}`);
  execution.ack();
  if (++done === count) break; // leaving the loop stops the Worker (running ones finish first)
}
