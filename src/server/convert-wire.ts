import type { DescField } from "@bufbuild/protobuf";
import { ScalarType } from "@bufbuild/protobuf";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";

/*
 * The one wire module of the hand-written codecs of the hot paths (Execute, Ack, Schedule):
 * tags computed from the generated descriptors, one varint reader and writer, one string, one
 * timestamp/duration writer. Readers never throw: they answer UNUSUAL, and the caller hands
 * the whole message to protobuf-es, which then decodes it (or refuses it) exactly as it always
 * would. Writers size first and write into one buffer (protobuf-es's BinaryWriter forks a
 * chunk list per length-delimited field, which is what the hand codecs exist to avoid).
 *
 * Every field these codecs touch has a number below 16, so its tag is one byte: tagByte()
 * computes it once at module load and refuses (at load, so in every test) a field whose tag
 * is not. Readers compare one byte with it (a longer, non-canonical tag matches nothing and
 * sends the message to protobuf-es); writers store it as one byte.
 */

/** The fast reader met something it does not handle: let protobuf-es read the message. */
export const UNUSUAL = Symbol("unusual");
/** The type of UNUSUAL. */
export type Unusual = typeof UNUSUAL;

/** Protobuf wire types. */
export const WireType = { varint: 0, i64: 1, len: 2, i32: 5 } as const;

/** The wire type a field of this descriptor is written with (lists of scalars packed). */
export function wireTypeOf(field: DescField): number {
  switch (field.fieldKind) {
    case "message":
    case "map":
    case "list":
      return WireType.len;
    case "enum":
      return WireType.varint;
    case "scalar":
      switch (field.scalar) {
        case ScalarType.STRING:
        case ScalarType.BYTES:
          return WireType.len;
        case ScalarType.DOUBLE:
        case ScalarType.FIXED64:
        case ScalarType.SFIXED64:
          return WireType.i64;
        case ScalarType.FLOAT:
        case ScalarType.FIXED32:
        case ScalarType.SFIXED32:
          return WireType.i32;
        default:
          return WireType.varint;
      }
  }
}

/** The tag (field number and wire type) of a field, from its generated descriptor. */
export function tagOf(field: DescField): number {
  return field.number * 8 + wireTypeOf(field);
}

/** The tag of a field as the one byte the hand codecs read and write; throws if it is longer. */
export function tagByte(field: DescField): number {
  const tag = tagOf(field);
  if (tag >= 0x80) {
    throw new Error(
      `${field.toString()} has number ${field.number}: the hand codecs need one-byte tags (< 16)`,
    );
  }
  return tag;
}

/** A cursor over one encoded message. */
export class WireReader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  /** A varint below 2^53 (negative int32 and int64 values are UNUSUAL), or UNUSUAL. */
  varint(end: number): number | Unusual {
    const buf = this.buf;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (this.pos >= end) return UNUSUAL;
      const byte = buf[this.pos++] as number;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    return UNUSUAL;
  }

  /** The end of a length-delimited field whose length starts here, or UNUSUAL. */
  delimited(end: number): number | Unusual {
    const first = this.buf[this.pos];
    // Most lengths are one byte.
    if (first !== undefined && first < 0x80 && this.pos < end) {
      const stop = this.pos + 1 + first;
      if (stop > end) return UNUSUAL;
      this.pos++;
      return stop;
    }
    const length = this.varint(end);
    if (length === UNUSUAL || this.pos + length > end) return UNUSUAL;
    return this.pos + length;
  }

  /** A length-delimited string, strict UTF-8 as protobuf-es reads proto3 strings. */
  string(end: number): string | Unusual {
    const stringEnd = this.delimited(end);
    if (stringEnd === UNUSUAL) return UNUSUAL;
    const text = utf8(this.buf, this.pos, stringEnd);
    this.pos = stringEnd;
    return text;
  }

  /** A Duration's or Timestamp's fields (non-negative only on this path), or UNUSUAL. */
  secondsNanos(end: number): { seconds: bigint; nanos: number } | Unusual {
    let seconds = 0;
    let nanos = 0;
    while (this.pos < end) {
      const tag = this.buf[this.pos++];
      const value = this.varint(end);
      if (value === UNUSUAL) return UNUSUAL;
      if (tag === TAG_SECONDS) seconds = value;
      else if (tag === TAG_NANOS && value <= 0x7fffffff) nanos = value;
      else return UNUSUAL;
    }
    return { seconds: BigInt(seconds), nanos };
  }
}

/*
 * google.protobuf.Timestamp and Duration share their layout, so one pair of tags serves both
 * (test/server-codec-completeness.test.ts checks Duration's against these).
 */
/** Tag of Timestamp.seconds and Duration.seconds. */
export const TAG_SECONDS = tagByte(TimestampSchema.field.seconds);
/** Tag of Timestamp.nanos and Duration.nanos. */
export const TAG_NANOS = tagByte(TimestampSchema.field.nanos);

const strictDecoder = new TextDecoder("utf-8", { fatal: true });

/** Strict UTF-8 of buf[start, end); ASCII (names, lease ids) without a decoder. */
export function utf8(buf: Buffer, start: number, end: number): string | Unusual {
  for (let i = start; i < end; i++) {
    if ((buf[i] as number) >= 0x80) {
      // protobuf-es throws on invalid UTF-8: let it, with its own message.
      try {
        return strictDecoder.decode(buf.subarray(start, end));
      } catch {
        return UNUSUAL;
      }
    }
  }
  return buf.toString("latin1", start, end);
}

/** Bytes of a varint; negative values are int64 two's complement, 10 bytes. */
export function varintSize(value: number): number {
  if (value < 0x80) return value < 0 ? 10 : 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  let size = 4;
  for (value = Math.floor(value / 0x10000000); value > 0; value = Math.floor(value / 128)) size++;
  return size;
}

