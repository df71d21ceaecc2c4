import { existsSync, mkdirSync } from "node:fs";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { chromium, type Locator } from "playwright-core";
import { login, startConsoleServer } from "./support/console-server.ts";
import { TestWorker } from "./support/execution-worker.ts";
import { startTestServer, TestClock, testStoreUrl } from "./support/server.ts";

/*
 * Pause and resume from the console, in Debian's chromium (as console-browser.test.ts), on a
 * real server on SQLite with bearer tokens and a worker attached over gRPC. Two instances fire
 * every second of a manual clock: "beat" is paused from the instances list (checkbox, the
 * confirmation page, a note) and stops being delivered while "steady" goes on; resumed from
 * its instance page (skip missed slots), it fires again. A reader sees no checkboxes and a
 * hand-made pause with its own CSRF token is refused naming the roles; a note over the bound
 * is refused naming the field. Every step a user takes is a plain form post. The run writes
 * the README's screenshot of the confirmation page to docs/.
 */

const CHROMIUM = "/usr/bin/chromium";
const ADMIN = "console-admin-token-0123456789";
const READER = "console-reader-token-0123456789";
const WORKER = "console-worker-token-0123456789";
const NOW = Date.parse("2026-06-01T12:00:00.000Z");
const SECOND = 1_000;

async function pauseServer() {
  const clock = new TestClock(NOW);
  const storeUrl = testStoreUrl("sqlite");
  {
    await using open = await startTestServer({ clock, storeUrl });
    await open.scheduler.putTask({ task: { name: "pulse", dynamic: true, partitionCount: 2 } });
    await open.scheduler.schedule({
      task: "pulse",
      instances: ["beat", "steady"].map((name) => ({
        name,
        schedule: { kind: { case: "interval" as const, value: durationFromMs(SECOND) } },
      })),
    });
  }
  const { s, execution, base } = await startConsoleServer({
    clock,
    storeUrl,
    tokens: [
      { token: ADMIN, roles: ["admin"], name: "ops-admin" },
      { token: READER, roles: ["reader"], name: "ops-reader" },
      { token: WORKER, roles: ["worker"], name: "a-worker" },
    ],
    workerToken: WORKER,
  });
  const worker = new TestWorker({ ...s, execution }, { task: "pulse" });
  return { s, clock, worker, execution, base };
}

async function text(locator: Locator): Promise<string> {
  return (await locator.textContent()) ?? "";
}

