import type { Registry } from "prom-client";

/*
 * Execution rate and lag for the overview, read from the process's own Prometheus counters
 * (the ones every delivery already bumps), so the console adds nothing to the hot path: a
 * ticker samples the delivered counter and the lag histogram's sum and count, and the figures
 * are the differences between the last two samples.
 */

/** The latest figures. */
export interface Rates {
  /** Executions delivered per second over the last window. */
  readonly perSecond: number;
  /** Mean lag (scheduled slot to delivery) of the executions delivered in the window, ms. */
  readonly meanLagMs: number | undefined;
  /** Executions delivered since the process started. */
  readonly total: number;
}

interface Sample {
  readonly at: number;
  readonly delivered: number;
  readonly lagSum: number;
  readonly lagCount: number;
}

/** Owns the samples; `tick` adds one, `current` answers from the last two. */
export class RateSampler {
  #previous: Sample | undefined;
  #last: Sample | undefined;

  constructor(
    private readonly registry: Registry,
    private readonly now: () => number,
  ) {}

  /** Takes a sample of the counters. */
  async tick(): Promise<void> {
    const sample = await this.#read();
    this.#previous = this.#last;
    this.#last = sample;
  }

  /** The figures between the last two samples (zero before there are two). */
  current(): Rates {
    const last = this.#last;
    const previous = this.#previous;
    if (last === undefined) return { perSecond: 0, meanLagMs: undefined, total: 0 };
    if (previous === undefined || last.at <= previous.at) {
      return { perSecond: 0, meanLagMs: undefined, total: last.delivered };
    }
    const seconds = (last.at - previous.at) / 1000;
    const count = last.lagCount - previous.lagCount;
    return {
      perSecond: (last.delivered - previous.delivered) / seconds,
      meanLagMs: count > 0 ? ((last.lagSum - previous.lagSum) / count) * 1000 : undefined,
      total: last.delivered,
    };
  }

  async #read(): Promise<Sample> {
    const at = this.now();
    const sum = async (name: string, suffix?: string): Promise<number> => {
      const metric = this.registry.getSingleMetric(name);
      if (metric === undefined) return 0;
      const { values } = await metric.get();
      let total = 0;
      for (const v of values) {
        const named = (v as { metricName?: string }).metricName;
        if (suffix === undefined || named === `${name}${suffix}`) total += v.value;
      }
      return total;
    };
    return {
      at,
      delivered: await sum("partitura_executions_delivered_total"),
      lagSum: await sum("partitura_execution_lag_seconds", "_sum"),
      lagCount: await sum("partitura_execution_lag_seconds", "_count"),
    };
  }
}
