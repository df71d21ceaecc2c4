import { hash } from "node:crypto";

const TWO_POW_160 = 1n << 160n;
const TWO_POW_32 = 2 ** 32;
/** Counts up to this keep `top32 * count` below 2^53, exact in a double. */
const FAST_MAX_COUNT = 2 ** 20;

/**
 * The default partition selector, identical to Pyncette's
 * `int(sha1(key.encode()).hexdigest(), 16) * count // 2**160`, so a Pyncette user keeps
 * their partition numbers.
 *
 * It runs on every scheduled instance, so the common case avoids BigInt: with h the 160-bit
 * digest, top its first 32 bits and low the other 128, h * count / 2^160 equals
 * top * count / 2^32 plus a part below count / 2^32. The floor therefore equals
 * floor(top * count / 2^32) unless the remainder of that division is within `count` of 2^32,
 * where the low bits could carry; only then (and for very large counts) is the exact BigInt
 * product computed.
 */
export function selectPartition(key: string, partitionCount: number): number {
  if (partitionCount <= 1) return 0;
  // crypto.hash is the one-shot digest: half the cost of a createHash object per key.
  const digest = hash("sha1", key, "buffer");
  if (partitionCount <= FAST_MAX_COUNT) {
    const product = digest.readUInt32BE(0) * partitionCount;
    const quotient = Math.floor(product / TWO_POW_32);
    const remainder = product - quotient * TWO_POW_32;
    if (remainder < TWO_POW_32 - partitionCount) return quotient;
  }
  return exactPartition(digest, partitionCount);
}

/** The selector in exact integer arithmetic, for any count. */
export function exactPartition(digest: Buffer, partitionCount: number): number {
  return Number((BigInt(`0x${digest.toString("hex")}`) * BigInt(partitionCount)) / TWO_POW_160);
}
