/* test_hub_model_load.c: the engine's loader fetches a model by registry name through the hub
 * (a local hub on 127.0.0.1 serving the golden folders, registered with OPENMED_EXTRA_MODELS),
 * then loads it again offline from the cache; both loads see the same model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "hub/registry.h"
#include "hub_harness.h"
#include "openmed.h"

static hub_server hub;

static openmed_status load(const char *name, const openmed_config *cfg, openmed_model **model, openmed_error *err) {
    openmed_model_options opt;
    openmed_model_options_init(&opt);
    opt.config = cfg;
    opt.device = "cpu";
    return openmed_model_load(name, &opt, model, err);
}

int main(void) {
    if (hub_start(&hub) != 0) {
        fprintf(stderr, "test_hub_model_load: cannot start tests/hub/hub_server.py (python3)\n");
        return 1;
    }
    char tmp[] = "/tmp/om_hub_load_XXXXXX", extra[400];
    if (!mkdtemp(tmp)) return 1;
    snprintf(extra, sizeof extra, "%s/registry.jsonl", hub.state);
    setenv("OPENMED_EXTRA_MODELS", extra, 1);
    setenv("HF_ENDPOINT", hub.endpoint, 1);
    unsetenv("HF_HUB_OFFLINE");
    unsetenv("OPENMED_OFFLINE");
    unsetenv("OPENMED_SKIP_MODEL_VERIFY");
    om_registry_reset();

    openmed_config cfg;
    openmed_config_init(&cfg);
    snprintf(cfg.cache_dir, sizeof cfg.cache_dir, "%s/cache", tmp);
    cfg.local_only = 0;
    setenv("HF_HUB_CACHE", cfg.cache_dir, 1); /* keep the user's own Hugging Face cache out of it */

    openmed_error err;
    openmed_model *online = NULL, *offline = NULL;
    openmed_status st = load("bert_uncased", &cfg, &online, &err);
    CHECK_MSG(st == OPENMED_OK, "%s", err.message);
    char online_path[OPENMED_PATH_MAX] = "";
    if (online) {
        snprintf(online_path, sizeof online_path, "%s", openmed_model_path(online));
        CHECK(strstr(online_path, "/models--OpenMedTest--bert-uncased/snapshots/") != NULL);
        CHECK_STR(openmed_model_type(online), "bert");
    }
    CHECK(hub_count_requests(&hub, "GET /cdn/") >= 1);

    /* offline: the hub is gone, the cache answers */
    hub_stop(&hub);
    cfg.local_only = 1;
    st = load("bert_uncased", &cfg, &offline, &err);
    CHECK_MSG(st == OPENMED_OK, "%s", err.message);
    if (offline && online) {
        CHECK_STR(openmed_model_path(offline), online_path);
        CHECK_INT(openmed_model_num_labels(offline), openmed_model_num_labels(online));
        for (int i = 0; i < openmed_model_num_labels(online); i++)
            CHECK_STR(openmed_model_label(offline, i), openmed_model_label(online, i));
    }
    /* a registry model never pulled fails offline with the pull command */
    openmed_model *missing = NULL;
    CHECK_INT(load("roberta", &cfg, &missing, &err), OPENMED_ERR_NOT_FOUND);
    CHECK_MSG(strstr(err.message, "openmed models pull roberta") != NULL, "%s", err.message);
    openmed_model_free(online);
    openmed_model_free(offline);

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", tmp, hub.state);
    if (system(cmd) != 0) fprintf(stderr, "could not clean %s\n", tmp);
    return check_finish("test_hub_model_load");
}
