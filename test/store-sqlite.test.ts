import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import Database from "better-sqlite3";
import { ErrorCode, PartituraError } from "../src/domain/errors.ts";
import { openSqliteStore } from "../src/store/sqlite/sqlite-store.ts";
import {
  draft,
  LEASE_MS,
  leaseOf,
  MINUTE,
  plain,
  plainTask,
  seed,
  T0,
  taskRecord,
} from "./store-conformance/fixtures.ts";
import { registerConformance } from "./store-conformance/suite.ts";

// One temp directory for this file; each store gets its own file inside it.
const dir = mkdtempSync(join(tmpdir(), "partitura-sqlite-"));
let files = 0;

/** A fresh store file path, in a directory that does not exist yet (openSqliteStore makes it). */
function freshPath(): string {
  files += 1;
  return join(dir, `n${files}`, "partitura.db");
}

test.after.always(async () => {
  await rm(dir, { recursive: true, force: true });
});

registerConformance("sqlite :memory:", () => openSqliteStore(":memory:"));
registerConformance("sqlite file", () => openSqliteStore(freshPath()));

// --- adapter-only cases ------------------------------------------------------------------------

function codeOf(error: unknown): ErrorCode | undefined {
  return error instanceof PartituraError ? error.code : undefined;
}

test("sqlite: tasks, instances and leases survive close and reopen of the file", async (t) => {
  const path = freshPath();
  const first = await openSqliteStore(path);
  const task = taskRecord("reports", { defaultArgs: new Uint8Array([1, 2, 3]) });
  await seed(t, first, task, [draft("a", T0), draft("b", T0 + MINUTE, { partition: 2 })]);
  const [claimed] = (
    await first.claim({
      task: "reports",
      partition: 0,
      now: T0,
      limit: 1,
      leaseMs: LEASE_MS,
      owner: "replica-a",
    })
  ).claimed;
  await first.close();

  const second = await openSqliteStore(path);
  t.teardown(() => second.close());
  const storedTask = await second.getTask("reports");
  t.deepEqual(storedTask && plainTask(storedTask), plainTask(task));
  const a = await second.getInstance("reports", 0, "a");
  t.deepEqual(a && plain(a), claimed && plain(claimed), "the lease is still recorded");
  t.like(await second.getInstance("reports", 2, "b"), { nextRunAt: T0 + MINUTE });
  if (claimed === undefined) return t.fail("the due instance is claimed");
  const [commit] = await second.commit([{ lease: leaseOf(claimed), nextRunAt: T0 + MINUTE }], T0 + 1);
  t.is(commit?.status, "ok", "a lease taken before the restart still commits");
});

test("sqlite: two stores on one file claiming at once never take the same instance", async (t) => {
  const path = freshPath();
  const [a, b] = await Promise.all([openSqliteStore(path), openSqliteStore(path)]);
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  const count = 60;
  await seed(
    t,
    a,
    taskRecord("reports"),
    Array.from({ length: count }, (_, i) => draft(`i${i}`, T0 + i)),
  );
  const now = T0 + MINUTE;
  const taken: string[] = [];
  const drain = async (store: typeof a, owner: string): Promise<void> => {
    for (;;) {
      const got = (
        await store.claim({ task: "reports", partition: 0, now, limit: 4, leaseMs: LEASE_MS, owner })
      ).claimed;
      if (got.length === 0) return;
      taken.push(...got.map((r) => r.name));
    }
  };
  await Promise.all([drain(a, "a"), drain(b, "b")]);
  t.is(taken.length, count);
  t.is(new Set(taken).size, count, "each instance claimed exactly once");
});

