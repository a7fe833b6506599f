/* device.h: device resolution as a pure function of (preference, config, environment, probes),
 * the availability probes, and MPS tuning; the public wrappers live in resolve.c and check.c. */
#ifndef OM_DEVICE_DEVICE_H
#define OM_DEVICE_DEVICE_H

#include <stddef.h>

#include "openmed.h"

/* Which accelerator backends this build contains (set by CMake). */
#ifndef OM_HAVE_CUDA
#define OM_HAVE_CUDA 0
#endif
#ifndef OM_HAVE_METAL
#define OM_HAVE_METAL 0
#endif

/* Availability probes, called only when resolution reaches the automatic step (and then in the
 * order mps, cuda). Tests pass fakes; om_device_real_probes() asks the machine. */
typedef struct om_device_probes {
    int (*mps_available)(void *ctx);
    int (*cuda_available)(void *ctx);
    void *ctx;
} om_device_probes;

const om_device_probes *om_device_real_probes(void);

/* OpenMed's _normalize: strip + lower; exactly "gpu" -> "cuda"; "" -> "auto". NULL -> "auto". */
void om_device_normalize(const char *in, char *out, size_t out_size);

/* 1 for "auto" and "default" (after normalization). */
int om_device_is_auto(const char *normalized);

/* The seed's rule: explicit > config_device > env_torch > env_legacy > mps > cuda > cpu.
 * Fills requested/source/resolved of `out`; dtype and MPS fields are left zero. */
void om_device_resolve_pure(const char *explicit_device, const char *config_device, const char *env_torch,
                            const char *env_legacy, const om_device_probes *probes,
                            openmed_device_choice *out);

/* When `resolved` starts with "mps": set PYTORCH_ENABLE_MPS_FALLBACK=1,
 * PYTORCH_MPS_HIGH_WATERMARK_RATIO=1.0, PYTORCH_MPS_LOW_WATERMARK_RATIO=0.9 where unset
 * (pre-set values win) and record the values in effect in out->mps_env. */
void om_device_apply_mps_tuning(openmed_device_choice *out);

/* Probe details for doctor and error messages. devices (may be NULL) gets, when a device is
 * available, "cuda:0 NAME (N GiB, compute X.Y)[; cuda:1 ...]; driver CUDA A.B". */
int om_probe_cuda(int *device_count, char *reason, size_t reason_size, char *devices, size_t devices_size);
int om_probe_mps(char *reason, size_t reason_size);

/* The NVIDIA driver alone, whatever this build contains (the CUDA plugin may come from elsewhere):
 * 1 when it loads, initialises and reports devices (*device_count of them); else 0 and the reason.
 * The process's one libcuda probe, run once. */
int om_probe_cuda_driver(int *device_count, char *reason, size_t reason_size);

/* Device names: a family with an optional ":N" index, as resolution produces them. */
typedef enum om_device_kind { OM_DEVICE_UNKNOWN = 0, OM_DEVICE_CPU, OM_DEVICE_CUDA, OM_DEVICE_MPS } om_device_kind;

/* Parse "cpu", "cuda", "cuda:N", "mps" (any family may carry ":N"). *kind is the family (UNKNOWN
 * for another name), *index is N or -1 when absent. Returns 0 for a well-formed name, -1 when the
 * index is not a decimal number in [0, 4096] (*kind is still set). */
int om_device_parse(const char *name, om_device_kind *kind, int *index);

#endif
