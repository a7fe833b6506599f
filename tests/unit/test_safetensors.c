/* test_safetensors.c: the safetensors reader accepts valid files and rejects every corrupt case of
 * reliability-anchors §6 (written here into a temp dir) with a typed error, never a crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "io/safetensors.h"

static char tmpdir[256];

static void path_in(char *out, size_t size, const char *name) { snprintf(out, size, "%s/%s", tmpdir, name); }

/* Write an 8-byte little-endian n, then the header bytes, then data_len bytes of data (0..255 pattern). */
static void write_raw(const char *path, uint64_t n, const char *header, size_t header_len, size_t data_len) {
    FILE *f = fopen(path, "wb");
    unsigned char len[8];
    for (int i = 0; i < 8; i++) len[i] = (unsigned char)(n >> (8 * i));
    fwrite(len, 1, 8, f);
    fwrite(header, 1, header_len, f);
    for (size_t i = 0; i < data_len; i++) fputc((int)(i & 0xFF), f);
    fclose(f);
}

static void write_st(const char *path, const char *header, size_t data_len) {
    write_raw(path, strlen(header), header, strlen(header), data_len);
}

/* Open a file holding `header` + data_len bytes; return the status. */
static openmed_status try_header(const char *header, size_t data_len, openmed_error *err) {
    char path[512];
    path_in(path, sizeof path, "case.safetensors");
    write_st(path, header, data_len);
    om_safetensors *st = NULL;
    memset(err, 0, sizeof *err);
    openmed_status s = om_safetensors_open(path, &st, err);
    om_safetensors_close(st);
    return s;
}

#define EXPECT_REJECT(header, data_len)                                                              \
    do {                                                                                             \
        openmed_error e_;                                                                            \
        openmed_status s_ = try_header(header, data_len, &e_);                                       \
        CHECK_MSG(s_ == OPENMED_ERR_FORMAT, "header %s accepted or wrong status %d", header, (int)s_); \
        CHECK(strstr(e_.message, "case.safetensors") != NULL);                                       \
    } while (0)

#define EXPECT_ACCEPT(header, data_len)                                                              \
    do {                                                                                             \
        openmed_error e_;                                                                            \
        openmed_status s_ = try_header(header, data_len, &e_);                                       \
        CHECK_MSG(s_ == OPENMED_OK, "header %s rejected: %s", header, e_.message);                   \
    } while (0)

static const char *VALID =
    "{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
    "\"b\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[24,32]}}";

static void test_valid(void) {
    char path[512];
    path_in(path, sizeof path, "valid.safetensors");
    write_st(path, VALID, 32);
    om_safetensors *st = NULL;
    openmed_error err;
    CHECK_INT(om_safetensors_open(path, &st, &err), OPENMED_OK);
    if (!st) return;
    CHECK_INT(om_safetensors_count(st), 2);
    const om_st_tensor *a = om_safetensors_find(st, "a");
    CHECK(a != NULL);
    if (a) {
        CHECK_INT(a->dtype, OM_ST_F32);
        CHECK_INT(a->ndim, 2);
        CHECK_INT(a->shape[0], 2);
        CHECK_INT(a->shape[1], 3);
        CHECK_INT(a->nbytes, 24);
        CHECK_INT(((const unsigned char *)a->data)[5], 5);
    }
    const om_st_tensor *b = om_safetensors_find(st, "b");
    CHECK(b && b->dtype == OM_ST_BF16 && b->nbytes == 8 && ((const unsigned char *)b->data)[0] == 24);
    CHECK(om_safetensors_find(st, "c") == NULL);
    CHECK(om_safetensors_at(st, 2) == NULL);
    om_safetensors_close(st);
}