/** Writes a varint at `pos` (negative: int64 two's complement); returns the position after. */
export function writeVarint(out: Uint8Array, pos: number, value: number): number {
  if (value < 0) return writeNegativeVarint(out, pos, value);
  while (value > 0x7f) {
    out[pos++] = (value & 0x7f) | 0x80;
    value = value < 0x100000000 ? value >>> 7 : Math.floor(value / 128);
  }
  out[pos] = value;
  return pos + 1;
}

/** Negative numbers (timestamps before 1970, negative durations): 10 bytes, off the hot path. */
function writeNegativeVarint(out: Uint8Array, pos: number, value: number): number {
  let big = BigInt.asUintN(64, BigInt(value));
  while (big >= 128n) {
    out[pos++] = Number(big & 0x7fn) | 0x80;
    big >>= 7n;
  }
  out[pos++] = Number(big);
  return pos;
}

/** Bytes of a length-delimited field (one-byte tag) of `length` bytes. */
export function delimitedSize(length: number): number {
  return 1 + varintSize(length) + length;
}

/** Writes a one-byte tag and a length; returns the position of the content. */
export function writeHeader(out: Uint8Array, pos: number, tag: number, length: number): number {
  out[pos] = tag;
  if (length < 0x80) {
    out[pos + 1] = length;
    return pos + 2;
  }
  return writeVarint(out, pos + 1, length);
}

/** UTF-8 bytes of a string (native: cheaper than a JavaScript loop past a few characters). */
export function utf8Length(value: string): number {
  return value.length === 0 ? 0 : Buffer.byteLength(value, "utf8");
}

/** Bytes of a proto3 string field whose UTF-8 takes `length` bytes; empty is not written. */
export function stringSize(length: number): number {
  return length === 0 ? 0 : 1 + varintSize(length) + length;
}

/** ASCII strings this short are copied in JavaScript: cheaper than a native call. */
const SHORT_STRING = 16;

/** Writes a proto3 string field whose UTF-8 takes `length` bytes (nothing when empty). */
export function writeString(out: Buffer, pos: number, tag: number, value: string, length: number): number {
  if (length === 0) return pos;
  pos = writeHeader(out, pos, tag, length);
  // Byte length equal to UTF-16 length means every character is ASCII.
  if (length <= SHORT_STRING && length === value.length) {
    for (let i = 0; i < length; i++) out[pos + i] = value.charCodeAt(i);
    return pos + length;
  }
  return pos + out.write(value, pos, length, "utf8");
}

/** Bytes of a proto3 varint field (uint32, enum); 0 is not written. */
export function uintSize(value: number): number {
  return value === 0 ? 0 : 1 + varintSize(value);
}

/** Writes a proto3 varint field (nothing when 0). */
export function writeUint(out: Uint8Array, pos: number, tag: number, value: number): number {
  if (value === 0) return pos;
  out[pos] = tag;
  return writeVarint(out, pos + 1, value);
}

/** Bytes of a field holding already encoded message bytes; nothing when they are empty. */
export function bytesFieldSize(length: number): number {
  return length === 0 ? 0 : 1 + varintSize(length) + length;
}

/*
 * Timestamps and Durations as protobuf-es's timestampFromMs / durationFromMs split them: a
 * Timestamp's nanos are never negative, a Duration's carry the sign of its seconds. Their body
 * is at most 1 + 10 + 1 + 10 bytes, so its length is one byte: the writers reserve it, write
 * the parts and fill it in, without sizing the body first. Sized and written without a
 * {seconds, nanos} object: this runs twice per delivery.
 */

function partsSize(seconds: number, nanos: number): number {
  return (seconds !== 0 ? 1 + varintSize(seconds) : 0) + (nanos !== 0 ? 1 + varintSize(nanos) : 0);
}

function writeParts(out: Uint8Array, pos: number, tag: number, seconds: number, nanos: number): number {
  out[pos] = tag;
  const body = pos + 2;
  pos = body;
  if (seconds !== 0) {
    out[pos] = TAG_SECONDS;
    pos = writeVarint(out, pos + 1, seconds);
  }
  if (nanos !== 0) {
    out[pos] = TAG_NANOS;
    pos = writeVarint(out, pos + 1, nanos);
  }
  out[body - 1] = pos - body;
  return pos;
}

/** Bytes of a Timestamp field of epoch ms `ms`, tag included (always written). */
export function timestampFieldSize(ms: number): number {
  const seconds = Math.floor(ms / 1000);
  return 2 + partsSize(seconds, (ms - seconds * 1000) * 1_000_000);
}

/** Writes a Timestamp field of epoch ms `ms`. */
export function writeTimestamp(out: Uint8Array, pos: number, tag: number, ms: number): number {
  const seconds = Math.floor(ms / 1000);
  return writeParts(out, pos, tag, seconds, (ms - seconds * 1000) * 1_000_000);
}

function durationSeconds(ms: number): number {
  const seconds = Math.floor(Math.abs(ms) / 1000);
  return ms < 0 ? -seconds : seconds;
}

function durationNanos(ms: number): number {
  const abs = Math.abs(ms);
  const nanos = (abs - Math.floor(abs / 1000) * 1000) * 1_000_000;
  return nanos === 0 ? 0 : ms < 0 ? -nanos : nanos;
}

/** Bytes of a Duration field of `ms`, tag included (always written). */
export function durationFieldSize(ms: number): number {
  return 2 + partsSize(durationSeconds(ms), durationNanos(ms));
}

/** Writes a Duration field of `ms`. */
export function writeDuration(out: Uint8Array, pos: number, tag: number, ms: number): number {
  return writeParts(out, pos, tag, durationSeconds(ms), durationNanos(ms));
}
