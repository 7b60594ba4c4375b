import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ExpositionParseError, familyOf, parseExposition, parseSampleValue } from './exposition';
import { syntheticDcgmDocument } from './synthetic-dcgm.testkit';

const testdata = fileURLToPath(
  new URL('../../../shared/fixtures/exporters/nvidia_gpu_exporter/testdata/', import.meta.url),
);

function errorOf(text: string): ExpositionParseError {
  try {
    parseExposition(text);
  } catch (e) {
    if (e instanceof ExpositionParseError) return e;
    throw e;
  }
  throw new Error('expected a parse error');
}

describe('parseExposition', () => {
  it('parses HELP, TYPE, labels, special values, timestamps, comments and blank lines', () => {
    const text = [
      '# HELP http_requests_total The total number of HTTP requests.',
      '# TYPE http_requests_total counter',
      'http_requests_total{method="post",code="200"} 1027 1395066363000',
      'http_requests_total{method="post",code="400"}    3 1395066363000',
      '',
      '# Escaping in label values:',
      'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9',
      'metric_without_timestamp_and_labels 12.47',
      'something_weird{problem="division by zero"} +Inf -3982045',
      'neg_inf -Inf',
      'not_a_number NaN',
      '# HELP help_with_escapes first\\nsecond \\\\ back',
      'trailing_comma{a="1",} 2',
      '\tindented{a="x"}\t5',
    ].join('\n');
    const { samples, families } = parseExposition(text);
    expect(samples).toHaveLength(9);
    expect(samples[0]).toEqual({
      name: 'http_requests_total',
      labels: { method: 'post', code: '200' },
      value: 1027,
      timestampMs: 1395066363000,
      line: 3,
    });
    expect(samples[1].value).toBe(3);
    expect(samples[2].labels).toEqual({ path: 'C:\\DIR\\FILE.TXT', error: 'Cannot find file:\n"FILE.TXT"' });
    expect(samples[2].value).toBe(1458255915);
    expect(samples[3]).toMatchObject({ name: 'metric_without_timestamp_and_labels', labels: {}, value: 12.47, timestampMs: undefined });
    expect(samples[4].value).toBe(Number.POSITIVE_INFINITY);
    expect(samples[4].timestampMs).toBe(-3982045);
    expect(samples[5].value).toBe(Number.NEGATIVE_INFINITY);
    expect(samples[6].value).toBeNaN();
    expect(samples[7].labels).toEqual({ a: '1' });
    expect(samples[8]).toMatchObject({ name: 'indented', labels: { a: 'x' }, value: 5, line: 14 });
    expect(families.get('http_requests_total')).toEqual({
      name: 'http_requests_total',
      type: 'counter',
      help: 'The total number of HTTP requests.',
    });
    expect(families.get('help_with_escapes')?.help).toBe('first\nsecond \\ back');
  });

  it('accepts CRLF line ends, a missing final newline, spaces before the label set and the quoted-name form', () => {
    const { samples } = parseExposition('a 1\r\nb {x="y"} 2\r\n{"my.metric", "label.name"="v"} 3');
    expect(samples.map((s) => [s.name, s.labels, s.value])).toEqual([
      ['a', {}, 1],
      ['b', { x: 'y' }, 2],
      ['my.metric', { 'label.name': 'v' }, 3],
    ]);
  });

  it('reads values the way Prometheus does', () => {
    expect(parseSampleValue('1.98e+09')).toBe(1.98e9);
    expect(parseSampleValue('-0.5')).toBe(-0.5);
    expect(parseSampleValue('+Inf')).toBe(Number.POSITIVE_INFINITY);
    expect(parseSampleValue('inf')).toBe(Number.POSITIVE_INFINITY);
    expect(parseSampleValue('nan')).toBeNaN();
    expect(parseSampleValue('9223372036854775794')).toBe(2 ** 63); // nearest double
    expect(parseSampleValue('0x10')).toBeUndefined();
    expect(parseSampleValue('1e')).toBeUndefined();
    expect(parseSampleValue('')).toBeUndefined();
    expect(parseSampleValue('abc')).toBeUndefined();
  });

  it.each([
    ['ok 1\nbad{a="1" 2', 2, "expected ',' or '}'"],
    ['ok 1\n\nbad{a="1"', 3, "unterminated label set"],
    ['x{a="unterminated} 1', 1, 'unterminated value of label "a"'],
    ['x{a=1} 1', 1, `expected '"' to open the value of label "a"`],
    ['x{a"1"} 1', 1, `expected '=' after label name "a"`],
    ['x{1a="1"} 1', 1, "invalid character '1' at start of label name"],
    ['x{a="1",a="2"} 1', 1, 'duplicate label "a"'],
    ['x{a="\\t"} 1', 1, 'invalid escape sequence'],
    ['x', 1, 'missing value for "x"'],
    ['x{a="1"}', 1, 'missing value for "x"'],
    ['x abc', 1, 'invalid value "abc" for "x"'],
    ['x 1 12.5', 1, 'invalid timestamp "12.5"'],
    ['x 1 2 3', 1, 'unexpected text "3" after the timestamp'],
    ['1x 1', 1, "invalid character '1' at start of metric name"],
    ['x-y 1', 1, "invalid character '-' in metric name"],
    ['# TYPE x countr', 1, 'unknown metric type "countr"'],
    ['# TYPE x', 1, 'without a type'],
    ['# TYPE x gauge\n# TYPE x counter', 2, 'conflicting # TYPE for "x"'],
    ['# HELP', 1, 'without a metric name'],
  ])('rejects %j at line %i: %s', (text, line, reason) => {
    const err = errorOf(text);
    expect(err.line).toBe(line);
    expect(err.message).toContain(`line ${line}`);
    expect(err.reason).toContain(reason);
  });

  it('handles label names shared with Object.prototype, and refuses __proto__', () => {
    const { samples } = parseExposition('x{constructor="c",toString="t"} 1\n');
    expect(samples[0].labels).toEqual({ constructor: 'c', toString: 't' });
    expect(Object.hasOwn(samples[0].labels, 'constructor')).toBe(true);
    expect(errorOf('x{__proto__="p"} 1').reason).toContain("'__proto__' is not allowed");
  });

  it('ignores ordinary comments, even ones that look like keywords', () => {
    const { samples, families } = parseExposition('#\n# HELPFUL text\n#TYPE_ish\n# random words here\nx 1\n');
    expect(samples).toHaveLength(1);
    expect(families.size).toBe(0);
  });

  it('finds the family of histogram, summary and counter samples', () => {
    const { samples, families } = parseExposition(
      '# TYPE rpc histogram\nrpc_bucket{le="0.1"} 1\nrpc_bucket{le="+Inf"} 2\nrpc_sum 0.3\nrpc_count 2\n# TYPE req counter\nreq_total 4\n',
    );
    expect(samples.map((s) => familyOf(s.name, families)?.type)).toEqual(['histogram', 'histogram', 'histogram', 'histogram', 'counter']);
    expect(samples[1].labels.le).toBe('+Inf');
  });

  it('parses every real nvidia_gpu_exporter /metrics file in the fixtures, one sample per non-comment line', () => {
    const files = readdirSync(testdata).filter((f) => f.endsWith('.metrics'));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) {
      const text = readFileSync(testdata + f, 'utf8');
      const lines = text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
      const { samples, families } = parseExposition(text);
      expect(samples.length, f).toBe(lines.length);
      expect(families.get('nvidia_smi_power_draw_watts')?.type, f).toBe('gauge');
      const info = samples.find((s) => s.name === 'nvidia_smi_gpu_info');
      expect(info?.labels.driver_version, f).toMatch(/^\d+\.\d+/);
    }
  });
});

