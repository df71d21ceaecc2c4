import { readFileSync } from "node:fs";
import type { Cluster, Redis } from "ioredis";
import type { LeaseStatus, ManualKind, PauseState } from "../../domain/model.ts";
import { outcomeCode, runEntrySize, writeRunEntry } from "../run-codec.ts";
import type { CommitItem, ManualOutcome, PauseOutcome, RunWrite } from "../store.ts";
import type { PartitionKeys } from "./keys.ts";
import { RECORD_FORMAT_DEAD_LETTERED, RECORD_FORMAT_PAUSED } from "./record-codec.ts";

/** A connected ioredis client, single or cluster. */
export type RedisClient = Redis | Cluster;

/*
 * The Lua scripts, loaded with ioredis defineCommand: it sends EVALSHA and falls back to EVAL
 * on NOSCRIPT, so a restarted Redis or a new cluster node is handled without our help. The
 * command names carry SCRIPTS_VERSION; bump it whenever a script's arguments or replies change,
 * so two builds side by side in a rolling deploy never call each other's scripts by one name.
 */

/** The version in every script's command name. */
export const SCRIPTS_VERSION = 8;

const SCRIPT_NAMES = [
  "upsert",
  "remove",
  "claim",
  "commit",
  "release",
  "extend",
  "pause",
  "resume",
  "manual",
] as const;
type ScriptName = (typeof SCRIPT_NAMES)[number];

type Arg = string | Buffer | number;
type ScriptCall = (...args: Arg[]) => Promise<unknown>;

function readLua(name: string): string {
  return readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), "utf8");
}

/** Each script's source, with lua/common.lua prepended (read once per process). */
const SOURCES: ReadonlyMap<ScriptName, string> = (() => {
  const common = readLua("common");
  return new Map(SCRIPT_NAMES.map((name) => [name, `${common}\n${readLua(name)}`]));
})();

/** One draft as the upsert script takes it. */
export interface UpsertArgs {
  readonly name: string;
  readonly nextRunAt: number;
  /** The first slot's jitter hold (lockedUntil), 0 for none. */
  readonly holdUntil: number;
  readonly incarnation: number;
  readonly tail: Buffer;
}

/** One lease as commit, release and extend take it. */
export interface LeaseArgs {
  readonly name: string;
  readonly version: number;
  readonly incarnation: number;
}

/** Where upsert, commit and release publish wake-ups, and what they tag them with. */
export interface WakeTarget {
  readonly channel: string;
  readonly tag: string;
}

const UPSERT_OUTCOMES = ["created", "updated", "locked"] as const;
const PAUSE_OUTCOMES: readonly PauseOutcome[] = ["paused", "already_paused", "not_found"];
const RESUME_CODES = ["resumed", "not_paused", "not_found", "changed"] as const;

/** One instance as the resume script takes it. */
export interface ResumeArgs {
  readonly name: string;
  /** The stored nextRunAt the caller read: the script resumes only while it is still so. */
  readonly read: number;
  /** The slot to resume at. */
  readonly nextRunAt: number;
  /** The new slot's jitter hold (transitions.ts resumedInstance), 0 for none. */
  readonly hold: number;
  /** The format byte the caller read: the script resumes only while it is still so. */
  readonly format: number;
  /** The resume ends the record's armed manual run (skip_missed; transitions.ts resumedInstance). */
  readonly endsManual: boolean;
}

/** One instance as manual.lua takes it: its name and its run (slots, kind, request id). */
export interface ManualArgs {
  readonly name: string;
  readonly first: number;
  readonly end: number;
  readonly kind: ManualKind;
  readonly id: string;
}

/** manual.lua's reply codes, in order. */
const MANUAL_OUTCOMES = ["accepted", "queued", "duplicate", "busy", "not_active", "not_found"] as const;

