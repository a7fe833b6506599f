/* cmd_doctor.c: `openmed doctor` — how the device, dtype and backends were chosen, as text or as
 * the JSON contract scripts read. A diagnosis: exits 0 even when the resolved device is unavailable. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char *doctor_usage =
    "usage: openmed doctor [--device D] [--config-path P] [--json]\n"
    "\n"
    "Shows how the device was chosen (argument > config file > OPENMED_TORCH_DEVICE >\n"
    "OPENMED_DEVICE > mps > cuda > cpu), which backends this build has and can run, the MPS\n"
    "variables in effect, the dtype policy and thread count, and the CPU kernels this machine\n"
    "gets (instruction sets, oneDNN's matmul for float32, int8 and bfloat16).\n";

static cJSON *backend_json(const char *name) {
    openmed_backend_info info;
    openmed_backend_query(name, &info);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "compiled", info.compiled);
    cJSON_AddBoolToObject(o, "available", info.available);
    if (!info.available) cJSON_AddStringToObject(o, "reason", info.reason);
    if (info.available && info.devices[0]) cJSON_AddStringToObject(o, "devices", info.devices);
    return o;
}

/* The cpu backend's kernels here, or {"error": why} when oneDNN cannot be loaded. */
static cJSON *cpu_kernels_json(void) {
    openmed_cpu_kernels k;
    openmed_error err = {0};
    cJSON *o = cJSON_CreateObject();
    if (openmed_cpu_kernels_query(&k, &err) != OPENMED_OK) {
        cJSON_AddStringToObject(o, "error", err.message);
        return o;
    }
    cJSON_AddStringToObject(o, "features", k.features);
    cJSON_AddStringToObject(o, "float32", k.float32);
    cJSON_AddStringToObject(o, "int8", k.int8);
    cJSON_AddStringToObject(o, "bfloat16", k.bfloat16);
    return o;
}

