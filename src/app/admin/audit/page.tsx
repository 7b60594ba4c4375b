import { AuditView } from '@/components/auth/AuditView';

export default function AuditPage() {
  return <AuditView />;
}
