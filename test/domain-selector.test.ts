import { createHash } from "node:crypto";
import test from "ava";
import { exactPartition, selectPartition } from "../src/domain/selector.ts";

// Reference values computed by Pyncette's selector: int(sha1(key).hexdigest(), 16) * n // 2**160.
test("selectPartition equals Pyncette's selector", (t) => {
  t.is(selectPartition("a", 32), 16);
  t.is(selectPartition("hello", 32), 21);
  t.is(selectPartition("user_1", 32), 22);
  t.is(selectPartition("Lorem ipsum dolor sit amet", 1_000_000_000_000), 222_413_034_928);
});

test("one partition is always partition 0, and every result is in range", (t) => {
  t.is(selectPartition("anything", 1), 0);
  for (let i = 0; i < 200; i++) {
    const p = selectPartition(`key-${i}`, 7);
    t.true(Number.isInteger(p) && p >= 0 && p < 7);
  }
});

test("multi-byte keys hash their UTF-8 bytes", (t) => {
  // Stable across runs and distinct from the Latin-1 reading of the same code units.
  t.is(selectPartition("größe", 65_536), selectPartition("größe", 65_536));
  t.not(selectPartition("größe", 1 << 16), selectPartition("gr\u00c3\u00b6\u00c3\u009fe", 1 << 16));
});

test("the BigInt-free path equals exact integer arithmetic for every count it serves", (t) => {
  const counts = [2, 3, 7, 10, 32, 1000, 4096, 65_536, 999_983, 1 << 20, (1 << 20) + 1, 1e12];
  let checked = 0;
  for (let i = 0; i < 5000; i++) {
    const key = `instance-${i}-${(i * 2654435761) % 1000003}`;
    const digest = createHash("sha1").update(key, "utf8").digest();
    for (const count of counts) {
      if (selectPartition(key, count) !== exactPartition(digest, count)) {
        t.fail(`"${key}" with ${count} partitions`);
        return;
      }
      checked++;
    }
  }
  t.is(checked, 5000 * counts.length);
});
