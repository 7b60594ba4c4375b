/**
 * A background loop that writes somewhere that may be away (PostgreSQL, a remote-write back-end): every `intervalMs`
 * it runs `attempt` when `pending()` says there is work, and after a failure waits twice as long as the last time
 * (from `minBackoffMs` up to `maxBackoffMs`) before trying again; a success resets the wait.
 */
export class RetryLoop {
  private timer: NodeJS.Timeout | undefined;
  private backoffMs = 0;
  private backoffUntilMs = 0;

  constructor(
    private readonly options: { minBackoffMs: number; maxBackoffMs: number; pending: () => boolean; attempt: () => Promise<void> },
  ) {}

  start(intervalMs: number): void {
    const tick = async () => {
      if (Date.now() >= this.backoffUntilMs && this.options.pending()) {
        try {
          await this.options.attempt();
          this.backoffMs = 0;
        } catch {
          this.backoffMs = Math.min(this.options.maxBackoffMs, Math.max(this.options.minBackoffMs, this.backoffMs * 2));
          this.backoffUntilMs = Date.now() + this.backoffMs;
        }
      }
      if (this.timer !== undefined) this.timer = setTimeout(tick, intervalMs);
    };
    this.timer = setTimeout(tick, intervalMs);
  }

  /** Stops the loop (an attempt under way finishes on its own). */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
