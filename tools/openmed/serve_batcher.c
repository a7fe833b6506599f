/* serve_batcher.c: dynamic batching. Jobs (one text each) wait in their model's queue; a worker
 * takes a model's jobs with equal pipeline options together, up to --max-batch texts and
 * --max-batch-bytes of text, as soon as the batch is full or its first job has waited
 * --max-wait-ms (or at once when no other request is on its way), and runs them with one
 * openmed_analyze (or openmed_pii_run_batch) on its own pipeline for that model. Loaded models are
 * immutable, so the workers run batches of one model at the same time, each on its own pipeline
 * (scratch memory) over the shared model, with no lock around the forward pass; a model in use is
 * never unloaded (serve_models.c counts its references). A batch stops between windows once no job
 * in it is still wanted; a reaper drops queued jobs whose client left or whose time ran out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "serve.h"

#define PII_KEY UINT64_MAX /* PII jobs of a model all share one pipeline */

typedef struct model_queue {
    struct model_queue *next;
    om_served_model *model;
    om_job *head, *tail;
    size_t n;
    int running; /* batches of this model running now (any number, one per worker at most) */
} model_queue;

struct om_batcher {
    pthread_mutex_t lock;
    pthread_cond_t work; /* jobs queued, a batch finished, draining */
    pthread_cond_t idle; /* nothing queued or running */
    const om_serve_config *cfg;
    om_models *models;
    model_queue *queues;
    size_t queued, running;
    long arriving;       /* requests received that have not queued their texts yet */
    int draining;        /* no new jobs; workers leave once everything is done */
    int cancel_all;      /* the drain ran out of time: every batch stops between windows */
    pthread_t *workers;
    int n_workers;
    pthread_t reaper;
    int reaper_started;
};

typedef struct worker_arg {
    om_batcher *b;
    int index;
} worker_arg;

void om_job_clear(om_job *job) {
    if (job->result) openmed_analyses_free(job->result, 1);
    openmed_deid_result_free(job->pii_result);
    job->result = NULL;
    job->pii_result = NULL;
}

static double deadline_in(double seconds) { return cli_now_seconds() + seconds; }

static void to_timespec(double at, struct timespec *ts) {
    /* pthread_cond_timedwait measures CLOCK_REALTIME; convert the monotonic deadline. */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    double wait = at - cli_now_seconds();
    if (wait < 0) wait = 0;
    double t = (double)now.tv_sec + (double)now.tv_nsec * 1e-9 + wait;
    ts->tv_sec = (time_t)t;
    ts->tv_nsec = (long)((t - (double)ts->tv_sec) * 1e9);
}

static model_queue *queue_of(om_batcher *b, om_served_model *sm, int create) {
    for (model_queue *q = b->queues; q; q = q->next)
        if (q->model == sm) return q;
    if (!create) return NULL;
    model_queue *q = calloc(1, sizeof *q);
    if (!q) return NULL;
    q->model = sm;
    q->next = b->queues;
    b->queues = q;
    return q;
}

static void queue_drop_if_empty(om_batcher *b, model_queue *q) {
    if (q->n || q->running) return;
    for (model_queue **p = &b->queues; *p; p = &(*p)->next)
        if (*p == q) {
            *p = q->next;
            break;
        }
    free(q);
}

void om_batcher_arrival(om_batcher *b, int delta) {
    pthread_mutex_lock(&b->lock);
    b->arriving += delta;
    if (b->arriving == 0) pthread_cond_broadcast(&b->work); /* a waiting batch need not wait longer */
    pthread_mutex_unlock(&b->lock);
}

int om_batcher_submit(om_batcher *b, om_job *const *jobs, size_t n) {
    if (!n) return 0;
    pthread_mutex_lock(&b->lock);
    if (b->draining || b->queued + n > (size_t)b->cfg->queue_limit) {
        pthread_mutex_unlock(&b->lock);
        return -1;
    }
    model_queue *q = queue_of(b, jobs[0]->model, 1);
    if (!q) {
        pthread_mutex_unlock(&b->lock);
        return -1;
    }
    double now = cli_now_seconds();
    for (size_t i = 0; i < n; i++) {
        om_job *j = jobs[i];
        j->next = NULL;
        j->enqueued_at = now;
        if (j->kind == OM_JOB_PII) j->key = PII_KEY;
        else {
            uint32_t bits;
            memcpy(&bits, &j->threshold, sizeof bits);
            j->key = ((uint64_t)j->sentence_detection << 41) | ((uint64_t)j->group_entities << 40) |
                     ((uint64_t)j->aggregation << 32) | bits;
        }
        if (q->tail) q->tail->next = j;
        else q->head = j;
        q->tail = j;
        q->n++;
    }
    b->queued += n;
    pthread_cond_broadcast(&b->work);
    pthread_mutex_unlock(&b->lock);
    return 0;
}

