import { JobView } from '@/components/jobs/JobView';
import { idOrNotFound } from '@/server/pages';

export const dynamic = 'force-dynamic';

export default async function JobPage({ params }: { params: Promise<{ id: string }> }) {
  const id = await idOrNotFound('jobs', (await params).id);
  return <JobView id={id} />;
}
