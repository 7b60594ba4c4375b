import { RequirePermission } from '@/components/auth/RequirePermission';
import { UsersAdmin } from '@/components/auth/UsersAdmin';

export default function UsersPage() {
  return (
    <RequirePermission permission="admin" title="Users" what="Managing user accounts">
      <UsersAdmin />
    </RequirePermission>
  );
}
