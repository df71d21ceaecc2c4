import type { Store } from "../../src/store/store.ts";
import { draft, names, type StoreCases, seed, T0, taskRecord } from "./fixtures.ts";

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

/** Paging of listTasks and listInstances by name. */
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

  "listInstances pages one partition in name order": async (t, store) => {
    const task = taskRecord("reports");
    await seed(t, store, task, [
      ...NAMES.map((name, i) => draft(name, T0 + i)),
      draft("in-partition-1", T0, { partition: 1 }),
    ]);
    t.deepEqual(await collect((limit, after) => store.listInstances("reports", 0, limit, after), 3), [
      ["alpha", "beta", "gamma"],
      ["job.1", "job.10", "job.2"],
      ["zulu"],
    ]);
    t.deepEqual(names(await store.listInstances("reports", 1, 10)), ["in-partition-1"]);
    t.deepEqual(await store.listInstances("reports", 2, 10), [], "an empty partition lists nothing");
    const [first] = await store.listInstances("reports", 0, 1);
    t.is(first?.nextRunAt, T0 + 1, "listed records are whole records");
  },

  "listInstances of one task never shows another task's instances": async (t, store) => {
    await seed(t, store, taskRecord("a"), [draft("x", T0)]);
    await seed(t, store, taskRecord("ab"), [draft("y", T0)]);
    t.deepEqual(names(await store.listInstances("a", 0, 10)), ["x"]);
    t.deepEqual(names(await store.listInstances("ab", 0, 10)), ["y"]);
  },
};