size_t om_batcher_queued(om_batcher *b) {
    pthread_mutex_lock(&b->lock);
    size_t n = b->queued;
    pthread_mutex_unlock(&b->lock);
    return n;
}

/* Take the next batch of q: its first job and the following jobs with the same key, within the
 * size limits; jobs nobody waits for any more go to *dropped. Lock held. */
static size_t take_batch(om_batcher *b, model_queue *q, om_job **batch, om_job **dropped) {
    size_t n = 0, bytes = 0, max = (size_t)b->cfg->max_batch;
    uint64_t key = q->head->key;
    om_job **link = &q->head;
    while (*link && n < max) {
        om_job *j = *link;
        int gone = j->ops->gone(j->owner);
        int fits = j->key == key && (n == 0 || bytes + j->len <= b->cfg->max_batch_bytes);
        if (gone || fits) {
            *link = j->next;
            q->n--;
            b->queued--;
            if (gone) {
                j->next = *dropped;
                *dropped = j;
            } else {
                j->next = NULL;
                batch[n++] = j;
                bytes += j->len;
            }
            continue;
        }
        if (j->key == key && n > 0) break; /* the next text does not fit: it opens the next batch */
        link = &j->next;
    }
    q->tail = NULL;
    for (om_job *j = q->head; j; j = j->next) q->tail = j;
    return n;
}

typedef struct batch_ctx {
    om_batcher *b;
    om_job **jobs;
    size_t n;
} batch_ctx;

/* The pipeline asks between windows: stop once no job of the batch is wanted. */
static int batch_should_stop(void *arg) {
    batch_ctx *c = arg;
    if (__atomic_load_n(&c->b->cancel_all, __ATOMIC_RELAXED)) return 1;
    for (size_t i = 0; i < c->n; i++)
        if (!c->jobs[i]->ops->gone(c->jobs[i]->owner)) return 0;
    return 1;
}

static void fail_all(om_job **jobs, size_t n, openmed_status st, const openmed_error *e) {
    for (size_t i = 0; i < n; i++) {
        jobs[i]->status = st;
        jobs[i]->error = *e;
        jobs[i]->error.status = st;
    }
}