test("console in chromium: pause an instance with a note, it stops firing; resume it, it fires again; a reader is refused", async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.fail(
      "install chromium (apt-get install chromium): the console's browser test drives Debian's chromium",
    );
    return;
  }
  const started = Date.now();
  const { s, clock, worker, execution, base } = await pauseServer();
  await using _ = s;
  t.teardown(() => {
    worker.close();
    execution.close();
  });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  t.teardown(() => browser.close());
  mkdirSync("docs", { recursive: true });

  /** Moves the clock one second and waits for `count` executions, acking them; their names. */
  const tick = async (count: number): Promise<string[]> => {
    clock.advance(SECOND);
    const batch = await worker.next(count);
    await worker.ack(batch);
    return batch.map((e) => e.instance).sort();
  };
  t.deepEqual(await tick(2), ["beat", "steady"], "both fire while active");

  // Pause "beat" from the instances list: tick it, "Pause…", the confirmation names it, a note.
  const admin = await login(browser, base, ADMIN);
  t.is(
    await admin.locator('section[data-task="pulse"] a[data-field="paused"]').getAttribute("href"),
    "/tasks/pulse/instances?state=paused",
    "the overview links each task to its paused instances",
  );
  await admin.goto(`${base}/tasks/pulse/instances`);
  t.is(await text(admin.locator('tr[data-instance="beat"] [data-field="state"]')), "active");
  await admin.check('tr[data-instance="beat"] input[name=pick]');
  await admin.click('form.bulk button[value="pause"]');
  await admin.locator("h1", { hasText: "Pause 1 instance(s) of" }).waitFor();
  t.deepEqual(await admin.locator("[data-picked]").allTextContents(), ["beat"], "the confirmation names it");
  await admin.fill("textarea[name=note]", "ops: db failover <b>tonight</b>");
  await admin.screenshot({ path: "docs/console-pause-confirm.png", fullPage: true });
  await admin.click("form.confirm button[type=submit]");
  await admin.locator('[data-done="pause"]').waitFor();
  t.regex(await text(admin.locator('[data-done="pause"]')), /Paused 1 instance\(s\)\./);
  const beatRow = admin.locator('tr[data-instance="beat"]');
  t.is(await beatRow.getAttribute("data-state"), "paused");
  t.is(await text(beatRow.locator('[data-field="note"]')), "ops: db failover <b>tonight</b>");
  t.is(await beatRow.locator("b").count(), 0, "the note is text, never markup");
  t.is(await admin.locator('tr[data-instance="steady"]').getAttribute("data-state"), "active");
  await admin.goto(`${base}/tasks/pulse/instances?state=paused`);
  t.deepEqual(
    await admin
      .locator("tr[data-instance]")
      .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-instance"))),
    ["beat"],
    "the paused filter finds it",
  );
  await admin.goto(`${base}/tasks`);
  t.is(await text(admin.locator('tr[data-task="pulse"] [data-field="paused"]')), "1");

  // Paused, with the worker attached: "beat" is not delivered while "steady" still is.
  // Three slots pass; each time the one execution that comes is steady's, and then nothing
  // more comes for two seconds (a delivery of beat would come within that at once).
  for (let i = 0; i < 3; i++)
    t.deepEqual(await tick(1), ["steady"], "only steady fires while beat is paused");
  t.deepEqual(await worker.idle(2_000), [], "beat is not delivered while paused");

  // Its page: paused since the pause, the note; resume it there, skipping the missed slots.
  await admin.goto(`${base}/tasks/pulse/instances/beat`);
  t.regex(await text(admin.locator('[data-field="state"]')), /paused since 2026-06-01 12:00:01Z/);
  t.is(await text(admin.locator('td[data-field="note"]')), "ops: db failover <b>tonight</b>");
  await admin.click("form.actions button");
  await admin.locator("h1", { hasText: "Resume 1 instance(s) of" }).waitFor();
  await admin.check("input[name=skip_missed]");
  await admin.click("form.confirm button[type=submit]");
  await admin.locator('[data-done="resume"]').waitFor();
  t.regex(await text(admin.locator('[data-done="resume"]')), /Resumed 1 instance\(s\)\./);
  t.is(await text(admin.locator('[data-field="state"]')), "active");
  // Now is 12:00:04; the slots missed since 12:00:02 are skipped: next is the first after now.
  t.regex(await text(admin.locator('[data-field="next-run"]')), /^2026-06-01 12:00:05Z/);
  t.deepEqual(await tick(2), ["beat", "steady"], "resumed, beat fires again (its missed slots skipped)");

  // A note over the bound is refused naming the field; nothing is paused.
  const csrf = await admin.locator("header input[name=csrf]").inputValue();
  const tooLong = await admin.evaluate(async (token) => {
    const body = new URLSearchParams({
      csrf: token,
      pick: JSON.stringify(["", "beat"]),
      note: "x".repeat(501),
    });
    const res = await fetch("/tasks/pulse/pause", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: body.toString(),
    });
    return { status: res.status, text: await res.text() };
  }, csrf);
  t.is(tooLong.status, 400);
  t.regex(tooLong.text, /note.*500 bytes/);

  // A reader: no checkboxes, no button, and a hand-made pause with its own CSRF token is refused.
  const reader = await login(browser, base, READER);
  await reader.goto(`${base}/tasks/pulse/instances`);
  t.is(await reader.locator("input[name=pick]").count(), 0, "no checkboxes for a reader");
  await reader.goto(`${base}/tasks/pulse/instances/beat`);
  t.is(await reader.locator("form.actions").count(), 0, "no Pause button for a reader");
  const readerCsrf = await reader.locator("header input[name=csrf]").inputValue();
  const refused = await reader.evaluate(async (token) => {
    const body = new URLSearchParams({ csrf: token, pick: JSON.stringify(["", "beat"]), note: "reader" });
    const res = await fetch("/tasks/pulse/pause", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: body.toString(),
    });
    return { status: res.status, text: await res.text() };
  }, readerCsrf);
  t.is(refused.status, 403);
  t.regex(refused.text, /needs one of the roles admin, scheduler; this token has reader/);
  await reader.reload();
  t.is(await text(reader.locator('[data-field="state"]')), "active", "still active");
  t.deepEqual(await tick(2), ["beat", "steady"], "and still firing");

  // With JavaScript off, the same steps work: every one is a plain form post and a redirect.
  const plain = await login(browser, base, ADMIN, false);
  await plain.goto(`${base}/tasks/pulse/instances`);
  await plain.check('tr[data-instance="steady"] input[name=pick]');
  await plain.click('form.bulk button[value="pause"]');
  await plain.locator("h1", { hasText: "Pause 1 instance(s) of" }).waitFor();
  await plain.fill("textarea[name=note]", "no-js pause");
  await plain.click("form.confirm button[type=submit]");
  await plain.locator('[data-done="pause"]').waitFor();
  t.is(await plain.locator('tr[data-instance="steady"]').getAttribute("data-state"), "paused");
  await plain.goto(`${base}/tasks/pulse/instances/steady`);
  await plain.click("form.actions button");
  await plain.locator("h1", { hasText: "Resume 1 instance(s) of" }).waitFor();
  await plain.click("form.confirm button[type=submit]");
  await plain.locator('[data-done="resume"]').waitFor();
  t.is(await text(plain.locator('[data-field="state"]')), "active", "resumed without JavaScript");
  t.log(`test took ${Date.now() - started} ms (shared machine: noisy)`);
});
