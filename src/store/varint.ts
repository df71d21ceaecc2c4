/*
 * Unsigned LEB128 varints over JS numbers (exact up to 2^53), written with arithmetic rather
 * than bit operators, which would cut values to 32 bits.
 */

/** How many bytes `value` takes as a varint. */
export function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    size++;
  }
  return size;
}

/** Writes `value` at `offset`; returns the offset after it. */
export function writeVarint(buffer: Uint8Array, offset: number, value: number): number {
  while (value >= 0x80) {
    buffer[offset++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  buffer[offset++] = value;
  return offset;
}

/** A cursor over a byte buffer, for decoding. */
export class Reader {
  constructor(
    readonly bytes: Buffer,
    public offset: number,
  ) {}

  /** Reads one varint; throws RangeError past the end. */
  varint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = this.bytes[this.offset++];
      if (byte === undefined) throw new RangeError("varint runs past the end of the record");
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
    }
  }

  /** Reads one byte; throws RangeError past the end. */
  byte(): number {
    const byte = this.bytes[this.offset++];
    if (byte === undefined) throw new RangeError("byte past the end of the record");
    return byte;
  }

  /** The next `length` bytes, decoded as UTF-8. */
  text(length: number): string {
    const end = this.offset + length;
    if (end > this.bytes.length) throw new RangeError("field runs past the end of the record");
    const text = length === 0 ? "" : this.bytes.toString("utf8", this.offset, end);
    this.offset = end;
    return text;
  }
}

/** Zig-zag maps signed to unsigned (0, -1, 1, -2 -> 0, 1, 2, 3) so small negatives stay small. */
export function zigzag(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

/** Inverse of zigzag. */
export function unzigzag(value: number): number {
  return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
}
