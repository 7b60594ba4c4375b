import { AlertsView } from '@/components/telemetry/AlertsView';

export default function AlertsPage() {
  return <AlertsView />;
}
