import { describe, expect, it } from 'vitest';
import { defaultFlushIntervalMs, telemetrySettings } from './config';

describe('telemetry settings that follow the scrape interval', () => {
  it('flushes every 1/10 of the scrape interval, between 250 ms and 1 s', () => {
    expect(defaultFlushIntervalMs(1_000)).toBe(250);
    expect(defaultFlushIntervalMs(2_500)).toBe(250);
    expect(defaultFlushIntervalMs(5_000)).toBe(500);
    expect(defaultFlushIntervalMs(10_000)).toBe(1_000);
    expect(defaultFlushIntervalMs(30_000)).toBe(1_000);
    expect(defaultFlushIntervalMs(300_000)).toBe(1_000);
  });

  it('derives the flush and alert intervals from PLENUM_SCRAPE_INTERVAL_MS unless they are set', () => {
    const at30 = telemetrySettings({ PLENUM_SCRAPE_INTERVAL_MS: '30000' });
    expect(at30).toMatchObject({ simScrapeIntervalMs: 30_000, flushIntervalMs: 1_000, alertIntervalMs: 30_000 });
    // The xl seed scrapes every 30 s by default, the others every 10 s.
    expect(telemetrySettings({ PLENUM_SEED: 'xl' })).toMatchObject({ flushIntervalMs: 1_000, alertIntervalMs: 30_000 });
    expect(telemetrySettings({})).toMatchObject({ simScrapeIntervalMs: 10_000, flushIntervalMs: 1_000, alertIntervalMs: 10_000 });
    const set = telemetrySettings({ PLENUM_SCRAPE_INTERVAL_MS: '30000', PLENUM_INGEST_FLUSH_MS: '250', PLENUM_ALERT_INTERVAL_MS: '5000' });
    expect(set).toMatchObject({ flushIntervalMs: 250, alertIntervalMs: 5_000 });
  });

  it('names the variable and the reason for a bad value', () => {
    expect(() => telemetrySettings({ PLENUM_SCRAPE_INTERVAL_MS: 'soon' })).toThrow('PLENUM_SCRAPE_INTERVAL_MS: must be a number ≥ 250, got "soon"');
  });
});
