import { ErrorCode, PartituraError } from "../../domain/errors.ts";
import type {
  InstanceDraft,
  InstanceRecord,
  ManualKind,
  ManualRun,
  ManualState,
  PauseState,
  ScheduleSpec,
} from "../../domain/model.ts";
import { cutUtf8 } from "../../domain/utf8-cut.ts";
import { Reader, unzigzag, varintSize, writeVarint, zigzag } from "../varint.ts";

/*
 * The binary instance record, the value of one field of a partition's `inst` hash. The fields
 * the Lua scripts read and rewrite come first at fixed offsets, in the layout
 * `struct.pack('<Bi6i6I4I2I6i6B', ...)` of lua/common.lua, then the lease owner, then the spec
 * the scripts never look into ("tail", written only by TypeScript):
 *
 *   offset  size  field
 *   0       1     format (RECORD_FORMAT)
 *   1       6     nextRunAt    signed little-endian ms
 *   7       6     lockedUntil  signed little-endian ms
 *   13      4     version      unsigned
 *   17      2     attempt      unsigned, saturating at 65535
 *   19      6     incarnation  unsigned, below 2^48
 *   25      6     createdAt    signed little-endian ms
 *   31      1     owner length L (bytes of UTF-8, at most 255)
 *   32      L     lease owner
 *   pause:        only when format is RECORD_FORMAT_PAUSED or RECORD_FORMAT_DEAD_LETTERED (issue 14), in the layout
 *                 `struct.pack('<i6I2', ...)` of common.lua's PAUSE: 6 pausedAt (signed ms),
 *                 2 note length N, then N bytes of note (UTF-8)
 *   manual:       only when the format byte has MANUAL_FLAG (issue 14: a trigger or backfill), in
 *                 the layout `struct.pack('<BBi6i6i6B', ...)` of common.lua's MANUAL: 1 state
 *                 (1 waiting, 2 armed, 3 done), 1 kind (1 triggered, 2 backfill), 6 first,
 *                 6 end, 6 resume (signed ms), 1 id length I, then I bytes of request id
 *   tail:         varint partitionCount, u8 schedule kind, schedule payload,
 *                 varint partition key length, partition key, then args to the end
 *
 * Schedule payloads: interval = varint ms; at = zig-zag varint ms; cron = varint length +
 * expression, varint length + time zone. A schedule with jitter sets the kind byte's high bit
 * (JITTER_FLAG) and follows its payload with varint jitter ms; one without jitter is written
 * byte for byte as before the flag existed. A schedule with a start or an end bound sets
 * BOUNDS_FLAG and follows the jitter (if any) with two zig-zag varints, start ms then end ms,
 * 0 meaning that bound is unset (a bound is never the epoch: the domain drops a start there
 * and refuses such an end). An unbounded schedule is written byte for byte as before. An
 * interval instance with a few bytes of args and no partition key takes about 40 + args bytes.
 */

/** The format byte of active records this build writes and reads. */
export const RECORD_FORMAT = 1;
/**
 * The format byte of a paused record: a pause section follows the owner. Active records stay
 * in RECORD_FORMAT byte for byte, so pausing costs an active instance nothing.
 */
export const RECORD_FORMAT_PAUSED = 2;
/**
 * The format byte of a dead-lettered record (its retry policy parked it): the same pause
 * section as a paused one, read as PauseState with `deadLettered`.
 */
export const RECORD_FORMAT_DEAD_LETTERED = 3;

/**
 * Set in the format byte when a manual section follows the pause section (if any); the low
 * bits (FORMAT_MASK) keep saying active, paused or dead-lettered.
 */
export const MANUAL_FLAG = 0x10;
/** The format byte's bits that say active, paused or dead-lettered. */
export const FORMAT_MASK = 0x0f;

/**
 * The manual section's fixed part, relative to its start; the request id follows. lua/common.lua's
 * MANUAL packs the same (test/store-redis-layout.test.ts).
 */
export const MANUAL = {
  state: { offset: 0, size: 1, signed: false },
  kind: { offset: 1, size: 1, signed: false },
  first: { offset: 2, size: 6, signed: true },
  end: { offset: 8, size: 6, signed: true },
  resume: { offset: 14, size: 6, signed: true },
  idLength: { offset: 20, size: 1, signed: false },
} as const;

const MANUAL_STATES: readonly ManualState[] = ["waiting", "armed", "done"];
const MANUAL_KINDS: readonly ManualKind[] = ["triggered", "backfill"];

/**
 * The fixed header, field by field: byte offset, size and whether it is signed (all
 * little-endian). lua/common.lua packs the same fields with its struct format HEADER;
 * test/store-redis-layout.test.ts checks the two agree, so neither can drift alone.
 */
export const HEADER = {
  format: { offset: 0, size: 1, signed: false },
  nextRunAt: { offset: 1, size: 6, signed: true },
  lockedUntil: { offset: 7, size: 6, signed: true },
  version: { offset: 13, size: 4, signed: false },
  attempt: { offset: 17, size: 2, signed: false },
  incarnation: { offset: 19, size: 6, signed: false },
  createdAt: { offset: 25, size: 6, signed: true },
  ownerLength: { offset: 31, size: 1, signed: false },
} as const;

