/**
 * The metric catalogue: every canonical metric Plenum stores, with its unit and kind.
 *
 * Canonical names carry their unit as a suffix (`_w`, `_c`, `_pct`, `_ratio`, `_bytes`, `_mhz`, `_mj`, ...). Dialects
 * convert exporter units into these once, at the edge; nothing downstream converts again.
 */

export type Unit =
  | 'W' // watts
  | 'mJ' // millijoules
  | 'kWh' // kilowatt-hours
  | 'C' // degrees Celsius
  | 'pct' // percent, 0-100
  | 'ratio' // 0-1
  | 'bytes'
  | 'bytes_per_s'
  | 'MHz'
  | 'Hz'
  | 'J' // joules
  | 'V'
  | 'A'
  | 'l_per_min'
  | 'kPa' // kilopascals (coolant pressure)
  | 's'
  | 'count' // a dimensionless count or counter
  | 'code' // an identifier-like number (XID code, pstate, bitmask, enum)
  | 'bool' // 0 or 1
  | 'unknown'; // passed-through series whose unit we could not tell

export type MetricKind = 'gauge' | 'counter';

/** What a metric is about: a GPU (keyed by UUID), a host, or a facility device (keyed by inventory device name). */
export type MetricScope = 'gpu' | 'host' | 'facility';

export interface MetricDef {
  name: string;
  unit: Unit;
  kind: MetricKind;
  scope: MetricScope;
  help: string;
}

function def(name: string, unit: Unit, kind: MetricKind, scope: MetricScope, help: string): MetricDef {
  return { name, unit, kind, scope, help };
}

