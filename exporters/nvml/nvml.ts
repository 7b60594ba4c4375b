/**
 * NVML bindings through koffi (no native build step): only the calls the exporter needs.
 *
 * Every output parameter is a Node Buffer read with explicit offsets, so struct layouts are visible here and nowhere
 * else. A missing symbol (older driver) or a call returning NVML_ERROR_NOT_SUPPORTED just leaves that reading out.
 * Units are NVML's: mW, mJ, °C, %, bytes, MHz. Conversion to dcgm-exporter units happens in render.ts.
 */
import koffi, { type LibraryHandle } from 'koffi';

export const NVML_SUCCESS = 0;
export const NVML_ERROR_NOT_SUPPORTED = 3;
export const NVML_ERROR_TIMEOUT = 10;

const NVML_TEMPERATURE_GPU = 0;
const NVML_CLOCK_SM = 1;
const NVML_CLOCK_MEM = 2;
const NVML_FI_DEV_MEMORY_TEMP = 82;
const NVML_EVENT_TYPE_XID_CRITICAL_ERROR = 8n;
const NVML_MEMORY_V2_VERSION = 40 | (2 << 24); // sizeof(nvmlMemory_v2_t) | 2 << 24
const FIELD_VALUE_SIZE = 40; // sizeof(nvmlFieldValue_t)

/** The library could not be loaded or initialised: the exporter reports it in one line and exits. */
export class NvmlUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NvmlUnavailableError';
  }
}

export interface GpuIdentity {
  index: number;
  uuid: string;
  name: string;
  pciBusId: string;
  /** /dev/nvidiaN minor number, when NVML gives it. */
  minor: number | undefined;
}

/** One poll of one GPU, in NVML units. Absent = not supported (or failed) on this GPU/driver. */
export interface GpuReading {
  powerMw?: number;
  powerLimitMw?: number;
  energyMj?: number;
  tempC?: number;
  memTempC?: number;
  utilGpuPct?: number;
  utilMemPct?: number;
  fbTotalBytes?: number;
  fbFreeBytes?: number;
  fbUsedBytes?: number;
  fbReservedBytes?: number;
  smClockMhz?: number;
  memClockMhz?: number;
  clockEventReasons?: number;
  /** Last XID seen since the exporter started (0 = none); absent when XID events cannot be registered. */
  xidLast?: number;
}

export interface Nvml {
  libPath: string;
  driverVersion: string;
  gpus: GpuIdentity[];
  read(index: number): { reading: GpuReading; errors: number };
  /** Drains pending XID events without blocking. */
  pollXids(): void;
  shutdown(): void;
}

type Fn = ((...args: unknown[]) => number) | undefined;

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0];
}

function cString(buf: Buffer): string {
  const nul = buf.indexOf(0);
  return buf.toString('utf8', 0, nul < 0 ? buf.length : nul);
}

function handleKey(h: unknown): bigint {
  return typeof h === 'bigint' ? h : koffi.address(h);
}

