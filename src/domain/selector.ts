import { createHash } from "node:crypto";

const TWO_POW_160 = 1n << 160n;

/**
 * The default partition selector, identical to Pyncette's
 * `int(sha1(key.encode()).hexdigest(), 16) * count // 2**160`, so a Pyncette user keeps
 * their partition numbers. BigInt keeps it exact for counts up to 10^12 and beyond.
 */
export function selectPartition(key: string, partitionCount: number): number {
  if (partitionCount <= 1) return 0;
  const digest = createHash("sha1").update(key, "utf8").digest("hex");
  return Number((BigInt(`0x${digest}`) * BigInt(partitionCount)) / TWO_POW_160);
}
