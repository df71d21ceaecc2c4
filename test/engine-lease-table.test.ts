import test from "ava";
import { CreditLedger, type CreditWaiter } from "../src/engine/credit-ledger.ts";
import type { Delivery } from "../src/engine/delivery.ts";
import { type HeldLease, LeaseTable } from "../src/engine/lease-table.ts";
import { WorkerStream } from "../src/engine/worker-stream.ts";

/* The bookkeeping behind credit: leases held per stream, reservations, expiry sweeps. */

/** A ledger with `waiter` subscribed to every stream given. */
function ledgerOf(waiter: CreditWaiter, ...streams: WorkerStream[]): CreditLedger {
  const ledger = new CreditLedger();
  for (const s of streams) {
    ledger.open(s);
    ledger.subscribe(s, waiter);
  }
  return ledger;
}

const idle: CreditWaiter = { kick() {} };

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
    attempt: 1,
    slot: 0,
    deliveredAt: 0,
    reason: "scheduled",
    finishManual: false,
    historyLimit: 10,
    expiresAt,
  };
}

test("held leases and reservations both count against a stream's credit", (t) => {
  const a = stream(1, 3);
  const ledger = ledgerOf(idle, a);
  const table = new LeaseTable(ledger);
  table.add(lease("x", a, 100));
  t.is(ledger.available(a), 2);
  const reservation = ledger.reserve(idle, 10, 0);
  t.is(reservation.total, 2, "never more than the stream can take");
  t.is(ledger.available(a), 0);
  t.false(ledger.hasCredit(idle));
  ledger.unreserve(reservation);
  t.is(ledger.available(a), 2);
  t.is(table.take("x")?.id, "x");
  t.is(ledger.available(a), 3);
  t.is(table.take("x"), undefined, "a lease is taken once");
});

test("a reservation spreads over streams from a rotating start and respects the claim limit", (t) => {
  const streams = [stream(1, 2), stream(2, 2), stream(3, 2)];
  const ledger = ledgerOf(idle, ...streams);
  const r = ledger.reserve(idle, 3, 1);
  t.deepEqual(
    r.grants.map((g) => [g.stream.id, g.remaining]),
    [
      [2, 2],
      [3, 1],
    ],
  );
  ledger.unreserve(r);
  t.deepEqual(
    streams.map((s) => ledger.available(s)),
    [2, 2, 2],
  );
});

test("the sweep takes exactly the leases that ended (live through their last ms); whenEmpty resolves when the last goes", async (t) => {
  const a = stream(1, 10);
  const b = stream(2, 10);
  const ledger = ledgerOf(idle, a, b);
  const table = new LeaseTable(ledger);
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
  t.is(ledger.available(a), 10);
  const emptied = table.whenEmpty();
  t.deepEqual(
    table.takeIds(ledger.close(b).leases).map((l) => l.id),
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
    reason: "scheduled",
    finishManual: false,
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
  const rivals: CreditWaiter[] = [{ kick() {} }, { kick() {} }];
  const ledger = ledgerOf(idle, a);
  // Two other pollers wait for credit: a third poller takes only its share.
  for (const rival of rivals) {
    ledger.subscribe(a, rival);
    ledger.hungry(rival);
  }
  t.is(ledger.reserve(idle, 100, 0).total, 2);
});

test("returned credit wakes hungry pollers one per unit, in queue order, and never the sated ones", (t) => {
  const a = stream(1, 2);
  const woken: number[] = [];
  const waiters: CreditWaiter[] = Array.from({ length: 1000 }, (_, i) => ({ kick: () => woken.push(i) }));
  const ledger = new CreditLedger();
  ledger.open(a);
  for (const w of waiters) ledger.subscribe(a, w);
  const taken = ledger.reserve(idle, 2, 0);
  t.is(taken.total, 0, "idle is not subscribed: nothing to reserve from");
  const first = ledger.reserve(waiters[999] as CreditWaiter, 2, 0);
  t.is(first.total, 2);
  for (const w of waiters.slice(0, 10)) ledger.hungry(w);
  ledger.unreserve(first);
  t.deepEqual(woken, [0, 1], "two units back: the first two in the queue, not the 998 others");
  ledger.creditReturned(a);
  t.deepEqual(woken, [0, 1, 2, 3], "taken off the queue once woken");
});
