import { JobForm } from '@/components/jobs/JobForm';

export default function NewJobPage() {
  return <JobForm />;
}
