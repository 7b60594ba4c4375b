import { TelemetryView } from '@/components/telemetry/TelemetryView';

export default function TelemetryPage() {
  return <TelemetryView />;
}
