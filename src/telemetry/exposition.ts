/**
 * Prometheus text exposition format (version 0.0.4) parser.
 *
 * Pure and allocation-conscious: it walks the text once with charCodeAt, slices label values without copying when they
 * hold no escapes, and allocates one object per sample (plus its labels object). Errors are thrown as
 * {@link ExpositionParseError}, naming the 1-based line number and the reason.
 *
 * Supported: `# HELP` / `# TYPE` (any order, before or after samples), OpenMetrics `# UNIT` (a malformed one is
 * ignored like any other comment: the unit is a hint, not worth refusing a scrape over), other `#` comments, blank lines, CRLF line ends,
 * labels with `\\`, `\"` and `\n` escapes, a trailing comma in the label set, NaN / +Inf / -Inf values (case-insensitive),
 * optional integer millisecond timestamps, and the UTF-8 quoted-name form of Prometheus 3
 * (`{"my.metric", "label.name"="v"}`).
 */

import { type DropCounts, emptyDropCounts, seriesDropReason } from './input-limits';

export type MetricType =
  | 'counter'
  | 'gauge'
  | 'histogram'
  | 'summary'
  | 'untyped'
  | 'unknown'
  | 'info'
  | 'stateset'
  | 'gaugehistogram';

const METRIC_TYPES: ReadonlySet<string> = new Set<MetricType>([
  'counter',
  'gauge',
  'histogram',
  'summary',
  'untyped',
  'unknown',
  'info',
  'stateset',
  'gaugehistogram',
]);

/** One sample line: the series name, its labels, the value and the optional exposition timestamp. */
export interface ExpositionSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** Milliseconds since the Unix epoch, when the line carried a timestamp. */
  timestampMs: number | undefined;
  /** 1-based line number in the source text. */
  line: number;
}

/** What `# HELP` and `# TYPE` said about a metric family (keyed by the name written on those lines). */
export interface MetricFamily {
  name: string;
  type?: MetricType;
  help?: string;
  /** OpenMetrics `# UNIT` (e.g. "seconds", "bytes"). */
  unit?: string;
}

export interface ParsedExposition {
  samples: ExpositionSample[];
  families: Map<string, MetricFamily>;
  /** Sample lines that parsed but were refused (NUL, invalid UTF-8, over-long names or values), by reason. */
  dropped: DropCounts;
}

export class ExpositionParseError extends Error {
  readonly line: number;
  readonly reason: string;
  constructor(line: number, reason: string) {
    super(`exposition line ${line}: ${reason}`);
    this.name = 'ExpositionParseError';
    this.line = line;
    this.reason = reason;
  }
}

const SPACE = 32;
const TAB = 9;
const CR = 13;
const HASH = 35;
const LBRACE = 123;
const RBRACE = 125;
const QUOTE = 34;
const BACKSLASH = 92;
const EQUALS = 61;
const COMMA = 44;

function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58;
}
function isNameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 58;
}
function isLabelStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
function isLabelChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

/** True when `name` is a valid classic Prometheus metric name. */
export function isValidMetricName(name: string): boolean {
  if (name.length === 0 || !isNameStart(name.charCodeAt(0))) return false;
  for (let i = 1; i < name.length; i++) if (!isNameChar(name.charCodeAt(i))) return false;
  return true;
}

/** Parses a sample value: a decimal or exponent float, or NaN / +Inf / -Inf / Inf in any case. Returns undefined if invalid. */
export function parseSampleValue(token: string): number | undefined {
  if (token.length === 0) return undefined;
  const v = +token;
  if (!Number.isNaN(v)) {
    // `+` also accepts hex ("0x1f"), binary and surrounding whitespace; Prometheus does not. Refuse those forms.
    const c1 = token.length > 1 ? token.charCodeAt(1) : 0;
    if (c1 === 120 || c1 === 88 || c1 === 98 || c1 === 66 || c1 === 111 || c1 === 79) return undefined; // x X b B o O
    return v;
  }
  const lower = token.toLowerCase();
  if (lower === 'nan') return Number.NaN;
  if (lower === '+inf' || lower === 'inf' || lower === '+infinity' || lower === 'infinity') return Number.POSITIVE_INFINITY;
  if (lower === '-inf' || lower === '-infinity') return Number.NEGATIVE_INFINITY;
  return undefined;
}

