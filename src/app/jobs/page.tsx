import { JobsQueue } from '@/components/jobs/JobsQueue';

export default function JobsPage() {
  return <JobsQueue />;
}
