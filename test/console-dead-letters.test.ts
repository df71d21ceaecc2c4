import { existsSync, mkdirSync } from "node:fs";
import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import test from "ava";
import { chromium, type Locator, type Page } from "playwright-core";
import { Outcome } from "../gen/ts/partitura/v1/execution_service_pb.ts";
import { InstanceState } from "../gen/ts/partitura/v1/instance_pb.ts";
import { SchedulerService } from "../gen/ts/partitura/v1/scheduler_service_pb.ts";
import { OnExhausted } from "../gen/ts/partitura/v1/task_pb.ts";
import { callError, makeClient } from "./support/clients.ts";
import { login, startConsoleServer, withToken } from "./support/console-server.ts";
import { TestWorker } from "./support/execution-worker.ts";
import { startTestServer, TestClock, testStoreUrl } from "./support/server.ts";

/*
 * Dead letters and run history in the console, in Debian's chromium (as console-pause.test.ts),
 * on a real server on SQLite with bearer tokens and a worker over gRPC. Task "mail" has one
 * attempt and dead-letters what fails; three one-off instances fail with "boom" and become dead
 * letters, while "digest" (hourly) stays active. The dead-letter list shows the three and not
 * digest, and the paused filter none of them; an instance page shows the failed run. "invoice"
 * is requeued from its page and delivered again at attempt 1; "receipt" is discarded from the
 * list and is gone (NOT_FOUND over gRPC); "refund" is requeued with JavaScript off. A reader's
 * requeue and a post without the CSRF token are refused and change nothing. The run writes the
 * README's screenshots of the dead-letter list and the instance page with history to docs/.
 */

const CHROMIUM = "/usr/bin/chromium";
const ADMIN = "console-admin-token-0123456789";
const READER = "console-reader-token-0123456789";
const WORKER = "console-worker-token-0123456789";
const NOW = Date.parse("2026-06-01T12:00:00.000Z");
const SECOND = 1_000;
const LETTERS = ["invoice", "receipt", "refund"];

