/* act_ref.h: the activations of om_act in double precision, the reference the CPU kernel tests check
 * fused activations against. */
#ifndef OM_TEST_ACT_REF_H
#define OM_TEST_ACT_REF_H

#include <math.h>

#include "backend/backend.h"

static inline double act_ref(double x, om_act act) {
    switch (act) {
    case OM_ACT_NONE: return x;
    case OM_ACT_GELU: return 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
    case OM_ACT_GELU_TANH: return 0.5 * x * (1.0 + tanh(sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
    case OM_ACT_RELU: return x > 0 ? x : 0;
    case OM_ACT_SILU: return x / (1.0 + exp(-x));
    case OM_ACT_QUICK_GELU: return x / (1.0 + exp(-1.702 * x));
    }
    return x;
}

#endif
