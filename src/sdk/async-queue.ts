/**
 * A queue read by one `for await` loop: push() hands items to a waiting reader or keeps them,
 * close() ends the loop once the kept items are read (or at once, dropping them, with `drop`).
 */
export class AsyncQueue<T> {
  private readonly items: T[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | undefined;
  private closed = false;

  push(item: T): void {
    if (this.closed) return;
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting) waiting({ value: item, done: false });
    else this.items.push(item);
  }

  /** Ends the loop; returns the items nobody read when `drop` is set. */
  close(drop = false): T[] {
    this.closed = true;
    const dropped = drop ? this.items.splice(0) : [];
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.({ value: undefined, done: true });
    return dropped;
  }

  next(): Promise<IteratorResult<T>> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve({ value: item, done: false });
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }
}
