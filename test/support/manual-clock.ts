import type { Clock } from "../../src/domain/clock.ts";

/**
 * A clock tests step by hand. `advance` and `set` notify subscribers, so the engine's sleeping
 * pollers and lease sweeps react at once: a test moves time forward instead of sleeping.
 */
export class ManualClock implements Clock {
  private current: number;
  private readonly listeners = new Set<() => void>();

  /** Starts at `start` epoch ms (a fixed reference instant keeps tests reproducible). */
  constructor(start = Date.UTC(2030, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Moves time forward by `ms` and tells every subscriber. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new Error(`advance: ms must be a non-negative number, got ${ms}`);
    this.set(this.current + ms);
  }

  /** Jumps to `epochMs` (never backwards) and tells every subscriber. */
  set(epochMs: number): void {
    if (epochMs < this.current) throw new Error("set: a clock never goes backwards");
    this.current = epochMs;
    for (const listener of [...this.listeners]) listener();
  }
}
