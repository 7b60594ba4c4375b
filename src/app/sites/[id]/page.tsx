import { SiteView } from '@/components/plant/SiteView';

export default async function SitePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <SiteView id={Number(id)} />;
}
