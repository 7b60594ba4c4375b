import { TokensAdmin } from '@/components/auth/TokensAdmin';

export default function TokensPage() {
  return <TokensAdmin />;
}
