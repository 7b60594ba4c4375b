/*
 * A stand-in libnvidia-ml.so.1 for tests: the NVML functions exporters/nvml calls, with canned values for two GPUs.
 * Build: gcc -shared -fPIC -o libnvidia-ml.so.1 stub.c
 *
 * GPU 0 supports everything. GPU 1 returns NVML_ERROR_NOT_SUPPORTED for the energy counter, the memory temperature
 * field and nvmlDeviceGetMemoryInfo_v2 (so the exporter must fall back to v1), and has one pending XID 79 event.
 * STUB_NVML_INIT_RESULT=<n> makes nvmlInit_v2 return n (9 = driver not loaded).
 */
#include <stdlib.h>
#include <string.h>

typedef int nvmlReturn_t;
#define NVML_SUCCESS 0
#define NVML_ERROR_INVALID_ARGUMENT 2
#define NVML_ERROR_NOT_SUPPORTED 3
#define NVML_ERROR_INSUFFICIENT_SIZE 7
#define NVML_ERROR_TIMEOUT 10

typedef struct stub_gpu {
  const char *name, *uuid, *bus_id;
  unsigned int minor, power_mw, limit_mw, temp_c, util_gpu, util_mem, sm_mhz, mem_mhz;
  unsigned long long energy_mj, total, reserved, used, reasons;
  int has_energy, has_mem_temp, has_mem_v2;
  unsigned int mem_temp_c;
} stub_gpu;

static stub_gpu gpus[2] = {
  {"NVIDIA H100 80GB HBM3", "GPU-11111111-2222-3333-4444-555555555550", "00000000:1A:00.0",
   0, 69850, 700000, 41, 0, 0, 1980, 2619,
   2687044ULL, 81920ULL << 20, 479ULL << 20, 19818ULL << 20, 0x4ULL, 1, 1, 1, 48},
  {"NVIDIA H200", "GPU-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeee1", "00000000:2B:00.0",
   1, 631950, 700000, 59, 100, 11, 1455, 3201,
   0, 143771ULL << 20, 0, 1024ULL << 20, 0x1ULL, 0, 0, 0, 0},
};
static int initialised = 0;
static int xid_pending = 1;

static stub_gpu *dev(void *d) {
  if (d == (void *)&gpus[0]) return &gpus[0];
  if (d == (void *)&gpus[1]) return &gpus[1];
  return NULL;
}

nvmlReturn_t nvmlInit_v2(void) {
  const char *forced = getenv("STUB_NVML_INIT_RESULT");
  if (forced) return atoi(forced);
  initialised = 1;
  return NVML_SUCCESS;
}
nvmlReturn_t nvmlShutdown(void) { initialised = 0; return NVML_SUCCESS; }
const char *nvmlErrorString(nvmlReturn_t r) {
  switch (r) {
    case 0: return "Success";
    case 3: return "Not Supported";
    case 9: return "Driver Not Loaded";
    default: return "Unknown Error";
  }
}

