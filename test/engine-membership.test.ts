import test from "ava";
import { pino } from "pino";
import { MembershipOwnership, type MembershipStore } from "../src/engine/ownership/membership-ownership.ts";
import { openSqliteStore } from "../src/store/sqlite/sqlite-store.ts";
import { ManualClock } from "./support/manual-clock.ts";

const timings = { heartbeatMs: 1_000, memberTtlMs: 3_000, joinDelayMs: 2_000 };
const logger = pino({ level: "silent" });

async function setup() {
  const store = await openSqliteStore(":memory:");
  const clock = new ManualClock();
  const { heartbeatMember, listMembers, removeMember } = store;
  if (!heartbeatMember || !listMembers || !removeMember) throw new Error("sqlite keeps no member records");
  const members: MembershipStore = {
    heartbeatMember: heartbeatMember.bind(store),
    listMembers: listMembers.bind(store),
    removeMember: removeMember.bind(store),
  };
  const replica = (id: string, faulty?: { down: boolean }) =>
    new MembershipOwnership({
      store: faulty
        ? {
            heartbeatMember: (...a) =>
              faulty.down ? Promise.reject(new Error("store down")) : members.heartbeatMember(...a),
            listMembers: (now) =>
              faulty.down ? Promise.reject(new Error("store down")) : members.listMembers(now),
            removeMember: (id) => members.removeMember(id),
          }
        : members,
      clock,
      id,
      address: () => `${id}.partitura:50051`,
      timings,
      logger,
    });
  return { store, clock, replica };
}

const tickAll = (...rs: MembershipOwnership[]) => Promise.all(rs.map((r) => r.tick()));

test("three members split 32 partitions disjointly after the join delay, and agree on the map", async (t) => {
  const { store, clock, replica } = await setup();
  const rs = ["partitura-0", "partitura-1", "partitura-2"].map((id) => replica(id));
  await tickAll(...rs);
  // Within the join delay nobody owns anything yet.
  t.deepEqual(rs[0]?.owned("emails", 32), []);
  clock.advance(2_000);
  await tickAll(...rs);
  await tickAll(...rs);
  const sets = rs.map((r) => r.owned("emails", 32));
  t.deepEqual(
    sets.flat().sort((a, b) => a - b),
    Array.from({ length: 32 }, (_, i) => i),
  );
  for (const s of sets) t.true(s.length <= Math.ceil(32 / 3) + 1);
  const maps = rs.map((r) => r.map("emails", 32));
  t.deepEqual(maps[1], maps[0]);
  t.deepEqual(maps[2], maps[0]);
  t.deepEqual(
    maps[0]?.replicas.map((r) => r.address),
    ["partitura-0.partitura:50051", "partitura-1.partitura:50051", "partitura-2.partitura:50051"],
  );
  await store.close();
});

test("a member that leaves hands its partitions over at the others' next tick; the version changes", async (t) => {
  const { store, clock, replica } = await setup();
  const [a, b] = [replica("a"), replica("b")];
  await tickAll(a, b);
  clock.advance(2_000);
  await tickAll(a, b);
  const before = a.map("t", 8);
  let changes = 0;
  a.onChange(() => changes++);
  await b.stop();
  t.deepEqual(b.owned("t", 8), [], "a leaving replica owns nothing at once");
  clock.advance(1_000);
  await a.tick();
  t.is(changes, 1);
  t.deepEqual(a.owned("t", 8), [0, 1, 2, 3, 4, 5, 6, 7]);
  t.not(a.map("t", 8).version, before.version);
  await a.stop();
  await store.close();
});

test("a crashed member counts as dead after the TTL; a replica cut off from the store owns nothing", async (t) => {
  const { store, clock, replica } = await setup();
  const link = { down: false };
  const [a, cut] = [replica("a"), replica("cut", link)];
  await tickAll(a, cut);
  clock.advance(2_000);
  await tickAll(a, cut);
  t.true(cut.owned("t", 8).length > 0);
  link.down = true;
  clock.advance(1_000);
  await tickAll(a, cut);
  t.true(cut.owned("t", 8).length > 0, "one missed heartbeat changes nothing");
  clock.advance(2_000); // 3 s after the last good heartbeat
  await tickAll(a, cut);
  t.deepEqual(cut.owned("t", 8), []);
  t.deepEqual(a.owned("t", 8), [0, 1, 2, 3, 4, 5, 6, 7]);
  link.down = false;
  clock.advance(1_000);
  await tickAll(cut, a);
  await a.tick();
  t.true(cut.owned("t", 8).length > 0, "back at once when the store answers again");
  t.deepEqual([...a.owned("t", 8), ...cut.owned("t", 8)].sort(), [0, 1, 2, 3, 4, 5, 6, 7].map(Number).sort());
  await store.close();
});
