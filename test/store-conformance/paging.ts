import type { Store } from "../../src/store/store.ts";
import { draft, listAll, names, type StoreCases, seed, T0, taskRecord } from "./fixtures.ts";

/** Pages through `page(limit, after)` until a short page, returning every name in order. */
async function collect(
  page: (limit: number, after?: string) => Promise<{ name: string }[]>,
  limit: number,
): Promise<string[][]> {
  const pages: string[][] = [];
  let after: string | undefined;
  for (;;) {
    const got = names(await page(limit, after));
    pages.push(got);
    if (got.length < limit) return pages;
    after = got[got.length - 1];
  }
}

// ASCII names only: every store sorts them the same (UTF-8 byte order), and "job.10" sorting
// before "job.2" shows the order is by name text, not by number or insertion.
const NAMES = ["job.2", "alpha", "job.10", "beta", "job.1", "zulu", "gamma"];
const SORTED = ["alpha", "beta", "gamma", "job.1", "job.10", "job.2", "zulu"];

/** Paging of listTasks (by name) and listInstances (a stable cursor order). */
export const pagingCases: StoreCases = {
  "listTasks pages in name order, starting after the given name": async (t, store: Store) => {
    for (const name of NAMES) await store.putTask(taskRecord(name));
    t.deepEqual(await collect((limit, after) => store.listTasks(limit, after), 3), [
      ["alpha", "beta", "gamma"],
      ["job.1", "job.10", "job.2"],
      ["zulu"],
    ]);
    t.deepEqual(names(await store.listTasks(100)), SORTED, "a large limit returns all");
    t.deepEqual(names(await store.listTasks(2, "h")), ["job.1", "job.10"], "after need not be a stored name");
    t.deepEqual(await store.listTasks(5, "zulu"), [], "after the last name nothing is left");
  },

  "listInstances pages one partition in a stable cursor order, every instance once": async (t, store) => {
    const task = taskRecord("reports");
    // Enough instances that a hash store leaves its compact encoding (Redis: listpack up to
    // 128 entries answers a whole partition in one HSCAN reply, a real hash table does not).
    const many = Array.from({ length: 300 }, (_, i) => `item.${i}`);
    await seed(t, store, task, [
      ...[...NAMES, ...many].map((name, i) => draft(name, T0 + i)),
      draft("in-partition-1", T0, { partition: 1 }),
    ]);
    const expected = [...NAMES, ...many].sort();
    for (const limit of [1, 7, 100, 1_000]) {
      const pages: string[][] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listInstances({ task: "reports", partition: 0, limit, cursor });
        t.true(page.instances.length <= limit, `a page of ${limit} holds at most ${limit}`);
        pages.push(names(page.instances));
        cursor = page.cursor;
      } while (cursor !== undefined && pages.length <= expected.length + 10);
      const walked = pages.flat();
      t.deepEqual([...walked].sort(), expected, `pages of ${limit}: every instance, once`);
      // The same walk again gives the same order: the order is the store's, and stable.
      t.deepEqual(
        names(await listAll(store, "reports", 0, limit)),
        walked,
        `pages of ${limit}: stable order`,
      );
    }
    t.deepEqual(names(await listAll(store, "reports", 1)), ["in-partition-1"]);
    t.deepEqual(
      await store.listInstances({ task: "reports", partition: 2, limit: 10 }),
      { instances: [], cursor: undefined },
      "an empty partition lists nothing and is done",
    );
    const listed = await listAll(store, "reports", 0);
    t.is(listed.find((r) => r.name === "alpha")?.nextRunAt, T0 + 1, "listed records are whole records");
  },

  "listInstances by name where the store lists by name": async (t, store) => {
    // SQLite and DynamoDB list by name; Redis lists in hash order (store.ts), so it has no
    // name order to check.
    if (store.kind.startsWith("redis")) {
      t.pass("hash order on Redis");
      return;
    }
    await seed(
      t,
      store,
      taskRecord("reports"),
      NAMES.map((name, i) => draft(name, T0 + i)),
    );
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listInstances({ task: "reports", partition: 0, limit: 3, cursor });
      pages.push(names(page.instances));
      cursor = page.cursor;
    } while (cursor !== undefined);
    t.deepEqual(pages, [["alpha", "beta", "gamma"], ["job.1", "job.10", "job.2"], ["zulu"]]);
  },

  "listInstances of one task never shows another task's instances": async (t, store) => {
    await seed(t, store, taskRecord("a"), [draft("x", T0)]);
    await seed(t, store, taskRecord("ab"), [draft("y", T0)]);
    t.deepEqual(names(await listAll(store, "a", 0)), ["x"]);
    t.deepEqual(names(await listAll(store, "ab", 0)), ["y"]);
  },
};