/**
 * The pause section's fixed part, relative to its start (right after the lease owner); the
 * note follows. lua/common.lua's PAUSE packs the same (test/store-redis-layout.test.ts).
 */
export const PAUSE = {
  at: { offset: 0, size: 6, signed: true },
  noteLength: { offset: 6, size: 2, signed: false },
} as const;

/** Where the lease owner's length byte sits. */
export const OWNER_OFFSET = HEADER.ownerLength.offset;
/** The longest lease owner kept (it is for logs; longer ones are cut). */
export const MAX_OWNER_BYTES = 255;

const KIND_INTERVAL = 1;
const KIND_AT = 2;
const KIND_CRON = 3;
/** Set in the kind byte when a varint jitter (ms) follows the schedule payload. */
const JITTER_FLAG = 0x80;
/** Set in the kind byte when zig-zag varints start ms and end ms (0: unset) follow the jitter. */
const BOUNDS_FLAG = 0x40;

/** What an upsert sends to the script for one draft: everything but the mutable header. */
export function encodeTail(draft: InstanceDraft, partitionCount: number): Buffer {
  const schedule = draft.schedule;
  const key = Buffer.from(draft.partitionKey, "utf8");
  let cron: Buffer | undefined;
  let zone: Buffer | undefined;
  let scheduleSize: number;
  switch (schedule.kind) {
    case "interval":
      scheduleSize = varintSize(schedule.intervalMs);
      break;
    case "at":
      scheduleSize = varintSize(zigzag(schedule.atMs));
      break;
    case "cron":
      cron = Buffer.from(schedule.cron, "utf8");
      zone = Buffer.from(schedule.timezone, "utf8");
      scheduleSize = varintSize(cron.length) + cron.length + varintSize(zone.length) + zone.length;
      break;
  }
  const jitter = schedule.jitterMs ?? 0;
  if (jitter > 0) scheduleSize += varintSize(jitter);
  const bounded = schedule.startAtMs !== undefined || schedule.endAtMs !== undefined;
  const start = zigzag(schedule.startAtMs ?? 0);
  const end = zigzag(schedule.endAtMs ?? 0);
  if (bounded) scheduleSize += varintSize(start) + varintSize(end);
  const size =
    varintSize(partitionCount) + 1 + scheduleSize + varintSize(key.length) + key.length + draft.args.length;
  const flag = (jitter > 0 ? JITTER_FLAG : 0) | (bounded ? BOUNDS_FLAG : 0);
  const out = Buffer.allocUnsafe(size);
  let at = writeVarint(out, 0, partitionCount);
  switch (schedule.kind) {
    case "interval":
      out[at++] = KIND_INTERVAL | flag;
      at = writeVarint(out, at, schedule.intervalMs);
      break;
    case "at":
      out[at++] = KIND_AT | flag;
      at = writeVarint(out, at, zigzag(schedule.atMs));
      break;
    case "cron":
      if (cron === undefined || zone === undefined)
        throw new Error("unreachable: cron bytes were encoded above");
      out[at++] = KIND_CRON | flag;
      at = writeVarint(out, at, cron.length);
      at += cron.copy(out, at);
      at = writeVarint(out, at, zone.length);
      at += zone.copy(out, at);
      break;
  }
  if (jitter > 0) at = writeVarint(out, at, jitter);
  if (bounded) {
    at = writeVarint(out, at, start);
    at = writeVarint(out, at, end);
  }
  at = writeVarint(out, at, key.length);
  at += key.copy(out, at);
  out.set(draft.args, at);
  return out;
}

/** The lease owner as the scripts store it: UTF-8, cut to MAX_OWNER_BYTES on a character boundary. */
export function encodeOwner(owner: string): Buffer {
  return Buffer.from(cutUtf8(owner, MAX_OWNER_BYTES), "utf8");
}

/**
 * Decodes one stored record of instance `name` in `task`/`partition`. A record this build
 * cannot read (a newer format, or damage) is INTERNAL: never a guess.
 */
