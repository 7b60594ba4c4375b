import { NextRequest } from 'next/server';
import { afterEach, describe, expect, it } from 'vitest';
import { proxy } from './proxy';

const page = (url: string, headers: Record<string, string> = {}) => proxy(new NextRequest(url, { headers: { cookie: 'plenum_session=x', ...headers } }));
const previous = process.env.PLENUM_TRUST_PROXY;
afterEach(() => {
  if (previous === undefined) delete process.env.PLENUM_TRUST_PROXY;
  else process.env.PLENUM_TRUST_PROXY = previous;
});

describe('proxy: page security headers', () => {
  it('gives every page a fresh script nonce and no inline scripts', () => {
    const a = page('http://plenum.test/racks').headers.get('content-security-policy')!;
    const b = page('http://plenum.test/racks').headers.get('content-security-policy')!;
    const scriptSrc = (csp: string) => csp.split('; ').find((d) => d.startsWith('script-src '))!;
    expect(scriptSrc(a)).toMatch(/^script-src 'self' 'nonce-[A-Za-z0-9+/=]{24}' 'strict-dynamic'/);
    expect(scriptSrc(a)).not.toContain("'unsafe-inline'");
    expect(a).not.toBe(b);
    // The sign-in page too (it is open to anonymous callers, and has scripts like any page).
    expect(proxy(new NextRequest('http://plenum.test/login')).headers.get('content-security-policy')).toMatch(/'nonce-/);
  });

  it('hands the nonce to the page render in the request headers', () => {
    const response = page('http://plenum.test/racks');
    const csp = response.headers.get('content-security-policy')!;
    const nonce = /'nonce-([^']+)'/.exec(csp)![1];
    // NextResponse.next({ request: { headers } }) passes overridden request headers as x-middleware-request-*.
    expect(response.headers.get('x-middleware-request-x-nonce')).toBe(nonce);
    expect(response.headers.get('x-middleware-request-content-security-policy')).toBe(csp);
  });

  it('sends HSTS over HTTPS only, and believes X-Forwarded-Proto only with PLENUM_TRUST_PROXY=1', () => {
    delete process.env.PLENUM_TRUST_PROXY;
    expect(page('http://plenum.test/racks').headers.get('strict-transport-security')).toBeNull();
    expect(page('http://plenum.test/racks', { 'x-forwarded-proto': 'https' }).headers.get('strict-transport-security')).toBeNull();
    expect(page('https://plenum.test/racks').headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    process.env.PLENUM_TRUST_PROXY = '1';
    expect(page('http://plenum.test/racks', { 'x-forwarded-proto': 'https' }).headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    expect(proxy(new NextRequest('http://plenum.test/api/health', { headers: { 'x-forwarded-proto': 'https' } })).headers.get('strict-transport-security')).toMatch(/max-age/);
  });

  it('still sends pages without a session cookie to the sign-in page', () => {
    const response = proxy(new NextRequest('http://plenum.test/racks?x=1'));
    expect(response.status).toBe(307);
    expect(response.headers.get('location')).toBe('http://plenum.test/login?next=%2Fracks%3Fx%3D1');
    expect(proxy(new NextRequest('http://plenum.test/api/health')).status).toBe(200);
  });
});
