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
