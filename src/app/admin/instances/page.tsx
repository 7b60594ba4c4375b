import { RequirePermission } from '@/components/auth/RequirePermission';
import { InstancesView } from '@/components/system/InstancesView';

export default function InstancesPage() {
  return (
    <RequirePermission permission="admin" title="Instances" what="Seeing the Plenum instances and their roles">
      <InstancesView />
    </RequirePermission>
  );
}
