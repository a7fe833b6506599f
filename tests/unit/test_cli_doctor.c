/* test_cli_doctor.c: `openmed doctor --json` is a contract; run the real binary under different
 * environments and config files and check the fields scripts read. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

static cJSON *run_doctor(const char *env, const char *args) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "env -u OPENMED_TORCH_DEVICE -u OPENMED_DEVICE -u OPENMED_CONFIG %s %s/bin/openmed doctor --json %s",
             env, OM_BINARY_DIR, args);
    FILE *p = popen(cmd, "r");
    if (!p) return NULL;
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, p);
    buf[n] = '\0';
    int rc = pclose(p);
    CHECK_MSG(rc == 0, "doctor exited %d for: %s", rc, cmd);
    cJSON *j = cJSON_Parse(buf);
    CHECK_MSG(j != NULL, "not JSON: %s", buf);
    return j ? j : cJSON_CreateObject(); /* failed checks are counted; keep going */
}

static const char *device_field(cJSON *j, const char *name) {
    cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "device"), name);
    return cJSON_IsString(v) ? v->valuestring : "";
}

int main(void) {
    cJSON *j = run_doctor("XDG_CONFIG_HOME=/nonexistent", "");
    CHECK_STR(device_field(j, "requested"), "auto");
    CHECK_STR(device_field(j, "source"), "auto");
    cJSON *cpu = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "backends"), "cpu");
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(cpu, "compiled")));
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(cpu, "available")));
    cJSON *cuda = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "backends"), "cuda");
    CHECK(cJSON_IsBool(cJSON_GetObjectItem(cuda, "available")));
    if (!cJSON_IsTrue(cJSON_GetObjectItem(cuda, "available"))) {
        CHECK(cJSON_IsString(cJSON_GetObjectItem(cuda, "reason")));
        CHECK(cJSON_GetObjectItem(cuda, "devices") == NULL);
    } else { /* a real GPU: the doctor names it ("cuda:0 NVIDIA ... (N GiB, compute X.Y); driver CUDA A.B") */
        const char *devices = cJSON_GetStringValue(cJSON_GetObjectItem(cuda, "devices"));
        CHECK_MSG(devices && strncmp(devices, "cuda:0 ", 7) == 0 && strstr(devices, "compute ") &&
                      strstr(devices, "driver CUDA "),
                  "cuda devices: %s", devices ? devices : "(none)");
        printf("cuda devices: %s\n", devices ? devices : "(none)");
    }
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(j, "mps_env")));
    /* the CPU kernels: oneDNN loads here, so each compute dtype names its matmul (bf16 only with AVX-512) */
    cJSON *kernels = cJSON_GetObjectItem(j, "cpu_kernels");
    const char *f32 = cJSON_GetStringValue(cJSON_GetObjectItem(kernels, "float32")),
               *i8 = cJSON_GetStringValue(cJSON_GetObjectItem(kernels, "int8")),
               *features = cJSON_GetStringValue(cJSON_GetObjectItem(kernels, "features"));
    CHECK_MSG(f32 && (strstr(f32, "(weights packed)") || !strcmp(f32, "sgemm (weights in place)")), "float32 kernel: %s",
              f32 ? f32 : "(none)");
    CHECK_MSG(i8 && i8[0], "int8 kernel: %s", i8 ? i8 : "(none)");
    CHECK(features && features[0]);
    CHECK(cJSON_IsString(cJSON_GetObjectItem(kernels, "bfloat16")));
    printf("cpu kernels: %s; float32 %s; int8 %s; bfloat16 %s\n", features ? features : "?", f32 ? f32 : "?",
           i8 ? i8 : "?", cJSON_GetStringValue(cJSON_GetObjectItem(kernels, "bfloat16")));
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "dtype")), "float32");
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(j, "threads")) >= 1);
    CHECK(cJSON_IsString(cJSON_GetObjectItem(j, "version")));
    cJSON_Delete(j);

    j = run_doctor("OPENMED_DEVICE=GPU OPENMED_TORCH_DEVICE=auto XDG_CONFIG_HOME=/nonexistent", "");
    CHECK_STR(device_field(j, "requested"), "cuda");
    CHECK_STR(device_field(j, "source"), "OPENMED_DEVICE");
    CHECK_STR(device_field(j, "resolved"), "cuda");
    cJSON_Delete(j);

    /* mps requested: tuning applied (pre-set value kept) and reported; exit 0 although unavailable. */
    j = run_doctor("-u PYTORCH_MPS_HIGH_WATERMARK_RATIO -u PYTORCH_MPS_LOW_WATERMARK_RATIO "
                   "OPENMED_TORCH_DEVICE=mps PYTORCH_ENABLE_MPS_FALLBACK=0 XDG_CONFIG_HOME=/nonexistent", "");
    CHECK_STR(device_field(j, "resolved"), "mps");
    cJSON *env = cJSON_GetObjectItem(j, "mps_env");
    CHECK(cJSON_IsObject(env));
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(env, "PYTORCH_ENABLE_MPS_FALLBACK")), "0");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(env, "PYTORCH_MPS_HIGH_WATERMARK_RATIO")), "1.0");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(env, "PYTORCH_MPS_LOW_WATERMARK_RATIO")), "0.9");
    cJSON_Delete(j);

    /* A config file's device beats both variables; the argument beats the file. */
    char path[] = "/tmp/om_doctor_XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fputs("device = \"cpu\"\ntimeout = 30\n", f);
    fclose(f);
    char args[256];
    snprintf(args, sizeof args, "--config-path %s", path);
    j = run_doctor("OPENMED_TORCH_DEVICE=cuda OPENMED_DEVICE=mps", args);
    CHECK_STR(device_field(j, "source"), "config");
    CHECK_STR(device_field(j, "resolved"), "cpu");
    cJSON *unused = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "config"), "unused_keys");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(unused, 0)), "timeout");
    cJSON_Delete(j);
    snprintf(args, sizeof args, "--config-path %s --device cuda:1", path);
    j = run_doctor("", args);
    CHECK_STR(device_field(j, "source"), "argument");
    CHECK_STR(device_field(j, "resolved"), "cuda:1");
    cJSON_Delete(j);
    unlink(path);

    /* A bad config file is an error exit with file, line and key. */
    char bad[] = "/tmp/om_doctor_bad_XXXXXX";
    fd = mkstemp(bad);
    f = fdopen(fd, "w");
    fputs("devcie = \"cpu\"\n", f);
    fclose(f);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s/bin/openmed doctor --config-path %s 2>&1", OM_BINARY_DIR, bad);
    FILE *p = popen(cmd, "r");
    char out[2048] = {0};
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    CHECK(pclose(p) != 0);
    CHECK_MSG(strstr(out, ":1: unknown key 'devcie'") != NULL, "got: %s", out);
    unlink(bad);
    return check_finish("test_cli_doctor");
}