/** One lease as release takes it. */
export interface ReleaseArgs extends LeaseArgs {
  readonly retryAt: number | undefined;
  /** Parks the record paused or dead-lettered (release.lua); undefined: an ordinary release. */
  readonly park: PauseState | undefined;
  /** The failed run to record; undefined: none. */
  readonly run: RunWrite | undefined;
}
const LEASE_STATUSES: readonly LeaseStatus[] = ["ok", "lease_lost", "not_found"];

/** The key a script takes after `due` and `inst`, as its KEYS[3], if any. */
const THIRD_KEY: Partial<Record<ScriptName, "gone" | "runs">> = {
  upsert: "gone",
  commit: "runs",
  release: "runs",
  remove: "runs",
};

/** Typed calls of the Lua scripts of one client; replies are checked, never cast blindly. */
export class Scripts {
  readonly #calls: ReadonlyMap<ScriptName, ScriptCall>;

  constructor(client: RedisClient) {
    const calls = new Map<ScriptName, ScriptCall>();
    for (const name of SCRIPT_NAMES) {
      const command = `partitura_${name}_v${SCRIPTS_VERSION}`;
      const numberOfKeys = THIRD_KEY[name] === undefined ? 2 : 3;
      client.defineCommand(command, { lua: SOURCES.get(name) ?? "", numberOfKeys });
      // defineCommand adds `command` (string replies) and `commandBuffer` (binary replies).
      const method: unknown = Reflect.get(client, `${command}Buffer`);
      if (typeof method !== "function") throw new Error(`ioredis did not define ${command}Buffer`);
      calls.set(name, (...args) => method.apply(client, args) as Promise<unknown>);
    }
    this.#calls = calls;
  }

