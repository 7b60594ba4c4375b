import { type NextRequest, NextResponse } from 'next/server';

/**
 * An optimistic check only: pages without a session cookie go to the sign-in page. Real access control is in the
 * API (every procedure declares a permission); an expired cookie is caught there and the page then redirects.
 */
export function proxy(request: NextRequest) {
  if (request.cookies.has('plenum_session')) return NextResponse.next();
  const url = request.nextUrl.clone();
  const next = request.nextUrl.pathname + request.nextUrl.search;
  url.pathname = '/login';
  url.search = next === '/' ? '' : `?next=${encodeURIComponent(next)}`;
  return NextResponse.redirect(url);
}

export const config = {
  // Everything but the API, Next's assets, the icon, the sign-in and set-up pages, and /metrics (scraped by monitoring
  // with a token or from an allowed address: it answers 401 itself, never a redirect).
  matcher: ['/((?!api/|_next/|icon\\.svg|favicon\\.ico|login|setup|metrics).*)'],
};
