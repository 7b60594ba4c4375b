import Link from 'next/link';
import type { ReactNode } from 'react';

export type Crumb = { href?: string; label: string };

export function PageHeader({ title, crumbs = [], actions }: { title: string; crumbs?: Crumb[]; actions?: ReactNode }) {
  return (
    <div className="mb-6">
      {crumbs.length > 0 && (
        <nav aria-label="Breadcrumb" className="mb-1 text-sm text-slate-500">
          {crumbs.map((crumb, i) => (
            <span key={`${crumb.label}-${i}`}>
              {crumb.href ? (
                <Link href={crumb.href} className="hover:text-slate-900 hover:underline">
                  {crumb.label}
                </Link>
              ) : (
                crumb.label
              )}
              {' / '}
            </span>
          ))}
        </nav>
      )}
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-2xl font-semibold">{title}</h1>
        {actions && <div className="flex gap-2">{actions}</div>}
      </div>
    </div>
  );
}

export function ButtonLink({ href, children }: { href: string; children: ReactNode }) {
  return (
    <Link href={href} className="rounded bg-slate-900 px-3 py-1.5 text-sm font-medium text-white hover:bg-slate-700 focus:outline-none focus:ring-2 focus:ring-sky-500">
      {children}
    </Link>
  );
}

export function SecondaryLink({ href, children, download }: { href: string; children: ReactNode; download?: boolean }) {
  return (
    <a href={href} download={download} className="rounded border border-slate-300 bg-white px-3 py-1.5 text-sm hover:bg-slate-50 focus:outline-none focus:ring-2 focus:ring-sky-500">
      {children}
    </a>
  );
}
