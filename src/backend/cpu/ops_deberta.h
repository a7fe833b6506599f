/* ops_deberta.h: the CPU implementation of the DeBERTa op group of backend.h. */
#ifndef OM_BACKEND_CPU_OPS_DEBERTA_H
#define OM_BACKEND_CPU_OPS_DEBERTA_H

#include "backend/backend.h"

/* om_backend.deberta_rel_bias for host memory (see backend.h). */
openmed_status om_cpu_deberta_rel_bias(om_backend *be, float *bias, const float *c2p, const float *p2c, int n_rel,
                                       const int32_t *rel_index, int max_len, const int32_t *cu_seqlens, int n_seqs,
                                       int n_heads, float scale, openmed_error *err);

#endif
