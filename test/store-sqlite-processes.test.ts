import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { openSqliteStore } from "../src/store/sqlite/sqlite-store.ts";
import { draft, MINUTE, seed, T0, taskRecord } from "./store-conformance/fixtures.ts";

const storeModule = new URL("../src/store/sqlite/sqlite-store.ts", import.meta.url).href;

/*
 * A claimer process: opens the store, says "ready", waits for "go" on stdin, then drains one
 * partition in small claims and prints the names it took. The go signal starts both processes
 * together; small claims with a pause between them (as a poller has) let the two interleave
 * on the file's write lock, where a tight loop would starve the other's busy handler.
 */
const CLAIMER = `
import { once } from "node:events";
import { openSqliteStore } from ${JSON.stringify(storeModule)};
const store = await openSqliteStore(process.env.DB);
process.stdout.write("ready\\n");
await once(process.stdin, "data");
const taken = [];
for (;;) {
  const got = (await store.claim({ task: "reports", partition: 0, now: Number(process.env.NOW), limit: 2, leaseMs: 60000, owner: process.env.OWNER })).claimed;
  if (got.length === 0) break;
  for (const r of got) taken.push(r.name);
  await new Promise((resolve) => setTimeout(resolve, 1));
}
await store.close();
process.stdout.write(JSON.stringify(taken));
`;

interface Claimer {
  /** Resolves when the process has opened the store. */
  readonly ready: Promise<void>;
  /** Starts claiming. */
  go(): void;
  /** The names the process claimed. */
  readonly taken: Promise<string[]>;
}

function claimer(db: string, owner: string, now: number): Claimer {
  const child = spawn(process.execPath, ["--import=tsx", "--input-type=module", "-e", CLAIMER], {
    env: { ...process.env, DB: db, OWNER: owner, NOW: String(now) },
    stdio: ["pipe", "pipe", "inherit"],
  });
  let out = "";
  let signalReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    signalReady = resolve;
  });
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    out += chunk;
    if (out.startsWith("ready\n")) signalReady();
  });
  const taken = new Promise<string[]>((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`claimer ${owner} exited with ${code}`));
      resolve(JSON.parse(out.slice("ready\n".length)) as string[]);
    });
  });
  return { ready, go: () => child.stdin.end("go\n"), taken };
}

test("sqlite: two processes claiming from one file never take the same instance", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "partitura-sqlite-proc-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const db = join(dir, "partitura.db");
  const store = await openSqliteStore(db);
  const count = 600;
  await seed(
    t,
    store,
    taskRecord("reports"),
    Array.from({ length: count }, (_, i) => draft(`i${i}`, T0 + i)),
  );
  await store.close();
  const claimers = [claimer(db, "a", T0 + MINUTE), claimer(db, "b", T0 + MINUTE)];
  await Promise.all(claimers.map((c) => c.ready));
  for (const c of claimers) c.go();
  const [a = [], b = []] = await Promise.all(claimers.map((c) => c.taken));
  t.log(`process a took ${a.length}, process b took ${b.length}`);
  const taken = [...a, ...b];
  t.is(taken.length, count);
  t.is(new Set(taken).size, count, "each instance claimed exactly once across processes");
});