static void run_batch(om_batcher *b, int worker, om_served_model *sm, om_job **jobs, size_t n) {
    openmed_error err = {0};
    double t0 = cli_now_seconds();
    openmed_status st = om_served_model_ensure(b->models, sm, &err);
    if (st != OPENMED_OK) {
        fail_all(jobs, n, st, &err);
        for (size_t i = 0; i < n; i++) jobs[i]->model_load_failed = 1;
        return;
    }
    const openmed_model *model = om_served_model_get(sm);
    openmed_pipeline **slot = om_served_model_pipelines(sm, worker, jobs[0]->key);
    int windows = b->cfg->max_batch > 8 ? b->cfg->max_batch : 8;
    if (!*slot) {
        if (jobs[0]->kind == OM_JOB_PII) {
            st = openmed_pii_pipeline_create(model, windows, slot, &err);
        } else {
            openmed_pipeline_options po;
            openmed_pipeline_options_init(&po);
            po.aggregation = jobs[0]->aggregation;
            po.decoder = openmed_model_default_decoder(model);
            po.batch_size = windows;
            st = openmed_pipeline_create(model, &po, slot, &err);
        }
        if (st != OPENMED_OK) {
            fail_all(jobs, n, st, &err);
            return;
        }
        om_served_model_pipeline_made(sm);
    }
    batch_ctx ctx = {b, jobs, n};
    openmed_pipeline_set_cancel(*slot, batch_should_stop, &ctx);
    if (jobs[0]->kind == OM_JOB_ANALYZE) {
        /* Each job gets its own result; the entities move there from the pipeline's array. */
        const char **texts = malloc(n * sizeof *texts);
        openmed_analysis *res = NULL;
        int ok = texts != NULL;
        for (size_t i = 0; i < n; i++) {
            jobs[i]->result = ok ? calloc(1, sizeof *jobs[i]->result) : NULL;
            ok = ok && jobs[i]->result;
            if (texts) texts[i] = jobs[i]->text;
        }
        if (!ok) {
            st = OPENMED_ERR_NO_MEMORY;
            snprintf(err.message, sizeof err.message, "out of memory for a batch of %zu texts", n);
        } else {
            openmed_analyze_options ao; /* OpenMed's analyze_text, as `openmed analyze` */
            openmed_analyze_options_init(&ao);
            ao.confidence_threshold = jobs[0]->threshold;
            ao.group_entities = jobs[0]->group_entities;
            ao.sentence_detection = jobs[0]->sentence_detection;
            st = openmed_analyze(*slot, texts, n, &ao, &res, &err);
        }
        free(texts);
        if (st == OPENMED_OK) {
            for (size_t i = 0; i < n; i++) *jobs[i]->result = res[i];
            free(res); /* the array only: its contents now belong to the jobs */
        } else {
            for (size_t i = 0; i < n; i++) {
                free(jobs[i]->result);
                jobs[i]->result = NULL;
            }
            fail_all(jobs, n, st, &err);
        }
    } else {
        openmed_pii_item *items = calloc(n, sizeof *items);
        if (!items) {
            err.status = OPENMED_ERR_NO_MEMORY;
            snprintf(err.message, sizeof err.message, "out of memory");
            fail_all(jobs, n, OPENMED_ERR_NO_MEMORY, &err);
        } else {
            for (size_t i = 0; i < n; i++)
                items[i] = (openmed_pii_item){.text = jobs[i]->text, .len = jobs[i]->len, .options = jobs[i]->deid,
                                              .deidentify = jobs[i]->deidentify};
            openmed_pii_run_batch(*slot, items, n, &err);
            for (size_t i = 0; i < n; i++) {
                jobs[i]->status = items[i].status;
                jobs[i]->error = items[i].error;
                jobs[i]->pii_result = items[i].result;
            }
            free(items);
        }
    }
    openmed_pipeline_set_cancel(*slot, NULL, NULL);
    double took = cli_now_seconds() - t0;
    for (size_t i = 0; i < n; i++) {
        jobs[i]->seconds = took;
        jobs[i]->batch_size = (int)n;
    }
    om_metrics_batch((int)n, took);
}

static void complete(om_job *list, openmed_status st, const char *why) {
    while (list) {
        om_job *next = list->next;
        list->next = NULL;
        if (st != OPENMED_OK) {
            list->status = st;
            list->error.status = st;
            snprintf(list->error.message, sizeof list->error.message, "%s", why);
        }
        list->ops->done(list->owner, list);
        list = next;
    }
}

static void *worker_main(void *arg) {
    worker_arg *wa = arg;
    om_batcher *b = wa->b;
    int index = wa->index;
    free(wa);
    om_job **batch = malloc((size_t)b->cfg->max_batch * sizeof *batch);
    if (!batch) return NULL;
    double max_wait = b->cfg->max_wait_ms / 1000.0;
    pthread_mutex_lock(&b->lock);
    for (;;) {
        if (b->draining && !b->queued) break;
        double now = cli_now_seconds(), wake = 0;
        model_queue *pick = NULL;
        for (model_queue *q = b->queues; q; q = q->next) {
            if (!q->n) continue;
            double ready_at = q->head->enqueued_at + max_wait;
            int ready = q->n >= (size_t)b->cfg->max_batch || now >= ready_at || b->draining || b->arriving <= 0;
            if (ready && (!pick || q->head->enqueued_at < pick->head->enqueued_at)) pick = q;
            if (!ready && (!wake || ready_at < wake)) wake = ready_at;
        }
        if (!pick) {
            if (wake) {
                struct timespec ts;
                to_timespec(wake, &ts);
                pthread_cond_timedwait(&b->work, &b->lock, &ts);
            } else {
                pthread_cond_wait(&b->work, &b->lock);
            }
            continue;
        }
        om_job *dropped = NULL;
        size_t n = take_batch(b, pick, batch, &dropped);
        pick->running += n > 0;
        b->running += n;
        om_served_model *sm = pick->model;
        pthread_mutex_unlock(&b->lock);

        complete(dropped, OPENMED_ERR_CANCELLED, "the request was cancelled");
        if (n) run_batch(b, index, sm, batch, n);
        for (size_t i = 0; i < n; i++) batch[i]->ops->done(batch[i]->owner, batch[i]);

        pthread_mutex_lock(&b->lock);
        model_queue *q = queue_of(b, sm, 0);
        if (q && n) q->running--;
        b->running -= n;
        if (q) queue_drop_if_empty(b, q);
        pthread_cond_broadcast(&b->work);
        if (!b->queued && !b->running) pthread_cond_broadcast(&b->idle);
    }
    pthread_cond_broadcast(&b->work);
    pthread_mutex_unlock(&b->lock);
    free(batch);
    return NULL;
}

