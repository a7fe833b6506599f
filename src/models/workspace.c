/* workspace.c: a pipeline's forward scratch, sized by the family's layout and grown on demand. */
#include "models/workspace.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"

#define OM_WS_DEVICE_ALIGN 256 /* what CUDA allocations guarantee; a multiple of every vector width */
#define OM_WS_HOST_ALIGN 64

void om_workspace_init(om_workspace *ws) { memset(ws, 0, sizeof *ws); }

void om_workspace_release(om_workspace *ws) {
    if (!ws) return;
    if (ws->device) ws->be->free(ws->be, ws->device);
    free(ws->host);
    om_workspace_init(ws);
}

openmed_status om_workspace_reserve(om_workspace *ws, om_backend *be, const om_ws_size *need, openmed_error *err) {
    if (ws->be && ws->be != be) om_workspace_release(ws);
    ws->be = be;
    if (need->device_bytes > ws->device_bytes) {
        if (ws->device) be->free(be, ws->device);
        ws->device = be->alloc(be, need->device_bytes);
        ws->device_bytes = ws->device ? need->device_bytes : 0;
        if (!ws->device)
            return om_fail(err, OPENMED_ERR_NO_MEMORY, "workspace: cannot allocate %zu bytes of activations on %s",
                           need->device_bytes, be->name);
    }
    if (need->host_bytes > ws->host_bytes) {
        free(ws->host);
        ws->host = NULL;
        if (posix_memalign(&ws->host, OM_WS_HOST_ALIGN, need->host_bytes) != 0) ws->host = NULL;
        ws->host_bytes = ws->host ? need->host_bytes : 0;
        if (!ws->host)
            return om_fail(err, OPENMED_ERR_NO_MEMORY, "workspace: cannot allocate %zu bytes of host memory",
                           need->host_bytes);
    }
    return OPENMED_OK;
}

void om_ws_layout_begin(om_ws_layout *lay, const om_workspace *ws) {
    memset(lay, 0, sizeof *lay);
    if (ws) {
        lay->device = ws->device;
        lay->host = ws->host;
        lay->device_cap = ws->device_bytes;
        lay->host_cap = ws->host_bytes;
    }
}

om_ws_size om_ws_layout_size(const om_ws_layout *lay) {
    om_ws_size s = {lay->device_used, lay->host_used};
    return s;
}

int om_ws_layout_fits(const om_ws_layout *lay) {
    return lay->device_used <= lay->device_cap && lay->host_used <= lay->host_cap;
}

static size_t round_up(size_t n, size_t align) { return (n + align - 1) / align * align; }

float *om_ws_floats(om_ws_layout *lay, size_t n) {
    size_t at = lay->device_used;
    lay->device_used = at + round_up((n ? n : 1) * sizeof(float), OM_WS_DEVICE_ALIGN);
    return lay->device && lay->device_used <= lay->device_cap ? (float *)(lay->device + at) : NULL;
}

void *om_ws_host(om_ws_layout *lay, size_t bytes) {
    size_t at = lay->host_used;
    lay->host_used = at + round_up(bytes ? bytes : 1, OM_WS_HOST_ALIGN);
    return lay->host && lay->host_used <= lay->host_cap ? lay->host + at : NULL;
}