// Speed is measured by `npm run bench:parse` (bench/ingest/parse.ts), not asserted here.
describe('a scrape-sized document', () => {
  it('parses every sample of a 5,000-GPU dcgm-exporter document with its labels', () => {
    const { text, samples } = syntheticDcgmDocument(5_000); // 50k samples, 7 labels each
    const parsed = parseExposition(text);
    expect(parsed.samples).toHaveLength(samples);
    const last = parsed.samples.at(-1)!;
    expect(last.name).toBe('DCGM_FI_DEV_FB_USED');
    expect(last.value).toBe(19818);
    expect(last.labels).toMatchObject({ gpu: '7', Hostname: 'node-624', modelName: 'NVIDIA H100 80GB HBM3' });
  });
});

describe('input limits', () => {
  it('drops lines with NUL, invalid UTF-8 or over-long names and values, counts them by reason, keeps the rest', () => {
    const text = [
      'gpu_temp{gpu="0"} 40',
      'gpu_temp{gpu="a\u0000b"} 41',
      '{"gpu\u0000temp"} 1',
      'gpu_temp{gpu="\uFFFD"} 42',
      'gpu_temp{gpu="\uD800"} 43',
      'gpu_temp{gpu="ok \uD83D\uDE00"} 44',
      `gpu_temp{gpu="${'v'.repeat(5000)}"} 45`,
      `${'m'.repeat(300)} 46`,
      `gpu_temp{${'l'.repeat(300)}="1"} 47`,
      `gpu_temp{${Array.from({ length: 70 }, (_, k) => `l${k}="1"`).join(',')}} 48`,
      '{"gpu.temp", "gpu"="a\\\\\u0000"} 49',
    ].join('\n');
    const parsed = parseExposition(text);
    expect(parsed.samples.map((s) => [s.value, s.line])).toEqual([
      [40, 1],
      [44, 6],
    ]);
    expect(parsed.dropped).toEqual({ invalid_utf8: 2, nul: 3, name_too_long: 1, label_name_too_long: 1, label_value_too_long: 1, too_many_labels: 1 });
  });
});