static void test_header_length(void) {
    char path[512];
    path_in(path, sizeof path, "case.safetensors");
    openmed_error err;
    om_safetensors *st = NULL;
    for (size_t len = 0; len < 8; len++) { /* 0..7-byte files */
        FILE *f = fopen(path, "wb");
        for (size_t i = 0; i < len; i++) fputc(0, f);
        fclose(f);
        CHECK_INT(om_safetensors_open(path, &st, &err), OPENMED_ERR_FORMAT);
        CHECK(strstr(err.message, "too small") != NULL);
    }
    const char *h = "{}";
    write_raw(path, 0, h, 2, 0); /* N = 0 */
    CHECK_INT(om_safetensors_open(path, &st, &err), OPENMED_ERR_FORMAT);
    write_raw(path, UINT64_MAX, h, 2, 0); /* N = 2^64-1, also N+8 overflow */
    CHECK_INT(om_safetensors_open(path, &st, &err), OPENMED_ERR_FORMAT);
    write_raw(path, UINT64_MAX - 7, h, 2, 0);
    CHECK_INT(om_safetensors_open(path, &st, &err), OPENMED_ERR_FORMAT);
    write_raw(path, 100000001ull, h, 2, 0); /* over the cap */
    CHECK_INT(om_safetensors_open(path, &st, &err), OPENMED_ERR_FORMAT);
    CHECK(strstr(err.message, "cap") != NULL);
    write_raw(path, 3, h, 2, 0); /* N past the end */
    CHECK_INT(om_safetensors_open(path, &st, &err), OPENMED_ERR_FORMAT);
    CHECK(st == NULL);
    /* NUL padding after the JSON (only SP, TAB, LF, CR may pad). */
    const char *nul = "{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}\0";
    write_raw(path, strlen(nul) + 1, nul, strlen(nul) + 1, 4);
    CHECK_INT(om_safetensors_open(path, &st, &err), OPENMED_ERR_FORMAT);
    /* Empty header object, no tensors: valid. */
    write_raw(path, 2, h, 2, 0);
    CHECK_INT(om_safetensors_open(path, &st, &err), OPENMED_OK);
    om_safetensors_close(st);
}

static void test_json(void) {
    EXPECT_REJECT("{\"a\xff\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", 4);       /* not UTF-8 */
    EXPECT_REJECT("{\"a\xc0\x80\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", 4);    /* overlong */
    EXPECT_REJECT("{\"a\xed\xa0\x80\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", 4); /* surrogate */
    EXPECT_REJECT("{\"a\\ud800\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", 4);     /* lone surrogate */
    EXPECT_REJECT("{\"a\\u0000b\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", 4);    /* NUL in name */
    EXPECT_ACCEPT(" \t\r\n{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}   ", 4); /* padding */
    EXPECT_REJECT("[1,2]", 0);
    EXPECT_REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}xx", 4); /* trailing garbage */
    EXPECT_REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}", 4);    /* truncated */
    EXPECT_REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},"
                  "\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[4,8]}}",
                  8); /* duplicate tensor */
    EXPECT_REJECT("{\"__metadata__\":{},\"__metadata__\":{}}", 0);
    EXPECT_REJECT("{\"__metadata__\":{\"k\":1}}", 0);
    EXPECT_REJECT("{\"__metadata__\":{\"k\":\"v\",\"k\":\"w\"}}", 0);
    EXPECT_REJECT("{\"__metadata__\":\"x\"}", 0);
    EXPECT_REJECT("{\"a\":7}", 0);
}

static void test_dtypes_and_offsets(void) {
    EXPECT_REJECT("{\"a\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
    EXPECT_REJECT("{\"a\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
    EXPECT_REJECT("{\"a\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]}}", 2); /* 12 bits */
    EXPECT_ACCEPT("{\"a\":{\"dtype\":\"F4\",\"shape\":[4],\"data_offsets\":[0,2]}}", 2);
    EXPECT_ACCEPT("{\"a\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]}}", 16);
    EXPECT_REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4);
    EXPECT_REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4]}}", 4);
    EXPECT_REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 8);
    EXPECT_REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 4);
    EXPECT_REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0.0,4]}}", 4);
    EXPECT_REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4e0]}}", 4);
    EXPECT_REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,\"4\"]}}", 4);
    EXPECT_REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,281474976710656]}}", 4);
    EXPECT_REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 4); /* begin > end */
    EXPECT_REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8); /* not at 0 */
    EXPECT_REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                  "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}",
                  12); /* gap */
    EXPECT_REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                  "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                  8); /* overlap */
    EXPECT_REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8); /* trailing bytes */
    EXPECT_REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 2); /* past the end */
    EXPECT_REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4); /* bytes != shape */
    EXPECT_REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}}", 0);
    EXPECT_REJECT("{\"a\":{\"dtype\":\"U8\",\"shape\":[65536,65536,65536,65536],\"data_offsets\":[0,0]}}", 0);
    EXPECT_REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,0]}}", 0);
    EXPECT_REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4);
    EXPECT_REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", 4);
    EXPECT_REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":null,\"data_offsets\":[0,4]}}", 4);
    /* Legit zero-size and rank-0 tensors load. */
    EXPECT_ACCEPT("{\"z\":{\"dtype\":\"F32\",\"shape\":[0,5],\"data_offsets\":[0,0]},"
                  "\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}",
                  4);
    /* 1000 tensors aliasing one region. */
    size_t cap = 1000 * 80 + 16;
    char *h = malloc(cap);
    size_t at = (size_t)snprintf(h, cap, "{");
    for (int i = 0; i < 1000; i++)
        at += (size_t)snprintf(h + at, cap - at, "%s\"t%d\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}",
                               i ? "," : "", i);
    snprintf(h + at, cap - at, "}");
    EXPECT_REJECT(h, 4);
    free(h);
}

