/**
 * The line-level helpers the ingest's line cache builds on: `seriesTextEnd` (where a sample line's name + labels end),
 * `readSampleTail` (value and timestamp after them) and the `onSampleLine` hook of `parseExposition`. They must agree
 * with the full parser on every line it accepts, and decline (return false) whatever it would reject.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ExpositionParseError, parseExposition, readSampleTail, type SampleTail, seriesTextEnd } from './exposition';

const testdata = fileURLToPath(new URL('../../../shared/fixtures/exporters/nvidia_gpu_exporter/testdata/', import.meta.url));

const LINES = [
  'http_requests_total{method="post",code="200"} 1027 1395066363000',
  'http_requests_total{method="post",code="400"}    3 1395066363000',
  'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9',
  'metric_without_timestamp_and_labels 12.47',
  'something_weird{problem="division by zero"} +Inf -3982045',
  'neg_inf -Inf',
  'not_a_number NaN',
  'trailing_comma{a="1",} 2',
  '\tindented{a="x"}\t5\t',
  'spaced_name {a="x"} 5',
  'brace_in_value{a="}{",b="x}"} 6 7',
  'no_space{a="x"}8',
  '{"my.metric", "label.name"="v"} 9',
  'big_ts{a="b"} 1 9007199254740993',
  'exp{a="b"} 1e-7',
  'zero_ts x 0',
];

/** The one sample of a single-line document, or the parse error. */
function full(line: string) {
  try {
    return parseExposition(line).samples[0];
  } catch (e) {
    if (e instanceof ExpositionParseError) return e;
    throw e;
  }
}

describe('seriesTextEnd + readSampleTail', () => {
  it('give the full parser’s value and timestamp for every accepted line, or decline', () => {
    const lines = [...LINES];
    for (const f of readdirSync(testdata)) lines.push(...readFileSync(testdata + f, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')));
    let taken = 0;
    for (const raw of lines) {
      const start = raw.length - raw.trimStart().length;
      const end = raw.length;
      const expected = full(raw);
      const tail: SampleTail = { value: 0, timestampMs: undefined };
      const ok = readSampleTail(raw, seriesTextEnd(raw, start, end), end, tail);
      if (expected instanceof ExpositionParseError) {
        expect(ok, raw).toBe(false);
        continue;
      }
      if (!ok) continue; // declined: the full parser handles it (only the > 2^53 timestamp here)
      taken++;
      expect(tail.value, raw).toEqual(expected!.value);
      expect(tail.timestampMs, raw).toBe(expected!.timestampMs);
      // The series text alone gives the same name and labels with any other valid tail.
      const series = raw.slice(start, seriesTextEnd(raw, start, end));
      expect(parseExposition(`${series} 42 1000`).samples[0]).toMatchObject({ name: expected!.name, labels: expected!.labels, value: 42, timestampMs: 1000 });
    }
    expect(taken).toBeGreaterThan(lines.length - 3);
  });

  it('declines every tail the full parser rejects', () => {
    for (const tail of ['', ' ', ' 1 2 3', ' 0x1f', ' 1 -', ' 1 1.5', ' 1 12a', ' abc', ' 1 }', ' 1\t2\tx']) {
      const line = `m{a="b"}${tail}`;
      expect(full(line), line).toBeInstanceOf(ExpositionParseError);
      const out: SampleTail = { value: 0, timestampMs: undefined };
      expect(readSampleTail(line, seriesTextEnd(line, 0, line.length), line.length, out), line).toBe(false);
    }
  });
});

describe('parseExposition onSampleLine', () => {
  it('skips the lines the hook takes, parses the rest, and still checks comments', () => {
    const text = '# TYPE a gauge\na{x="1"} 1\nb 2\n# HELP a help\na{x="2"} 3\n';
    const seen: string[] = [];
    const { samples, families } = parseExposition(text, (t, start, end, line) => {
      seen.push(`${line}:${t.slice(start, end)}`);
      return t.startsWith('a', start);
    });
    expect(seen).toEqual(['2:a{x="1"} 1', '3:b 2', '5:a{x="2"} 3']);
    expect(samples).toEqual([{ name: 'b', labels: {}, value: 2, timestampMs: undefined, line: 3 }]);
    expect(families.get('a')).toEqual({ name: 'a', type: 'gauge', help: 'help' });
    expect(() => parseExposition('# TYPE a gauge\n# TYPE a counter\na 1\n', () => true)).toThrow(/conflicting # TYPE/);
  });
});
