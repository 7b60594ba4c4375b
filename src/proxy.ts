import { type NextRequest, NextResponse } from 'next/server';
import { contentSecurityPolicy, newNonce, requestOrigin, STRICT_TRANSPORT_SECURITY } from './security-headers';

/** Pages anyone may open: the sign-in and first-admin set-up pages. */
const OPEN_PAGES = /^\/(login|setup)(\/|$)/;

/**
 * Every request but Next's static assets: HSTS over HTTPS; pages get a fresh CSP nonce (Next reads it from the
 * request's CSP header and puts it on its own scripts, which is why pages render per request), and, without a session
 * cookie, a redirect to the sign-in page. That redirect is an optimistic check only: real access control is in the
 * API (every procedure declares a permission); an expired cookie is caught there and the page then redirects.
 */
export function proxy(request: NextRequest) {
  const secure = requestOrigin(request.headers, request.url).secure;
  const finish = (response: NextResponse, csp?: string) => {
    if (csp) response.headers.set('content-security-policy', csp);
    if (secure) response.headers.set('strict-transport-security', STRICT_TRANSPORT_SECURITY);
    return response;
  };
  const path = request.nextUrl.pathname;
  // The API, /metrics (scraped by monitoring with a token or from an allowed address) and the kube-scheduler extender
  // (an API token) answer 401 themselves.
  if (path.startsWith('/api/') || path === '/metrics' || path.startsWith('/k8s/extender/')) return finish(NextResponse.next());
  if (!OPEN_PAGES.test(path) && !request.cookies.has('plenum_session')) {
    const url = request.nextUrl.clone();
    const next = path + request.nextUrl.search;
    url.pathname = '/login';
    url.search = next === '/' ? '' : `?next=${encodeURIComponent(next)}`;
    return finish(NextResponse.redirect(url));
  }
  const nonce = newNonce();
  const csp = contentSecurityPolicy(nonce, process.env.NODE_ENV !== 'production');
  const headers = new Headers(request.headers);
  headers.set('x-nonce', nonce);
  headers.set('content-security-policy', csp);
  return finish(NextResponse.next({ request: { headers } }), csp);
}

export const config = {
  // Everything but Next's build assets and the icons (no HTML there).
  matcher: ['/((?!_next/static|_next/image|icon\\.svg|favicon\\.ico).*)'],
};
