/** Where the engine reads time. Production uses the wall clock; tests step a manual one. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /**
   * Calls `listener` whenever time jumps (a manual clock was advanced or set), so sleepers
   * re-read `now()` at once instead of waiting for their timers. The wall clock never jumps and
   * omits it. Returns the unsubscribe function.
   */
  subscribe?(listener: () => void): () => void;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => Date.now() };
