/* test_device.c: OpenMed's device-resolution table (behaviour spec §1.4), its derived cases, MPS
 * tuning and the unavailable-device error, run with fake probes. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "device/device.h"

typedef struct fake {
    int mps, cuda;
    int mps_calls, cuda_calls;
} fake;

static int fake_mps(void *ctx) {
    fake *f = ctx;
    f->mps_calls++;
    return f->mps;
}
static int fake_cuda(void *ctx) {
    fake *f = ctx;
    f->cuda_calls++;
    return f->cuda;
}

/* Resolve with the fake probes and both environment variables given explicitly. */
static const char *resolve(const char *prefer, const char *config, const char *env_torch, const char *env_legacy,
                           int mps, int cuda, openmed_device_choice *out) {
    static fake f;
    memset(&f, 0, sizeof f);
    f.mps = mps;
    f.cuda = cuda;
    om_device_probes probes = {fake_mps, fake_cuda, &f};
    om_device_resolve_pure(prefer, config, env_torch, env_legacy, &probes, out);
    return out->resolved;
}

static void clear_mps_env(void) {
    unsetenv("PYTORCH_ENABLE_MPS_FALLBACK");
    unsetenv("PYTORCH_MPS_HIGH_WATERMARK_RATIO");
    unsetenv("PYTORCH_MPS_LOW_WATERMARK_RATIO");
}

static void test_spec_table(void) {
    openmed_device_choice c;
    /* 1-3: automatic order mps > cuda > cpu */
    CHECK_STR(resolve(NULL, NULL, NULL, NULL, 1, 1, &c), "mps");
    CHECK_INT(c.source, OPENMED_DEVICE_SOURCE_AUTO);
    CHECK_STR(c.requested, "auto");
    CHECK_STR(resolve(NULL, NULL, NULL, NULL, 0, 1, &c), "cuda");
    CHECK_STR(resolve(NULL, NULL, NULL, NULL, 0, 0, &c), "cpu");
    /* 4: explicit overrides */
    CHECK_STR(resolve("cpu", NULL, NULL, NULL, 1, 1, &c), "cpu");
    CHECK_INT(c.source, OPENMED_DEVICE_SOURCE_ARGUMENT);
    CHECK_STR(resolve("cuda:1", NULL, NULL, NULL, 1, 1, &c), "cuda:1");
    CHECK_STR(resolve("gpu", NULL, NULL, NULL, 1, 1, &c), "cuda");
    /* 5: environment override */
    CHECK_STR(resolve(NULL, NULL, "cpu", NULL, 1, 1, &c), "cpu");
    CHECK_INT(c.source, OPENMED_DEVICE_SOURCE_ENV_TORCH);
    /* 6: OPENMED_TORCH_DEVICE beats OPENMED_DEVICE, with no availability validation */
    CHECK_STR(resolve(NULL, NULL, "mps", "cpu", 0, 1, &c), "mps");
    CHECK_INT(c.source, OPENMED_DEVICE_SOURCE_ENV_TORCH);
    /* 10: config device beats the probe */
    CHECK_STR(resolve(NULL, "cpu", NULL, NULL, 1, 1, &c), "cpu");
    CHECK_INT(c.source, OPENMED_DEVICE_SOURCE_CONFIG);
}

