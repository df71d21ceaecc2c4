import test from "ava";
import { durationToMs, timestampToMs } from "../src/server/convert-time.ts";

const d = (seconds: bigint, nanos: number) => ({
  $typeName: "google.protobuf.Duration" as const,
  seconds,
  nanos,
});
const ts = (seconds: bigint, nanos: number) => ({
  $typeName: "google.protobuf.Timestamp" as const,
  seconds,
  nanos,
});

test("Durations the protobuf spec allows convert to ms, truncated toward zero", (t) => {
  t.is(durationToMs("f", d(1n, 500_000_000)), 1500);
  t.is(durationToMs("f", d(-1n, -500_000_000)), -1500);
  t.is(durationToMs("f", d(0n, -999_999)), 0);
  t.is(durationToMs("f", d(315_576_000_000n, 999_999_999)), 315_576_000_000_999);
});

test("Durations the protobuf spec forbids are refused naming the field", (t) => {
  const refused: [ReturnType<typeof d>, RegExp][] = [
    [d(1n, -999_999_999), /^f: seconds and nanos must have the same sign/],
    [d(-1n, 1), /^f: seconds and nanos must have the same sign/],
    [d(0n, 1_000_000_000), /^f: nanos must be/],
    [d(5n, 1_500_000_000), /^f: nanos must be/],
    [d(0n, 0.5), /^f: nanos must be/],
    [d(315_576_000_001n, 0), /^f: seconds must be within/],
    [d(-315_576_000_001n, 0), /^f: seconds must be within/],
  ];
  for (const [value, message] of refused) t.throws(() => durationToMs("f", value), { message });
});

test("Timestamps with nanos out of range are refused", (t) => {
  t.is(timestampToMs("f", ts(1n, 999_999_999)), 1999);
  t.throws(() => timestampToMs("f", ts(1n, -1)), { message: /^f: nanos must be 0 to 999,999,999/ });
  t.throws(() => timestampToMs("f", ts(1n, 1_000_000_000)), { message: /^f: nanos must be/ });
});
