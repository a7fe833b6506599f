/* fuzz_safetensors.c: the safetensors reader on hostile bytes. The first input byte picks the
 * mode: even = the rest is one model.safetensors file; odd = the rest is a
 * model.safetensors.index.json beside two valid shards (and a valid file one folder up, which a
 * path escaping the folder would reach). Whatever opens must describe memory inside its files:
 * every tensor's bytes are read, sizes match shape x dtype, and shards lie inside the folder. */
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "io/safetensors.h"

/* A valid little file: a F32 [2] tensor "a" and a U8 [3] tensor "b" named by `prefix`. */
static void write_shard(const char *path, const char *prefix) {
    char header[256];
    int n = snprintf(header, sizeof header,
                     "{\"%sa\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                     "\"%sb\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[8,11]}}",
                     prefix, prefix);
    unsigned char file[512];
    uint64_t len = (uint64_t)n;
    for (int i = 0; i < 8; i++) file[i] = (unsigned char)(len >> (8 * i));
    memcpy(file + 8, header, (size_t)n);
    memset(file + 8 + n, 7, 11);
    fuzz_write(path, file, 8 + (size_t)n + 11);
}

static char model_dir[300], single_file[400], index_file[400];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    char path[400];
    fuzz_path(path, sizeof path, "outside.safetensors");
    write_shard(path, "outside.");
    fuzz_path(model_dir, sizeof model_dir, "model");
    mkdir(model_dir, 0755);
    snprintf(path, sizeof path, "%s/model-00001-of-00002.safetensors", model_dir);
    write_shard(path, "one.");
    snprintf(path, sizeof path, "%s/model-00002-of-00002.safetensors", model_dir);
    write_shard(path, "two.");
    fuzz_path(single_file, sizeof single_file, "single.safetensors");
    snprintf(index_file, sizeof index_file, "%s/model.safetensors.index.json", model_dir);
    return 0;
}

static unsigned dtype_bits(const char *name) {
    static const struct { const char *name; unsigned bits; } known[] = {
        {"BOOL", 8}, {"U8", 8}, {"I8", 8}, {"F8_E5M2", 8}, {"F8_E4M3", 8}, {"F8_E8M0", 8},
        {"I16", 16}, {"U16", 16}, {"F16", 16}, {"BF16", 16}, {"I32", 32}, {"U32", 32},
        {"F32", 32}, {"C64", 64}, {"F64", 64}, {"I64", 64}, {"U64", 64}, {"F4", 4},
        {"F6_E2M3", 6}, {"F6_E3M2", 6},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strcmp(known[i].name, name)) return known[i].bits;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    int index_mode = data[0] & 1;
    const char *open_path = index_mode ? model_dir : single_file;
    fuzz_write(index_mode ? index_file : single_file, data + 1, size - 1);
    om_safetensors *st = NULL;
    openmed_error err;
    memset(&err, 0, sizeof err);
    openmed_status s = om_safetensors_open(open_path, &st, &err);
    FUZZ_CHECK_ERROR(s, err);
    if (s == OPENMED_OK) {
        volatile unsigned sum = 0;
        for (size_t i = 0; i < om_safetensors_count(st); i++) {
            const om_st_tensor *t = om_safetensors_at(st, i);
            FUZZ_ASSERT(t && t->name && om_safetensors_find(st, t->name) == t, "tensor %zu not found by name", i);
            FUZZ_ASSERT(t->ndim >= 0 && t->ndim <= OM_ST_MAX_DIMS, "rank %d", t->ndim);
            unsigned bits = dtype_bits(t->dtype_name);
            FUZZ_ASSERT(bits > 0, "tensor with an unknown dtype was accepted");
            unsigned __int128 elems = 1;
            for (int d = 0; d < t->ndim; d++) {
                FUZZ_ASSERT(t->shape[d] >= 0, "negative dimension accepted");
                elems *= (unsigned __int128)t->shape[d];
            }
            FUZZ_ASSERT(elems * bits == (unsigned __int128)t->nbytes * 8, "bytes do not match shape x dtype");
            FUZZ_ASSERT(t->nbytes == 0 || t->data, "tensor without data");
            const unsigned char *p = t->data;
            for (size_t b = 0; b < t->nbytes; b++) sum += p[b];
            if (index_mode)
                FUZZ_ASSERT(t->file && !strncmp(t->file, model_dir, strlen(model_dir)) && !strstr(t->file, "/../") &&
                                !strstr(t->file, "outside"),
                            "a shard outside the model folder was opened");
        }
        (void)sum;
        om_safetensors_close(st);
    } else {
        FUZZ_ASSERT(st == NULL, "failed open left an object");
    }
    return 0;
}