static void test_derived_cases(void) {
    openmed_device_choice c;
    CHECK_STR(resolve(" CUDA ", NULL, NULL, NULL, 0, 0, &c), "cuda");
    CHECK_STR(resolve("", NULL, NULL, NULL, 0, 1, &c), "cuda");
    CHECK_INT(c.source, OPENMED_DEVICE_SOURCE_AUTO);
    CHECK_STR(resolve("AUTO", NULL, NULL, NULL, 0, 0, &c), "cpu");
    CHECK_STR(resolve("Default", NULL, NULL, NULL, 1, 0, &c), "mps");
    CHECK_STR(resolve("GPU:1", NULL, NULL, NULL, 0, 0, &c), "gpu:1"); /* only exact gpu is rewritten */
    CHECK_STR(resolve(NULL, NULL, "", "gpu", 1, 1, &c), "cuda");
    CHECK_INT(c.source, OPENMED_DEVICE_SOURCE_ENV_LEGACY);
    CHECK_STR(resolve(NULL, NULL, "auto", "cpu", 1, 1, &c), "cpu"); /* auto falls through */
    CHECK_STR(resolve(NULL, NULL, "  Default ", "mps", 0, 0, &c), "mps");
    CHECK_STR(resolve("tpu", NULL, NULL, NULL, 0, 0, &c), "tpu"); /* passes through, unvalidated */
    /* a config-file device beats both environment variables */
    CHECK_STR(resolve(NULL, "cuda:0", "cpu", "mps", 0, 0, &c), "cuda:0");
    CHECK_INT(c.source, OPENMED_DEVICE_SOURCE_CONFIG);
    /* the argument beats the config, an auto config falls through to the environment */
    CHECK_STR(resolve("cpu", "cuda", NULL, NULL, 0, 0, &c), "cpu");
    CHECK_STR(resolve(NULL, "auto", "cuda", NULL, 0, 0, &c), "cuda");
    CHECK_INT(c.source, OPENMED_DEVICE_SOURCE_ENV_TORCH);
}

static void test_probes_lazy_and_ordered(void) {
    fake f = {1, 1, 0, 0};
    om_device_probes probes = {fake_mps, fake_cuda, &f};
    openmed_device_choice c;
    om_device_resolve_pure("cpu", NULL, NULL, NULL, &probes, &c);
    CHECK_INT(f.mps_calls + f.cuda_calls, 0); /* explicit choice: nothing probed */
    om_device_resolve_pure(NULL, NULL, NULL, NULL, &probes, &c);
    CHECK_INT(f.mps_calls, 1);
    CHECK_INT(f.cuda_calls, 0); /* mps answered first */
}

static void test_mps_tuning(void) {
    openmed_device_choice c;
    /* 7: all three set with the defaults */
    clear_mps_env();
    resolve(NULL, NULL, NULL, NULL, 1, 0, &c);
    om_device_apply_mps_tuning(&c);
    CHECK_INT(c.mps_tuned, 1);
    CHECK_STR(getenv("PYTORCH_ENABLE_MPS_FALLBACK"), "1");
    CHECK_STR(getenv("PYTORCH_MPS_HIGH_WATERMARK_RATIO"), "1.0");
    CHECK_STR(getenv("PYTORCH_MPS_LOW_WATERMARK_RATIO"), "0.9");
    CHECK_STR(c.mps_env[0][0], "PYTORCH_ENABLE_MPS_FALLBACK");
    CHECK_STR(c.mps_env[2][1], "0.9");
    /* 8: a pre-set value wins and is reported */
    clear_mps_env();
    setenv("PYTORCH_ENABLE_MPS_FALLBACK", "0", 1);
    resolve("mps", NULL, NULL, NULL, 0, 0, &c);
    om_device_apply_mps_tuning(&c);
    CHECK_STR(c.mps_env[0][1], "0");
    CHECK_STR(getenv("PYTORCH_ENABLE_MPS_FALLBACK"), "0");
    CHECK_STR(c.mps_env[1][1], "1.0");
    /* mps:0 triggers tuning too (startswith) */
    clear_mps_env();
    resolve("mps:0", NULL, NULL, NULL, 0, 0, &c);
    om_device_apply_mps_tuning(&c);
    CHECK_INT(c.mps_tuned, 1);
    CHECK_STR(getenv("PYTORCH_MPS_HIGH_WATERMARK_RATIO"), "1.0");
    /* cpu and cuda leave the environment alone */
    clear_mps_env();
    resolve("cuda", NULL, NULL, NULL, 0, 0, &c);
    om_device_apply_mps_tuning(&c);
    CHECK_INT(c.mps_tuned, 0);
    CHECK(getenv("PYTORCH_ENABLE_MPS_FALLBACK") == NULL);
    clear_mps_env();
}

