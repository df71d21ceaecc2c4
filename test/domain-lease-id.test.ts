import test from "ava";
import { ErrorCode, PartituraError } from "../src/domain/errors.ts";
import { decodeLeaseId, encodeLeaseId } from "../src/domain/lease-id.ts";
import type { LeaseRef } from "../src/domain/model.ts";

test("lease ids round-trip, whatever the names contain", (t) => {
  const leases: LeaseRef[] = [
    { task: "emails", partition: 0, name: "user-1", version: 1, incarnation: 1 },
    { task: "a.b.c", partition: 65_535, name: "1.2.3.", version: 9_007_199_254_740_991, incarnation: 42 },
    { task: "größe 🎵", partition: 7, name: "名前", version: 3, incarnation: 2 },
  ];
  for (const lease of leases) t.deepEqual(decodeLeaseId(encodeLeaseId(lease)), lease);
});

test("foreign lease ids are refused as INVALID_ARGUMENT naming the field", (t) => {
  for (const bad of ["", "abc", "1.2.3", "1.2.3.99.short", "-1.0.0.1.tn", "1.2.3.1.t"]) {
    const error = t.throws(() => decodeLeaseId(bad, "items[0].lease_id"));
    t.true(error instanceof PartituraError && error.code === ErrorCode.InvalidArgument, bad);
    t.regex(error?.message ?? "", /^items\[0\]\.lease_id: /);
  }
});

test("a lease id whose names the server could not have issued is refused", (t) => {
  const forged = encodeLeaseId({
    task: "t".repeat(201),
    partition: 0,
    name: "x",
    version: 1,
    incarnation: 1,
  });
  t.throws(() => decodeLeaseId(forged, "items[0].lease_id"), {
    message: /^items\[0\]\.lease_id: is not a lease id/,
  });
  const control = encodeLeaseId({ task: "t", partition: 0, name: "a\u0000b", version: 1, incarnation: 1 });
  t.throws(() => decodeLeaseId(control), { message: /is not a lease id/ });
});

test("a lease id is read only in the spelling the server writes: one lease, one id", (t) => {
  const id = encodeLeaseId({ task: "emails", partition: 0, name: "user-1", version: 12, incarnation: 3 });
  t.is(id, "0.12.3.6.emailsuser-1");
  const respellings = [
    "00.12.3.6.emailsuser-1",
    "0.012.3.6.emailsuser-1",
    "0.12.03.6.emailsuser-1",
    "0.12.3.06.emailsuser-1",
    "+0.12.3.6.emailsuser-1",
    "-0.12.3.6.emailsuser-1",
    " 0.12.3.6.emailsuser-1",
    "0x0.12.3.6.emailsuser-1",
    "0.1.2e1.6.emailsuser-1",
    "0.12.3.6e0.emailsuser-1",
    "0.12.3.0b110.emailsuser-1",
    "0.9007199254740992.3.6.emailsuser-1",
    "0.12345678901234567.3.6.emailsuser-1",
  ];
  for (const bad of respellings) {
    t.throws(
      () => decodeLeaseId(bad, "items[0].lease_id"),
      { message: /^items\[0\]\.lease_id: is not a lease id/ },
      bad,
    );
  }
  t.deepEqual(decodeLeaseId(id), {
    task: "emails",
    partition: 0,
    name: "user-1",
    version: 12,
    incarnation: 3,
  });
});
