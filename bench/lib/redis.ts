import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";

/*
 * The bench shares its Redis with whatever else runs on the machine, so every scenario works
 * in a namespace of its own, deletes it afterwards, and measures memory by the keys it made
 * (MEMORY USAGE) as well as by INFO's global delta, which others' writes can disturb.
 */

/** A fresh namespace for one scenario run: `bench-<scenario>-<random>`. */
export function freshNamespace(scenario: string): string {
  return `bench-${scenario}-${randomBytes(4).toString("hex")}`;
}

/** Opens a plain ioredis connection for the bench's own reads. */
export function connect(url: string): Redis {
  return new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 3 });
}

/** The Redis URL with `?ns=` set, for Partitura's Redis store. */
export function withNamespace(url: string, ns: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set("ns", ns);
  return parsed.toString();
}

/** Every key whose name contains `fragment` (SCAN, so Redis never blocks). */
export async function keysContaining(redis: Redis, fragment: string): Promise<string[]> {
  const keys: string[] = [];
  const pattern = `*${fragment.replace(/[*?[\]\\]/g, "\\$&")}*`;
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 5000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== "0");
  return keys;
}

/** Deletes every key whose name contains `fragment`; returns how many. */
export async function deleteContaining(redis: Redis, fragment: string): Promise<number> {
  const keys = await keysContaining(redis, fragment);
  for (let i = 0; i < keys.length; i += 500) await redis.unlink(...keys.slice(i, i + 500));
  return keys.length;
}

/** Sum of MEMORY USAGE (exact: SAMPLES 0) over the keys containing `fragment`. */
export async function memoryOfKeys(redis: Redis, fragment: string): Promise<{ bytes: number; keys: number }> {
  const keys = await keysContaining(redis, fragment);
  let bytes = 0;
  for (let i = 0; i < keys.length; i += 200) {
    const pipeline = redis.pipeline();
    for (const key of keys.slice(i, i + 200)) pipeline.memory("USAGE", key, "SAMPLES", 0);
    for (const [err, value] of (await pipeline.exec()) ?? []) {
      if (err) throw err;
      bytes += Number(value ?? 0);
    }
  }
  return { bytes, keys: keys.length };
}

/** One field of INFO `section` as a number. */
export async function infoNumber(redis: Redis, section: string, field: string): Promise<number> {
  const text = await redis.info(section);
  const match = new RegExp(`^${field}:([0-9.]+)`, "m").exec(text);
  if (!match?.[1]) throw new Error(`INFO ${section} has no ${field}`);
  return Number(match[1]);
}

/** INFO memory used_memory (bytes). */
export function usedMemory(redis: Redis): Promise<number> {
  return infoNumber(redis, "memory", "used_memory");
}

/** CPU seconds Redis has used so far (user + system, main thread and children). */
export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const text = await redis.info("cpu");
  let total = 0;
  for (const field of ["used_cpu_sys", "used_cpu_user"]) {
    const match = new RegExp(`^${field}:([0-9.]+)`, "m").exec(text);
    total += Number(match?.[1] ?? 0);
  }
  return total;
}

/** The server's version string. */
export async function redisVersion(redis: Redis): Promise<string> {
  const text = await redis.info("server");
  return /^redis_version:(\S+)/m.exec(text)?.[1] ?? "unknown";
}
