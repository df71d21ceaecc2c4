import test from "ava";
import { ErrorCode, hasCode } from "../src/domain/errors.ts";
import { openSqliteStore } from "../src/store/sqlite/sqlite-store.ts";
import { dropTestTables, openFreshDynamo } from "./support/dynamodb-local.ts";

/*
 * Store.ping, which readiness follows: it answers on a live store and fails as UNAVAILABLE on a
 * closed one. A frozen store (SIGSTOP) is covered end to end in fault-store-pause.test.ts.
 */

test.after.always(dropTestTables);

test("sqlite ping answers on an open store, UNAVAILABLE once closed", async (t) => {
  const store = await openSqliteStore(":memory:");
  await t.notThrowsAsync(store.ping?.(1_000) ?? Promise.reject(new Error("no ping")));
  await store.close();
  const error = await t.throwsAsync(store.ping?.(1_000) ?? Promise.resolve());
  t.true(hasCode(error, ErrorCode.Unavailable), String(error?.message));
});

test("dynamodb ping answers on a live table, UNAVAILABLE once closed", async (t) => {
  const store = await openFreshDynamo();
  await t.notThrowsAsync(store.ping?.(2_000) ?? Promise.reject(new Error("no ping")));
  await store.close();
  const error = await t.throwsAsync(store.ping?.(2_000) ?? Promise.resolve());
  t.true(hasCode(error, ErrorCode.Unavailable), String(error?.message));
});
