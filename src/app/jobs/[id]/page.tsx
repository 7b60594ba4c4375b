import { JobView } from '@/components/jobs/JobView';

export default async function JobPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <JobView id={Number(id)} />;
}
