// What a pod reserves in its rack's power budget: the one rule Plenum's scheduler service
// (src/server/services/scheduler/reservation.ts) and bench:facility (bench/scheduler/facility.ts) both apply.
//
// A whole-GPU pod, or any pod whose time limit or inference curve is unknown, reserves its peak. An inference GPU share
// whose time limit is known reserves its static part plus its dynamic part at the highest activity the daily curve
// reaches while it may run. Either bounds what the pod draws at every moment of its life, so a rack or row admitted
// on the sum of the reservations never draws more than that sum.

export const DAY_S = 86_400;

/**
 * Inference activity over the day, as a share of a pod's dynamic draw at full activity (0-1]. Time is in seconds: the
 * Unix epoch (UTC) in the product, the bench's own clock (0 = the curve's midnight) in bench:facility.
 */
export interface DailyCurve {
  activityAt(tS: number): number;
  /** The highest activity over [fromS, toS]: never below the curve anywhere inside the interval. */
  peakOver(fromS: number, toS: number): number;
}

/**
 * A sinusoid between `low` and `high`, highest 6 h after each of its midnights (bench:facility's curve: 0.5-1.0).
 * Its maximum over an interval is at an end or at a daily peak inside it, so peakOver is exact.
 */
export function sineDailyCurve(low: number, high: number): DailyCurve {
  const mean = (low + high) / 2;
  const amplitude = (high - low) / 2;
  const activityAt = (tS: number) => mean + amplitude * Math.sin((2 * Math.PI * tS) / DAY_S);
  return {
    activityAt,
    peakOver(fromS, toS) {
      if (toS - fromS >= DAY_S) return high;
      const firstPeak = DAY_S / 4 + Math.ceil((fromS - DAY_S / 4) / DAY_S) * DAY_S;
      if (firstPeak <= toS) return high;
      return Math.max(activityAt(fromS), activityAt(toS));
    },
  };
}

/**
 * A step curve of 24 hourly values (hour 0 = 00:00-01:00 of the curve's day; UTC in the product). peakOver is the
 * largest value of the hours the closed interval touches: exact for a step curve.
 */
export function hourlyDailyCurve(hours: readonly number[]): DailyCurve {
  if (hours.length !== 24) throw new Error(`an hourly curve needs 24 values, got ${hours.length}`);
  for (const [h, v] of hours.entries()) {
    if (!Number.isFinite(v) || v <= 0 || v > 1) throw new Error(`hour ${h}: activity must be more than 0 and at most 1, got ${v}`);
  }
  const values = [...hours];
  const hourOf = (tS: number) => ((Math.floor(tS / 3600) % 24) + 24) % 24;
  return {
    activityAt: (tS) => values[hourOf(tS)]!,
    peakOver(fromS, toS) {
      if (toS - fromS >= DAY_S) return Math.max(...values);
      let peak = 0;
      for (let hour = Math.floor(fromS / 3600); hour <= Math.floor(toS / 3600); hour++) peak = Math.max(peak, values[((hour % 24) + 24) % 24]!);
      return peak;
    },
  };
}

/** Parses "a0,a1,…,a23" (24 activities, each more than 0 and at most 1) into an hourly curve; throws naming the problem. */
export function parseHourlyCurve(text: string): DailyCurve {
  const parts = text.split(',').map((p) => p.trim());
  const values = parts.map((p) => (p === '' ? Number.NaN : Number(p)));
  return hourlyDailyCurve(values);
}

/** A pod's draw split for the rule, W. */
export interface JobPower {
  /** Drawn whatever the activity (GPU contexts), W. */
  staticW: number;
  /** At full activity, above the static part, W. */
  dynamicW: number;
  /** An inference GPU share: its dynamic part follows the daily curve. */
  inference: boolean;
}

/**
 * What a pod that may run from `startS` for at most `timeLimitS` reserves, W: its peak (static + dynamic), unless it is
 * an inference share with a known time limit and curve, which reserves static + dynamic × the curve's highest activity
 * over [startS, startS + timeLimitS].
 */
export function reservationW(jp: JobPower, startS: number, timeLimitS: number | null, curve: DailyCurve | null): number {
  if (!jp.inference || timeLimitS === null || curve === null) return jp.staticW + jp.dynamicW;
  return jp.staticW + jp.dynamicW * curve.peakOver(startS, startS + timeLimitS);
}
