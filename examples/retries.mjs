// Retries and the dead-letter list with the TypeScript SDK: a failed slot runs again after a
// backoff (100 ms, then 200 ms); after its third attempt it waits in the task's dead-letter
// list until it is requeued. Run: PARTITURA_ADDRESS=127.0.0.1:50051 node retries.mjs
import { Client, Worker } from "partitura";
import { DeadLetterOutcome, InstanceState, OnExhausted } from "partitura/proto";

const address = process.env.PARTITURA_ADDRESS ?? "127.0.0.1:50051";
const client = new Client({ address });
const ms = (n) => ({ seconds: BigInt(Math.floor(n / 1000)), nanos: (n % 1000) * 1e6 });
await client.putTask({
  task: {
    name: "imports",
    dynamic: true,
    retryPolicy: { maxAttempts: 3, initialInterval: ms(100), onExhausted: OnExhausted.DEAD_LETTER },
  },
});
const now = ms(Date.now());
await client.schedule({
  task: "imports",
  instances: [{ name: "feed-42", schedule: { kind: { case: "at", value: now } } }],
});

// The feed is down: every attempt fails, with a few words of why.
const failing = new Worker({ address, task: "imports" });
for await (const run of failing) {
  console.log(`attempt ${run.attempt} of ${run.instance} fails`);
  run.fail({ error: "feed unreachable" });
  if (run.attempt === 3) break;
}

// The third failure parked it: list the dead letters (ListInstances with a state).
let dead = [];
while (dead.length === 0) {
  dead = [];
  for await (const i of client.instances("imports", { state: InstanceState.DEAD_LETTERED })) dead.push(i);
  if (dead.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
}
for (const i of dead) console.log(`dead letter ${i.name}: ${i.pauseNote}`);

// The feed is back: requeue, and the failed slot runs again with a fresh budget.
const { outcomes } = await client.requeueDeadLetters({ task: "imports", names: ["feed-42"] });
console.log(`requeue: ${outcomes.map((o) => DeadLetterOutcome[o]).join(", ")}`);
const healthy = new Worker({ address, task: "imports" });
for await (const run of healthy) {
  console.log(`attempt ${run.attempt} of ${run.instance} succeeds`);
  run.ack();
  break;
}
client.close();
