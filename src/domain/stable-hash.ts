/*
 * A small, fast, deterministic string hash for ownership (not for partition selection: that
 * is Pyncette's SHA-1 selector in selector.ts). Every replica must compute the same value for
 * the same input on any platform, so it uses only 32-bit integer steps (Math.imul, shifts)
 * whose results JavaScript defines exactly. Two independent 32-bit lanes are folded into 53
 * bits so scores are exact doubles and ties are rare.
 */

const TWO_POW_32 = 2 ** 32;

/** Avalanche step: every input bit flips about half of the output bits. */
function avalanche(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 53-bit hash of `text` (an integer in [0, 2^53)), the same on every replica. */
export function stableHash(text: string): number {
  let a = 0x9e3779b1 ^ text.length;
  let b = 0x7f4a7c15;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return fold(a, b);
}

/** Mixes two 53-bit hashes into a third (a rendezvous score of a member and a key). */
export function combineHashes(x: number, y: number): number {
  const xl = x % TWO_POW_32;
  const xh = (x - xl) / TWO_POW_32;
  const yl = y % TWO_POW_32;
  const yh = (y - yl) / TWO_POW_32;
  return fold(Math.imul(xl ^ 0x27d4eb2f, 0x165667b1) ^ yl, Math.imul(xh ^ 0x61c88647, 0x2545f491) ^ yh);
}

function fold(a: number, b: number): number {
  const low = avalanche(a ^ Math.imul(b >>> 15, 0x2c1b3c6d));
  const high = avalanche(b ^ Math.imul(low >>> 13, 0x297a2d39));
  return (high >>> 11) * TWO_POW_32 + low;
}

/** The hash of one (task, partition) pair; the NUL keeps `a`,`12` apart from `a1`,`2`. */
export function partitionHash(task: string, partition: number): number {
  return stableHash(`${task}\u0000${partition}`);
}

/**
 * Static-by-ordinal ownership: replica `ordinal` of `replicas` owns the (task, partition)
 * pairs whose stable hash mod `replicas` is `ordinal`, so one-partition tasks spread too.
 */
export function staticOrdinalOwns(
  task: string,
  partition: number,
  replicas: number,
  ordinal: number,
): boolean {
  return partitionHash(task, partition) % replicas === ordinal;
}