async function deadLetterServer() {
  const clock = new TestClock(NOW);
  const storeUrl = testStoreUrl("sqlite");
  {
    await using open = await startTestServer({ clock, storeUrl });
    await open.scheduler.putTask({
      task: {
        name: "mail",
        dynamic: true,
        partitionCount: 2,
        retryPolicy: { maxAttempts: 1, onExhausted: OnExhausted.DEAD_LETTER },
      },
    });
    await open.scheduler.schedule({
      task: "mail",
      instances: [
        ...LETTERS.map((name) => ({
          name,
          schedule: { kind: { case: "at" as const, value: timestampFromMs(NOW + SECOND) } },
        })),
        {
          name: "digest",
          schedule: { kind: { case: "interval" as const, value: durationFromMs(3_600_000) } },
        },
      ],
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
  const scheduler = makeClient(
    SchedulerService,
    s.address,
    grpc.credentials.createInsecure(),
    withToken(ADMIN),
  );
  const worker = new TestWorker({ ...s, execution }, { task: "mail" });
  return { s, clock, worker, execution, scheduler, base };
}

async function text(locator: Locator): Promise<string> {
  return (await locator.textContent()) ?? "";
}

async function rowNames(page: Page): Promise<(string | null)[]> {
  return page
    .locator("tr[data-instance]")
    .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-instance")));
}

/** A form post from the page's own origin (the console's Origin check passes), as a user's script would. */
async function post(page: Page, path: string, fields: Record<string, string>) {
  return page.evaluate(
    async ({ path, fields }) => {
      const res = await fetch(path, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(fields).toString(),
      });
      return { status: res.status, text: await res.text() };
    },
    { path, fields },
  );
}

test("console in chromium: dead letters listed apart, their run history shown; requeue and discard from the UI; a reader and a post without CSRF are refused", async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.fail(
      "install chromium (apt-get install chromium): the console's browser test drives Debian's chromium",
    );
    return;
  }
  const started = Date.now();
  const { s, clock, worker, execution, scheduler, base } = await deadLetterServer();
  await using _ = s;
  t.teardown(() => {
    worker.close();
    execution.close();
    scheduler.close();
  });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  t.teardown(() => browser.close());
  mkdirSync("docs", { recursive: true });

  const stateOf = async (name: string) =>
    (await scheduler.getInstance({ task: "mail", name })).instance?.state;

  // The three one-offs fall due and fail with "boom"; one attempt, so each is dead-lettered.
  clock.advance(SECOND);
  const failed = await worker.next(3);
  t.deepEqual(failed.map((e) => e.instance).sort(), LETTERS);
  await execution.ack({
    items: failed.map((e) => ({ leaseId: e.leaseId, outcome: Outcome.FAILURE, error: "boom" })),
  });
  for (const name of LETTERS) {
    for (let tries = 0; tries < 50 && (await stateOf(name)) !== InstanceState.DEAD_LETTERED; tries++)
      await new Promise((resolve) => setTimeout(resolve, 100));
    t.is(await stateOf(name), InstanceState.DEAD_LETTERED, `${name} is dead-lettered`);
  }

  // The tasks page counts them apart from paused and links to the dead-letter list.
  const admin = await login(browser, base, ADMIN);
  await admin.goto(`${base}/tasks`);
  const cell = admin.locator('tr[data-task="mail"] [data-field="dead-letters"] a');
  t.is(await cell.getAttribute("href"), "/tasks/mail/instances?state=dead_lettered");
  t.is(await text(cell), "3");
  t.is(await text(admin.locator('tr[data-task="mail"] [data-field="paused"]')), "0", "not counted as paused");
  await cell.click();
  await admin.locator("h1", { hasText: "Instances of" }).waitFor();
  t.deepEqual((await rowNames(admin)).sort(), LETTERS, "the dead-letter list has them and not digest");
  for (const name of LETTERS) {
    const row = admin.locator(`tr[data-instance="${name}"]`);
    t.is(await row.getAttribute("data-state"), "dead_lettered");
    t.regex(await text(row.locator('[data-field="state"]')), /^dead-lettered .*boom/);
  }
  t.is(await admin.locator("select[name=state] option[selected]").textContent(), "dead-lettered");
  await admin.screenshot({ path: "docs/console-dead-letters.png", fullPage: true });
  await admin.goto(`${base}/tasks/mail/instances?state=paused`);
  t.deepEqual(await rowNames(admin), [], "a dead letter is not paused");
  await admin.goto(`${base}/tasks/mail/instances?state=active`);
  t.deepEqual(await rowNames(admin), ["digest"]);

  // Its page: dead-lettered with the last error, the counters and the failed run.
  await admin.goto(`${base}/tasks/mail/instances/invoice`);
  t.regex(await text(admin.locator('td[data-field="state"]')), /^dead-lettered since 2026-06-01 12:00:01Z/);
  t.regex(await text(admin.locator('td[data-field="note"]')), /boom/);
  t.is(await text(admin.locator('[data-field="runs"]')), "1 · 1");
  t.is(await text(admin.locator('[data-field="last-outcome"]')), "failure");
  const run = admin.locator("table.runs tbody tr");
  t.is(await run.count(), 1);
  t.is(await text(run.locator('[data-field="outcome"]')), "failure");
  t.is(await text(run.locator('[data-field="error"]')), "boom");
  t.is(await text(run.locator('[data-field="attempt"]')), "1");
  t.is(await text(run.locator('[data-field="reason"]')), "scheduled");
  t.is(await admin.locator('form[data-action="resume"]').count(), 0, "no Resume for a dead letter");
  await admin.screenshot({ path: "docs/console-history.png", fullPage: true });

  // A reader: no buttons, and a hand-made requeue with its own CSRF token is refused naming roles.
  const reader = await login(browser, base, READER);
  await reader.goto(`${base}/tasks/mail/instances/invoice`);
  t.is(await reader.locator("form.actions").count(), 0, "no Requeue or Discard for a reader");
  await reader.goto(`${base}/tasks/mail/instances?state=dead_lettered`);
  t.is(await reader.locator("input[name=pick]").count(), 0, "no checkboxes for a reader");
  const readerCsrf = await reader.locator("header input[name=csrf]").inputValue();
  const refused = await post(reader, "/tasks/mail/requeue", {
    csrf: readerCsrf,
    pick: JSON.stringify(["", "invoice"]),
  });
  t.is(refused.status, 403);
  t.regex(refused.text, /needs one of the roles admin, scheduler; this token has reader/);
  // The admin without the CSRF token: refused too.
  const noCsrf = await post(admin, "/tasks/mail/requeue", { pick: JSON.stringify(["", "invoice"]) });
  t.is(noCsrf.status, 403);
  t.regex(noCsrf.text, /CSRF token/);
  t.is(await stateOf("invoice"), InstanceState.DEAD_LETTERED, "neither changed anything");
  t.deepEqual(await worker.idle(500), [], "nothing is delivered");

  // Requeue "invoice" from its page: the confirmation, then active and delivered again at attempt 1.
  await admin.click('form[data-action="requeue"] button');
  await admin.locator("h1", { hasText: "Requeue 1 instance(s) of" }).waitFor();
  t.deepEqual(await admin.locator("[data-picked]").allTextContents(), ["invoice"]);
  await admin.click("form.confirm button[type=submit]");
  await admin.locator('[data-done="requeue"]').waitFor();
  t.regex(await text(admin.locator('[data-done="requeue"]')), /Requeued 1 instance\(s\)\./);
  t.is(await text(admin.locator('td[data-field="state"]')), "active");
  t.is(await stateOf("invoice"), InstanceState.ACTIVE, "active over gRPC");
  const [again] = await worker.next(1);
  t.is(again?.instance, "invoice");
  t.is(again?.attempt, 1, "a fresh retry budget");
  if (again !== undefined) await worker.ack([again]);

  // Discard "receipt" from the dead-letter list (bulk): a one-off, so it is removed.
  await admin.goto(`${base}/tasks/mail/instances?state=dead_lettered`);
  t.deepEqual((await rowNames(admin)).sort(), ["receipt", "refund"]);
  await admin.check('tr[data-instance="receipt"] input[name=pick]');
  await admin.click('form.bulk button[value="discard"]');
  await admin.locator("h1", { hasText: "Discard 1 instance(s) of" }).waitFor();
  await admin.click("form.confirm button[type=submit]");
  await admin.locator('[data-done="discard"]').waitFor();
  t.regex(await text(admin.locator('[data-done="discard"]')), /Discarded 1 instance\(s\)\./);
  t.deepEqual(await rowNames(admin), ["refund"]);
  const gone = await callError(scheduler.getInstance({ task: "mail", name: "receipt" }));
  t.is(gone.code, grpc.status.NOT_FOUND, "the discarded one-off is gone");

  // With JavaScript off, requeue "refund" from the list: plain form posts and redirects.
  const plain = await login(browser, base, ADMIN, false);
  await plain.goto(`${base}/tasks/mail/instances?state=dead_lettered`);
  await plain.check('tr[data-instance="refund"] input[name=pick]');
  await plain.click('form.bulk button[value="requeue"]');
  await plain.locator("h1", { hasText: "Requeue 1 instance(s) of" }).waitFor();
  await plain.click("form.confirm button[type=submit]");
  await plain.locator('[data-done="requeue"]').waitFor();
  t.deepEqual(await rowNames(plain), [], "the dead-letter list is empty");
  t.is(await stateOf("refund"), InstanceState.ACTIVE);
  const [refund] = await worker.next(1);
  t.is(refund?.instance, "refund");
  t.is(refund?.attempt, 1);
  t.log(`test took ${Date.now() - started} ms (shared machine: noisy)`);
});