function unescapeLabelValue(text: string, start: number, end: number, line: number): string {
  let out = '';
  let runStart = start;
  for (let i = start; i < end; i++) {
    if (text.charCodeAt(i) !== BACKSLASH) continue;
    out += text.slice(runStart, i);
    const next = i + 1 < end ? text.charCodeAt(i + 1) : -1;
    if (next === BACKSLASH) out += '\\';
    else if (next === QUOTE) out += '"';
    else if (next === 110) out += '\n';
    else throw new ExpositionParseError(line, `invalid escape sequence '\\${next < 0 ? '' : String.fromCharCode(next)}' in quoted string`);
    i++;
    runStart = i + 1;
  }
  return out + text.slice(runStart, end);
}

function unescapeHelp(s: string): string {
  if (s.indexOf('\\') < 0) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length) {
      const n = s[i + 1];
      if (n === '\\') {
        out += '\\';
        i++;
        continue;
      }
      if (n === 'n') {
        out += '\n';
        i++;
        continue;
      }
    }
    out += c;
  }
  return out;
}

function skipBlank(text: string, i: number, end: number): number {
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c !== SPACE && c !== TAB) break;
    i++;
  }
  return i;
}

function tokenEnd(text: string, i: number, end: number): number {
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === SPACE || c === TAB) break;
    i++;
  }
  return i;
}

/** Strings of the previous sample line, reused when the next line repeats them (saves most allocations). */
interface StringCache {
  name: string;
  labelNames: string[];
  labelValues: string[];
}

/**
 * Fast path for the common sample line: a classic name, optional `{name="value",…}` without escapes, a value and an
 * optional timestamp. Returns false (having pushed nothing) on anything else, and the careful parser takes over, which
 * handles every other form and names the error.
 */
function fastSample(
  text: string,
  start: number,
  end: number,
  line: number,
  cache: StringCache,
  samples: ExpositionSample[],
  dropped: DropCounts,
): boolean {
  let i = start;
  let c = text.charCodeAt(i);
  if (!isNameStart(c)) return false;
  let j = i + 1;
  while (j < end && isNameChar(text.charCodeAt(j))) j++;
  let name = cache.name;
  if (name.length !== j - i || !text.startsWith(name, i)) {
    name = text.slice(i, j);
    cache.name = name;
  }
  i = j;
  const labels: Record<string, string> = {};
  if (i < end && text.charCodeAt(i) === LBRACE) {
    i++;
    let k = 0;
    for (;;) {
      i = skipBlank(text, i, end);
      if (i >= end) return false;
      c = text.charCodeAt(i);
      if (c === RBRACE) {
        i++;
        break;
      }
      if (!isLabelStart(c)) return false;
      j = i + 1;
      while (j < end && isLabelChar(text.charCodeAt(j))) j++;
      let lname = cache.labelNames[k];
      if (lname === undefined || lname.length !== j - i || !text.startsWith(lname, i)) {
        lname = text.slice(i, j);
        cache.labelNames[k] = lname;
      }
      i = j;
      if (i + 1 >= end || text.charCodeAt(i) !== EQUALS || text.charCodeAt(i + 1) !== QUOTE) return false;
      i += 2;
      j = i;
      c = 0;
      while (j < end) {
        c = text.charCodeAt(j);
        if (c === QUOTE || c === BACKSLASH) break;
        j++;
      }
      if (c !== QUOTE || j >= end) return false;
      let lval = cache.labelValues[k];
      if (lval === undefined || lval.length !== j - i || !text.startsWith(lval, i)) {
        lval = text.slice(i, j);
        cache.labelValues[k] = lval;
      }
      // Duplicates, and names inherited from Object.prototype, go to the careful parser.
      if (labels[lname] !== undefined) return false;
      labels[lname] = lval;
      k++;
      i = j + 1;
      if (i >= end) return false;
      c = text.charCodeAt(i);
      if (c === COMMA) {
        i++;
        continue;
      }
      if (c !== RBRACE) return false;
      i++;
      break;
    }
  }
  if (i >= end) return false;
  c = text.charCodeAt(i);
  if (c !== SPACE && c !== TAB) return false;
  i = skipBlank(text, i, end);
  j = i;
  j = tokenEnd(text, i, end);
  if (j === i) return false;
  const value = parseSampleValue(text.slice(i, j));
  if (value === undefined) return false;
  i = j;
  i = skipBlank(text, i, end);
  let timestampMs: number | undefined;
  if (i < end) {
    let neg = false;
    if (text.charCodeAt(i) === 45) {
      neg = true;
      i++;
    }
    j = i;
    let ts = 0;
    while (j < end) {
      c = text.charCodeAt(j);
      if (c < 48 || c > 57) break;
      ts = ts * 10 + (c - 48);
      j++;
    }
    if (j === i || ts > Number.MAX_SAFE_INTEGER) return false;
    i = j;
    i = skipBlank(text, i, end);
    if (i < end) return false;
    timestampMs = neg ? -ts : ts;
  }
  pushChecked(samples, dropped, { name, labels, value, timestampMs, line });
  return true;
}

