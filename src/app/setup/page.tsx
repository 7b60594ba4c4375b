import { SetupForm } from '@/components/auth/SetupForm';

export const metadata = { title: 'Set up · Plenum' };

export default function SetupPage() {
  return <SetupForm />;
}
