/**
 * What a series name or label may hold before it reaches PostgreSQL. A sample that breaks a rule is dropped at the
 * parser (exposition text and remote-write alike) and counted by reason, so one hostile writer can never make a flush
 * fail: PostgreSQL refuses NUL in text and jsonb, and a lone UTF-16 surrogate in jsonb.
 */

/** Why a sample was refused at the parser. */
export type DropReason = 'invalid_utf8' | 'nul' | 'name_too_long' | 'label_name_too_long' | 'label_value_too_long' | 'too_many_labels';

export const DROP_REASONS: readonly DropReason[] = ['invalid_utf8', 'nul', 'name_too_long', 'label_name_too_long', 'label_value_too_long', 'too_many_labels'];

/** Limits in UTF-16 code units (for these ASCII-heavy strings: characters). Generous for every real exporter. */
export const INPUT_LIMITS = {
  metricNameLength: 256,
  labelNameLength: 256,
  labelValueLength: 4096,
  labelsPerSeries: 64,
} as const;

export type DropCounts = Record<DropReason, number>;

export function emptyDropCounts(): DropCounts {
  return { invalid_utf8: 0, nul: 0, name_too_long: 0, label_name_too_long: 0, label_value_too_long: 0, too_many_labels: 0 };
}

export function addDropCounts(into: DropCounts, from: DropCounts): void {
  for (const r of DROP_REASONS) into[r] += from[r];
}

export function totalDrops(counts: DropCounts): number {
  let n = 0;
  for (const r of DROP_REASONS) n += counts[r];
  return n;
}

/**
 * 'nul' for a NUL character; 'invalid_utf8' for U+FFFD (what a UTF-8 decoder puts in place of invalid bytes) or a lone
 * surrogate (a string that has no UTF-8 form); undefined when the string is clean.
 */
export function badCharacter(s: string): 'nul' | 'invalid_utf8' | undefined {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800) {
      if (c === 0) return 'nul';
      continue;
    }
    if (c === 0xfffd) return 'invalid_utf8';
    if (c > 0xdfff) continue;
    // A high surrogate must be followed by a low one; a low one on its own is invalid.
    if (c <= 0xdbff) {
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (next < 0xdc00 || next > 0xdfff) return 'invalid_utf8';
      i++;
      continue;
    }
    return 'invalid_utf8';
  }
  return undefined;
}

/** The reason a series (name + labels) must be dropped, or undefined when it may be stored. */
export function seriesDropReason(name: string, labels: Record<string, string>): DropReason | undefined {
  if (name.length > INPUT_LIMITS.metricNameLength) return 'name_too_long';
  let bad = badCharacter(name);
  if (bad) return bad;
  let count = 0;
  for (const labelName in labels) {
    if (++count > INPUT_LIMITS.labelsPerSeries) return 'too_many_labels';
    const value = labels[labelName]!;
    if (labelName.length > INPUT_LIMITS.labelNameLength) return 'label_name_too_long';
    if (value.length > INPUT_LIMITS.labelValueLength) return 'label_value_too_long';
    bad = badCharacter(labelName) ?? badCharacter(value);
    if (bad) return bad;
  }
  return undefined;
}
