import Link from 'next/link';

/** Every missing page and every detail page whose id names nothing (HTTP 404). */
export default function NotFound() {
  return (
    <section className="mx-auto max-w-xl py-16 text-center" data-testid="not-found">
      <h1 className="text-2xl font-semibold text-slate-900">Not found</h1>
      <p className="mt-3 text-sm text-slate-600">Nothing here: the address is wrong, or what it named has been removed. Its history stays in the change log.</p>
      <p className="mt-6 flex justify-center gap-4 text-sm">
        <Link href="/" className="text-sky-700 hover:underline">
          Overview
        </Link>
        <Link href="/racks" className="text-sky-700 hover:underline">
          Racks
        </Link>
        <Link href="/devices" className="text-sky-700 hover:underline">
          Devices
        </Link>
        <Link href="/jobs" className="text-sky-700 hover:underline">
          Jobs
        </Link>
        <Link href="/changes" className="text-sky-700 hover:underline">
          Change log
        </Link>
      </p>
    </section>
  );
}
