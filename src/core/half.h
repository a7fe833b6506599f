/* half.h: IEEE binary16 and bfloat16 values widened to float32, one at a time or a stored run. */
#ifndef OM_CORE_HALF_H
#define OM_CORE_HALF_H

#include <stddef.h>
#include <stdint.h>

/* One IEEE half (binary16) value as float32, exactly (subnormals, infinities and NaN kept). */
float om_f16_to_f32(uint16_t h);

/* One bfloat16 value as float32 (the top 16 bits of the float). */
float om_bf16_to_f32(uint16_t h);

/* n 2-byte values stored at src (little-endian, any alignment) as float32 into dst: bfloat16 when
 * bf16 is non-zero, IEEE half otherwise. */
void om_half_run_to_f32(float *dst, const void *src, int bf16, size_t n);

#endif
