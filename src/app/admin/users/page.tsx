import { UsersAdmin } from '@/components/auth/UsersAdmin';

export default function UsersPage() {
  return <UsersAdmin />;
}
