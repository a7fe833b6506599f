/* plugin.h: the entry points of the CUDA plugin libopenmed_cuda.so, shared by the plugin and the loader.
 *
 * The loader (src/backend/cuda_loader.c) dlopen()s the plugin and looks these symbols up by name.
 * Both sides compile om_cuda_plugin_abi_expected() from the same backend.h; the loader refuses a
 * plugin built from a different op vtable (a stale build), since calling through a mismatched
 * vtable would crash instead of failing cleanly.
 */
#ifndef OM_BACKEND_CUDA_PLUGIN_H
#define OM_BACKEND_CUDA_PLUGIN_H

#ifdef __cplusplus
extern "C" {
#endif
#include "backend/backend.h"
#ifdef __cplusplus
}
#endif

#define OM_CUDA_PLUGIN_FILE "libopenmed_cuda.so"
#define OM_CUDA_PLUGIN_ABI_SYMBOL "om_cuda_plugin_abi"
#define OM_CUDA_PLUGIN_OPEN_SYMBOL "om_cuda_plugin_open"

/* A fingerprint of the structures the two sides exchange (grows whenever backend.h does). */
static inline long om_cuda_plugin_abi_expected(void) {
    return 1L * 1000000000L + (long)sizeof(om_backend) * 1000000L + (long)sizeof(om_attention_args) * 1000L +
           (long)sizeof(om_rope_args) * 10L + (long)(sizeof(om_weight) % 10);
}

/* long om_cuda_plugin_abi(void): the plugin's om_cuda_plugin_abi_expected(). */
typedef long (*om_cuda_plugin_abi_fn)(void);

/* Open CUDA device `ordinal` as a backend named "cuda:<ordinal>". Fails with OPENMED_ERR_DEVICE
 * (no device, ordinal out of range, runtime or cuBLAS failure) or OPENMED_ERR_NO_MEMORY. */
typedef openmed_status (*om_cuda_plugin_open_fn)(int ordinal, int num_threads, om_backend **out,
                                                 openmed_error *err);

#endif