static nvmlReturn_t copy_str(char *dst, unsigned int len, const char *src) {
  if (strlen(src) + 1 > len) return NVML_ERROR_INSUFFICIENT_SIZE;
  strcpy(dst, src);
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlSystemGetDriverVersion(char *v, unsigned int len) { return copy_str(v, len, "580.159.04"); }
nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *n) { *n = 2; return NVML_SUCCESS; }
nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int i, void **d) {
  if (i > 1) return NVML_ERROR_INVALID_ARGUMENT;
  *d = &gpus[i];
  return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetName(void *d, char *s, unsigned int len) { return copy_str(s, len, dev(d)->name); }
nvmlReturn_t nvmlDeviceGetUUID(void *d, char *s, unsigned int len) { return copy_str(s, len, dev(d)->uuid); }

typedef struct {
  char busIdLegacy[16];
  unsigned int domain, bus, device, pciDeviceId, pciSubSystemId;
  char busId[32];
} nvmlPciInfo_t;
nvmlReturn_t nvmlDeviceGetPciInfo_v3(void *d, nvmlPciInfo_t *p) {
  memset(p, 0, sizeof *p);
  strcpy(p->busId, dev(d)->bus_id);
  strncpy(p->busIdLegacy, dev(d)->bus_id + 4, 15);
  return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetMinorNumber(void *d, unsigned int *m) { *m = dev(d)->minor; return NVML_SUCCESS; }
nvmlReturn_t nvmlDeviceGetPowerUsage(void *d, unsigned int *p) { *p = dev(d)->power_mw; return NVML_SUCCESS; }
nvmlReturn_t nvmlDeviceGetEnforcedPowerLimit(void *d, unsigned int *p) { *p = dev(d)->limit_mw; return NVML_SUCCESS; }
nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(void *d, unsigned long long *e) {
  if (!dev(d)->has_energy) return NVML_ERROR_NOT_SUPPORTED;
  *e = dev(d)->energy_mj;
  return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetTemperature(void *d, int sensor, unsigned int *t) {
  if (sensor != 0) return NVML_ERROR_INVALID_ARGUMENT;
  *t = dev(d)->temp_c;
  return NVML_SUCCESS;
}

typedef struct {
  unsigned int fieldId, scopeId;
  long long timestamp, latencyUsec;
  int valueType;
  nvmlReturn_t nvmlReturn;
  union { double dVal; unsigned int uiVal; unsigned long ulVal; unsigned long long ullVal; long long sllVal; int siVal; } value;
} nvmlFieldValue_t;
nvmlReturn_t nvmlDeviceGetFieldValues(void *d, int count, nvmlFieldValue_t *values) {
  for (int k = 0; k < count; k++) {
    nvmlFieldValue_t *v = &values[k];
    if (v->fieldId == 82 && dev(d)->has_mem_temp) {
      v->valueType = 1; /* NVML_VALUE_TYPE_UNSIGNED_INT */
      v->value.uiVal = dev(d)->mem_temp_c;
      v->nvmlReturn = NVML_SUCCESS;
    } else {
      v->nvmlReturn = NVML_ERROR_NOT_SUPPORTED;
    }
  }
  return NVML_SUCCESS;
}

typedef struct { unsigned int gpu, memory; } nvmlUtilization_t;
nvmlReturn_t nvmlDeviceGetUtilizationRates(void *d, nvmlUtilization_t *u) {
  u->gpu = dev(d)->util_gpu;
  u->memory = dev(d)->util_mem;
  return NVML_SUCCESS;
}

typedef struct { unsigned long long total, free, used; } nvmlMemory_t;
typedef struct { unsigned int version; unsigned long long total, reserved, free, used; } nvmlMemory_v2_t;
nvmlReturn_t nvmlDeviceGetMemoryInfo(void *d, nvmlMemory_t *m) {
  stub_gpu *g = dev(d);
  m->total = g->total;
  m->used = g->used + g->reserved;
  m->free = g->total - m->used;
  return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(void *d, nvmlMemory_v2_t *m) {
  stub_gpu *g = dev(d);
  if (!g->has_mem_v2) return NVML_ERROR_NOT_SUPPORTED;
  if (m->version != (unsigned int)(sizeof(nvmlMemory_v2_t) | (2 << 24))) return NVML_ERROR_INVALID_ARGUMENT;
  m->total = g->total;
  m->reserved = g->reserved;
  m->used = g->used;
  m->free = g->total - g->reserved - g->used;
  return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetClockInfo(void *d, int type, unsigned int *c) {
  if (type == 1) *c = dev(d)->sm_mhz;
  else if (type == 2) *c = dev(d)->mem_mhz;
  else return NVML_ERROR_NOT_SUPPORTED;
  return NVML_SUCCESS;
}
nvmlReturn_t nvmlDeviceGetCurrentClocksEventReasons(void *d, unsigned long long *r) { *r = dev(d)->reasons; return NVML_SUCCESS; }

typedef struct {
  void *device;
  unsigned long long eventType, eventData;
  unsigned int gpuInstanceId, computeInstanceId;
} nvmlEventData_t;
static int event_set;
nvmlReturn_t nvmlEventSetCreate(void **set) { *set = &event_set; return NVML_SUCCESS; }
nvmlReturn_t nvmlDeviceRegisterEvents(void *d, unsigned long long types, void *set) {
  (void)d;
  return (types & 8ULL) && set == &event_set ? NVML_SUCCESS : NVML_ERROR_INVALID_ARGUMENT;
}
nvmlReturn_t nvmlEventSetWait_v2(void *set, nvmlEventData_t *data, unsigned int timeoutms) {
  (void)timeoutms;
  if (set != &event_set) return NVML_ERROR_INVALID_ARGUMENT;
  if (!xid_pending) return NVML_ERROR_TIMEOUT;
  xid_pending = 0;
  data->device = &gpus[1];
  data->eventType = 8ULL;
  data->eventData = 79;
  data->gpuInstanceId = 0xffffffff;
  data->computeInstanceId = 0xffffffff;
  return NVML_SUCCESS;
}
nvmlReturn_t nvmlEventSetFree(void *set) { (void)set; return NVML_SUCCESS; }
