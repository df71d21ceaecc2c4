/**
 * Maps `items` through `fn` with at most `limit` calls in flight, answering in input order.
 * DynamoDB has no multi-item conditional write short of transactions (which cost double and
 * fail whole), so batches become parallel single-item writes; the bound keeps one big batch
 * from opening hundreds of sockets or tripping the throttle on a hot partition key. The first
 * failure rejects the whole call, after the calls already started have settled.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  async function lane(): Promise<void> {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failure !== undefined) throw failure.error;
  return results;
}

/**
 * mapLimit for lease batches (store.ts, "a batch that fails half way"): an item whose write
 * still failed after the SDK's retries answers `unknown` (the write may or may not have been
 * applied), and every item is tried. Throws the first failure only when every item failed,
 * when nothing is known about any of them.
 */
export async function mapSettled<T, R>(
  items: readonly T[],
  limit: number,
  unknown: R,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  let failed = 0;
  let first: { error: unknown } | undefined;
  const results = await mapLimit(items, limit, (item, index) =>
    fn(item, index).catch((error: unknown) => {
      failed++;
      first ??= { error };
      return unknown;
    }),
  );
  if (first !== undefined && failed === items.length) throw first.error;
  return results;
}
