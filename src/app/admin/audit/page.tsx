import { AuditView } from '@/components/auth/AuditView';
import { RequirePermission } from '@/components/auth/RequirePermission';

export default function AuditPage() {
  return (
    <RequirePermission permission="admin" title="Audit log" what="Reading the audit log">
      <AuditView />
    </RequirePermission>
  );
}
