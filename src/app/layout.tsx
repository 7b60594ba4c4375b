import type { Metadata } from 'next';
import Link from 'next/link';
import { connection } from 'next/server';
import type { ReactNode } from 'react';
import { UserMenu } from '@/components/auth/UserMenu';
import { TRPCReactProvider } from '@/trpc/client';
import './globals.css';

export const metadata: Metadata = {
  title: 'Plenum',
  description: 'DCIM for AI data centers: the physical plant and the GPU workloads in one system',
};

/** The main menu, grouped the way people work: watch and act, the plant, planning, the telemetry plumbing. */
const navigation: { group: string; items: { href: string; label: string }[] }[] = [
  {
    group: 'Operate',
    items: [
      { href: '/', label: 'Overview' },
      { href: '/dashboards/power', label: 'Live power' },
      { href: '/dashboards/thermal', label: 'Thermal' },
      { href: '/dashboards/utilisation', label: 'Utilisation' },
      { href: '/alerts', label: 'Alerts' },
      { href: '/jobs', label: 'Jobs' },
      { href: '/clusters', label: 'Clusters' },
    ],
  },
  {
    group: 'Plant',
    items: [
      { href: '/racks', label: 'Racks' },
      { href: '/tpu', label: 'TPU pods' },
      { href: '/devices', label: 'Devices' },
      { href: '/device-types', label: 'Device types' },
      { href: '/power', label: 'Power' },
      { href: '/cooling', label: 'Cooling' },
      { href: '/network', label: 'Network' },
      { href: '/changes', label: 'Change log' },
    ],
  },
  {
    group: 'Plan',
    items: [
      { href: '/capacity', label: 'Capacity' },
      { href: '/topology', label: 'Topology' },
      { href: '/telemetry', label: 'Telemetry' },
    ],
  },
];

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Every page renders per request, so Next can put this request's CSP nonce (set in src/proxy.ts) on its scripts.
  await connection();
  return (
    <html lang="en">
      <body>
        <TRPCReactProvider>
          <header className="border-b border-slate-200 bg-white">
            <nav className="mx-auto flex max-w-7xl flex-wrap items-center gap-x-6 gap-y-2 px-6 py-3" aria-label="Main">
              <Link href="/" className="text-lg font-semibold tracking-tight text-slate-900">
                Plenum
              </Link>
              {navigation.map((section) => (
                <div key={section.group} className="flex flex-wrap items-center gap-x-3 gap-y-1">
                  <span className="text-xs font-semibold uppercase tracking-wide text-slate-400">{section.group}</span>
                  {section.items.map((item) => (
                    <Link key={item.href} href={item.href} className="text-sm text-slate-600 hover:text-slate-900">
                      {item.label}
                    </Link>
                  ))}
                </div>
              ))}
              <div className="ml-auto">
                <UserMenu />
              </div>
            </nav>
          </header>
          <main className="mx-auto max-w-7xl px-6 py-6">{children}</main>
        </TRPCReactProvider>
      </body>
    </html>
  );
}