static void test_unaligned(void) {
    /* Header of odd length: the data section starts unaligned; the tensor still loads. */
    const char *h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}} ";
    char path[512];
    path_in(path, sizeof path, "odd.safetensors");
    write_raw(path, strlen(h), h, strlen(h), 8);
    om_safetensors *st = NULL;
    openmed_error err;
    CHECK_INT(om_safetensors_open(path, &st, &err), OPENMED_OK);
    const om_st_tensor *a = om_safetensors_find(st, "a");
    CHECK(a && a->nbytes == 8);
    om_safetensors_close(st);
}

/* Cut a valid file at every length and flip bytes at random: typed errors, never a crash. */
static void test_truncation_and_flips(void) {
    char path[512], cut[512];
    path_in(path, sizeof path, "valid.safetensors");
    path_in(cut, sizeof cut, "cut.safetensors");
    write_st(path, VALID, 32);
    FILE *f = fopen(path, "rb");
    unsigned char buf[512];
    size_t size = fread(buf, 1, sizeof buf, f);
    fclose(f);
    om_safetensors *st = NULL;
    openmed_error err;
    int errors = 0;
    for (size_t len = 0; len < size; len++) {
        f = fopen(cut, "wb");
        fwrite(buf, 1, len, f);
        fclose(f);
        errors += om_safetensors_open(cut, &st, &err) == OPENMED_ERR_FORMAT;
        om_safetensors_close(st);
        st = NULL;
    }
    CHECK_INT(errors, (int)size);
    srand(7);
    for (int iter = 0; iter < 3000; iter++) {
        unsigned char copy[512];
        memcpy(copy, buf, size);
        int flips = 1 + rand() % 8;
        for (int k = 0; k < flips; k++) copy[rand() % (int)size] = (unsigned char)rand();
        f = fopen(cut, "wb");
        fwrite(copy, 1, size, f);
        fclose(f);
        openmed_status s = om_safetensors_open(cut, &st, &err);
        if (s == OPENMED_OK) { /* accepted files must still be self-consistent */
            for (size_t i = 0; i < om_safetensors_count(st); i++) {
                const om_st_tensor *t = om_safetensors_at(st, i);
                CHECK((const unsigned char *)t->data + t->nbytes <= (const unsigned char *)t->data + size);
            }
        } else {
            CHECK(s == OPENMED_ERR_FORMAT);
        }
        om_safetensors_close(st);
        st = NULL;
    }
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    fputs(text, f);
    fclose(f);
}

static openmed_status open_dir(const char *dir, openmed_error *err) {
    om_safetensors *st = NULL;
    memset(err, 0, sizeof *err);
    openmed_status s = om_safetensors_open(dir, &st, err);
    om_safetensors_close(st);
    return s;
}

