/* workspace.h: the scratch memory a forward pass runs in, owned by whoever runs the model (a
 * pipeline), never by the model.
 *
 * One memory strategy for every family: a family lays out each buffer one forward needs for a
 * given batch (token count, sequence lengths) with om_ws_floats / om_ws_host, in one function that
 * both sizes the workspace (a counting layout, no memory) and hands out the buffers (a layout over
 * the workspace's memory). The workspace is allocated on first use, grown when a bigger batch comes
 * and reused otherwise, so a pipeline's forwards allocate nothing after the largest batch. A loaded
 * model keeps no per-request state: any number of workspaces run one model at once. */
#ifndef OM_MODELS_WORKSPACE_H
#define OM_MODELS_WORKSPACE_H

#include <stddef.h>

#include "backend/backend.h"
#include "openmed.h"

/* Backend memory (activations) and host memory (positions, sequence metadata) of one forward. */
typedef struct om_workspace {
    om_backend *be;      /* the backend `device` belongs to (NULL until first reserved) */
    void *device;        /* backend memory, device_bytes */
    size_t device_bytes;
    void *host;          /* host memory, host_bytes */
    size_t host_bytes;
} om_workspace;

/* Bytes one forward needs, as a family's layout declares them. */
typedef struct om_ws_size {
    size_t device_bytes;
    size_t host_bytes;
} om_ws_size;

/* Hands out consecutive, aligned pieces of a workspace; over no memory it only counts. */
typedef struct om_ws_layout {
    char *device, *host; /* NULL: counting */
    size_t device_cap, host_cap;
    size_t device_used, host_used;
} om_ws_layout;

void om_workspace_init(om_workspace *ws);
/* Make ws at least `need` on backend be (growing: the old contents are not kept; another backend:
 * reallocated on it). Fails with OPENMED_ERR_NO_MEMORY naming the size and the device. */
openmed_status om_workspace_reserve(om_workspace *ws, om_backend *be, const om_ws_size *need, openmed_error *err);
/* Release the memory; ws is empty (and reusable) afterwards. */
void om_workspace_release(om_workspace *ws);

/* A layout that counts (ws NULL) or hands out ws's memory. */
void om_ws_layout_begin(om_ws_layout *lay, const om_workspace *ws);
/* The bytes a counting layout has seen. */
om_ws_size om_ws_layout_size(const om_ws_layout *lay);
/* 1 when every piece handed out so far lies inside the workspace (always, when it was reserved
 * with this layout's size for the same batch). */
int om_ws_layout_fits(const om_ws_layout *lay);
/* n floats of backend memory (256-byte aligned), or NULL while counting. */
float *om_ws_floats(om_ws_layout *lay, size_t n);
/* `bytes` of host memory (64-byte aligned), or NULL while counting. */
void *om_ws_host(om_ws_layout *lay, size_t bytes);

#endif
