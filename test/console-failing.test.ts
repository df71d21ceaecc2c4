import { existsSync } from "node:fs";
import test from "ava";
import { chromium, type Locator, type Page } from "playwright-core";
import { Outcome } from "../gen/ts/partitura/v1/execution_service_pb.ts";
import { OnExhausted } from "../gen/ts/partitura/v1/task_pb.ts";
import { login, startConsoleServer } from "./support/console-server.ts";
import { TestWorker } from "./support/execution-worker.ts";
import { startTestServer, TestClock, testStoreUrl } from "./support/server.ts";

/*
 * The "failing" filter in Debian's chromium (as console-pause.test.ts), on a real server on
 * SQLite with bearer tokens and a worker over gRPC. Three hourly instances of "report", whose
 * task has one attempt a slot and moves on when it fails (no retry, no dead letter): at 13:00
 * "north" and "south" fall due, "north" is acked FAILURE and "south" SUCCESS, and "east" has no
 * slot due yet (it never ran). All three stay active. The failing filter, reached from the
 * tasks page's link, lists exactly "north"; the unfiltered list marks "north" alone with the
 * failing badge; the paused and active filters are unaffected by it.
 */

const CHROMIUM = "/usr/bin/chromium";
const ADMIN = "console-admin-token-0123456789";
const WORKER = "console-worker-token-0123456789";
const NOW = Date.parse("2026-06-01T12:59:59.000Z");
const HOURLY = { kind: { case: "cron" as const, value: "0 * * * *" }, timezone: "UTC" };
const DAILY = { kind: { case: "cron" as const, value: "0 6 * * *" }, timezone: "UTC" };

async function failingServer() {
  const clock = new TestClock(NOW);
  const storeUrl = testStoreUrl("sqlite");
  {
    await using open = await startTestServer({ clock, storeUrl });
    await open.scheduler.putTask({
      task: {
        name: "report",
        dynamic: true,
        partitionCount: 2,
        retryPolicy: { maxAttempts: 1, onExhausted: OnExhausted.CONTINUE },
      },
    });
    await open.scheduler.schedule({
      task: "report",
      instances: [
        { name: "north", schedule: HOURLY },
        { name: "south", schedule: HOURLY },
        { name: "east", schedule: DAILY },
      ],
    });
  }
  const { s, execution, base } = await startConsoleServer({
    clock,
    storeUrl,
    tokens: [
      { token: ADMIN, roles: ["admin"], name: "ops-admin" },
      { token: WORKER, roles: ["worker"], name: "a-worker" },
    ],
    workerToken: WORKER,
  });
  const worker = new TestWorker({ ...s, execution }, { task: "report" });
  return { s, clock, worker, execution, base };
}

async function text(locator: Locator): Promise<string> {
  return (await locator.textContent()) ?? "";
}

async function rowNames(page: Page): Promise<(string | null)[]> {
  return page
    .locator("tr[data-instance]")
    .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-instance")));
}

test("console in chromium: the failing filter lists exactly the instance whose last run failed, and the list marks it", async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.fail(
      "install chromium (apt-get install chromium): the console's browser test drives Debian's chromium",
    );
    return;
  }
  const started = Date.now();
  const { s, clock, worker, execution, base } = await failingServer();
  await using _ = s;
  t.teardown(() => {
    worker.close();
    execution.close();
  });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  t.teardown(() => browser.close());

  // 13:00: north and south are delivered; north fails, south succeeds.
  clock.advance(1_000);
  const due = await worker.next(2);
  t.deepEqual(due.map((e) => e.instance).sort(), ["north", "south"]);
  const north = due.filter((e) => e.instance === "north");
  const south = due.filter((e) => e.instance === "south");
  await execution.ack({
    items: north.map((e) => ({ leaseId: e.leaseId, outcome: Outcome.FAILURE, error: "disk full" })),
  });
  await worker.ack(south);

  // Before anything has settled the filter may list nothing: wait for north's history.
  const admin = await login(browser, base, ADMIN);
  const failingList = `${base}/tasks/report/instances?state=failing`;
  for (let tries = 0; tries < 50; tries++) {
    await admin.goto(failingList);
    if ((await rowNames(admin)).length > 0) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  // From the tasks page's failing link: exactly north, marked failing, still active.
  await admin.goto(`${base}/tasks`);
  const link = admin.locator('tr[data-task="report"] [data-field="failing"] a');
  t.is(await link.getAttribute("href"), "/tasks/report/instances?state=failing");
  await link.click();
  await admin.locator("h1", { hasText: "Instances of" }).waitFor();
  t.is(await admin.locator("select[name=state] option[selected]").textContent(), "failing");
  t.deepEqual(await rowNames(admin), ["north"], "only the instance whose last run failed");
  const row = admin.locator('tr[data-instance="north"]');
  t.is(await row.getAttribute("data-state"), "active", "a failing instance still runs");
  t.is(await text(row.locator('[data-field="failing"]')), "failing");
  t.regex(
    await text(admin.locator("p.muted", { hasText: "Filtered while reading" })),
    /3 instance\(s\) read/,
  );

  // Unfiltered: all three, the badge on north alone (south succeeded, east never ran).
  await admin.goto(`${base}/tasks/report/instances`);
  t.deepEqual((await rowNames(admin)).sort(), ["east", "north", "south"]);
  const badged = await admin
    .locator('tr[data-instance]:has([data-field="failing"])')
    .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-instance")));
  t.deepEqual(badged, ["north"]);
  // The state filters beside it are unchanged by a failure.
  await admin.goto(`${base}/tasks/report/instances?state=active`);
  t.deepEqual((await rowNames(admin)).sort(), ["east", "north", "south"]);
  await admin.goto(`${base}/tasks/report/instances?state=paused`);
  t.deepEqual(await rowNames(admin), []);
  // The instance page agrees: last outcome failure.
  await admin.goto(`${base}/tasks/report/instances/north`);
  t.is(await text(admin.locator('[data-field="last-outcome"]')), "failure");
  t.log(`test took ${Date.now() - started} ms (shared machine: noisy)`);
});