  #call(name: ScriptName, keys: PartitionKeys, args: Arg[]): Promise<unknown> {
    const call = this.#calls.get(name);
    if (call === undefined) throw new Error(`script ${name} was not defined`);
    const third = THIRD_KEY[name];
    return third === undefined
      ? call(keys.due, keys.inst, ...args)
      : call(keys.due, keys.inst, keys[third], ...args);
  }

  /** Creates or updates drafts of one partition; per draft its outcome and stored record. */
  async upsert(
    keys: PartitionKeys,
    wake: WakeTarget,
    now: number,
    mode: "safe" | "force",
    drafts: readonly UpsertArgs[],
  ): Promise<{ outcome: (typeof UPSERT_OUTCOMES)[number]; record: Buffer }[] | "task_gone"> {
    const args: Arg[] = [wake.channel, wake.tag, now, mode, packDrafts(drafts)];
    const answer = await this.#call("upsert", keys, args);
    // A lone 0: the task was deleted after the caller read it (upsert.lua); nothing changed.
    if (answer === 0) return "task_gone";
    const reply = flat(answer, "upsert", drafts.length * 2);
    return drafts.map((_, i) => ({
      outcome: pick(UPSERT_OUTCOMES, reply[2 * i], "upsert", 1),
      record: bytes(reply[2 * i + 1], "upsert"),
    }));
  }

  /** Deletes instances of one partition; how many existed. */
  async remove(keys: PartitionKeys, names: readonly string[]): Promise<number> {
    return integer(await this.#call("remove", keys, [...names]), "remove");
  }

  /**
   * Claims up to `limit` ready instances of one partition; their names and new records, and
   * the partition's earliest ready time after the claim.
   */
  async claim(
    keys: PartitionKeys,
    now: number,
    limit: number,
    leaseMs: number,
    owner: Buffer,
  ): Promise<{ claimed: { name: string; record: Buffer }[]; nextDueAt: number | undefined }> {
    const reply = flat(await this.#call("claim", keys, [now, limit, leaseMs, owner]), "claim");
    if (reply.length % 2 !== 1) throw malformed("claim", `${reply.length} values, an even count`);
    const first = reply[0];
    // An empty partition answers an empty string where the time would be.
    const nextDueAt = Buffer.isBuffer(first) && first.length === 0 ? undefined : integer(first, "claim");
    const claimed: { name: string; record: Buffer }[] = [];
    for (let i = 1; i + 1 < reply.length; i += 2) {
      claimed.push({ name: bytes(reply[i], "claim").toString("utf8"), record: bytes(reply[i + 1], "claim") });
    }
    return { claimed, nextDueAt };
  }

  /** Settles leases of one partition (nextRunAt null deletes); per item status and version. */
  async commit(
    keys: PartitionKeys,
    wake: WakeTarget,
    now: number,
    items: readonly CommitItem[],
  ): Promise<{ status: LeaseStatus; version: number }[]> {
    const reply = flat(
      await this.#call("commit", keys, [wake.channel, wake.tag, now, packCommitItems(items)]),
      "commit",
      items.length * 2,
    );
    return items.map((_, i) => ({
      status: pick(LEASE_STATUSES, reply[2 * i], "commit", 0),
      version: integer(reply[2 * i + 1], "commit"),
    }));
  }

  /** Gives leases of one partition up; per item status. */
  async release(
    keys: PartitionKeys,
    wake: WakeTarget,
    now: number,
    items: readonly ReleaseArgs[],
  ): Promise<LeaseStatus[]> {
    const args: Arg[] = [wake.channel, wake.tag, now, packReleaseItems(items)];
    const reply = flat(await this.#call("release", keys, args), "release", items.length);
    return reply.map((value) => pick(LEASE_STATUSES, value, "release", 0));
  }

  /** Asks instances of one partition for a manual run (manual.lua); per item its outcome. */
  async manual(
    keys: PartitionKeys,
    wake: WakeTarget,
    now: number,
    items: readonly ManualArgs[],
  ): Promise<ManualOutcome[]> {
    const args: Arg[] = [wake.channel, wake.tag, now, packManualItems(items)];
    const reply = flat(await this.#call("manual", keys, args), "manual", items.length);
    return reply.map((value) => pick(MANUAL_OUTCOMES, value, "manual", 0));
  }

  /** Pauses instances of one partition (pause.lua); per name its outcome. */
  async pause(
    keys: PartitionKeys,
    now: number,
    note: string,
    names: readonly string[],
  ): Promise<PauseOutcome[]> {
    const reply = flat(await this.#call("pause", keys, [now, note, ...names]), "pause", names.length);
    return reply.map((value) => pick(PAUSE_OUTCOMES, value, "pause", 0));
  }

  /**
   * Resumes paused instances of one partition (resume.lua); per item its outcome ("changed":
   * the stored slot is no longer the one read) and, when resumed, the ready time it is due at.
   */
  async resume(
    keys: PartitionKeys,
    wake: WakeTarget,
    items: readonly ResumeArgs[],
  ): Promise<{ outcome: (typeof RESUME_CODES)[number]; readyAt: number }[]> {
    const reply = flat(
      await this.#call("resume", keys, [wake.channel, wake.tag, packResumeItems(items)]),
      "resume",
      items.length * 2,
    );
    return items.map((_, i) => ({
      outcome: pick(RESUME_CODES, reply[2 * i], "resume", 0),
      readyAt: integer(reply[2 * i + 1], "resume"),
    }));
  }

  /** Moves the end of live leases of one partition to now + duration; per item status. */
  async extend(
    keys: PartitionKeys,
    now: number,
    items: readonly (LeaseArgs & { durationMs: number })[],
  ): Promise<LeaseStatus[]> {
    const args: Arg[] = [now, packLeaseItems(items, (it) => it.durationMs)];
    const reply = flat(await this.#call("extend", keys, args), "extend", items.length);
    return reply.map((value) => pick(LEASE_STATUSES, value, "extend", 0));
  }
}

/** Drafts as one binary argument (upsert.lua's DRAFT), for the reason commit items are. */
function packDrafts(drafts: readonly UpsertArgs[]): Buffer {
  let total = 0;
  for (const d of drafts) total += 4 + Buffer.byteLength(d.name) + 8 + 8 + 8 + 4 + d.tail.length;
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  for (const d of drafts) {
    pos = writeName(out, pos, d.name);
    out.writeDoubleLE(d.nextRunAt, pos);
    out.writeDoubleLE(d.holdUntil, pos + 8);
    out.writeDoubleLE(d.incarnation, pos + 16);
    out.writeUInt32LE(d.tail.length, pos + 24);
    pos += 28;
    out.set(d.tail, pos);
    pos += d.tail.length;
  }
  return out;
}

/** Manual-run items as one binary argument (manual.lua's MANUAL_ITEM). */
function packManualItems(items: readonly ManualArgs[]): Buffer {
  let total = 0;
  for (const item of items) total += 4 + Buffer.byteLength(item.name) + 18 + Buffer.byteLength(item.id);
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  for (const item of items) {
    pos = writeName(out, pos, item.name);
    out.writeDoubleLE(item.first, pos);
    out.writeDoubleLE(item.end, pos + 8);
    out.writeUInt8(item.kind === "triggered" ? 1 : 2, pos + 16);
    const idLength = out.write(item.id, pos + 18, "utf8");
    out.writeUInt8(idLength, pos + 17);
    pos += 18 + idLength;
  }
  return out;
}

/** An item's name as the scripts read it (`I4c0`): its UTF-8 length, then the bytes; returns the end. */
function writeName(out: Buffer, pos: number, name: string): number {
  const length = out.write(name, pos + 4, "utf8");
  out.writeUInt32LE(length, pos);
  return pos + 4 + length;
}

/** Resume items as one binary argument (resume.lua's RESUME_ITEM). */
function packResumeItems(items: readonly ResumeArgs[]): Buffer {
  let total = 0;
  for (const item of items) total += 4 + Buffer.byteLength(item.name) + 26;
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  for (const item of items) {
    pos = writeName(out, pos, item.name);
    out.writeDoubleLE(item.read, pos);
    out.writeDoubleLE(item.nextRunAt, pos + 8);
    out.writeDoubleLE(item.hold, pos + 16);
    out.writeUInt8(item.format, pos + 24);
    out.writeUInt8(item.endsManual ? 1 : 0, pos + 25);
    pos += 26;
  }
  return out;
}

/**
 * Release items as one binary argument (release.lua's RELEASE_ITEM): a lease item, then the
 * park's format byte (0 for none) and its note, length first.
 */
function packReleaseItems(items: readonly ReleaseArgs[]): Buffer {
  let total = 0;
  const entries = items.map((item) => (item.run === undefined ? 0 : runEntrySize(item.run.record)));
  items.forEach((item, i) => {
    total += LEASE_FIXED_BYTES + Buffer.byteLength(item.name) + 3 + Buffer.byteLength(item.park?.note ?? "");
    total += RUN_FIXED_BYTES + (entries[i] as number);
  });
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  for (const [i, item] of items.entries()) {
    pos = writeName(out, pos, item.name);
    out.writeDoubleLE(item.version, pos);
    out.writeDoubleLE(item.incarnation, pos + 8);
    out.writeDoubleLE(item.retryAt ?? 0, pos + 16);
    pos += LEASE_FIXED_BYTES - 4;
    const park = item.park;
    out.writeUInt8(
      park === undefined ? 0 : park.deadLettered ? RECORD_FORMAT_DEAD_LETTERED : RECORD_FORMAT_PAUSED,
      pos,
    );
    const noteLength = out.write(park?.note ?? "", pos + 3, "utf8");
    out.writeUInt16LE(noteLength, pos + 1);
    pos = writeRun(out, pos + 3 + noteLength, item.run, entries[i] as number);
  }
  return out;
}

/** Extend items as one binary argument (common.lua's LEASE_ITEM), as commit's. */
const LEASE_FIXED_BYTES = 4 + 8 + 8 + 8;

function packLeaseItems<T extends LeaseArgs>(items: readonly T[], value: (item: T) => number): Buffer {
  let total = 0;
  for (const item of items) total += LEASE_FIXED_BYTES + Buffer.byteLength(item.name);
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  for (const item of items) {
    pos = writeName(out, pos, item.name);
    out.writeDoubleLE(item.version, pos);
    out.writeDoubleLE(item.incarnation, pos + 8);
    out.writeDoubleLE(value(item), pos + 16);
    pos += LEASE_FIXED_BYTES - 4;
  }
  return out;
}

/*
 * Commit items go as one binary argument (commit.lua's COMMIT_ITEM) instead of five strings
 * each: the commit of every execution passes here, and the per-argument cost of the client
 * (a string per number, a write per argument) was most of it. Version and incarnation stay
 * doubles because a lease id from a client may carry any safe integer.
 */
const COMMIT_FIXED_BYTES = 4 + 8 + 8 + 8 + 8 + 1;
const KEEP_LEASE = 1;
const DELETE = 2;
const FINISH_MANUAL = 4;
/** After a commit or release item: outcome, history limit, entry length (then the entry). */
const RUN_FIXED_BYTES = 1 + 1 + 2;
/**
 * The run part of an item (RUN_FIXED_BYTES and the entry of `size` bytes, runEntrySize) at
 * `pos`; returns the end.
 */
function writeRun(out: Buffer, pos: number, run: RunWrite | undefined, size: number): number {
  out[pos] = run === undefined ? 0 : outcomeCode(run.record.outcome);
  out[pos + 1] = run?.limit ?? 0;
  out.writeUInt16LE(size, pos + 2);
  if (run === undefined) return pos + RUN_FIXED_BYTES;
  return writeRunEntry(out, pos + RUN_FIXED_BYTES, run.record);
}

function packCommitItems(items: readonly CommitItem[]): Buffer {
  let total = 0;
  const entries = new Array<number>(items.length);
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as CommitItem;
    const entry = item.run === undefined ? 0 : runEntrySize(item.run.record);
    entries[i] = entry;
    total += COMMIT_FIXED_BYTES + Buffer.byteLength(item.lease.name) + RUN_FIXED_BYTES + entry;
  }
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  for (let i = 0; i < items.length; i++) {
    const { lease, nextRunAt, keepLease, holdUntil, run, finishManual } = items[i] as CommitItem;
    pos = writeName(out, pos, lease.name);
    out.writeDoubleLE(lease.version, pos);
    out.writeDoubleLE(lease.incarnation, pos + 8);
    out.writeDoubleLE(nextRunAt ?? 0, pos + 16);
    out.writeDoubleLE(holdUntil ?? 0, pos + 24);
    out[pos + 32] =
      (nextRunAt === null ? DELETE : 0) |
      (keepLease === true ? KEEP_LEASE : 0) |
      (finishManual === true ? FINISH_MANUAL : 0);
    pos = writeRun(out, pos + COMMIT_FIXED_BYTES - 4, run, entries[i] as number);
  }
  return out;
}

// --- reply checks: a reply of the wrong shape is a bug (or a foreign script), never data -----

function malformed(script: string, what: string): Error {
  return new Error(`redis script ${script} replied ${what}`);
}

function flat(reply: unknown, script: string, length?: number): unknown[] {
  if (!Array.isArray(reply)) throw malformed(script, "something other than an array");
  if (length !== undefined && reply.length !== length) {
    throw malformed(script, `${reply.length} values where ${length} were expected`);
  }
  return reply;
}

function integer(value: unknown, script: string): number {
  if (typeof value !== "number") throw malformed(script, "a non-integer where an integer was expected");
  return value;
}

function bytes(value: unknown, script: string): Buffer {
  if (!Buffer.isBuffer(value)) throw malformed(script, "a non-string where a record was expected");
  return value;
}

/** Maps a code to one of `values`, the first of which has code `base`. */
function pick<T>(values: readonly T[], code: unknown, script: string, base: number): T {
  const value = values[integer(code, script) - base];
  if (value === undefined) throw malformed(script, `unknown code ${String(code)}`);
  return value;
}
