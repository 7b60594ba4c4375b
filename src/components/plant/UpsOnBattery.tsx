/** A red banner naming every UPS that telemetry says runs on battery, with its charge and runtime left. */
export function UpsOnBatteryBanner({ upses }: { upses: { name: string; summary: string }[] }) {
  if (upses.length === 0) return null;
  return (
    <div role="alert" data-testid="ups-on-battery" className="mb-4 rounded border-2 border-red-600 bg-red-50 px-3 py-2 text-sm text-red-800">
      <span className="font-semibold">On battery:</span> {upses.map((u) => u.summary).join('; ')}
    </div>
  );
}
