/**
 * Response security headers and what the request says about the client's origin: one definition for the proxy
 * (pages), the tRPC context (CSRF check, Secure cookie) and the tests. Pure: no Node-only imports (the proxy bundles it).
 */

/** X-Forwarded-Host / X-Forwarded-Proto / X-Forwarded-For are believed only behind a trusted reverse proxy. */
export function trustProxy(env: Record<string, string | undefined> = process.env): boolean {
  return env.PLENUM_TRUST_PROXY === '1';
}

const firstValue = (header: string | null): string | undefined => header?.split(',')[0]?.trim() || undefined;

/**
 * The host and scheme the client used. Behind a trusted proxy they come from X-Forwarded-Host / X-Forwarded-Proto;
 * otherwise from the Host header and the URL the server received (a client can then not claim another origin).
 */
export function requestOrigin(headers: Headers, url: string, trusted = trustProxy()): { host: string; secure: boolean } {
  const parsed = new URL(url);
  const host = (trusted ? firstValue(headers.get('x-forwarded-host')) : undefined) ?? headers.get('host') ?? parsed.host;
  const proto = (trusted ? firstValue(headers.get('x-forwarded-proto')) : undefined) ?? parsed.protocol.replace(':', '');
  return { host, secure: proto === 'https' };
}

/** Sent on responses to HTTPS requests only (a browser ignores it over plain HTTP, and it would be wrong there). */
export const STRICT_TRANSPORT_SECURITY = 'max-age=31536000; includeSubDomains';

/** 128 random bits, base64: unguessable, fresh for every page request. */
export function newNonce(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return btoa(String.fromCharCode(...bytes));
}

/**
 * The page CSP: scripts only with this request's nonce ('strict-dynamic' lets Next's nonced loader add its chunks);
 * no inline scripts or event handlers. Styles keep 'unsafe-inline' because mermaid and recharts write inline styles
 * into SVG (styles cannot run code). No third-party origins, plugins, framing or <base> hijack; forms post here only.
 * `dev`: Next's development server needs eval for hot reload.
 */
export function contentSecurityPolicy(nonce: string, dev = false): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ''}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}
