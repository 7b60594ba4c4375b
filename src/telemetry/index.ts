/** Public API of the pure telemetry library. */
export * from './amd-smi-json';
export * from './catalogue';
export * from './dialects/amd';
export * from './dialects/dcgm';
export * from './dialects/index';
export * from './dialects/nvidia-smi';
export * from './dialects/plenum';
export * from './dialects/prometheus';
export * from './dialects/tpu';
export * from './exposition';
export * from './input-limits';
export * from './nvidia-smi-csv';
export * from './remote-write';
export * from './samples';