test("sqlite: a held write lock past the busy timeout is UNAVAILABLE", async (t) => {
  const path = freshPath();
  const store = await openSqliteStore(path, { busyTimeoutMs: 50 });
  t.teardown(() => store.close());
  await seed(t, store, taskRecord("reports"), [draft("a", T0)]);
  const other = new Database(path);
  other.exec("BEGIN IMMEDIATE");
  try {
    const error = await t.throwsAsync(
      store.claim({
        task: "reports",
        partition: 0,
        now: T0,
        limit: 1,
        leaseMs: LEASE_MS,
        owner: "replica-a",
      }),
    );
    t.is(codeOf(error), ErrorCode.Unavailable);
    t.regex(error?.message ?? "", /claim.*SQLITE_BUSY/);
  } finally {
    other.exec("ROLLBACK");
    other.close();
  }
  t.is(
    (
      await store.claim({
        task: "reports",
        partition: 0,
        now: T0,
        limit: 1,
        leaseMs: LEASE_MS,
        owner: "replica-a",
      })
    ).claimed.length,
    1,
    "works once released",
  );
});

test("sqlite: a file written by a newer schema is refused with FAILED_PRECONDITION", async (t) => {
  const path = freshPath();
  await (await openSqliteStore(path)).close();
  const raw = new Database(path);
  raw.prepare("UPDATE meta SET value = '999' WHERE key = 'schema_version'").run();
  raw.close();
  const error = await t.throwsAsync(openSqliteStore(path));
  t.is(codeOf(error), ErrorCode.FailedPrecondition);
  t.regex(error?.message ?? "", /schema_version/);
});

test("sqlite: a schema-1 file (before pause) is migrated: its instances stay claimable and can be paused", async (t) => {
  const path = freshPath();
  await (await openSqliteStore(path)).close();
  // Turn the fresh file back into schema 1 as the previous build wrote it: no pause columns,
  // the full ready index.
  const raw = new Database(path);
  raw.exec(`
    DROP INDEX instances_due;
    ALTER TABLE instances DROP COLUMN paused_at;
    ALTER TABLE instances DROP COLUMN pause_note;
    ALTER TABLE instances DROP COLUMN dead_lettered;
    ALTER TABLE instances DROP COLUMN manual;
    ALTER TABLE tasks DROP COLUMN retry_policy;
    ALTER TABLE tasks DROP COLUMN history_limit;
    DROP TABLE runs;
    CREATE INDEX instances_ready ON instances (task, partition, ready);
    UPDATE meta SET value = '1' WHERE key = 'schema_version';
    INSERT INTO tasks VALUES ('reports', 1, NULL, 4, 'at_least_once', 'none', 30000, 'catch_up', 1000, x'', 1);
    INSERT INTO instances (task, partition, name, partition_key, schedule, args, next_run_at, locked_until,
      version, incarnation, attempt, created_at, partition_count, lease_owner)
    VALUES ('reports', 0, 'old', '', '{"kind":"interval","intervalMs":60000}', x'', ${T0}, 0, 3, 7, 0, ${T0}, 4, '');
  `);
  raw.close();
  const store = await openSqliteStore(path);
  try {
    const old = await store.getInstance("reports", 0, "old");
    t.like(old, { nextRunAt: T0, version: 3, incarnation: 7 });
    t.false(old !== undefined && "paused" in old);
    t.is(await store.nextDueAt("reports", 0), T0);
    t.deepEqual(
      await store.pauseInstances({
        task: "reports",
        refs: [{ partition: 0, name: "old" }],
        note: "",
        now: T0,
      }),
      ["paused"],
    );
    t.is(await store.nextDueAt("reports", 0), undefined);
    const version = new Database(path, { readonly: true });
    t.is(version.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get(), "4");
    version.close();
  } finally {
    await store.close();
  }
});

test("sqlite: a path that cannot hold a file is UNAVAILABLE", async (t) => {
  const blocker = freshPath();
  await (await openSqliteStore(blocker)).close();
  // The store file itself stands where a directory is needed.
  const error = await t.throwsAsync(openSqliteStore(join(blocker, "nested", "partitura.db")));
  t.is(codeOf(error), ErrorCode.Unavailable);
});
