import { describe, expect, it } from 'vitest';
import { SCRAPE_STAMP_TOLERANCE_MS, scrapeTimestampMs } from './scraper';

describe('scrapeTimestampMs', () => {
  const slot = 1_765_000_000_000;
  it('gives the slot to a scrape that starts within the tolerance after it', () => {
    expect(scrapeTimestampMs(slot, slot, 10_000)).toBe(slot);
    expect(scrapeTimestampMs(slot + 37, slot, 10_000)).toBe(slot);
    expect(scrapeTimestampMs(slot + SCRAPE_STAMP_TOLERANCE_MS, slot, 10_000)).toBe(slot);
  });
  it('gives its start to a scrape later than the tolerance, or before its slot, or without one', () => {
    expect(scrapeTimestampMs(slot + SCRAPE_STAMP_TOLERANCE_MS + 1, slot, 10_000)).toBe(slot + SCRAPE_STAMP_TOLERANCE_MS + 1);
    expect(scrapeTimestampMs(slot - 5, slot, 10_000)).toBe(slot - 5);
    expect(scrapeTimestampMs(slot + 5, undefined, 10_000)).toBe(slot + 5);
  });
  it('never moves a sample by more than a fiftieth of its interval', () => {
    expect(scrapeTimestampMs(slot + 20, slot, 1_000)).toBe(slot);
    expect(scrapeTimestampMs(slot + 21, slot, 1_000)).toBe(slot + 21);
  });
  it('stores whole milliseconds', () => {
    expect(scrapeTimestampMs(slot + 10, slot + 0.4, 10_000)).toBe(slot);
  });
});
