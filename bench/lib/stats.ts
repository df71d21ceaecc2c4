/*
 * Lag samples are kept raw (not bucketed) so p99 and max are exact: a run at 100,000
 * executions/s over 20 s is 2,000,000 doubles, 16 MB, which the bench process can afford, and
 * a growable Float64Array costs no allocation per sample.
 */

/** Collects lag samples (ms) and answers percentiles. */
export class Samples {
  #values = new Float64Array(1 << 16);
  #count = 0;

  /** Adds one sample. */
  add(value: number): void {
    if (this.#count === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#count++] = value;
  }

  /** Adds every sample of `other` (lags of several workers summarised as one). */
  addAll(other: Samples): void {
    for (let i = 0; i < other.#count; i++) this.add(other.#values[i] ?? 0);
  }

  /** How many samples were added. */
  get count(): number {
    return this.#count;
  }

  /** p50, p99 and max (ms, rounded to 0.1), or undefined when there is no sample. */
  summary(): LagSummary | undefined {
    if (this.#count === 0) return undefined;
    const sorted = this.#values.slice(0, this.#count).sort();
    return {
      p50: round1(at(sorted, 0.5)),
      p99: round1(at(sorted, 0.99)),
      max: round1(sorted[sorted.length - 1] ?? 0),
      samples: this.#count,
    };
  }
}

/** Lag percentiles of one run, in milliseconds. */
export interface LagSummary {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly samples: number;
}

/** The nearest-rank percentile `q` (0..1) of sorted values. */
function at(sorted: Float64Array, q: number): number {
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? 0;
}

/** Rounds to one decimal. */
export function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

/** Rounds a rate to whole units (and keeps small rates readable). */
export function roundRate(value: number): number {
  return value >= 100 ? Math.round(value) : round1(value);
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
