import type { Delivery } from "../engine/delivery.ts";
import { varintSize, writeVarint } from "./convert-wire.ts";

/*
 * ExecuteResponse written by hand: the hot path of every delivery. protobuf-es would need a
 * message object per execution (and args decoded to JSON and re-encoded); here the stored
 * Struct bytes are copied as they are. Defaults then instance args, concatenated, is itself the
 * encoding of the merged Struct (a repeated map key keeps its last value).
 */

function timestampSize(ms: number): number {
  const seconds = Math.floor(ms / 1000);
  const nanos = (ms - seconds * 1000) * 1_000_000;
  return (seconds > 0 ? 1 + varintSize(seconds) : 0) + (nanos > 0 ? 1 + varintSize(nanos) : 0);
}

function writeTimestamp(out: Buffer, pos: number, field: number, ms: number): number {
  const seconds = Math.floor(ms / 1000);
  const nanos = Math.round((ms - seconds * 1000) * 1_000_000);
  out[pos++] = (field << 3) | 2;
  pos = writeVarint(out, pos, timestampSize(ms));
  if (seconds > 0) {
    out[pos++] = 0x08;
    pos = writeVarint(out, pos, seconds);
  }
  if (nanos > 0) {
    out[pos++] = 0x10;
    pos = writeVarint(out, pos, nanos);
  }
  return pos;
}

/** The encoded ExecuteResponse of a batch of deliveries. */
export function encodeExecuteResponse(batch: readonly Delivery[]): Buffer {
  const sizes = new Array<number>(batch.length);
  let total = 0;
  for (let i = 0; i < batch.length; i++) {
    const d = batch[i] as Delivery;
    const lease = Buffer.byteLength(d.leaseId);
    const task = Buffer.byteLength(d.task);
    const instance = Buffer.byteLength(d.instance);
    const args = d.defaultArgs.length + d.args.length;
    const ts1 = timestampSize(d.scheduledAt);
    const ts2 = timestampSize(d.leaseExpiresAt);
    const size =
      1 +
      varintSize(lease) +
      lease +
      1 +
      varintSize(task) +
      task +
      1 +
      varintSize(instance) +
      instance +
      (d.partition > 0 ? 1 + varintSize(d.partition) : 0) +
      1 +
      varintSize(ts1) +
      ts1 +
      1 +
      varintSize(ts2) +
      ts2 +
      (args > 0 ? 1 + varintSize(args) + args : 0) +
      (d.attempt > 0 ? 1 + varintSize(d.attempt) : 0);
    sizes[i] = size;
    total += 1 + varintSize(size) + size;
  }
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  for (let i = 0; i < batch.length; i++) {
    const d = batch[i] as Delivery;
    out[pos++] = 0x0a;
    pos = writeVarint(out, pos, sizes[i] as number);
    pos = writeString(out, pos, 1, d.leaseId);
    pos = writeString(out, pos, 2, d.task);
    pos = writeString(out, pos, 3, d.instance);
    if (d.partition > 0) {
      out[pos++] = 0x20;
      pos = writeVarint(out, pos, d.partition);
    }
    pos = writeTimestamp(out, pos, 5, d.scheduledAt);
    pos = writeTimestamp(out, pos, 6, d.leaseExpiresAt);
    const args = d.defaultArgs.length + d.args.length;
    if (args > 0) {
      out[pos++] = 0x3a;
      pos = writeVarint(out, pos, args);
      out.set(d.defaultArgs, pos);
      pos += d.defaultArgs.length;
      out.set(d.args, pos);
      pos += d.args.length;
    }
    if (d.attempt > 0) {
      out[pos++] = 0x40;
      pos = writeVarint(out, pos, d.attempt);
    }
  }
  return out;
}

function writeString(out: Buffer, pos: number, field: number, value: string): number {
  out[pos++] = (field << 3) | 2;
  const length = Buffer.byteLength(value);
  pos = writeVarint(out, pos, length);
  return pos + out.write(value, pos, "utf8");
}
