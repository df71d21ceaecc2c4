import test from "ava";
import { hasCredit, reserve, unreserve } from "../src/engine/credit.ts";
import type { Delivery } from "../src/engine/delivery.ts";
import { type HeldLease, LeaseTable } from "../src/engine/lease-table.ts";
import { WorkerStream } from "../src/engine/worker-stream.ts";

/* The bookkeeping behind credit: leases held per stream, reservations, expiry sweeps. */

function stream(id: number, maxInFlight: number, sent: Delivery[][] = []): WorkerStream {
  return new WorkerStream(id, "t", `w${id}`, maxInFlight, {
    send: (batch) => sent.push([...batch]),
    end() {},
  });
}

function lease(id: string, on: WorkerStream, expiresAt: number): HeldLease {
  return {
    id,
    ref: { task: "t", partition: 0, name: id, version: 1, incarnation: 1 },
    stream: on,
    mode: "at_least_once",
    next: null,
    expiresAt,
  };
}

test("held leases and reservations both count against a stream's credit", (t) => {
  const a = stream(1, 3);
  const table = new LeaseTable();
  table.add(lease("x", a, 100));
  t.is(a.available, 2);
  const reservation = reserve([a], 10, 0);
  t.is(reservation.total, 2, "never more than the stream can take");
  t.is(a.available, 0);
  t.false(hasCredit([a]));
  unreserve(reservation);
  t.is(a.available, 2);
  t.is(table.take("x")?.id, "x");
  t.is(a.available, 3);
  t.is(table.take("x"), undefined, "a lease is taken once");
});

test("a reservation spreads over streams from a rotating start and respects the claim limit", (t) => {
  const streams = [stream(1, 2), stream(2, 2), stream(3, 2)];
  const r = reserve(streams, 3, 1);
  t.deepEqual(
    r.grants.map((g) => [g.stream.id, g.remaining]),
    [
      [2, 2],
      [3, 1],
    ],
  );
  unreserve(r);
  t.deepEqual(
    streams.map((s) => s.available),
    [2, 2, 2],
  );
});

test("the sweep takes exactly the leases that ended (live through their last ms); whenEmpty resolves when the last goes", async (t) => {
  const a = stream(1, 10);
  const b = stream(2, 10);
  const table = new LeaseTable();
  table.add(lease("early", a, 100));
  table.add(lease("late", b, 200));
  table.add(lease("mid", a, 150));
  // A lease is live through its last millisecond (now <= end), as in every store.
  t.deepEqual(table.takeExpired(100), []);
  t.deepEqual(
    table.takeExpired(150).map((l) => l.id),
    ["early"],
  );
  t.deepEqual(
    table.takeExpired(151).map((l) => l.id),
    ["mid"],
  );
  t.is(a.available, 10);
  const emptied = table.whenEmpty();
  t.deepEqual(
    table.takeStream(b).map((l) => l.id),
    ["late"],
  );
  await emptied;
  t.is(table.size, 0);
});

test("a stream cuts a large delivery into messages of bounded size", (t) => {
  const sent: Delivery[][] = [];
  const s = stream(1, 100, sent);
  const big = new Uint8Array(300 * 1024);
  const deliveries: Delivery[] = Array.from({ length: 8 }, (_, i) => ({
    leaseId: `l${i}`,
    task: "t",
    instance: `i${i}`,
    partition: 0,
    scheduledAt: 0,
    leaseExpiresAt: 0,
    defaultArgs: new Uint8Array(),
    args: big,
    attempt: 1,
  }));
  s.send(deliveries);
  t.true(sent.length >= 2, "split");
  t.deepEqual(
    sent.flat().map((d) => d.leaseId),
    deliveries.map((d) => d.leaseId),
    "in order, none lost",
  );
});

test("a stream's credit is shared with its hungry pollers", (t) => {
  const a = stream(1, 6);
  // Two other pollers wait for credit: a third poller takes only its share.
  a.hungry.add({} as never);
  a.hungry.add({} as never);
  t.is(reserve([a], 100, 0).total, 2);
});