static void test_sharded(void) {
    char dir[512], p[600], outside[600];
    snprintf(dir, sizeof dir, "%s/sharded", tmpdir);
    mkdir(dir, 0755);
    snprintf(p, sizeof p, "%s/model-1.safetensors", dir);
    write_st(p, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
    snprintf(p, sizeof p, "%s/model-2.safetensors", dir);
    write_st(p, "{\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
    snprintf(outside, sizeof outside, "%s/outside.safetensors", tmpdir);
    write_st(outside, "{\"c\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
    char index[600];
    snprintf(index, sizeof index, "%s/model.safetensors.index.json", dir);
    openmed_error err;

    write_text(index, "{\"metadata\":{},\"weight_map\":{\"a\":\"model-1.safetensors\",\"b\":\"model-2.safetensors\"}}");
    om_safetensors *st = NULL;
    CHECK_INT(om_safetensors_open(dir, &st, &err), OPENMED_OK);
    CHECK_INT(om_safetensors_count(st), 2);
    const om_st_tensor *b = om_safetensors_find(st, "b");
    CHECK(b && b->nbytes == 8 && strstr(b->file, "model-2") != NULL);
    om_safetensors_close(st);

    const char *bad[] = {
        "{\"weight_map\":{\"a\":\"../outside.safetensors\"}}",
        "{\"weight_map\":{\"a\":\"sub/../../outside.safetensors\"}}",
        "{\"weight_map\":{\"a\":\"/etc/passwd.safetensors\"}}",
        "{\"weight_map\":{\"a\":\"..\\\\outside.safetensors\"}}",
        "{\"weight_map\":{\"a\":\"model-1.bin\"}}",
        "{\"weight_map\":{\"a\":\"model-1.safetensors\\u0000.x\"}}",
        "{\"weight_map\":{\"a\":5}}",
        "{\"weight_map\":{\"a\":\"model-1.safetensors\",\"a\":\"model-1.safetensors\"}}",
        "{\"weight_map\":{\"a\":\"model-2.safetensors\"}}",            /* listed in the wrong shard */
        "{\"weight_map\":{\"zz\":\"model-1.safetensors\"}}",           /* absent from its shard */
        "{\"weight_map\":{\"a\":\"missing.safetensors\"}}",
        "{\"weight_map\":[]}",
        "{\"weight_map\":{\"a\":\"model-1.safetensors\"",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_text(index, bad[i]);
        openmed_status s = open_dir(dir, &err);
        CHECK_MSG(s != OPENMED_OK, "index %s accepted", bad[i]);
        CHECK(strstr(err.message, dir) != NULL || strstr(err.message, "safetensors") != NULL);
    }
    /* A symlink that escapes the folder. */
    snprintf(p, sizeof p, "%s/link.safetensors", dir);
    CHECK(symlink(outside, p) == 0);
    write_text(index, "{\"weight_map\":{\"c\":\"link.safetensors\"}}");
    CHECK_INT(open_dir(dir, &err), OPENMED_ERR_FORMAT);
    CHECK(strstr(err.message, "outside the folder") != NULL);
    /* The same tensor in two shards. */
    snprintf(p, sizeof p, "%s/model-3.safetensors", dir);
    write_st(p, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4);
    write_text(index, "{\"weight_map\":{\"a\":\"model-1.safetensors\",\"x\":\"model-3.safetensors\"}}");
    CHECK_INT(open_dir(dir, &err), OPENMED_ERR_FORMAT);
}

static void test_pickle_and_missing(void) {
    char dir[512], p[600];
    openmed_error err;
    snprintf(dir, sizeof dir, "%s/pickle", tmpdir);
    mkdir(dir, 0755);
    CHECK_INT(open_dir(dir, &err), OPENMED_ERR_NOT_FOUND);
    snprintf(p, sizeof p, "%s/pytorch_model.bin", dir);
    write_text(p, "PK\x03\x04 not really a zip");
    CHECK_INT(open_dir(dir, &err), OPENMED_ERR_UNSUPPORTED);
    CHECK(strstr(err.message, "safetensors") != NULL && strstr(err.message, "convert") != NULL);
    om_safetensors *st = NULL;
    CHECK_INT(om_safetensors_open(p, &st, &err), OPENMED_ERR_UNSUPPORTED);
    snprintf(p, sizeof p, "%s/nothing.safetensors", tmpdir);
    CHECK_INT(om_safetensors_open(p, &st, &err), OPENMED_ERR_NOT_FOUND);
    CHECK_INT(om_safetensors_open(tmpdir, &st, &err) != OPENMED_OK, 1);
}

static void test_real_fixture(void) {
    om_safetensors *st = NULL;
    openmed_error err;
    CHECK_INT(om_safetensors_open(OM_FIXTURES "/hf/models/bert-uncased", &st, &err), OPENMED_OK);
    CHECK(om_safetensors_count(st) > 10);
    CHECK(om_safetensors_find(st, "classifier.weight") != NULL);
    om_safetensors_close(st);
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/om_test_safetensors_XXXXXX");
    if (!mkdtemp(tmpdir)) return 1;
    test_valid();
    test_header_length();
    test_json();
    test_dtypes_and_offsets();
    test_unaligned();
    test_truncation_and_flips();
    test_sharded();
    test_pickle_and_missing();
    test_real_fixture();
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    return check_finish("test_safetensors");
}
