import { describe, expect, it } from 'vitest';
import { flowchart } from './diagrams';

describe('flowchart', () => {
  it('declares every node once, groups them, and links only known nodes', () => {
    const source = flowchart(
      [
        { id: 'ups-a', label: 'UPS A', detail: '1.2 MW', group: 'Side A' },
        { id: 'pdu-a', label: 'PDU "A1"', group: 'Side A', href: '/power/2' },
        { id: 'util', label: 'Utility' },
      ],
      [
        { from: 'util', to: 'ups-a' },
        { from: 'ups-a', to: 'pdu-a', label: '400 kW' },
        { from: 'ups-a', to: 'missing' },
      ],
    );
    expect(source.split('\n')[0]).toBe('flowchart TB');
    expect(source).toContain('n_ups_a["UPS A<br/>1.2 MW"]');
    expect(source).toContain('n_pdu_a["PDU #quot;A1#quot;"]');
    expect(source).toContain('subgraph n_g_Side_A["Side A"]');
    expect(source).toContain('n_ups_a -->|"400 kW"| n_pdu_a');
    expect(source).not.toContain('missing');
    expect(source).toContain('click n_pdu_a href "/power/2"');
  });

  it('draws alerting nodes (a UPS on battery) in the alert class, and only those', () => {
    const source = flowchart(
      [
        { id: '1', label: 'UPS A', detail: 'ON BATTERY', tone: 'alert' },
        { id: '2', label: 'UPS B' },
      ],
      [],
    );
    expect(source).toContain('classDef alert');
    expect(source).toContain('  class n_1 alert');
    expect(source).not.toContain('n_2 alert');
    expect(flowchart([{ id: '2', label: 'UPS B' }], [])).not.toContain('classDef');
  });
});
