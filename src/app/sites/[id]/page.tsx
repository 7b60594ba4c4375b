import { SiteView } from '@/components/plant/SiteView';
import { idOrNotFound } from '@/server/pages';

export const dynamic = 'force-dynamic';

export default async function SitePage({ params }: { params: Promise<{ id: string }> }) {
  const id = await idOrNotFound('sites', (await params).id);
  return <SiteView id={id} />;
}