/** Appends the sample unless its name or labels break the input limits (then it is counted by reason). */
function pushChecked(samples: ExpositionSample[], dropped: DropCounts, sample: ExpositionSample): void {
  const reason = seriesDropReason(sample.name, sample.labels);
  if (reason === undefined) samples.push(sample);
  else dropped[reason]++;
}

/**
 * End of the series identity of a sample line: the metric name and label block, before the value. `start` is the first
 * non-blank character of the line, `end` the line end (without CR). For a line that parses, the text
 * `text.slice(start, seriesTextEnd(…))` determines the sample's name and labels completely (values and timestamps
 * never contain '}', so the last '}' closes the label block; a line without labels has its name up to the first
 * blank). Callers that cache by this text (the ingest's per-target line cache) must only trust it for text that
 * parsed before. For a malformed line the result is meaningless but harmless.
 */
export function seriesTextEnd(text: string, start: number, end: number): number {
  // Backwards: the value and timestamp are short, the label block is long.
  for (let k = end - 1; k >= start; k--) if (text.charCodeAt(k) === RBRACE) return k + 1;
  return tokenEnd(text, start, end);
}

/** Value and timestamp of a sample line, as {@link readSampleTail} found them. */
export interface SampleTail {
  value: number;
  timestampMs: number | undefined;
}

/**
 * Parses what follows the series text of a sample line (`i` = {@link seriesTextEnd}): blanks, the value, an optional
 * integer millisecond timestamp, trailing blanks. Writes into `out` and returns true when that is all there is; returns
 * false for anything else (the caller then parses the whole line the careful way, which names the error). Accepts
 * exactly what the full parser accepts after a label block, and gives the same numbers.
 */
export function readSampleTail(text: string, i: number, end: number, out: SampleTail): boolean {
  i = skipBlank(text, i, end);
  let j = tokenEnd(text, i, end);
  if (j === i) return false;
  const value = parseSampleValue(text.slice(i, j));
  if (value === undefined) return false;
  out.value = value;
  i = skipBlank(text, j, end);
  if (i >= end) {
    out.timestampMs = undefined;
    return true;
  }
  let neg = false;
  if (text.charCodeAt(i) === 45) {
    neg = true;
    i++;
  }
  j = i;
  let ts = 0;
  while (j < end) {
    const c = text.charCodeAt(j);
    if (c < 48 || c > 57) break;
    ts = ts * 10 + (c - 48);
    j++;
  }
  // Beyond 2^53 the digit loop and `+token` may round differently: leave those to the full parser.
  if (j === i || ts > Number.MAX_SAFE_INTEGER) return false;
  if (skipBlank(text, j, end) < end) return false;
  out.timestampMs = neg ? -ts : ts;
  return true;
}

/**
 * Called for every sample line before it is parsed (`start`: first non-blank character, `end`: line end without CR,
 * `line`: 1-based line number). Return true when the caller has dealt with the line itself (it is then neither parsed
 * nor returned in `samples`); false to have it parsed and appended to `samples` as usual.
 */
export type SampleLineHook = (text: string, start: number, end: number, line: number) => boolean;

/**
 * Parses a whole exposition document. Throws {@link ExpositionParseError} at the first malformed line. A well-formed
 * line whose series breaks the input limits (see input-limits.ts) is left out of `samples` and counted in `dropped`.
 * With `onSampleLine`, sample lines the hook takes are skipped (comments, HELP and TYPE are still checked in full).
 */