export function openNvml(libPath: string): Nvml {
  let lib: LibraryHandle;
  try {
    lib = koffi.load(libPath);
  } catch (e) {
    throw new NvmlUnavailableError(`cannot load ${libPath}: ${firstLine(e)}`);
  }
  const fn = (decl: string): Fn => {
    try {
      return lib.func(decl) as Fn;
    } catch {
      return undefined; // symbol absent in this driver
    }
  };
  const required = (decl: string): NonNullable<Fn> => {
    const f = fn(decl);
    if (f === undefined) throw new NvmlUnavailableError(`${libPath} lacks ${decl.split('(')[0].split(' ').pop()}`);
    return f;
  };

  const nvmlInit = required('int nvmlInit_v2()');
  const nvmlShutdown = fn('int nvmlShutdown()');
  const nvmlErrorString = fn('const char *nvmlErrorString(int result)') as unknown as ((r: number) => string) | undefined;
  const errorText = (r: number): string => {
    try {
      return nvmlErrorString ? `${nvmlErrorString(r)} (${r})` : `error ${r}`;
    } catch {
      return `error ${r}`;
    }
  };

  const rc = nvmlInit();
  if (rc !== NVML_SUCCESS) throw new NvmlUnavailableError(`nvmlInit_v2 failed: ${errorText(rc)}`);

  const getCount = required('int nvmlDeviceGetCount_v2(_Out_ unsigned int *count)');
  const getHandle = required('int nvmlDeviceGetHandleByIndex_v2(unsigned int index, _Out_ void **device)');
  const getDriverVersion = fn('int nvmlSystemGetDriverVersion(void *version, unsigned int length)');
  const getName = fn('int nvmlDeviceGetName(void *device, void *name, unsigned int length)');
  const getUuid = fn('int nvmlDeviceGetUUID(void *device, void *uuid, unsigned int length)');
  const getPciInfo = fn('int nvmlDeviceGetPciInfo_v3(void *device, void *pci)');
  const getMinor = fn('int nvmlDeviceGetMinorNumber(void *device, void *minor)');
  const getPower = fn('int nvmlDeviceGetPowerUsage(void *device, void *power)');
  const getPowerLimit = fn('int nvmlDeviceGetEnforcedPowerLimit(void *device, void *limit)');
  const getEnergy = fn('int nvmlDeviceGetTotalEnergyConsumption(void *device, void *energy)');
  const getTemp = fn('int nvmlDeviceGetTemperature(void *device, int sensor, void *temp)');
  const getFieldValues = fn('int nvmlDeviceGetFieldValues(void *device, int count, void *values)');
  const getUtil = fn('int nvmlDeviceGetUtilizationRates(void *device, void *util)');
  const getMemV2 = fn('int nvmlDeviceGetMemoryInfo_v2(void *device, void *memory)');
  const getMem = fn('int nvmlDeviceGetMemoryInfo(void *device, void *memory)');
  const getClock = fn('int nvmlDeviceGetClockInfo(void *device, int type, void *clock)');
  const getReasons = fn('int nvmlDeviceGetCurrentClocksEventReasons(void *device, void *reasons)');
  const eventSetCreate = fn('int nvmlEventSetCreate(_Out_ void **set)');
  const registerEvents = fn('int nvmlDeviceRegisterEvents(void *device, unsigned long long types, void *set)');
  const eventSetWait = fn('int nvmlEventSetWait_v2(void *set, void *data, unsigned int timeoutms)') ?? fn('int nvmlEventSetWait(void *set, void *data, unsigned int timeoutms)');
  const eventSetFree = fn('int nvmlEventSetFree(void *set)');

  let driverVersion = '';
  if (getDriverVersion) {
    const buf = Buffer.alloc(96);
    if (getDriverVersion(buf, buf.length) === NVML_SUCCESS) driverVersion = cString(buf);
  }

  const countOut = [0];
  const crc = getCount(countOut);
  if (crc !== NVML_SUCCESS) throw new NvmlUnavailableError(`nvmlDeviceGetCount_v2 failed: ${errorText(crc)}`);
  const count = Number(countOut[0]);

  const handles: unknown[] = [];
  const gpus: GpuIdentity[] = [];
  for (let index = 0; index < count; index++) {
    const out: unknown[] = [null];
    const hrc = getHandle(index, out);
    if (hrc !== NVML_SUCCESS) throw new NvmlUnavailableError(`nvmlDeviceGetHandleByIndex_v2(${index}) failed: ${errorText(hrc)}`);
    const h = out[0];
    handles.push(h);
    const str = (f: Fn, size: number): string => {
      if (!f) return '';
      const buf = Buffer.alloc(size);
      return f(h, buf, buf.length) === NVML_SUCCESS ? cString(buf) : '';
    };
    let pciBusId = '';
    if (getPciInfo) {
      // nvmlPciInfo_t: char busIdLegacy[16]; unsigned domain, bus, device, pciDeviceId, pciSubSystemId; char busId[32]
      const buf = Buffer.alloc(68);
      if (getPciInfo(h, buf) === NVML_SUCCESS) pciBusId = cString(buf.subarray(36, 68));
    }
    let minor: number | undefined;
    if (getMinor) {
      const buf = Buffer.alloc(4);
      if (getMinor(h, buf) === NVML_SUCCESS) minor = buf.readUInt32LE(0);
    }
    gpus.push({ index, uuid: str(getUuid, 96), name: str(getName, 96), pciBusId, minor });
  }

  // XID events: one set for all GPUs; XID_ERRORS is reported only for GPUs that registered.
  const xidLast = new Map<number, number>();
  let eventSet: unknown;
  if (eventSetCreate && registerEvents && eventSetWait) {
    const out: unknown[] = [null];
    if (eventSetCreate(out) === NVML_SUCCESS) {
      eventSet = out[0];
      handles.forEach((h, index) => {
        if (registerEvents(h, NVML_EVENT_TYPE_XID_CRITICAL_ERROR, eventSet) === NVML_SUCCESS) xidLast.set(index, 0);
      });
    }
  }
  const handleIndex = new Map<bigint, number>();
  handles.forEach((h, index) => {
    handleIndex.set(handleKey(h), index);
  });
  const eventBuf = Buffer.alloc(64); // nvmlEventData_t: device*, eventType u64, eventData u64, [gpuInstanceId, computeInstanceId]

  const u32 = Buffer.alloc(4);
  const u64 = Buffer.alloc(8);
  const util = Buffer.alloc(8);
  const mem = Buffer.alloc(40);
  const field = Buffer.alloc(FIELD_VALUE_SIZE);

  return {
    libPath,
    driverVersion,
    gpus,
    read(index: number) {
      const h = handles[index];
      const r: GpuReading = {};
      let errors = 0;
      const ok = (code: number): boolean => {
        if (code === NVML_SUCCESS) return true;
        if (code !== NVML_ERROR_NOT_SUPPORTED) errors++;
        return false;
      };
      if (getPower && ok(getPower(h, u32))) r.powerMw = u32.readUInt32LE(0);
      if (getPowerLimit && ok(getPowerLimit(h, u32))) r.powerLimitMw = u32.readUInt32LE(0);
      if (getEnergy && ok(getEnergy(h, u64))) r.energyMj = Number(u64.readBigUInt64LE(0));
      if (getTemp && ok(getTemp(h, NVML_TEMPERATURE_GPU, u32))) r.tempC = u32.readUInt32LE(0);
      if (getFieldValues) {
        field.fill(0);
        field.writeUInt32LE(NVML_FI_DEV_MEMORY_TEMP, 0);
        // Whole-call failure or a per-field nvmlReturn other than success: no memory temperature.
        if (ok(getFieldValues(h, 1, field)) && field.readInt32LE(28) === NVML_SUCCESS) {
          const type = field.readInt32LE(24);
          const v =
            type === 0
              ? field.readDoubleLE(32)
              : type === 1 || type === 5
                ? field.readUInt32LE(32)
                : Number(field.readBigUInt64LE(32));
          r.memTempC = v;
        }
      }
      if (getUtil && ok(getUtil(h, util))) {
        r.utilGpuPct = util.readUInt32LE(0);
        r.utilMemPct = util.readUInt32LE(4);
      }
      let memDone = false;
      if (getMemV2) {
        mem.fill(0);
        mem.writeUInt32LE(NVML_MEMORY_V2_VERSION, 0);
        const code = getMemV2(h, mem);
        if (code === NVML_SUCCESS) {
          // nvmlMemory_v2_t: unsigned version; (pad) u64 total, reserved, free, used
          r.fbTotalBytes = Number(mem.readBigUInt64LE(8));
          r.fbReservedBytes = Number(mem.readBigUInt64LE(16));
          r.fbFreeBytes = Number(mem.readBigUInt64LE(24));
          r.fbUsedBytes = Number(mem.readBigUInt64LE(32));
          memDone = true;
        }
      }
      if (!memDone && getMem && ok(getMem(h, mem))) {
        // nvmlMemory_t: u64 total, free, used
        r.fbTotalBytes = Number(mem.readBigUInt64LE(0));
        r.fbFreeBytes = Number(mem.readBigUInt64LE(8));
        r.fbUsedBytes = Number(mem.readBigUInt64LE(16));
      }
      if (getClock && ok(getClock(h, NVML_CLOCK_SM, u32))) r.smClockMhz = u32.readUInt32LE(0);
      if (getClock && ok(getClock(h, NVML_CLOCK_MEM, u32))) r.memClockMhz = u32.readUInt32LE(0);
      if (getReasons && ok(getReasons(h, u64))) r.clockEventReasons = Number(u64.readBigUInt64LE(0));
      const xid = xidLast.get(index);
      if (xid !== undefined) r.xidLast = xid;
      return { reading: r, errors };
    },
    pollXids() {
      if (eventSet === undefined || !eventSetWait) return;
      for (let k = 0; k < 64; k++) {
        eventBuf.fill(0);
        if (eventSetWait(eventSet, eventBuf, 0) !== NVML_SUCCESS) return; // NVML_ERROR_TIMEOUT: nothing pending
        const index = handleIndex.get(eventBuf.readBigUInt64LE(0));
        const type = eventBuf.readBigUInt64LE(8);
        if (index !== undefined && (type & NVML_EVENT_TYPE_XID_CRITICAL_ERROR) !== 0n) {
          xidLast.set(index, Number(eventBuf.readBigUInt64LE(16)));
        }
      }
    },
    shutdown() {
      if (eventSet !== undefined && eventSetFree) eventSetFree(eventSet);
      nvmlShutdown?.();
    },
  };
}
