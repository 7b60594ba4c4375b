export { DCGM_DEFAULT_COUNTERS, renderGpuHostMetrics } from './dcgm';
export { FACILITY_METRICS, renderFacilityMetrics, SNMP_SERVED_FAMILIES } from './facility';
export { AMD_EXPORTER_FIELDS, renderAmdHostMetrics } from './amd';
export { renderTpuHostMetrics, TPU_EXPORTER_FIELDS } from './tpu';
