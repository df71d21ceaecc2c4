import { status } from "@grpc/grpc-js";
import test from "ava";
import { InstanceState } from "../../gen/ts/partitura/v1/instance_pb.ts";
import { selectPartition } from "../../src/domain/selector.ts";
import { cli } from "../support/cli.ts";
import { callError } from "../support/clients.ts";
import { startTestServer } from "../support/server.ts";

/*
 * PauseInstances and ResumeInstances with `partition` (issue 14, "in bulk ... or a partition"),
 * on the store of the round: every active instance of one partition is paused, and only those;
 * a resume brings back the paused ones and leaves dead letters alone.
 */

const PARTITIONS = 4;
const NAMES = Array.from({ length: 40 }, (_, i) => `i${i}`);
const daily = { kind: { case: "cron" as const, value: "0 9 * * *" } };

test("a whole partition is paused and resumed, and only it", async (t) => {
  await using server = await startTestServer();
  await server.scheduler.putTask({ task: { name: "p", dynamic: true, partitionCount: PARTITIONS } });
  await server.scheduler.schedule({ task: "p", instances: NAMES.map((name) => ({ name, schedule: daily })) });
  const inTwo = NAMES.filter((name) => selectPartition(name, PARTITIONS) === 2).sort();
  t.true(inTwo.length > 0, "partition 2 holds some of the 40");

  const paused = await server.scheduler.pauseInstances({
    task: "p",
    partition: 2,
    note: "ops: shard 2 maintenance",
  });
  t.is(paused.changed, inTwo.length);
  t.deepEqual(paused.outcomes, []);
  const listed = await server.scheduler.listInstances({
    task: "p",
    state: InstanceState.PAUSED,
    pageSize: 100,
  });
  t.deepEqual(
    listed.instances.map((i) => i.name).sort(),
    inTwo,
    "exactly partition 2's instances are paused",
  );
  t.is(listed.instances[0]?.pauseNote, "ops: shard 2 maintenance");
  t.is((await server.scheduler.pauseInstances({ task: "p", partition: 2 })).changed, 0, "idempotent");

  const resumed = await cli(["resume", "p", "--partition", "2", "-o", "json"], { address: server.address });
  t.deepEqual(JSON.parse(resumed.stdout), [{ partition: "2", resumed: String(inTwo.length) }]);
  const after = await server.scheduler.listInstances({
    task: "p",
    state: InstanceState.PAUSED,
    pageSize: 100,
  });
  t.deepEqual(after.instances, [], "nothing paused is left");

  const outside = await callError(server.scheduler.pauseInstances({ task: "p", partition: PARTITIONS }));
  t.is(outside.code, status.INVALID_ARGUMENT);
  t.regex(outside.details, /^partition: must be below the task's partition_count 4, got 4/);
  const both = await callError(server.scheduler.resumeInstances({ task: "p", partition: 1, names: ["i1"] }));
  t.regex(both.details, /^names: must be empty when partition is set/);
});
