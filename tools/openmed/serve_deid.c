/* serve_deid.c: what `openmed serve` adds to each de-identification request: the server's key
 * (--secret-file, else $OPENMED_DEID_SECRET, else deid_secret_file of the config file; none: the
 * library's random key for this run, with a warning at start-up) and the bundled policies, loaded
 * once and shared by every request (a client names a policy, never a file, and never sends a key). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "serve.h"

#define SECRET_ENV "OPENMED_DEID_SECRET"
#define MAX_SECRET_BYTES (1 << 20)

struct om_serve_deid {
    unsigned char *secret; /* NULL: the library's random key for this process */
    size_t secret_len;
    openmed_policy *policies[OM_SERVE_N_POLICIES]; /* NULL: could not be loaded (the message says why) */
    char policy_error[OM_SERVE_N_POLICIES][160];
};

static int read_secret(om_serve_deid *d, const char *file, char *why, size_t why_size) {
    openmed_error err = {0};
    char *data = NULL;
    size_t len = 0;
    if (cli_read_file(file, MAX_SECRET_BYTES, &data, &len, &err) != OPENMED_OK) {
        snprintf(why, why_size, "secret key: %s", err.message);
        return -1;
    }
    while (len && (data[len - 1] == '\n' || data[len - 1] == '\r')) data[--len] = '\0'; /* not part of the key */
    if (!len) {
        free(data);
        snprintf(why, why_size, "secret key file %s is empty", file);
        return -1;
    }
    d->secret = (unsigned char *)data;
    d->secret_len = len;
    return 0;
}

int om_serve_deid_create(const char *secret_file, const char *config_path, om_serve_deid **out, char *why,
                         size_t why_size) {
    om_serve_deid *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    const char *env = getenv(SECRET_ENV);
    openmed_config cfg;
    openmed_config_init(&cfg);
    openmed_error err = {0};
    int rc = 0;
    if (secret_file) {
        rc = read_secret(d, secret_file, why, why_size);
    } else if (env && *env) {
        d->secret_len = strlen(env);
        d->secret = (unsigned char *)strdup(env);
        if (!d->secret) {
            snprintf(why, why_size, "out of memory");
            rc = -1;
        }
    } else if (openmed_config_load_file(&cfg, config_path, &err) != OPENMED_OK) {
        snprintf(why, why_size, "%s", err.message);
        rc = -1;
    } else if (cfg.deid_secret_file[0]) {
        rc = read_secret(d, cfg.deid_secret_file, why, why_size);
    }
    if (rc) {
        om_serve_deid_free(d);
        return -1;
    }
    for (int i = 0; i < OM_SERVE_N_POLICIES; i++) {
        openmed_error pe = {0};
        if (openmed_policy_load(om_serve_policy_names[i], &d->policies[i], &pe) != OPENMED_OK) {
            d->policies[i] = NULL;
            snprintf(d->policy_error[i], sizeof d->policy_error[i], "%s", openmed_status_name(pe.status));
            fprintf(stderr, "openmed serve: warning: the bundled policy %s cannot be loaded (%s); requests naming it "
                            "get 500\n", om_serve_policy_names[i], openmed_status_name(pe.status));
        }
    }
    if (!d->secret)
        fprintf(stderr, "openmed serve: warning: no de-identification key (--secret-file, " SECRET_ENV " or "
                        "deid_secret_file in the config file): hash, replace and format_preserve use a random key for "
                        "this run, so their values will not match those of another run, and "
                        "patient_key is refused\n");
    *out = d;
    return 0;
}

void om_serve_deid_free(om_serve_deid *d) {
    if (!d) return;
    for (int i = 0; i < OM_SERVE_N_POLICIES; i++) openmed_policy_free(d->policies[i]);
    if (d->secret) memset(d->secret, 0, d->secret_len);
    free(d->secret);
    free(d);
}

int om_serve_deid_has_key(const om_serve_deid *d) { return d->secret != NULL; }

int om_serve_deid_apply(const om_serve_deid *d, om_serve_request *req, om_request_error *err) {
    memset(err, 0, sizeof *err);
    openmed_deid_options *o = &req->deid;
    o->secret = d->secret;
    o->secret_len = d->secret_len;
    if (o->patient_key && !d->secret) {
        err->status = 422;
        err->code = "validation_error";
        err->type = "value_error";
        snprintf(err->field, sizeof err->field, "body.patient_key");
        snprintf(err->message, sizeof err->message,
                 "body.patient_key: this server has no de-identification key (--secret-file or " SECRET_ENV "), and "
                 "a random one would shift a patient's dates differently in every run");
        return -1;
    }
    if (req->policy >= 0) {
        if (!d->policies[req->policy]) {
            err->status = 500;
            err->code = "policy_unavailable";
            snprintf(err->message, sizeof err->message, "the bundled policy %s could not be loaded at start-up (%s)",
                     om_serve_policy_names[req->policy], d->policy_error[req->policy]);
            return -1;
        }
        o->policy = d->policies[req->policy];
        if (!req->threshold_given) o->confidence_threshold = 1.0f; /* the policy's ceiling decides, as the CLI */
    }
    return 0;
}
