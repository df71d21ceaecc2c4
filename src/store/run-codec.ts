import { ErrorCode, PartituraError } from "../domain/errors.ts";
import { MAX_RUN_ERROR_BYTES, MAX_RUN_WORKER_BYTES } from "../domain/limits.ts";
import type { ExecutionReason, RunHistory, RunOutcome, RunRecord } from "../domain/model.ts";
import { cutUtf8 } from "../domain/utf8-cut.ts";
import { Reader, unzigzag, varintSize, writeVarint, zigzag } from "./varint.ts";

/*
 * The run history of one instance (issue 14) as every store keeps it: one binary value beside
 * the instance (Redis: a field of the partition's `runs` hash, in the same hash tag; SQLite: a
 * row of `runs`; DynamoDB: the item's `runs` attribute), read only when someone asks for it,
 * never by a claim. Redis's commit and release scripts update it in Lua (lua/common.lua's
 * record_run mirrors appendRun), so the layout is stated once here and checked against the Lua
 * by test/store-conformance (the same history on every store):
 *
 *   head   '<I4I4B'  runs (u32), failures (u32), last outcome (0 none, 1 success, 2 failure)
 *   then   up to the task's history_limit entries, newest first, each a u16 length and then
 *          the entry:
 *            6   slot (signed little-endian ms)
 *            zig-zag varint  deliveredAt - slot
 *            varint          finishedAt - deliveredAt (0 when the clock went back)
 *            varint          attempt
 *            1   outcome (low 2 bits) | reason << 2
 *            varint length + worker (UTF-8, at most MAX_RUN_WORKER_BYTES)
 *            varint length + error (UTF-8, at most MAX_RUN_ERROR_BYTES)
 */

/** The bytes of the head: runs, failures, last outcome. */
export const RUNS_HEAD_BYTES = 9;

const OUTCOMES: readonly (RunOutcome | undefined)[] = [undefined, "success", "failure"];
const REASONS: readonly ExecutionReason[] = ["scheduled", "retry", "triggered", "backfill"];

/** The outcome byte of the head and of an entry: 1 success, 2 failure. */
export function outcomeCode(outcome: RunOutcome): number {
  return outcome === "success" ? 1 : 2;
}

/** One run as the bytes of its entry (without the length prefix). */
export function encodeRunEntry(run: RunRecord): Buffer {
  const out = Buffer.allocUnsafe(runEntrySize(run));
  writeRunEntry(out, 0, run);
  return out;
}

/** The bytes of `run`'s entry (without the length prefix), as writeRunEntry writes them. */
export function runEntrySize(run: RunRecord): number {
  const worker = Buffer.byteLength(cutUtf8(run.worker, MAX_RUN_WORKER_BYTES), "utf8");
  const error = run.error === "" ? 0 : Buffer.byteLength(cutUtf8(run.error, MAX_RUN_ERROR_BYTES), "utf8");
  return (
    6 +
    varintSize(zigzag(run.deliveredAt - run.slot)) +
    varintSize(Math.max(0, run.finishedAt - run.deliveredAt)) +
    varintSize(run.attempt) +
    1 +
    varintSize(worker) +
    worker +
    varintSize(error) +
    error
  );
}

/**
 * Writes `run`'s entry into `out` at `at` (runEntrySize bytes); returns where it ends. Redis
 * packs entries straight into a commit's argument with it: one allocation a batch, not three a
 * run (the hot path of a task with history).
 */
export function writeRunEntry(out: Buffer, at: number, run: RunRecord): number {
  const worker = cutUtf8(run.worker, MAX_RUN_WORKER_BYTES);
  const error = run.error === "" ? "" : cutUtf8(run.error, MAX_RUN_ERROR_BYTES);
  out.writeIntLE(run.slot, at, 6);
  let pos = writeVarint(out, at + 6, zigzag(run.deliveredAt - run.slot));
  pos = writeVarint(out, pos, Math.max(0, run.finishedAt - run.deliveredAt));
  pos = writeVarint(out, pos, run.attempt);
  out[pos++] = outcomeCode(run.outcome) | (REASONS.indexOf(run.reason) << 2);
  pos = writeText(out, pos, worker);
  return writeText(out, pos, error);
}

