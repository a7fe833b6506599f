/* test_core.c: the one copy of each core helper: the growable buffer, the UTF-8 codec (strict,
 * lenient, lossy, code-point offsets), JSON string literals, strict number parsing, device names,
 * error records (context added with and without a record), and half/bfloat16 widening. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/half.h"
#include "core/json.h"
#include "core/num.h"
#include "core/utf8.h"
#include "device/device.h"

static void test_buf(void) {
    om_buf b;
    om_buf_init(&b);
    om_buf_puts(&b, "ab");
    om_buf_printf(&b, "%d-%s", 42, "x");
    CHECK(om_buf_append(&b, "", 0));
    CHECK_STR(b.data, "ab42-x");
    CHECK_INT((long)b.len, 6);
    for (int i = 0; i < 1000; i++) om_buf_put(&b, "0123456789", 10);
    CHECK_INT((long)b.len, 10006);
    CHECK(b.data[b.len] == '\0' && !b.failed);
    om_buf_free(&b);
    CHECK(b.data == NULL && b.len == 0);
}

static void test_utf8(void) {
    int32_t cp;
    size_t bad;
    CHECK_INT((long)om_utf8_next("A", 1, &cp, &bad), 1);
    CHECK_INT(cp, 'A');
    CHECK_INT((long)om_utf8_next("\xc3\xa9", 2, &cp, &bad), 2);
    CHECK_INT(cp, 0xE9);
    CHECK_INT((long)om_utf8_next("\xf0\x9f\x98\x80", 4, &cp, &bad), 4);
    CHECK_INT(cp, 0x1F600);
    /* overlong, surrogate, above U+10FFFF, truncated, stray continuation: invalid */
    CHECK_INT((long)om_utf8_next("\xc0\x80", 2, &cp, &bad), 0);
    CHECK_INT((long)om_utf8_next("\xed\xa0\x80", 3, &cp, &bad), 0);
    CHECK_INT((long)bad, 1);
    CHECK_INT((long)om_utf8_next("\xf4\x90\x80\x80", 4, &cp, &bad), 0);
    CHECK_INT((long)om_utf8_next("\xe2\x82", 2, &cp, &bad), 0);
    CHECK_INT((long)bad, 2); /* the maximal subpart: both bytes become one U+FFFD */
    CHECK_INT((long)om_utf8_next("\x80", 1, &cp, &bad), 0);
    CHECK_INT((long)om_utf8_validate("ok \xc3\xa9", 5), 5);
    CHECK_INT((long)om_utf8_validate("ok \xc3(", 5), 3);
    char enc[4];
    CHECK_INT(om_utf8_encode(0x1F600, enc), 4);
    CHECK(!memcmp(enc, "\xf0\x9f\x98\x80", 4));
    size_t n;
    CHECK_INT((long)om_utf8_decode("\xc3\xa9", 0, &n), 0xE9);
    CHECK_INT((long)n, 2);
    CHECK_INT((long)om_utf8_length("caf\xc3\xa9 \xff"), 6);

    om_buf b;
    om_buf_init(&b);
    CHECK(om_utf8_append_lossy(&b, "a\xe2\x82z\xff", 5));
    CHECK_STR(b.data, "a\xef\xbf\xbdz\xef\xbf\xbd");
    om_buf_free(&b);
    om_buf_init(&b);
    CHECK(om_utf8_append_lossy(&b, "", 0) && b.data && b.data[0] == '\0');
    om_buf_free(&b);

    /* the public code-point -> byte map */
    size_t byte_of[16];
    int64_t ncp = -1;
    openmed_error err;
    CHECK_INT(openmed_utf8_offsets("a\xc3\xa9\xf0\x9f\x98\x80z", 8, byte_of, &ncp, &err), OPENMED_OK);
    CHECK_INT((long)ncp, 4);
    CHECK(byte_of[0] == 0 && byte_of[1] == 1 && byte_of[2] == 3 && byte_of[3] == 7 && byte_of[4] == 8);
    CHECK_INT(openmed_utf8_offsets("ab\xff", 3, byte_of, &ncp, &err), OPENMED_ERR_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "byte 2") != NULL);
    CHECK_INT(openmed_utf8_offsets("", 0, byte_of, &ncp, NULL), OPENMED_OK);
    CHECK(ncp == 0 && byte_of[0] == 0);
}

static void test_json(void) {
    om_buf b;
    om_buf_init(&b);
    om_buf_json_string(&b, "a\"\\\n\x01\xc3\xa9", 7, 0);
    CHECK_STR(b.data, "\"a\\\"\\\\\\n\\u0001\xc3\xa9\"");
    om_buf_free(&b);
    om_buf_init(&b);
    /* Python json.dumps("é😀\x7f") == '"\\u00e9\\ud83d\\ude00\\u007f"' */
    om_buf_json_string(&b, "\xc3\xa9\xf0\x9f\x98\x80\x7f", 7, 1);
    CHECK_STR(b.data, "\"\\u00e9\\ud83d\\ude00\\u007f\"");
    om_buf_free(&b);
    cJSON *o = cJSON_Parse("{\"t\": true, \"s\": \"x\", \"n\": null}");
    CHECK(om_json_bool(o, "t", 0) == 1 && om_json_bool(o, "s", 7) == 7);
    CHECK_STR(om_json_str(o, "s"), "x");
    CHECK(om_json_str(o, "n") == NULL && om_json_str(o, "missing") == NULL);
    cJSON_Delete(o);
}

