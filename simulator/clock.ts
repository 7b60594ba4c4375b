/**
 * The simulated clock. Models only ever see simulated time (`nowMs`, `dtS`); the runner maps wall-clock time onto it
 * with a time-acceleration factor (accel 60 = one simulated minute per real second).
 */
export interface SimClockOptions {
  /** Simulated start time, Unix epoch milliseconds. */
  startMs: number;
  /** Simulated seconds per real second (1 = real time). */
  accel?: number;
}

export class SimClock {
  private simMs: number;
  readonly accel: number;

  constructor(options: SimClockOptions) {
    this.simMs = options.startMs;
    this.accel = options.accel ?? 1;
    if (!(this.accel > 0)) throw new Error(`accel must be > 0, got ${this.accel}`);
  }

  get nowMs(): number {
    return this.simMs;
  }

  /** Advance by a real (wall-clock) interval; returns the simulated seconds that passed. */
  advanceReal(realDtS: number): number {
    const simDtS = realDtS * this.accel;
    this.simMs += simDtS * 1000;
    return simDtS;
  }

  /** Advance by a simulated interval. */
  advanceSim(simDtS: number): void {
    this.simMs += simDtS * 1000;
  }
}
