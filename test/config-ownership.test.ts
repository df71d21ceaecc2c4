import test from "ava";
import { ConfigError, loadConfig } from "../src/config.ts";
import { describeOwnership } from "../src/domain/ownership-mode.ts";

const base = { PARTITURA_STORE: "sqlite::memory:", HOSTNAME: "laptop" };
const load = (env: Record<string, string>, argv: string[] = []) => loadConfig({ ...base, ...env }, argv);
const refused = (env: Record<string, string>, pattern: RegExp) => (t: import("ava").ExecutionContext) => {
  const error = t.throws(() => load(env), { instanceOf: ConfigError });
  t.regex(error?.message ?? "", pattern);
};

test("no ownership setting means all", (t) => {
  t.deepEqual(load({}).ownership, { mode: "all" });
});

test("PARTITURA_PARTITIONS reads numbers and ranges, sorted and distinct", (t) => {
  t.deepEqual(load({ PARTITURA_PARTITIONS: "0-7,12" }).ownership, {
    mode: "static-list",
    partitions: [0, 1, 2, 3, 4, 5, 6, 7, 12],
  });
  t.deepEqual(load({ PARTITURA_PARTITIONS: " 12, 3-4 ,3" }).ownership, {
    mode: "static-list",
    partitions: [3, 4, 12],
  });
  t.deepEqual(load({}, ["--partitions", "5"]).ownership, { mode: "static-list", partitions: [5] });
});

for (const [value, pattern] of [
  ["7-0", /PARTITURA_PARTITIONS: range "7-0" must run upwards/],
  ["a", /"a" in "a" must be a partition number or a range/],
  ["1,,2", /"" in "1,,2" must be a partition number/],
  ["-3", /must be a partition number/],
  ["65536", /above 65535/],
] as const) {
  test(`PARTITURA_PARTITIONS=${value} is refused`, refused({ PARTITURA_PARTITIONS: value }, pattern));
}

test("PARTITURA_REPLICAS takes the ordinal from PARTITURA_ORDINAL or from HOSTNAME", (t) => {
  t.deepEqual(load({ PARTITURA_REPLICAS: "3", PARTITURA_ORDINAL: "1" }).ownership, {
    mode: "static-ordinal",
    replicas: 3,
    ordinal: 1,
  });
  t.deepEqual(load({ PARTITURA_REPLICAS: "3", HOSTNAME: "partitura-2" }).ownership, {
    mode: "static-ordinal",
    replicas: 3,
    ordinal: 2,
  });
});

test(
  "an ordinal must be below the replica count",
  refused(
    { PARTITURA_REPLICAS: "3", HOSTNAME: "partitura-3" },
    /ordinal 3 from HOSTNAME "partitura-3" must be below 3/,
  ),
);
test(
  "PARTITURA_ORDINAL out of range is refused",
  refused(
    { PARTITURA_REPLICAS: "2", PARTITURA_ORDINAL: "2" },
    /PARTITURA_ORDINAL: 2 must be below PARTITURA_REPLICAS \(2\)/,
  ),
);
test(
  "no ordinal anywhere is refused with what to set",
  refused(
    { PARTITURA_REPLICAS: "3" },
    /needs PARTITURA_ORDINAL or a HOSTNAME ending in -N .*HOSTNAME is "laptop"/,
  ),
);
test(
  "PARTITURA_REPLICAS=0 is refused",
  refused({ PARTITURA_REPLICAS: "0", PARTITURA_ORDINAL: "0" }, /from 1 to 1024/),
);
test(
  "PARTITURA_ORDINAL without PARTITURA_REPLICAS is refused",
  refused({ PARTITURA_ORDINAL: "1" }, /PARTITURA_ORDINAL: is only used with PARTITURA_REPLICAS/),
);
test(
  "two modes at once are refused, naming both",
  refused(
    { PARTITURA_MEMBERSHIP: "store", PARTITURA_PARTITIONS: "1" },
    /PARTITURA_MEMBERSHIP and PARTITURA_PARTITIONS: choose one ownership mode/,
  ),
);

test("membership mode has the default timings, each overridable", (t) => {
  t.deepEqual(load({ PARTITURA_MEMBERSHIP: "store" }).ownership, {
    mode: "membership",
    timings: { heartbeatMs: 1000, memberTtlMs: 3000, joinDelayMs: 2000 },
  });
  t.deepEqual(
    load({
      PARTITURA_MEMBERSHIP: "store",
      PARTITURA_HEARTBEAT_MS: "200",
      PARTITURA_MEMBER_TTL_MS: "600",
      PARTITURA_JOIN_DELAY_MS: "0",
    }).ownership,
    { mode: "membership", timings: { heartbeatMs: 200, memberTtlMs: 600, joinDelayMs: 0 } },
  );
});

test("PARTITURA_MEMBERSHIP accepts only store", refused({ PARTITURA_MEMBERSHIP: "etcd" }, /must be "store"/));
test(
  "a TTL below two heartbeats is refused",
  refused(
    { PARTITURA_MEMBERSHIP: "store", PARTITURA_HEARTBEAT_MS: "1000", PARTITURA_MEMBER_TTL_MS: "1500" },
    /PARTITURA_MEMBER_TTL_MS: 1500 must be at least twice PARTITURA_HEARTBEAT_MS \(1000\)/,
  ),
);
test(
  "a zero heartbeat is refused",
  refused(
    { PARTITURA_MEMBERSHIP: "store", PARTITURA_HEARTBEAT_MS: "0" },
    /PARTITURA_HEARTBEAT_MS: "0" must be at least 1 millisecond/,
  ),
);
test(
  "timings without membership mode are refused",
  refused(
    { PARTITURA_HEARTBEAT_MS: "500" },
    /PARTITURA_HEARTBEAT_MS: is only used with PARTITURA_MEMBERSHIP=store/,
  ),
);

test("the startup line names the mode", (t) => {
  t.is(describeOwnership({ mode: "all" }), "ownership all: this replica owns every partition");
  t.is(
    describeOwnership({ mode: "static-list", partitions: [0, 1, 2, 3, 4, 5, 6, 7, 12] }),
    "ownership static: partitions 0-7,12 of every task",
  );
  t.regex(
    describeOwnership(load({ PARTITURA_REPLICAS: "3", PARTITURA_ORDINAL: "1" }).ownership ?? { mode: "all" }),
    /replica 1 of 3/,
  );
  t.regex(
    describeOwnership(load({ PARTITURA_MEMBERSHIP: "store" }).ownership ?? { mode: "all" }),
    /heartbeats every 1000 ms, dead after 3000 ms, join delay 2000 ms/,
  );
});
