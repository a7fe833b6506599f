/* serve.h: the state `openmed serve` shares between its connection threads, and its endpoints. */
#ifndef OM_SERVE_H
#define OM_SERVE_H

#include <pthread.h>
#include <stddef.h>

#include "openmed.h"
#include "strbuf.h"

/* Loaded once at start and never changed; each model is used under its own mutex. */
typedef struct om_serve_models {
    openmed_model *analyze; /* the entity model (--model or the bundled disease model) */
    const char *analyze_path;
    openmed_model *pii;     /* the PII model (--pii-model or the bundled PII model) */
    const char *pii_path;
    pthread_mutex_t analyze_lock, pii_lock;
} om_serve_models;

/* One endpoint: reads the JSON body (len bytes, not NUL-terminated), writes the response body to
 * out and returns the HTTP status. Errors are {"detail": "..."} naming the field, never the text. */
int om_serve_health(const om_serve_models *m, om_strbuf *out);
int om_serve_analyze(om_serve_models *m, const char *body, size_t len, om_strbuf *out);
int om_serve_pii(om_serve_models *m, int deidentify, const char *body, size_t len, om_strbuf *out);

/* {"detail": message}; returns status. */
int om_serve_error(om_strbuf *out, int status, const char *message);

#endif
