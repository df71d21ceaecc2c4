// Manual runs with the TypeScript SDK: trigger runs an hourly instance once now without moving
// its next slot; backfill runs the slots of the last 3 hours, oldest first, one at a time.
// Run: PARTITURA_ADDRESS=127.0.0.1:50051 node trigger.mjs
import { Client, Worker } from "partitura";
import { ExecutionReason } from "partitura/proto";

const address = process.env.PARTITURA_ADDRESS ?? "127.0.0.1:50051";
const client = new Client({ address });
await client.putTask({ task: { name: "reports", dynamic: true } });
await client.schedule({
  task: "reports",
  instances: [{ name: "sales", schedule: { kind: { case: "cron", value: "0 * * * *" } } }],
});
const nextSlot = async () => {
  // While a manual run is queued or running, manualRun says so; wait until it is done.
  for (;;) {
    const { instance } = await client.getInstance({ task: "reports", name: "sales" });
    if (instance.manualRun === ExecutionReason.UNSPECIFIED) return instance.nextRunAt.seconds;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};
const before = await nextSlot();

// Run it now, outside its schedule. The SDK makes a request id; sending it again runs nothing.
const { requestId, outcomes } = await client.trigger("reports", ["sales", "nobody"]);
console.log(`trigger: ${outcomes.join(", ")}`);
const worker = new Worker({ address, task: "reports" });
for await (const run of worker) {
  console.log(`${run.instance} runs (${ExecutionReason[run.execution.reason]})`);
  run.ack();
  break;
}
const again = await client.trigger("reports", ["sales"], { requestId });
console.log(`same request id again: ${again.outcomes.join(", ")}`);
console.log(`next slot unchanged: ${(await nextSlot()) === before}`);

// Run the slots of the last 3 hours (after start, up to and including end).
const end = Date.now();
const backfill = await client.backfill("reports", ["sales"], { start: end - 3 * 3_600_000, end });
console.log(`backfill: ${backfill.outcomes.join(", ")} (${backfill.slots.join(", ")} slots)`);
const backfiller = new Worker({ address, task: "reports" });
let ran = 0;
for await (const run of backfiller) {
  const slot = run.scheduledAt.toISOString();
  console.log(`${run.instance} runs for ${slot} (${ExecutionReason[run.execution.reason]})`);
  run.ack();
  if (++ran === 3) break;
}
console.log(`next slot unchanged: ${(await nextSlot()) === before}`);
client.close();