/** A varint byte length and the UTF-8 of `text` at `pos`; returns the end. */
function writeText(out: Buffer, pos: number, text: string): number {
  const length = Buffer.byteLength(text, "utf8");
  const at = writeVarint(out, pos, length);
  return length === 0 ? at : at + out.write(text, at, "utf8");
}

/**
 * The history after one more run: counters bumped, the entry first, at most `limit` entries
 * kept (0 keeps none, only the counters). What lua/common.lua's record_run does on Redis.
 */
export function appendRun(stored: Uint8Array | undefined, run: RunRecord, limit: number): Buffer {
  const head = stored !== undefined && stored.length >= RUNS_HEAD_BYTES ? Buffer.from(stored) : undefined;
  const runs = (head?.readUInt32LE(0) ?? 0) + 1;
  const failures = (head?.readUInt32LE(4) ?? 0) + (run.outcome === "failure" ? 1 : 0);
  const entry = encodeRunEntry(run);
  const older = head === undefined ? Buffer.alloc(0) : head.subarray(RUNS_HEAD_BYTES);
  const kept = limit === 0 ? Buffer.alloc(0) : firstEntries(Buffer.concat([prefixed(entry), older]), limit);
  const out = Buffer.allocUnsafe(RUNS_HEAD_BYTES + kept.length);
  out.writeUInt32LE(runs % 2 ** 32, 0);
  out.writeUInt32LE(failures % 2 ** 32, 4);
  out[8] = outcomeCode(run.outcome);
  kept.copy(out, RUNS_HEAD_BYTES);
  return out;
}

/** A stored history value decoded; INTERNAL when it is not one this build wrote. */
export function decodeRuns(where: string, bytes: Uint8Array): RunHistory {
  try {
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (buffer.length < RUNS_HEAD_BYTES) throw new RangeError("shorter than its head");
    const recent: RunRecord[] = [];
    let at = RUNS_HEAD_BYTES;
    while (at < buffer.length) {
      const length = buffer.readUInt16LE(at);
      recent.push(decodeEntry(buffer.subarray(at + 2, at + 2 + length)));
      at += 2 + length;
    }
    return {
      runs: buffer.readUInt32LE(0),
      failures: buffer.readUInt32LE(4),
      lastOutcome: OUTCOMES[buffer[8] ?? 0],
      recent,
    };
  } catch (thrown) {
    throw new PartituraError(ErrorCode.Internal, `the run history of ${where} is unreadable`, {
      cause: thrown,
    });
  }
}

function decodeEntry(entry: Buffer): RunRecord {
  const slot = entry.readIntLE(0, 6);
  const reader = new Reader(entry, 6);
  const deliveredAt = slot + unzigzag(reader.varint());
  const finishedAt = deliveredAt + reader.varint();
  const attempt = reader.varint();
  const kinds = reader.byte();
  const outcome = OUTCOMES[kinds & 3];
  const reason = REASONS[kinds >> 2];
  if (outcome === undefined || reason === undefined) throw new RangeError(`bad outcome byte ${kinds}`);
  const worker = reader.text(reader.varint());
  const error = reader.text(reader.varint());
  return { slot, deliveredAt, finishedAt, attempt, worker, outcome, reason, error };
}

function prefixed(entry: Buffer): Buffer {
  const out = Buffer.allocUnsafe(2 + entry.length);
  out.writeUInt16LE(entry.length, 0);
  entry.copy(out, 2);
  return out;
}

/** The first `limit` length-prefixed entries of `entries`. */
function firstEntries(entries: Buffer, limit: number): Buffer {
  let at = 0;
  for (let n = 0; n < limit && at < entries.length; n++) at += 2 + entries.readUInt16LE(at);
  return entries.subarray(0, at);
}
