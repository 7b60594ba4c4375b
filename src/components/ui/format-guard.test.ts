import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The UI formats numbers, units and dates through one module (src/domain/units.ts, re-exported by ./format.ts), so a
 * page never shows "79.64746 GiB" or a third date style. This scans the UI code for the ad-hoc calls that bypass it.
 */
const ROOT = join(import.meta.dirname, '..', '..', '..');
const UI_FOLDERS = ['src/components', 'src/app'];
// Machine-readable output (CSV exports, API routes) is not display formatting.
const EXEMPT = [/^src\/app\/api\//];
const STRAY = [
  { pattern: /\.toLocale(Date|Time)?String\(/, why: 'locale-dependent number/date text' },
  { pattern: /Intl\.(DateTimeFormat|NumberFormat|RelativeTimeFormat)/, why: 'a second formatter' },
  { pattern: /\.toFixed\(/, why: 'ad-hoc decimals' },
  { pattern: /\.toISOString\(\)\.(replace|slice)\(/, why: 'hand-made date text' },
  { pattern: /\.(getHours|getMinutes|getDate|getMonth|getFullYear)\(\)/, why: 'hand-made local date text' },
];

function sourceFiles(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)));
}

describe('one formatter', () => {
  it('finds UI files to check (the guard is not vacuous)', () => {
    expect(UI_FOLDERS.flatMap(sourceFiles).length).toBeGreaterThan(50);
  });

  it('UI code formats numbers and dates only through src/domain/units.ts', () => {
    const found: string[] = [];
    for (const file of UI_FOLDERS.flatMap(sourceFiles)) {
      if (EXEMPT.some((re) => re.test(file))) continue;
      readFileSync(join(ROOT, file), 'utf8')
        .split('\n')
        .forEach((line, i) => {
          for (const { pattern, why } of STRAY) if (pattern.test(line)) found.push(`${file}:${i + 1} ${why}: ${line.trim().slice(0, 120)}`);
        });
    }
    expect(found, `use formatDateTime/formatTime/formatAxisTime/formatCount/formatDecimal/formatPowerW… from @/domain/units:\n${found.join('\n')}`).toEqual([]);
  });
});
