import type { Store } from "../../src/store/store.ts";
import { type StoreCases, T0 } from "./fixtures.ts";

/** The membership methods, or a failure naming the adapter that lacks them. */
function membership(store: Store) {
  const { heartbeatMember, listMembers, removeMember } = store;
  if (!heartbeatMember || !listMembers || !removeMember) {
    throw new Error(`${store.kind} does not implement heartbeatMember/listMembers/removeMember`);
  }
  return {
    beat: heartbeatMember.bind(store),
    list: listMembers.bind(store),
    remove: removeMember.bind(store),
  };
}

const member = (id: string, address = `${id}.partitura:50051`) => ({ id, address, startedAt: T0 - 5_000 });

/** Membership records: heartbeat, expiry, listing, removal (issue 10). */
export const memberCases: StoreCases = {
  "a heartbeat makes a member live until its TTL ends, listed in id order": async (t, store) => {
    const m = membership(store);
    t.deepEqual(await m.list(T0), []);
    await m.beat(member("partitura-1"), 3_000, T0);
    await m.beat(member("partitura-0"), 3_000, T0 + 500);
    t.deepEqual(await m.list(T0 + 1_000), [
      { ...member("partitura-0"), expiresAt: T0 + 3_500 },
      { ...member("partitura-1"), expiresAt: T0 + 3_000 },
    ]);
    // At its expiry a member is dead (expiresAt > now is live).
    t.deepEqual(
      (await m.list(T0 + 3_000)).map((x) => x.id),
      ["partitura-0"],
    );
    t.deepEqual(await m.list(T0 + 3_500), []);
  },

  "a refreshed heartbeat extends the record and updates its address": async (t, store) => {
    const m = membership(store);
    await m.beat(member("a", "10.0.0.1:50051"), 3_000, T0);
    await m.beat(member("a", "10.0.0.2:50051"), 3_000, T0 + 2_000);
    t.deepEqual(await m.list(T0 + 4_000), [{ ...member("a", "10.0.0.2:50051"), expiresAt: T0 + 5_000 }]);
  },

  "a dead member comes back with its next heartbeat": async (t, store) => {
    const m = membership(store);
    await m.beat(member("a"), 1_000, T0);
    t.deepEqual(await m.list(T0 + 5_000), []);
    await m.beat(member("a"), 1_000, T0 + 100_000);
    t.deepEqual(
      (await m.list(T0 + 100_500)).map((x) => x.id),
      ["a"],
    );
  },

  "removeMember deletes at once, and removing an absent member is no error": async (t, store) => {
    const m = membership(store);
    await m.beat(member("a"), 3_000, T0);
    await m.beat(member("b"), 3_000, T0);
    await m.remove("a");
    await m.remove("never-there");
    t.deepEqual(
      (await m.list(T0 + 1)).map((x) => x.id),
      ["b"],
    );
  },
};