/* Every 50 ms: queued jobs whose client left or whose time ran out are dropped. */
static void *reaper_main(void *arg) {
    om_batcher *b = arg;
    pthread_mutex_lock(&b->lock);
    while (!(b->draining && !b->queued && !b->running)) {
        struct timespec ts;
        to_timespec(deadline_in(0.05), &ts);
        pthread_cond_timedwait(&b->work, &b->lock, &ts);
        om_job *dropped = NULL;
        for (model_queue *q = b->queues, *next; q; q = next) {
            next = q->next;
            om_job **link = &q->head;
            while (*link) {
                om_job *j = *link;
                if (j->ops->gone(j->owner)) {
                    *link = j->next;
                    q->n--;
                    b->queued--;
                    j->next = dropped;
                    dropped = j;
                } else {
                    link = &j->next;
                }
            }
            q->tail = NULL;
            for (om_job *j = q->head; j; j = j->next) q->tail = j;
            queue_drop_if_empty(b, q);
        }
        if (dropped) {
            pthread_mutex_unlock(&b->lock);
            complete(dropped, OPENMED_ERR_CANCELLED, "the request was cancelled");
            pthread_mutex_lock(&b->lock);
            if (!b->queued && !b->running) pthread_cond_broadcast(&b->idle);
        }
    }
    pthread_mutex_unlock(&b->lock);
    return NULL;
}

int om_batcher_create(const om_serve_config *cfg, om_models *models, om_batcher **out) {
    om_batcher *b = calloc(1, sizeof *b);
    if (!b) return -1;
    b->cfg = cfg;
    b->models = models;
    pthread_mutex_init(&b->lock, NULL);
    pthread_cond_init(&b->work, NULL);
    pthread_cond_init(&b->idle, NULL);
    b->workers = calloc((size_t)cfg->workers, sizeof *b->workers);
    if (!b->workers) {
        om_batcher_free(b);
        return -1;
    }
    for (int i = 0; i < cfg->workers; i++) {
        worker_arg *wa = malloc(sizeof *wa);
        if (!wa) break;
        *wa = (worker_arg){b, i};
        if (pthread_create(&b->workers[i], NULL, worker_main, wa) != 0) {
            free(wa);
            break;
        }
        b->n_workers++;
    }
    b->reaper_started = pthread_create(&b->reaper, NULL, reaper_main, b) == 0;
    if (b->n_workers != cfg->workers || !b->reaper_started) {
        om_batcher_drain(b, 0);
        om_batcher_free(b);
        return -1;
    }
    *out = b;
    return 0;
}

void om_batcher_drain(om_batcher *b, double seconds) {
    pthread_mutex_lock(&b->lock);
    b->draining = 1;
    pthread_cond_broadcast(&b->work);
    double until = deadline_in(seconds);
    while (b->queued || b->running) {
        if (cli_now_seconds() >= until) {
            __atomic_store_n(&b->cancel_all, 1, __ATOMIC_RELAXED);
            pthread_cond_wait(&b->idle, &b->lock);
            continue;
        }
        struct timespec ts;
        to_timespec(until, &ts);
        pthread_cond_timedwait(&b->idle, &b->lock, &ts);
    }
    pthread_cond_broadcast(&b->work);
    pthread_mutex_unlock(&b->lock);
    for (int i = 0; i < b->n_workers; i++) pthread_join(b->workers[i], NULL);
    b->n_workers = 0;
    if (b->reaper_started) pthread_join(b->reaper, NULL);
    b->reaper_started = 0;
}

void om_batcher_free(om_batcher *b) {
    if (!b) return;
    if (b->n_workers || b->reaper_started) om_batcher_drain(b, 0);
    while (b->queues) {
        model_queue *q = b->queues;
        b->queues = q->next;
        free(q);
    }
    free(b->workers);
    pthread_mutex_destroy(&b->lock);
    pthread_cond_destroy(&b->work);
    pthread_cond_destroy(&b->idle);
    free(b);
}
