/* half.c: IEEE binary16 and bfloat16 to float32, for weights stored in 16 bits. */
#include "core/half.h"

#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

float om_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1F, mant = h & 0x3FF, bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else { /* subnormal: renormalize */
            exp = 127 - 15 + 1;
            while (!(mant & 0x400)) {
                mant <<= 1;
                exp--;
            }
            bits = sign | (exp << 23) | ((mant & 0x3FF) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7F800000u | (mant << 13);
    } else {
        bits = sign | ((exp - 15 + 127) << 23) | (mant << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

float om_bf16_to_f32(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

void om_half_run_to_f32(float *dst, const void *src, int bf16, size_t n) {
    const unsigned char *s = src;
    size_t i = 0;
#if defined(__SSE2__) && (defined(__x86_64__) || defined(__i386__))
    if (bf16) { /* little-endian x86: widening is interleaving zero low halves, 8 values a step */
        const __m128i zero = _mm_setzero_si128();
        for (; i + 8 <= n; i += 8) {
            __m128i h = _mm_loadu_si128((const __m128i *)(const void *)(s + 2 * i));
            _mm_storeu_si128((__m128i *)(void *)(dst + i), _mm_unpacklo_epi16(zero, h));
            _mm_storeu_si128((__m128i *)(void *)(dst + i + 4), _mm_unpackhi_epi16(zero, h));
        }
    }
#endif
    for (; i < n; i++) {
        uint16_t h = (uint16_t)(s[2 * i] | (unsigned)s[2 * i + 1] << 8);
        dst[i] = bf16 ? om_bf16_to_f32(h) : om_f16_to_f32(h);
    }
}