export function decodeRecord(task: string, partition: number, name: string, bytes: Buffer): InstanceRecord {
  const flags = bytes[HEADER.format.offset] ?? 0;
  const format = flags & FORMAT_MASK;
  if (
    bytes.length < OWNER_OFFSET + 1 ||
    (flags & ~(FORMAT_MASK | MANUAL_FLAG)) !== 0 ||
    (format !== RECORD_FORMAT && format !== RECORD_FORMAT_PAUSED && format !== RECORD_FORMAT_DEAD_LETTERED)
  ) {
    throw unreadable(task, partition, name, `unknown format ${flags}`);
  }
  try {
    const ownerLength = bytes.readUIntLE(OWNER_OFFSET, HEADER.ownerLength.size);
    const ownerEnd = OWNER_OFFSET + 1 + ownerLength;
    const reader = new Reader(bytes, ownerEnd);
    const paused =
      format === RECORD_FORMAT ? undefined : readPause(bytes, reader, format === RECORD_FORMAT_DEAD_LETTERED);
    const manual = (flags & MANUAL_FLAG) === 0 ? undefined : readManual(bytes, reader);
    const partitionCount = reader.varint();
    const schedule = readSchedule(reader);
    const partitionKey = reader.text(reader.varint());
    return {
      task,
      name,
      partition,
      partitionKey,
      schedule,
      // A copy: the reply buffer may be a slice of a larger pool the driver reuses.
      args: new Uint8Array(bytes.subarray(reader.offset)),
      nextRunAt: bytes.readIntLE(HEADER.nextRunAt.offset, HEADER.nextRunAt.size),
      lockedUntil: bytes.readIntLE(HEADER.lockedUntil.offset, HEADER.lockedUntil.size),
      version: bytes.readUIntLE(HEADER.version.offset, HEADER.version.size),
      attempt: bytes.readUIntLE(HEADER.attempt.offset, HEADER.attempt.size),
      incarnation: bytes.readUIntLE(HEADER.incarnation.offset, HEADER.incarnation.size),
      createdAt: bytes.readIntLE(HEADER.createdAt.offset, HEADER.createdAt.size),
      partitionCount,
      leaseOwner: ownerLength === 0 ? "" : bytes.toString("utf8", OWNER_OFFSET + 1, ownerEnd),
      // Absent, not undefined, while active: records compare equal whatever store made them.
      ...(paused === undefined ? {} : { paused }),
      ...(manual === undefined ? {} : { manual }),
    };
  } catch (thrown) {
    if (thrown instanceof RangeError) throw unreadable(task, partition, name, thrown.message, thrown);
    throw thrown;
  }
}

/** The pause section at the reader's offset; leaves the reader after it. */
function readPause(bytes: Buffer, reader: Reader, deadLettered: boolean): PauseState {
  const start = reader.offset;
  const fixed = PAUSE.noteLength.offset + PAUSE.noteLength.size;
  if (start + fixed > bytes.length) throw new RangeError("pause section runs past the end of the record");
  const at = bytes.readIntLE(start + PAUSE.at.offset, PAUSE.at.size);
  const noteLength = bytes.readUIntLE(start + PAUSE.noteLength.offset, PAUSE.noteLength.size);
  reader.offset = start + fixed;
  const note = reader.text(noteLength);
  return deadLettered ? { at, note, deadLettered } : { at, note };
}

/** The manual section at the reader's offset; leaves the reader after it. */
function readManual(bytes: Buffer, reader: Reader): ManualRun {
  const start = reader.offset;
  const fixed = MANUAL.idLength.offset + MANUAL.idLength.size;
  if (start + fixed > bytes.length) throw new RangeError("manual section runs past the end of the record");
  const field = (name: keyof typeof MANUAL): number => {
    const { offset, size, signed } = MANUAL[name];
    return signed ? bytes.readIntLE(start + offset, size) : bytes.readUIntLE(start + offset, size);
  };
  const state = MANUAL_STATES[field("state") - 1];
  const kind = MANUAL_KINDS[field("kind") - 1];
  if (state === undefined || kind === undefined) throw new RangeError("unknown manual state or kind");
  reader.offset = start + fixed;
  const id = reader.text(field("idLength"));
  return { id, kind, state, first: field("first"), end: field("end"), resume: field("resume") };
}

function readSchedule(reader: Reader): ScheduleSpec {
  const byte = reader.byte();
  let spec = readPayload(reader, byte & ~(JITTER_FLAG | BOUNDS_FLAG));
  if ((byte & JITTER_FLAG) !== 0) spec = { ...spec, jitterMs: reader.varint() };
  if ((byte & BOUNDS_FLAG) !== 0) {
    // Keys only for the bounds that are set: absent, never undefined or 0, as the domain has them.
    const startAtMs = unzigzag(reader.varint());
    const endAtMs = unzigzag(reader.varint());
    if (startAtMs !== 0) spec = { ...spec, startAtMs };
    if (endAtMs !== 0) spec = { ...spec, endAtMs };
  }
  return spec;
}

function readPayload(reader: Reader, kind: number): ScheduleSpec {
  switch (kind) {
    case KIND_INTERVAL:
      return { kind: "interval", intervalMs: reader.varint() };
    case KIND_AT:
      return { kind: "at", atMs: unzigzag(reader.varint()) };
    case KIND_CRON: {
      const cron = reader.text(reader.varint());
      const timezone = reader.text(reader.varint());
      return { kind: "cron", cron, timezone };
    }
    default:
      throw new RangeError(`unknown schedule kind ${kind}`);
  }
}

function unreadable(
  task: string,
  partition: number,
  name: string,
  why: string,
  cause?: unknown,
): PartituraError {
  return new PartituraError(
    ErrorCode.Internal,
    `redis record of instance "${name}" (task "${task}", partition ${partition}) is unreadable: ${why}`,
    { cause },
  );
}
