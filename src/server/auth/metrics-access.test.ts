import { describe, expect, it } from 'vitest';
import { NextRequest } from 'next/server';
import { proxy } from '../../proxy';
import { addressAllowed, metricsAllowList } from './metrics-access';

describe('who may read /metrics', () => {
  it('allows loopback by default, IPv4-mapped IPv6 included, and nothing else', () => {
    const list = metricsAllowList({});
    expect(addressAllowed(list, '127.0.0.1')).toBe(true);
    expect(addressAllowed(list, '127.8.9.10')).toBe(true);
    expect(addressAllowed(list, '::1')).toBe(true);
    expect(addressAllowed(list, '::ffff:127.0.0.1')).toBe(true);
    expect(addressAllowed(list, '10.0.0.1')).toBe(false);
    expect(addressAllowed(list, null)).toBe(false);
    expect(addressAllowed(list, 'not-an-address')).toBe(false);
  });

  it('reads PLENUM_METRICS_ALLOW ranges and single addresses, and names a bad entry', () => {
    const list = metricsAllowList({ PLENUM_METRICS_ALLOW: '10.20.0.0/16, 192.0.2.7, fd00::/8' });
    expect(addressAllowed(list, '10.20.99.1')).toBe(true);
    expect(addressAllowed(list, '10.21.0.1')).toBe(false);
    expect(addressAllowed(list, '192.0.2.7')).toBe(true);
    expect(addressAllowed(list, '192.0.2.8')).toBe(false);
    expect(addressAllowed(list, 'fd12::1')).toBe(true);
    expect(addressAllowed(list, '127.0.0.1')).toBe(false);
    expect(() => metricsAllowList({ PLENUM_METRICS_ALLOW: '10.0.0.0/8,prometheus.local' })).toThrow(/PLENUM_METRICS_ALLOW: "prometheus.local"/);
    expect(() => metricsAllowList({ PLENUM_METRICS_ALLOW: '10.0.0.0/33' })).toThrow(/"10.0.0.0\/33"/);
  });

  it('the sign-in redirect (src/proxy.ts) leaves /metrics alone and still covers the pages', () => {
    // Without a session cookie: /metrics passes through (it answers 401 itself), a page goes to the sign-in page.
    const isRedirect = (path: string) => proxy(new NextRequest(`http://plenum.test${path}`)).headers.get('location') !== null;
    expect(isRedirect('/metrics')).toBe(false);
    expect(isRedirect('/racks')).toBe(true);
    expect(isRedirect('/')).toBe(true);
  });
});