static void test_public_resolve_and_check(void) {
    openmed_config cfg;
    openmed_error err;
    openmed_device_choice c;
    unsetenv("OPENMED_TORCH_DEVICE");
    setenv("OPENMED_DEVICE", "cpu", 1);
    openmed_config_init(&cfg);
    CHECK_INT(openmed_device_resolve(NULL, &cfg, &c, &err), OPENMED_OK);
    CHECK_STR(c.resolved, "cpu");
    CHECK_INT(c.source, OPENMED_DEVICE_SOURCE_ENV_LEGACY);
    CHECK_INT(c.dtype, OPENMED_DTYPE_FLOAT32); /* auto -> float32 */
    CHECK_INT(openmed_device_check(&c, &err), OPENMED_OK);

    /* An unavailable device fails with the device, who asked and why. This machine has no
     * Metal backend, so mps is unavailable everywhere this test runs except a Mac build. */
    clear_mps_env();
    setenv("OPENMED_TORCH_DEVICE", "mps", 1);
    CHECK_INT(openmed_device_resolve(NULL, &cfg, &c, &err), OPENMED_OK);
    CHECK_STR(c.resolved, "mps");
    CHECK_INT(c.mps_tuned, 1);
    openmed_backend_info mps;
    openmed_backend_query("mps", &mps);
    if (!mps.available) {
        CHECK_INT(openmed_device_check(&c, &err), OPENMED_ERR_DEVICE);
        CHECK(strstr(err.message, "'mps'") != NULL);
        CHECK(strstr(err.message, "OPENMED_TORCH_DEVICE") != NULL);
        CHECK(strstr(err.message, "unavailable") != NULL);
    }
    clear_mps_env();

    openmed_backend_info cuda;
    openmed_backend_query("cuda", &cuda);
    CHECK_INT(openmed_device_resolve("gpu", &cfg, &c, &err), OPENMED_OK);
    CHECK_STR(c.resolved, "cuda");
    if (!cuda.available) {
        CHECK_INT(openmed_device_check(&c, &err), OPENMED_ERR_DEVICE);
        CHECK(strstr(err.message, "'cuda' (from argument)") != NULL);
        CHECK(strstr(err.message, cuda.reason) != NULL);
    }
    CHECK_INT(openmed_device_resolve("cuda:99", &cfg, &c, &err), OPENMED_OK);
    CHECK_INT(openmed_device_check(&c, &err), OPENMED_ERR_DEVICE);

    /* Nonsense devices are named in the error. */
    CHECK_INT(openmed_device_resolve("tpu", &cfg, &c, &err), OPENMED_OK);
    CHECK_INT(openmed_device_check(&c, &err), OPENMED_ERR_DEVICE);
    CHECK(strstr(err.message, "'tpu'") != NULL);
    CHECK_INT(openmed_device_resolve("cuda:x", &cfg, &c, &err), OPENMED_OK);
    CHECK_INT(openmed_device_check(&c, &err), OPENMED_ERR_DEVICE);
    CHECK(strstr(err.message, "cuda:x") != NULL);

    /* The config's device beats both environment variables, through the public API too. */
    strcpy(cfg.device, "cpu");
    setenv("OPENMED_TORCH_DEVICE", "cuda", 1);
    CHECK_INT(openmed_device_resolve(NULL, &cfg, &c, &err), OPENMED_OK);
    CHECK_STR(c.resolved, "cpu");
    CHECK_INT(c.source, OPENMED_DEVICE_SOURCE_CONFIG);
    unsetenv("OPENMED_TORCH_DEVICE");
    unsetenv("OPENMED_DEVICE");

    /* Explicit dtype is kept. */
    cfg.dtype = OPENMED_DTYPE_BFLOAT16;
    CHECK_INT(openmed_device_resolve(NULL, &cfg, &c, &err), OPENMED_OK);
    CHECK_INT(c.dtype, OPENMED_DTYPE_BFLOAT16);
}

int main(void) {
    test_spec_table();
    test_derived_cases();
    test_probes_lazy_and_ordered();
    test_mps_tuning();
    test_public_resolve_and_check();
    return check_finish("test_device");
}