export function parseExposition(text: string, onSampleLine?: SampleLineHook): ParsedExposition {
  const samples: ExpositionSample[] = [];
  const families = new Map<string, MetricFamily>();
  const dropped = emptyDropCounts();
  const len = text.length;
  let pos = 0;
  let line = 0;

  // Cursor state for the current line, shared by the helpers below (closures over locals are fast in V8).
  let i = 0;
  let end = 0;
  const cache: StringCache = { name: '', labelNames: [], labelValues: [] };

  const fail = (reason: string): never => {
    throw new ExpositionParseError(line, reason);
  };
  const skipWs = (): void => {
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c !== SPACE && c !== TAB) break;
      i++;
    }
  };
  /** Reads a `"..."` string starting at i (on the opening quote); leaves i after the closing quote. */
  const readQuoted = (what: string): string => {
    const start = i + 1;
    // Scan for the closing quote; a backslash sends us to the slow path. (indexOf for the backslash would scan the
    // rest of the document for every value that has none: quadratic.)
    let j = start;
    while (j < end) {
      const c = text.charCodeAt(j);
      if (c === QUOTE) {
        i = j + 1;
        return text.slice(start, j);
      }
      if (c === BACKSLASH) break;
      j++;
    }
    if (j >= end) return fail(`unterminated ${what} (missing closing '"')`);
    // Escapes present: find the real closing quote, skipping escaped characters.
    while (j < end) {
      const c = text.charCodeAt(j);
      if (c === BACKSLASH) j += 2;
      else if (c === QUOTE) break;
      else j++;
    }
    if (j >= end) return fail(`unterminated ${what} (missing closing '"')`);
    i = j + 1;
    return unescapeLabelValue(text, start, j, line);
  };
  const readName = (isStart: (c: number) => boolean, isChar: (c: number) => boolean, what: string): string => {
    const start = i;
    if (i >= end || !isStart(text.charCodeAt(i))) {
      return fail(i >= end ? `expected ${what}, found end of line` : `invalid character '${text[i]}' at start of ${what}`);
    }
    i++;
    while (i < end && isChar(text.charCodeAt(i))) i++;
    return text.slice(start, i);
  };
  const readToken = (): string => {
    const start = i;
    while (i < end) {
      const c = text.charCodeAt(i);
      if (c === SPACE || c === TAB) break;
      i++;
    }
    return text.slice(start, i);
  };

  const parseLabels = (labels: Record<string, string>): void => {
    // i is just after '{'
    for (;;) {
      skipWs();
      if (i >= end) fail("unterminated label set (missing '}')");
      let c = text.charCodeAt(i);
      if (c === RBRACE) {
        i++;
        return;
      }
      const name = c === QUOTE ? readQuoted('label name') : readName(isLabelStart, isLabelChar, 'label name');
      if (name === '__proto__') fail("label name '__proto__' is not allowed");
      skipWs();
      if (i >= end || text.charCodeAt(i) !== EQUALS) fail(`expected '=' after label name "${name}"`);
      i++;
      skipWs();
      if (i >= end || text.charCodeAt(i) !== QUOTE) fail(`expected '"' to open the value of label "${name}"`);
      const value = readQuoted(`value of label "${name}"`);
      if (Object.hasOwn(labels, name)) fail(`duplicate label "${name}"`);
      labels[name] = value;
      skipWs();
      if (i >= end) fail("unterminated label set (missing '}')");
      c = text.charCodeAt(i);
      if (c === COMMA) {
        i++;
        continue;
      }
      if (c === RBRACE) {
        i++;
        return;
      }
      fail(`expected ',' or '}' after the value of label "${name}", found '${text[i]}'`);
    }
  };

  const family = (name: string): MetricFamily => {
    let f = families.get(name);
    if (f === undefined) {
      f = { name };
      families.set(name, f);
    }
    return f;
  };

  /** `# UNIT <metric> <unit>`: i is after the keyword. */
  const parseUnit = (): void => {
    skipWs();
    const name = readToken();
    skipWs();
    const unit = readToken();
    skipWs();
    if (!isValidMetricName(name) || unit.length === 0 || i < end || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(unit)) return;
    const f = family(name);
    if (f.unit === undefined) f.unit = unit;
  };

  const parseComment = (): void => {
    // i is on '#'
    i++;
    skipWs();
    const kwStart = i;
    while (i < end && text.charCodeAt(i) !== SPACE && text.charCodeAt(i) !== TAB) i++;
    const kw = text.slice(kwStart, i);
    if (kw === 'UNIT') {
      parseUnit();
      return;
    }
    if (kw !== 'HELP' && kw !== 'TYPE') return; // an ordinary comment
    skipWs();
    if (i >= end) fail(`# ${kw} line without a metric name`);
    const name = text.charCodeAt(i) === QUOTE ? readQuoted('metric name') : readName(isNameStart, isNameChar, 'metric name');
    if (i < end) {
      const c = text.charCodeAt(i);
      if (c !== SPACE && c !== TAB) fail(`invalid character '${text[i]}' in metric name on # ${kw} line`);
    }
    skipWs();
    if (kw === 'HELP') {
      const f = family(name);
      // Later duplicates are ignored (some exporters repeat HELP when families are concatenated).
      if (f.help === undefined) f.help = unescapeHelp(text.slice(i, end));
      return;
    }
    const typeStart = i;
    const type = readToken();
    if (type.length === 0) fail(`# TYPE line for "${name}" without a type`);
    skipWs();
    if (i < end) fail(`unexpected text after the type on # TYPE line for "${name}"`);
    if (!METRIC_TYPES.has(type)) {
      i = typeStart;
      fail(`unknown metric type "${type}" for "${name}"`);
    }
    const f = family(name);
    if (f.type !== undefined && f.type !== type) fail(`conflicting # TYPE for "${name}": "${f.type}" then "${type}"`);
    f.type = type as MetricType;
  };

  const parseSample = (): void => {
    let name: string;
    const labels: Record<string, string> = {};
    const c0 = text.charCodeAt(i);
    if (c0 === LBRACE) {
      // Prometheus 3 form: the metric name is the first, quoted, entry of the label set.
      i++;
      skipWs();
      if (i >= end || text.charCodeAt(i) !== QUOTE) fail('expected a metric name before the label set');
      name = readQuoted('metric name');
      skipWs();
      if (i < end && text.charCodeAt(i) === COMMA) {
        i++;
        parseLabels(labels);
      } else if (i < end && text.charCodeAt(i) === RBRACE) {
        i++;
      } else {
        fail("expected ',' or '}' after the quoted metric name");
      }
    } else {
      name = readName(isNameStart, isNameChar, 'metric name');
      const afterName = i;
      skipWs();
      if (i < end && text.charCodeAt(i) === LBRACE) {
        i++;
        parseLabels(labels);
      } else if (i === afterName && i < end) {
        fail(`invalid character '${text[i]}' in metric name "${name}"`);
      }
    }
    skipWs();
    if (i >= end) fail(`missing value for "${name}"`);
    const valueToken = readToken();
    const value = parseSampleValue(valueToken);
    if (value === undefined) fail(`invalid value "${valueToken}" for "${name}"`);
    skipWs();
    let timestampMs: number | undefined;
    if (i < end) {
      const tsToken = readToken();
      let k = tsToken.charCodeAt(0) === 45 ? 1 : 0; // '-'
      if (k === tsToken.length) fail(`invalid timestamp "${tsToken}" for "${name}"`);
      for (; k < tsToken.length; k++) {
        const d = tsToken.charCodeAt(k);
        if (d < 48 || d > 57) fail(`invalid timestamp "${tsToken}" for "${name}" (expected integer milliseconds)`);
      }
      timestampMs = +tsToken;
      skipWs();
      if (i < end) fail(`unexpected text "${text.slice(i, end)}" after the timestamp of "${name}"`);
    }
    pushChecked(samples, dropped, { name, labels, value: value as number, timestampMs, line });
  };

  while (pos < len) {
    line++;
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = len;
    end = nl;
    if (end > pos && text.charCodeAt(end - 1) === CR) end--;
    i = pos;
    skipWs();
    if (i < end) {
      const c = text.charCodeAt(i);
      if (c === HASH) parseComment();
      else if (onSampleLine?.(text, i, end, line)) {
        // taken by the caller
      } else if (!fastSample(text, i, end, line, cache, samples, dropped)) parseSample();
    }
    pos = nl + 1;
  }
  return { samples, families, dropped };
}

/**
 * The family a sample belongs to, given the declared families: `foo_bucket` / `foo_sum` / `foo_count` (histogram,
 * summary), `foo_total` / `foo_created` (counter) map to `foo` when `foo` is declared. Otherwise the sample's own name.
 */
export function familyOf(sampleName: string, families: Map<string, MetricFamily>): MetricFamily | undefined {
  const direct = families.get(sampleName);
  if (direct !== undefined) return direct;
  for (const suffix of ['_bucket', '_sum', '_count', '_total', '_created', '_info']) {
    if (sampleName.endsWith(suffix)) {
      const f = families.get(sampleName.slice(0, -suffix.length));
      if (f !== undefined) return f;
    }
  }
  return undefined;
}