static void test_numbers(void) {
    long long v = 0;
    CHECK(om_parse_int("42", 0, 100, &v) && v == 42);
    CHECK(om_parse_int("-3", -5, 5, &v) && v == -3);
    CHECK(!om_parse_int("101", 0, 100, &v));
    CHECK(!om_parse_int("4x", 0, 100, &v));
    CHECK(!om_parse_int(" 4", 0, 100, &v));
    CHECK(!om_parse_int("", 0, 100, &v));
    CHECK(!om_parse_int("99999999999999999999", LLONG_MIN, LLONG_MAX, &v));
    uint64_t u = 0;
    CHECK(om_parse_u64("18446744073709551615", &u) && u == UINT64_MAX);
    CHECK(!om_parse_u64("18446744073709551616", &u));
    CHECK(!om_parse_u64("-1", &u) && !om_parse_u64("12 ", &u));
    double d = 0;
    CHECK(om_parse_double("1.5e3", &d) && d == 1500.0);
    CHECK(!om_parse_double("inf", &d) && !om_parse_double("nan", &d) && !om_parse_double("1.5x", &d));
}

static void test_device_names(void) {
    om_device_kind k;
    int i;
    CHECK(om_device_parse("cpu", &k, &i) == 0 && k == OM_DEVICE_CPU && i == -1);
    CHECK(om_device_parse("cuda", &k, &i) == 0 && k == OM_DEVICE_CUDA && i == -1);
    CHECK(om_device_parse("cuda:3", &k, &i) == 0 && k == OM_DEVICE_CUDA && i == 3);
    CHECK(om_device_parse("mps", &k, &i) == 0 && k == OM_DEVICE_MPS);
    CHECK(om_device_parse("cudax", &k, &i) == 0 && k == OM_DEVICE_UNKNOWN);
    CHECK(om_device_parse("cuda:", &k, &i) == -1 && k == OM_DEVICE_CUDA);
    CHECK(om_device_parse("cuda:-1", &k, &i) == -1);
    CHECK(om_device_parse("cuda:1x", &k, &i) == -1);
    CHECK(om_device_parse("cuda:99999999", &k, &i) == -1);
    CHECK(om_device_parse("", &k, &i) == 0 && k == OM_DEVICE_UNKNOWN);
}

static void test_errors(void) {
    openmed_error err;
    CHECK_INT(om_fail(&err, OPENMED_ERR_DEVICE, "cuda:7: no such device"), OPENMED_ERR_DEVICE);
    CHECK_INT(om_fail_prefix(&err, OPENMED_ERR_DEVICE, "loading model %s", "m"), OPENMED_ERR_DEVICE);
    CHECK_STR(err.message, "loading model m: cuda:7: no such device");
    CHECK_INT(err.status, OPENMED_ERR_DEVICE);
    /* no record: the status still comes back unchanged */
    CHECK_INT(om_fail_prefix(NULL, OPENMED_ERR_DEVICE, "loading model %s", "m"), OPENMED_ERR_DEVICE);
    CHECK_INT(om_fail(NULL, OPENMED_ERR_IO, "x"), OPENMED_ERR_IO);
}

/* Every binary16 value widens as the compiler's own _Float16 conversion does (bit for bit; NaN stays
 * NaN); runs read unaligned little-endian storage, in and past the 8-value vector steps. */
static void test_half(void) {
#ifdef __FLT16_MAX__
    int wrong = 0;
    for (uint32_t h = 0; h <= 0xFFFF; h++) {
        _Float16 ref;
        uint16_t bits = (uint16_t)h;
        memcpy(&ref, &bits, sizeof ref);
        float want = (float)ref, got = om_f16_to_f32(bits);
        if (want != want ? got == got : memcmp(&want, &got, sizeof got) != 0) wrong++;
    }
    CHECK_MSG(wrong == 0, "%d binary16 values widen differently from _Float16", wrong);
#endif
    float one = om_bf16_to_f32(0x3F80), minus_two = om_bf16_to_f32(0xC000);
    CHECK(one == 1.0f && minus_two == -2.0f);
    unsigned char store[2 * 21 + 1];
    for (size_t i = 0; i < sizeof store; i++) store[i] = (unsigned char)(i * 37 + 11);
    for (int bf16 = 0; bf16 <= 1; bf16++) {
        float run[21];
        om_half_run_to_f32(run, store + 1, bf16, 21);
        int differ = 0;
        for (int i = 0; i < 21; i++) {
            uint16_t h = (uint16_t)(store[1 + 2 * i] | store[2 + 2 * i] << 8);
            float one_value = bf16 ? om_bf16_to_f32(h) : om_f16_to_f32(h);
            differ += memcmp(&one_value, &run[i], sizeof one_value) != 0;
        }
        CHECK_MSG(differ == 0, "%s run: %d of 21 values differ from one-at-a-time", bf16 ? "bfloat16" : "half", differ);
    }
}

int main(void) {
    test_buf();
    test_utf8();
    test_json();
    test_numbers();
    test_device_names();
    test_errors();
    test_half();
    return check_finish("test_core");
}
