import { createHash } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { create, type DescMethod } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import test from "ava";
import { Health } from "../gen/ts/grpc/health/v1/health_pb.ts";
import { ServerReflectionRequestSchema } from "../gen/ts/grpc/reflection/v1alpha/reflection_pb.ts";
import { ExecutionService } from "../gen/ts/partitura/v1/execution_service_pb.ts";
import { SchedulerService } from "../gen/ts/partitura/v1/scheduler_service_pb.ts";
import { accessByPath, COVERED_SERVICES } from "../src/server/auth/roles.ts";
import { TokensFileError, TokenTable } from "../src/server/auth/tokens.ts";
import { makeTestCerts } from "./support/certs.ts";
import { callError, makeClient } from "./support/clients.ts";
import { startTestServer, type TestServer } from "./support/server.ts";

const certs = makeTestCerts();
test.after.always(() => rmSync(certs.dir, { recursive: true, force: true }));

const TOKENS = {
  admin: "admin-token-0123456789",
  scheduler: "scheduler-token-0123456789",
  worker: "worker-token-0123456789",
  reader: "reader-token-0123456789",
};
const hashed = (token: string) => createHash("sha256").update(token).digest("hex");
const tokensFile = join(certs.dir, "tokens.json");
writeFileSync(
  tokensFile,
  JSON.stringify([
    { token: TOKENS.admin, roles: ["admin"] },
    { sha256: hashed(TOKENS.scheduler), roles: ["scheduler"], name: "billing" },
    { token: TOKENS.worker, roles: ["worker"] },
    { sha256: hashed(TOKENS.reader), roles: ["reader"] },
  ]),
);

function credentials(token: string | undefined): grpc.ChannelCredentials {
  const ssl = grpc.credentials.createSsl(readFileSync(certs.ca));
  if (token === undefined) return ssl;
  return grpc.credentials.combineChannelCredentials(
    ssl,
    grpc.credentials.createFromMetadataGenerator((_, callback) => {
      const metadata = new grpc.Metadata();
      metadata.set("authorization", `Bearer ${token}`);
      callback(null, metadata);
    }),
  );
}

async function secured(): Promise<TestServer> {
  return startTestServer({
    config: { tlsCert: certs.serverCert, tlsKey: certs.serverKey, authTokensFile: tokensFile },
  });
}

const as = (s: TestServer, token: string | undefined) =>
  makeClient(SchedulerService, s.address, credentials(token));
const worker = (s: TestServer, token: string | undefined) =>
  makeClient(ExecutionService, s.address, credentials(token));

test("every method of every service the server offers has a role", (t) => {
  const access = accessByPath();
  for (const service of COVERED_SERVICES) {
    for (const method of service.methods as DescMethod[]) {
      t.true(access.has(`/${service.typeName}/${method.name}`), `${service.typeName}/${method.name}`);
    }
  }
  for (const service of [SchedulerService, ExecutionService, Health])
    t.true(COVERED_SERVICES.includes(service));
});