static int effective_threads(const openmed_config *cfg) {
    if (cfg->num_threads > 0) return cfg->num_threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static cJSON *unused_keys_json(const openmed_config *cfg) {
    cJSON *arr = cJSON_CreateArray();
    char buf[sizeof cfg->unused_keys];
    memcpy(buf, cfg->unused_keys, sizeof buf);
    char *save = NULL;
    for (char *k = strtok_r(buf, ",", &save); k; k = strtok_r(NULL, ",", &save))
        cJSON_AddItemToArray(arr, cJSON_CreateString(k));
    return arr;
}

static cJSON *doctor_report(const openmed_config *cfg, const openmed_device_choice *c, const openmed_error *check) {
    cJSON *root = cJSON_CreateObject();
    cJSON *dev = cJSON_AddObjectToObject(root, "device");
    cJSON_AddStringToObject(dev, "requested", c->requested);
    cJSON_AddStringToObject(dev, "source", openmed_device_source_name(c->source));
    cJSON_AddStringToObject(dev, "resolved", c->resolved);
    cJSON_AddBoolToObject(dev, "available", check == NULL);
    if (check) cJSON_AddStringToObject(dev, "error", check->message);
    cJSON *backends = cJSON_AddObjectToObject(root, "backends");
    cJSON_AddItemToObject(backends, "cpu", backend_json("cpu"));
    cJSON_AddItemToObject(backends, "cuda", backend_json("cuda"));
    cJSON_AddItemToObject(backends, "mps", backend_json("mps"));
    cJSON_AddItemToObject(root, "cpu_kernels", cpu_kernels_json());
    if (c->mps_tuned) {
        cJSON *env = cJSON_AddObjectToObject(root, "mps_env");
        for (int i = 0; i < 3; i++) cJSON_AddStringToObject(env, c->mps_env[i][0], c->mps_env[i][1]);
    } else {
        cJSON_AddNullToObject(root, "mps_env");
    }
    cJSON_AddStringToObject(root, "dtype", openmed_dtype_name(c->dtype));
    cJSON_AddNumberToObject(root, "threads", effective_threads(cfg));
    cJSON_AddStringToObject(root, "version", openmed_version());
    cJSON *conf = cJSON_AddObjectToObject(root, "config");
    if (cfg->config_path[0]) cJSON_AddStringToObject(conf, "path", cfg->config_path);
    else cJSON_AddNullToObject(conf, "path");
    cJSON_AddStringToObject(conf, "backend", cfg->backend);
    cJSON_AddStringToObject(conf, "cache_dir", cfg->cache_dir);
    cJSON_AddStringToObject(conf, "default_org", cfg->default_org);
    cJSON_AddBoolToObject(conf, "local_only", cfg->local_only);
    cJSON_AddBoolToObject(conf, "hf_token_set", cfg->hf_token[0] != '\0');
    cJSON_AddItemToObject(conf, "unused_keys", unused_keys_json(cfg));
    return root;
}

static void print_text(const cJSON *r) {
    const cJSON *dev = cJSON_GetObjectItem(r, "device");
    printf("device     %s (requested: %s, from: %s)%s\n", cJSON_GetObjectItem(dev, "resolved")->valuestring,
           cJSON_GetObjectItem(dev, "requested")->valuestring, cJSON_GetObjectItem(dev, "source")->valuestring,
           cJSON_IsTrue(cJSON_GetObjectItem(dev, "available")) ? "" : "  UNAVAILABLE");
    const cJSON *e = cJSON_GetObjectItem(dev, "error");
    if (e) printf("           %s\n", e->valuestring);
    const cJSON *b;
    cJSON_ArrayForEach(b, cJSON_GetObjectItem(r, "backends")) {
        const cJSON *reason = cJSON_GetObjectItem(b, "reason");
        if (!reason) reason = cJSON_GetObjectItem(b, "devices");
        printf("backend    %-5s compiled=%s available=%s%s%s\n", b->string,
               cJSON_IsTrue(cJSON_GetObjectItem(b, "compiled")) ? "yes" : "no",
               cJSON_IsTrue(cJSON_GetObjectItem(b, "available")) ? "yes" : "no", reason ? "  " : "",
               reason ? reason->valuestring : "");
    }
    const cJSON *k = cJSON_GetObjectItem(r, "cpu_kernels"), *why = cJSON_GetObjectItem(k, "error");
    if (why) {
        printf("cpu kernels unknown: %s\n", why->valuestring);
    } else {
        const char *bf16 = cJSON_GetObjectItem(k, "bfloat16")->valuestring;
        printf("cpu isa    %s\n", cJSON_GetObjectItem(k, "features")->valuestring);
        printf("cpu matmul float32 %s, int8 %s, bfloat16 %s\n", cJSON_GetObjectItem(k, "float32")->valuestring,
               cJSON_GetObjectItem(k, "int8")->valuestring, bf16[0] ? bf16 : "none (needs AVX-512)");
    }
    const cJSON *mps = cJSON_GetObjectItem(r, "mps_env");
    if (cJSON_IsObject(mps)) {
        const cJSON *v;
        cJSON_ArrayForEach(v, mps) printf("mps env    %s=%s\n", v->string, v->valuestring);
    }
    printf("dtype      %s\n", cJSON_GetObjectItem(r, "dtype")->valuestring);
    printf("threads    %d\n", cJSON_GetObjectItem(r, "threads")->valueint);
    const cJSON *conf = cJSON_GetObjectItem(r, "config");
    const cJSON *path = cJSON_GetObjectItem(conf, "path");
    printf("config     %s\n", cJSON_IsString(path) ? path->valuestring : "(no file; defaults and environment)");
    printf("cache_dir  %s\n", cJSON_GetObjectItem(conf, "cache_dir")->valuestring);
    printf("offline    %s\n", cJSON_IsTrue(cJSON_GetObjectItem(conf, "local_only")) ? "yes" : "no");
    const cJSON *unused = cJSON_GetObjectItem(conf, "unused_keys");
    if (cJSON_GetArraySize(unused) > 0) {
        printf("not used   ");
        const cJSON *k;
        int first = 1;
        cJSON_ArrayForEach(k, unused) {
            printf("%s%s", first ? "" : ", ", k->valuestring);
            first = 0;
        }
        printf("  (OpenMed keys this backend ignores)\n");
    }
    printf("version    %s\n", cJSON_GetObjectItem(r, "version")->valuestring);
}

int cmd_doctor(int argc, char **argv) {
    const char *device = NULL, *config_path = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "--device") && i + 1 < argc) device = argv[++i];
        else if (!strcmp(argv[i], "--config-path") && i + 1 < argc) config_path = argv[++i];
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(doctor_usage, stdout);
            return 0;
        } else {
            fprintf(stderr, "openmed doctor: unknown or incomplete option '%s'\n%s", argv[i], doctor_usage);
            return 2;
        }
    }
    openmed_config cfg;
    openmed_error err;
    openmed_config_init(&cfg);
    if (openmed_config_load_file(&cfg, config_path, &err) != OPENMED_OK) return cli_report(&err);
    openmed_device_choice choice;
    if (openmed_device_resolve(device, &cfg, &choice, &err) != OPENMED_OK) return cli_report(&err);
    openmed_error check;
    int ok = openmed_device_check(&choice, &check) == OPENMED_OK;
    cJSON *report = doctor_report(&cfg, &choice, ok ? NULL : &check);
    if (json) {
        char *text = cJSON_Print(report);
        puts(text);
        free(text);
    } else {
        print_text(report);
    }
    cJSON_Delete(report);
    return 0;
}
