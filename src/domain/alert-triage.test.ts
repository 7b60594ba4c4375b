import { describe, expect, it } from 'vitest';
import { COOLING_FAILURE_METRIC, compareAlerts, groupByCause, naturalCompare, runbookFor, type TriageAlert } from './alert-triage';

let nextId = 1;
const alert = (over: Partial<TriageAlert>): TriageAlert => ({
  id: nextId++,
  rule: 'Rack inlet above 27 °C',
  metric: 'rack_inlet_temp_c',
  severity: 'warning',
  state: 'firing',
  startedAt: '2026-12-04T10:00:00Z',
  entityLabel: 'A1-01',
  rackId: 1,
  coolingUnitId: null,
  ...over,
});

describe('alert triage', () => {
  it('sorts names naturally: A-2 before A-10', () => {
    expect(['CRAH A-10', 'CRAH A-2', 'CRAH A-1', 'CRAH A-11'].sort(naturalCompare)).toEqual(['CRAH A-1', 'CRAH A-2', 'CRAH A-10', 'CRAH A-11']);
  });

  it('orders open before resolved, critical before warning, then oldest first, then by name', () => {
    const list = [
      alert({ entityLabel: 'new warning', startedAt: '2026-12-04T10:05:00Z' }),
      alert({ entityLabel: 'resolved critical', severity: 'critical', state: 'resolved' }),
      alert({ entityLabel: 'old warning', startedAt: '2026-12-04T09:00:00Z' }),
      alert({ entityLabel: 'critical', severity: 'critical', startedAt: '2026-12-04T10:10:00Z' }),
      alert({ entityLabel: 'A-10', startedAt: '2026-12-04T10:06:00Z' }),
      alert({ entityLabel: 'A-2', startedAt: '2026-12-04T10:06:00Z' }),
    ];
    expect(list.sort(compareAlerts).map((a) => a.entityLabel)).toEqual(['critical', 'old warning', 'new warning', 'A-2', 'A-10', 'resolved critical']);
  });

  it('groups the inlet alerts of the racks a failed cooling unit serves under its failure', () => {
    const crah1 = alert({ rule: 'Cooling unit failed', metric: COOLING_FAILURE_METRIC, severity: 'critical', entityLabel: 'CRAH A-1', rackId: null, coolingUnitId: 11 });
    const crah2 = alert({ rule: 'Cooling unit failed', metric: COOLING_FAILURE_METRIC, severity: 'critical', entityLabel: 'CRAH B-1', rackId: null, coolingUnitId: 12, startedAt: '2026-12-04T10:01:00Z' });
    const inletA = alert({ entityLabel: 'A1-01 inlet', rackId: 1, startedAt: '2026-12-04T09:30:00Z' });
    const inletA2 = alert({ entityLabel: 'A1-02 inlet', rackId: 2, severity: 'critical' });
    const inletB = alert({ entityLabel: 'B1-01 inlet', rackId: 3 });
    const elsewhere = alert({ entityLabel: 'C1-01 inlet', rackId: 9 });
    const gpu = alert({ rule: 'GPU above 85 °C', metric: 'gpu_temp_c', severity: 'critical', entityLabel: 'GPU-1 on a1-01-gpu1', rackId: 1 });
    const resolvedInlet = alert({ entityLabel: 'A1-03 inlet', rackId: 1, state: 'resolved' });
    const served = new Map([
      [11, new Set([1, 2])],
      [12, new Set([3])],
    ]);
    const groups = groupByCause([elsewhere, inletB, gpu, inletA, crah2, inletA2, crah1, resolvedInlet], served);
    expect(groups.map((g) => [g.alert.entityLabel, g.explained.map((e) => e.entityLabel)])).toEqual([
      // Critical first, oldest first: CRAH A-1 and the GPU both started at 10:00 (by name), CRAH B-1 at 10:01.
      ['CRAH A-1', ['A1-02 inlet', 'A1-01 inlet']],
      ['GPU-1 on a1-01-gpu1', []],
      ['CRAH B-1', ['B1-01 inlet']],
      ['C1-01 inlet', []],
      ['A1-03 inlet', []],
    ]);
  });

  it('leaves inlet alerts alone when no cooling failure explains them', () => {
    const inlet = alert({ entityLabel: 'A1-01 inlet' });
    expect(groupByCause([inlet], new Map())).toEqual([{ alert: inlet, explained: [] }]);
  });

  it('has runbook text for each default rule, falling back to the rule description', () => {
    expect(runbookFor({ metric: 'rack_inlet_temp_c', kind: 'threshold', description: '' })).toContain('cooling units serving the rack');
    expect(runbookFor({ metric: null, kind: 'target-down', description: '' })).toContain('scrape');
    expect(runbookFor({ metric: 'something_custom', kind: 'threshold', description: 'Custom rule.' })).toBe('Custom rule.');
  });
});