test("roles: admin does everything, scheduler schedules and reads, worker works, reader reads", async (t) => {
  await using s = await secured();
  const admin = as(s, TOKENS.admin);
  const scheduler = as(s, TOKENS.scheduler);
  const workerAsScheduler = as(s, TOKENS.worker);
  const reader = as(s, TOKENS.reader);
  const execution = worker(s, TOKENS.worker);
  const readerExecution = worker(s, TOKENS.reader);
  t.teardown(() => {
    for (const c of [admin, scheduler, workerAsScheduler, reader, execution, readerExecution]) c.close();
  });
  const task = {
    name: "mail",
    dynamic: true,
    schedule: { kind: { case: "cron" as const, value: "0 * * * *" } },
  };

  // Tasks: admin only.
  for (const client of [scheduler, workerAsScheduler, reader]) {
    const denied = await callError(client.putTask({ task }));
    t.is(denied.code, grpc.status.PERMISSION_DENIED);
    t.regex(denied.details, /PutTask needs one of the roles admin/);
  }
  t.is((await callError(scheduler.deleteTask({ name: "mail" }))).code, grpc.status.PERMISSION_DENIED);
  await admin.putTask({ task });

  // Schedule and unschedule: scheduler (and admin).
  await scheduler.schedule({ task: "mail", instances: [{ name: "a" }] });
  await admin.schedule({ task: "mail", instances: [{ name: "b" }] });
  for (const client of [workerAsScheduler, reader]) {
    t.is(
      (await callError(client.schedule({ task: "mail", instances: [{ name: "c" }] }))).code,
      grpc.status.PERMISSION_DENIED,
    );
    t.is(
      (await callError(client.unschedule({ task: "mail", names: ["a"] }))).code,
      grpc.status.PERMISSION_DENIED,
    );
  }
  // Nothing refused changed anything: still exactly a and b.
  const listed = await reader.listInstances({ task: "mail" });
  t.deepEqual(listed.instances.map((i) => i.name).sort(), ["a", "b"]);
  await scheduler.unschedule({ task: "mail", names: ["b"] });

  // Reads: reader, scheduler, admin; the worker reads only the partition map.
  t.is((await reader.getTask({ name: "mail" })).task?.name, "mail");
  t.is((await scheduler.listTasks({})).tasks.length, 1);
  t.is((await callError(workerAsScheduler.getTask({ name: "mail" }))).code, grpc.status.PERMISSION_DENIED);
  await workerAsScheduler.getPartitionMap({ task: "mail" });
  await reader.getPartitionMap({ task: "mail" });

  // Execution: worker (and admin); a reader may not ack.
  const acked = await execution.ack({ items: [] });
  t.deepEqual(acked.results, []);
  await execution.extendLeases({ items: [] });
  t.is((await callError(readerExecution.ack({ items: [] }))).code, grpc.status.PERMISSION_DENIED);
});

test("refusals: a missing or unknown token is UNAUTHENTICATED and never echoed; health stays open", async (t) => {
  await using s = await secured();
  const anonymous = as(s, undefined);
  const stranger = as(s, "not-a-known-token-at-all-123");
  const health = makeClient(Health, s.address, credentials(undefined));
  t.teardown(() => {
    anonymous.close();
    stranger.close();
    health.close();
  });
  const missing = await callError(anonymous.listTasks({}));
  t.is(missing.code, grpc.status.UNAUTHENTICATED);
  t.regex(missing.details, /authorization: Bearer/);
  const unknown = await callError(stranger.listTasks({}));
  t.is(unknown.code, grpc.status.UNAUTHENTICATED);
  t.false(unknown.details.includes("not-a-known-token"));
  const checked = await health.check({});
  t.is(checked.status, 1); // SERVING
});

test("tokens file: bad entries are refused naming the entry and the rule, never the token", (t) => {
  const short = t.throws(
    () => TokenTable.fromJson(JSON.stringify([{ token: "short-secret", roles: ["admin"] }])),
    {
      instanceOf: TokensFileError,
    },
  );
  t.regex(short?.message ?? "", /tokens\[0\]\.token: must be at least 16/);
  t.false(short?.message.includes("short-secret"));
  t.throws(() => TokenTable.fromJson(JSON.stringify([{ token: TOKENS.admin, roles: ["root"] }])), {
    message: /tokens\[0\]\.roles\[0\]: must be one of admin, scheduler, worker, reader/,
  });
  t.throws(() => TokenTable.fromJson(JSON.stringify([{ sha256: "abc", roles: ["admin"] }])), {
    message: /64 hex/,
  });
  const broken = t.throws(() => TokenTable.fromJson(`[{"token": "${TOKENS.admin}", roles}]`));
  t.false(broken?.message.includes(TOKENS.admin));
  const table = TokenTable.fromJson(JSON.stringify([{ sha256: hashed(TOKENS.reader), roles: ["reader"] }]));
  t.deepEqual([...(table.identify(TOKENS.reader)?.roles ?? [])], ["reader"]);
  t.is(table.identify(TOKENS.admin), undefined);
});

test("reflection follows PARTITURA_REFLECTION", async (t) => {
  await using s = await startTestServer({ config: { reflection: false } });
  const error = await new Promise<grpc.ServiceError>((resolve) => {
    const call = s.reflection.serverReflectionInfo();
    call.on("error", resolve);
    call.write(
      create(ServerReflectionRequestSchema, { messageRequest: { case: "listServices", value: "*" } }),
    );
    call.end();
  });
  t.is(error.code, grpc.status.UNIMPLEMENTED);
});
