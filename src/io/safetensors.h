/* safetensors.h: read-only, validated access to safetensors checkpoints (single file or sharded
 * via model.safetensors.index.json), memory-mapped so weights are used in place. */
#ifndef OM_IO_SAFETENSORS_H
#define OM_IO_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "openmed.h"

#define OM_ST_MAX_DIMS 8

typedef enum om_st_dtype {
    OM_ST_F32 = 0,
    OM_ST_F16 = 1,
    OM_ST_BF16 = 2,
    OM_ST_OTHER = 3 /* a dtype we do not compute with (I64, U8, ...): listed, never converted */
} om_st_dtype;

typedef struct om_st_tensor {
    const char *name;
    om_st_dtype dtype;
    char dtype_name[8];          /* as written in the header: "F32", "BF16", ... */
    int ndim;
    int64_t shape[OM_ST_MAX_DIMS];
    const void *data;            /* points into the mapping; little-endian, possibly unaligned for F32 */
    size_t nbytes;
    const char *file;            /* the shard it lives in, for error messages */
} om_st_tensor;

typedef struct om_safetensors om_safetensors;

/* Open `path`: a model folder (model.safetensors or model.safetensors.index.json inside), or a
 * .safetensors file. Validates every header (size cap, JSON, dtypes, shapes x dtype = bytes,
 * offsets in bounds and non-overlapping, index paths inside the folder). A folder with only
 * pytorch_model.bin is refused with a message saying how to convert it. */
openmed_status om_safetensors_open(const char *path, om_safetensors **out, openmed_error *err);
void om_safetensors_close(om_safetensors *st);

/* The tensor with this exact name, or NULL. */
const om_st_tensor *om_safetensors_find(const om_safetensors *st, const char *name);

size_t om_safetensors_count(const om_safetensors *st);
const om_st_tensor *om_safetensors_at(const om_safetensors *st, size_t i);

/* The tensor's bytes were copied (converted, packed) and are not needed now: let this process's
 * pages of it go, those lying wholly inside it. The mapping is read-only and file-backed, so a
 * later read faults them back in from the file; contents never change. */
void om_safetensors_drop_pages(const om_st_tensor *t);

#endif
