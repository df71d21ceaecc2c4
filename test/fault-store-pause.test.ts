import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { HealthCheckResponse_ServingStatus as ServingStatus } from "../gen/ts/grpc/health/v1/health_pb.ts";
import { TestWorker } from "./support/execution-worker.ts";
import { startRedisServer } from "./support/redis-server.ts";
import { startTestServer, type TestServer } from "./support/server.ts";

/*
 * The store process paused with SIGSTOP, then resumed with SIGCONT: its sockets stay open and
 * nothing answers, the hardest outage to see. On a Redis and on a DynamoDB Local this file
 * starts for itself (pausing the shared ones would stall every other test). What a user
 * notices: readiness ("" in grpc.health.v1) turns NOT_SERVING while the store is frozen and
 * SERVING after, the worker's Execute stream stays open and receives again after the resume,
 * and every schedule is still there.
 */

const PAUSE_MS = 5_000;
const INSTANCES = 8;
const names = Array.from({ length: INSTANCES }, (_, i) => `beat-${i}`);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, condition: () => boolean | Promise<boolean>, ms: number): Promise<number> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > ms) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(100);
  }
  return Date.now() - started;
}

/** A store process this file started, and how to freeze it. */
interface PausableStore {
  readonly url: string;
  readonly pid: number;
  dispose(): Promise<void>;
}

async function redisStore(): Promise<PausableStore> {
  const redis = await startRedisServer();
  return { url: `${redis.url}?ns=pause`, pid: redis.process?.pid ?? 0, dispose: () => redis.dispose() };
}

async function dynamoStore(): Promise<PausableStore> {
  // The emulator's watchdog stops it once this test process is gone, whatever happens here.
  const { stdout } = await promisify(execFile)("bash", [
    "scripts/dynamodb-local.sh",
    "start",
    String(process.pid),
  ]);
  const [pid, port] = stdout.trim().split(" ").map(Number) as [number, number];
  return {
    url: `dynamodb://pause?region=local&endpoint=http://127.0.0.1:${port}`,
    pid,
    dispose: async () => {
      signal(pid, "SIGCONT");
      signal(pid, "SIGTERM");
    },
  };
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone: nothing to stop or resume.
  }
}

async function readiness(s: TestServer, service = ""): Promise<ServingStatus> {
  return (await s.health.check({ service })).status;
}

async function listNames(s: TestServer): Promise<string[]> {
  const found: string[] = [];
  let pageToken = "";
  do {
    const page = await s.scheduler.listInstances({ task: "beat", pageToken });
    found.push(...page.instances.map((i) => i.name));
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return found.sort();
}

/** Acks everything that arrives until stopped; acks that fail while the store is frozen are counted. */
function ackLoop(worker: TestWorker): { stop(): Promise<void>; failed(): number } {
  let running = true;
  let failed = 0;
  const loop = (async () => {
    while (running) {
      const batch = await worker.poll(200);
      if (batch.length > 0) await worker.ack(batch).catch(() => failed++);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
    },
    failed: () => failed,
  };
}

for (const [kind, open] of [
  ["redis", redisStore],
  ["dynamodb", dynamoStore],
] as const) {
  test.serial(
    `${kind} paused (SIGSTOP) then resumed: NOT_SERVING meanwhile, the stream kept, executions resume, nothing lost`,
    async (t) => {
      const store = await open();
      t.teardown(() => store.dispose());
      t.teardown(() => signal(store.pid, "SIGCONT")); // never leave a frozen process behind
      const s = await startTestServer({ storeUrl: store.url, config: { shutdownGraceMs: 500 } });
      t.teardown(() => s.stop());
      await s.scheduler.putTask({
        task: { name: "beat", dynamic: true, partitionCount: 4, leaseDuration: durationFromMs(3_000) },
      });
      await s.scheduler.schedule({
        task: "beat",
        instances: names.map((name) => ({
          name,
          schedule: { kind: { case: "interval", value: durationFromMs(1_000) } },
        })),
      });
      const worker = new TestWorker(s, { task: "beat", workerId: "steady" });
      t.teardown(() => worker.close());
      const acks = ackLoop(worker);
      t.teardown(() => acks.stop());
      const seen = (from: number) => new Set(worker.received.slice(from).map((e) => e.instance));
      let streamEnded = false;
      void worker.ended.then(() => {
        streamEnded = true;
      });

      await until("every instance fires before the pause", () => seen(0).size === INSTANCES, 15_000);
      t.is(await readiness(s), ServingStatus.SERVING);

      process.kill(store.pid, "SIGSTOP");
      const pausedAt = Date.now();
      const noticed = await until(
        "readiness turns NOT_SERVING",
        async () => (await readiness(s)) === ServingStatus.NOT_SERVING,
        5_000,
      );
      t.is(await readiness(s, "liveness"), ServingStatus.SERVING, "liveness stays SERVING");
      await sleep(Math.max(0, pausedAt + PAUSE_MS - Date.now()));
      t.is(await readiness(s), ServingStatus.NOT_SERVING, "still NOT_SERVING at the end of the pause");
      t.false(streamEnded, "the Execute stream stays open while the store is frozen");

      process.kill(store.pid, "SIGCONT");
      const back = await until(
        "readiness returns",
        async () => (await readiness(s)) === ServingStatus.SERVING,
        15_000,
      );
      const mark = worker.received.length;
      const resumed = await until(
        "every instance fires again on the same stream",
        () => seen(mark).size === INSTANCES,
        30_000,
      );
      t.false(streamEnded, "executions resumed on the stream opened before the pause");
      t.deepEqual(await listNames(s), [...names].sort(), "every instance is still scheduled");
      t.log(
        `${kind}: NOT_SERVING ${noticed} ms after SIGSTOP; SERVING ${back} ms after SIGCONT; every instance again ${resumed} ms later; ${acks.failed()} ack calls failed meanwhile`,
      );
    },
  );
}
