import { CONSOLE_FIGURES_TTL_MS } from "../domain/limits.ts";

/*
 * One computation shared by every viewer: the overview page and every live stream read the
 * same figures, recomputed at most once a CONSOLE_FIGURES_TTL_MS, and concurrent readers of a
 * stale value wait for the one read in flight instead of starting their own.
 */

/** A value read at most once per TTL. */
export class SharedRead<T> {
  #value: { at: number; value: T } | undefined;
  #inFlight: Promise<T> | undefined;

  constructor(
    private readonly read: () => Promise<T>,
    private readonly now: () => number,
    private readonly ttlMs: number = CONSOLE_FIGURES_TTL_MS,
  ) {}

  /** The cached value, or a fresh one when it is older than the TTL. */
  get(): Promise<T> {
    const cached = this.#value;
    if (cached !== undefined && this.now() - cached.at < this.ttlMs) return Promise.resolve(cached.value);
    this.#inFlight ??= this.read().then(
      (value) => {
        this.#value = { at: this.now(), value };
        this.#inFlight = undefined;
        return value;
      },
      (thrown: unknown) => {
        this.#inFlight = undefined;
        throw thrown;
      },
    );
    return this.#inFlight;
  }
}
