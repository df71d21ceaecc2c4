/*
 * Protobuf wire pieces for the hand-written codecs of the hot paths (Ack, Schedule). Readers
 * never throw: they answer UNUSUAL, and the caller hands the whole message to protobuf-es,
 * which then decodes it (or refuses it) exactly as it always would. Writers size first and
 * write into one buffer.
 */

/** The fast reader met something it does not handle: let protobuf-es read the message. */
export const UNUSUAL = Symbol("unusual");
/** The type of UNUSUAL. */
export type Unusual = typeof UNUSUAL;

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
}

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
  if (value < 0) return 10;
  let size = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

/** Writes a varint at `pos` (negative: int64 two's complement); returns the position after. */
export function writeVarint(out: Uint8Array, pos: number, value: number): number {
  if (value < 0) {
    let big = BigInt.asUintN(64, BigInt(value));
    while (big >= 128n) {
      out[pos++] = Number(big & 0x7fn) | 0x80;
      big >>= 7n;
    }
    out[pos++] = Number(big);
    return pos;
  }
  while (value >= 128) {
    out[pos++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 128);
  }
  out[pos++] = value;
  return pos;
}

/** Bytes of a length-delimited field of `length` bytes, tag included (field numbers < 16). */
export function delimitedSize(length: number): number {
  return 1 + varintSize(length) + length;
}

/** Writes a tag and a length; returns the position of the content. */
export function writeHeader(out: Buffer, pos: number, field: number, length: number): number {
  out[pos++] = (field << 3) | 2;
  return writeVarint(out, pos, length);
}

/** A Duration's or Timestamp's fields (non-negative only on this path). */
export function readSecondsNanos(r: WireReader, end: number): { seconds: bigint; nanos: number } | Unusual {
  let seconds = 0;
  let nanos = 0;
  while (r.pos < end) {
    const tag = r.buf[r.pos++];
    const value = r.varint(end);
    if (value === UNUSUAL) return UNUSUAL;
    if (tag === 0x08) seconds = value;
    else if (tag === 0x10 && value <= 0x7fffffff) nanos = value;
    else return UNUSUAL;
  }
  return { seconds: BigInt(seconds), nanos };
}