const DEFS = [
  // GPU: power and energy
  def('gpu_power_w', 'W', 'gauge', 'gpu', 'GPU board power draw'),
  def('gpu_power_instant_w', 'W', 'gauge', 'gpu', 'GPU instantaneous power draw (nvidia-smi power.draw.instant)'),
  def('gpu_power_limit_w', 'W', 'gauge', 'gpu', 'Enforced GPU power limit'),
  def('gpu_energy_mj', 'mJ', 'counter', 'gpu', 'GPU energy consumed since the driver was loaded'),
  // GPU: temperatures
  def('gpu_temp_c', 'C', 'gauge', 'gpu', 'GPU die temperature'),
  def('gpu_mem_temp_c', 'C', 'gauge', 'gpu', 'GPU memory (HBM) temperature'),
  // GPU: utilisation
  def('gpu_util_pct', 'pct', 'gauge', 'gpu', 'Percent of time a kernel was running on the GPU'),
  def('gpu_mem_copy_util_pct', 'pct', 'gauge', 'gpu', 'Percent of time device memory was being read or written'),
  def('gpu_enc_util_pct', 'pct', 'gauge', 'gpu', 'Video encoder utilisation'),
  def('gpu_dec_util_pct', 'pct', 'gauge', 'gpu', 'Video decoder utilisation'),
  def('gpu_fan_pct', 'pct', 'gauge', 'gpu', 'Fan speed as a percent of its maximum'),
  def('gpu_gr_engine_active_ratio', 'ratio', 'gauge', 'gpu', 'Fraction of time the graphics/compute engine was active'),
  def('gpu_sm_active_ratio', 'ratio', 'gauge', 'gpu', 'Fraction of cycles an SM had at least one warp assigned'),
  def('gpu_sm_occupancy_ratio', 'ratio', 'gauge', 'gpu', 'Fraction of resident warps per SM relative to the maximum'),
  def('gpu_tensor_active_ratio', 'ratio', 'gauge', 'gpu', 'Fraction of cycles the tensor pipe was active'),
  def('gpu_dram_active_ratio', 'ratio', 'gauge', 'gpu', 'Fraction of cycles the memory interface was busy'),
  // GPU: memory
  def('gpu_fb_used_bytes', 'bytes', 'gauge', 'gpu', 'Frame buffer memory used'),
  def('gpu_fb_free_bytes', 'bytes', 'gauge', 'gpu', 'Frame buffer memory free'),
  def('gpu_fb_reserved_bytes', 'bytes', 'gauge', 'gpu', 'Frame buffer memory reserved by the driver'),
  def('gpu_fb_total_bytes', 'bytes', 'gauge', 'gpu', 'Frame buffer memory total'),
  // GPU: clocks
  def('gpu_sm_clock_mhz', 'MHz', 'gauge', 'gpu', 'SM clock'),
  def('gpu_mem_clock_mhz', 'MHz', 'gauge', 'gpu', 'Memory clock'),
  def('gpu_graphics_clock_mhz', 'MHz', 'gauge', 'gpu', 'Graphics clock'),
  def('gpu_video_clock_mhz', 'MHz', 'gauge', 'gpu', 'Video clock'),
  def('gpu_clock_event_reasons', 'code', 'gauge', 'gpu', 'NVML clock event (throttle) reason bitmask'),
  def('gpu_pstate', 'code', 'gauge', 'gpu', 'Performance state (0 = P0, maximum performance)'),
  // GPU: I/O
  def('gpu_pcie_tx_bytes_per_s', 'bytes_per_s', 'gauge', 'gpu', 'PCIe transmit throughput'),
  def('gpu_pcie_rx_bytes_per_s', 'bytes_per_s', 'gauge', 'gpu', 'PCIe receive throughput'),
  def('gpu_pcie_replay_total', 'count', 'counter', 'gpu', 'PCIe replay (retry) count'),
  def('gpu_nvlink_bandwidth_total', 'count', 'counter', 'gpu', 'NVLink bandwidth counter summed over all links, as DCGM reports it'),
  // GPU: health
  def('gpu_xid_last', 'code', 'gauge', 'gpu', 'Code of the last XID error (0 = none seen)'),
  def('gpu_remapped_rows_correctable_total', 'count', 'counter', 'gpu', 'Rows remapped for correctable errors'),
  def('gpu_remapped_rows_uncorrectable_total', 'count', 'counter', 'gpu', 'Rows remapped for uncorrectable errors'),
  def('gpu_row_remap_failure', 'bool', 'gauge', 'gpu', '1 when row remapping has failed'),
  def('gpu_ecc_sbe_volatile_total', 'count', 'counter', 'gpu', 'Single-bit (corrected) volatile ECC errors'),
  def('gpu_ecc_dbe_volatile_total', 'count', 'counter', 'gpu', 'Double-bit (uncorrected) volatile ECC errors'),
  def('gpu_vgpu_license_status', 'code', 'gauge', 'gpu', 'vGPU licence status'),

  // GPU: AMD Instinct sensors and counters with no NVIDIA counterpart above (amd dialect).
  def('gpu_edge_temp_c', 'C', 'gauge', 'gpu', 'GPU edge temperature (AMD; MI2xx only)'),
  def('gpu_junction_temp_c', 'C', 'gauge', 'gpu', 'GPU junction (hotspot) temperature (AMD)'),
  def('gpu_hbm_temp_c', 'C', 'gauge', 'gpu', 'Temperature of one HBM stack (label hbm_index)'),
  def('gpu_ecc_correctable_total', 'count', 'counter', 'gpu', 'Correctable ECC errors, all blocks (AMD RAS)'),
  def('gpu_ecc_uncorrectable_total', 'count', 'counter', 'gpu', 'Uncorrectable ECC errors, all blocks (AMD RAS)'),
  def('gpu_ecc_block_correctable_total', 'count', 'counter', 'gpu', 'Correctable ECC errors in one block (label block)'),
  def('gpu_ecc_block_uncorrectable_total', 'count', 'counter', 'gpu', 'Uncorrectable ECC errors in one block (label block)'),
  def('gpu_xgmi_rx_bytes_total', 'bytes', 'counter', 'gpu', 'Data read over one XGMI link (label link_index)'),
  def('gpu_xgmi_tx_bytes_total', 'bytes', 'counter', 'gpu', 'Data written over one XGMI link (label link_index)'),
  def('gpu_xgmi_error', 'bool', 'gauge', 'gpu', '1 when the XGMI error status reports an error (AMD)'),
  def('gpu_healthy', 'bool', 'gauge', 'gpu', '1 when the driver reports the GPU healthy (AMD)'),

  // Accelerator: Google TPU readings with no GPU counterpart above (tpu dialect). Duty cycle and HBM capacity map onto
  // gpu_util_pct and gpu_fb_*_bytes; these two measure something the GPU metrics do not.
  def('tpu_tensorcore_util_pct', 'pct', 'gauge', 'gpu', 'TPU TensorCore utilisation: operations done over the most the TensorCores could do'),
  def('tpu_hbm_bandwidth_util_pct', 'pct', 'gauge', 'gpu', 'TPU HBM bandwidth used over the peak bandwidth (not capacity)'),

  // Facility (plenum dialect). Identified by the inventory device name (label `device`).
  def('pdu_power_w', 'W', 'gauge', 'facility', 'PDU total active power'),
  def('pdu_energy_kwh', 'kWh', 'counter', 'facility', 'PDU energy meter'),
  def('pdu_outlet_power_w', 'W', 'gauge', 'facility', 'Active power of one PDU outlet (label outlet)'),
  def('pdu_outlet_current_a', 'A', 'gauge', 'facility', 'Current of one PDU outlet (label outlet)'),
  def('pdu_phase_current_a', 'A', 'gauge', 'facility', 'Current of one PDU input phase (label phase)'),
  def('pdu_phase_voltage_v', 'V', 'gauge', 'facility', 'Voltage of one PDU input phase (label phase)'),
  def('ups_load_w', 'W', 'gauge', 'facility', 'UPS output load'),
  def('ups_battery_charge_pct', 'pct', 'gauge', 'facility', 'UPS battery state of charge'),
  def('ups_runtime_s', 's', 'gauge', 'facility', 'UPS estimated runtime on battery'),
  def('ups_on_battery', 'bool', 'gauge', 'facility', '1 while the UPS runs on battery'),
  def('ups_seconds_on_battery', 's', 'gauge', 'facility', 'Time since the UPS went on battery, 0 on utility (UPS-MIB upsSecondsOnBattery)'),
  def('ups_battery_status', 'code', 'gauge', 'facility', 'UPS-MIB upsBatteryStatus: 1 unknown, 2 normal, 3 low, 4 depleted'),
  def('rack_inlet_temp_c', 'C', 'gauge', 'facility', 'Rack front (inlet) air temperature (label sensor)'),
  def('rack_outlet_temp_c', 'C', 'gauge', 'facility', 'Rack rear (exhaust) air temperature (label sensor)'),
  def('rack_humidity_pct', 'pct', 'gauge', 'facility', 'Rack relative humidity'),
  def('cdu_supply_temp_c', 'C', 'gauge', 'facility', 'CDU secondary-loop supply coolant temperature'),
  def('cdu_return_temp_c', 'C', 'gauge', 'facility', 'CDU secondary-loop return coolant temperature'),
  def('cdu_flow_l_per_min', 'l_per_min', 'gauge', 'facility', 'CDU secondary-loop coolant flow'),
  def('cdu_heat_removed_w', 'W', 'gauge', 'facility', 'Heat removed by the CDU'),
  // Facility readings the Redfish collector adds (DMTF PowerDistribution, CoolingUnit, EnvironmentMetrics, PowerSubsystem).
  def('pdu_branch_current_a', 'A', 'gauge', 'facility', 'Current of one PDU branch circuit (label branch)'),
  def('pdu_branch_power_w', 'W', 'gauge', 'facility', 'Active power of one PDU branch circuit (label branch)'),
  def('cdu_supply_pressure_kpa', 'kPa', 'gauge', 'facility', 'CDU secondary-loop supply coolant pressure'),
  def('cdu_return_pressure_kpa', 'kPa', 'gauge', 'facility', 'CDU secondary-loop return coolant pressure'),
  def('cdu_differential_pressure_kpa', 'kPa', 'gauge', 'facility', 'CDU secondary-loop supply minus return pressure'),
  def('cdu_primary_supply_temp_c', 'C', 'gauge', 'facility', 'CDU primary (facility water) supply temperature'),
  def('cdu_primary_return_temp_c', 'C', 'gauge', 'facility', 'CDU primary (facility water) return temperature'),
  def('cdu_primary_flow_l_per_min', 'l_per_min', 'gauge', 'facility', 'CDU primary (facility water) flow'),
  def('environment_temp_c', 'C', 'gauge', 'facility', 'Temperature a device reports for itself (Redfish EnvironmentMetrics)'),
  def('environment_humidity_pct', 'pct', 'gauge', 'facility', 'Relative humidity a device reports for itself (Redfish EnvironmentMetrics)'),
  def('chassis_power_w', 'W', 'gauge', 'facility', 'Power a chassis reports drawing (Redfish EnvironmentMetrics)'),
  def('psu_input_power_w', 'W', 'gauge', 'facility', 'Input power of one power supply (label psu)'),
  def('crah_supply_temp_c', 'C', 'gauge', 'facility', 'CRAH supply air temperature'),
  def('crah_return_temp_c', 'C', 'gauge', 'facility', 'CRAH return air temperature'),
  def('crah_fan_pct', 'pct', 'gauge', 'facility', 'CRAH fan speed'),
  def('facility_power_w', 'W', 'gauge', 'facility', 'Total facility power at a meter'),
  // Facility collectors (Modbus TCP register maps): a power meter anywhere in the chain, coolant pressure, alarms.
  def('meter_power_w', 'W', 'gauge', 'facility', 'Active power measured by a power meter'),
  def('meter_energy_kwh', 'kWh', 'counter', 'facility', 'Active energy register of a power meter'),
  def('meter_phase_voltage_v', 'V', 'gauge', 'facility', 'Voltage of one power meter phase (label phase)'),
  def('meter_phase_current_a', 'A', 'gauge', 'facility', 'Current of one power meter phase (label phase)'),
  def('cdu_pump_pct', 'pct', 'gauge', 'facility', 'CDU pump speed'),
  def('cooling_unit_alarm', 'bool', 'gauge', 'facility', '1 while the cooling unit raises the alarm named in label alarm'),
  def('it_power_w', 'W', 'gauge', 'facility', 'IT load power at a meter'),
] as const satisfies readonly MetricDef[];

export type CanonicalMetric = (typeof DEFS)[number]['name'];

export const CATALOGUE: ReadonlyMap<string, MetricDef> = new Map(DEFS.map((d) => [d.name, d]));

export function getMetricDef(name: string): MetricDef | undefined {
  return CATALOGUE.get(name);
}

export function isCanonicalMetric(name: string): name is CanonicalMetric {
  return CATALOGUE.has(name);
}

/** Lists every catalogue entry (stable order: as declared). */
export function listMetrics(): readonly MetricDef[] {
  return DEFS;
}
