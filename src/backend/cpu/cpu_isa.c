/* cpu_isa.c: which x86 instruction sets the CPU kernels may use: detected once with cpuid/xgetbv
 * (the OS must save the wide registers), capped by OPENMED_CPU_ISA or om_cpu_isa_set_cap so every
 * kernel path can be forced in turn (tests, `doctor`, a user working around a machine). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backend/cpu/cpu.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>
#define OM_X86 1
#endif

static const struct {
    const char *name;
    unsigned features; /* what this cap allows */
} caps[] = {
    {"baseline", 0},
    {"avx2", OM_CPU_AVX2},
    {"avx_vnni", OM_CPU_AVX2 | OM_CPU_AVX_VNNI},
    {"avx512", OM_CPU_AVX2 | OM_CPU_AVX512},
    {"avx512_vnni", OM_CPU_AVX2 | OM_CPU_AVX512 | OM_CPU_AVX512_VNNI},
    {"avx512_bf16", OM_CPU_AVX2 | OM_CPU_AVX512 | OM_CPU_AVX512_VNNI | OM_CPU_AVX512_BF16},
    {"amx", OM_CPU_AVX2 | OM_CPU_AVX512 | OM_CPU_AVX512_VNNI | OM_CPU_AVX512_BF16 | OM_CPU_AMX},
};
#define N_CAPS (sizeof caps / sizeof caps[0])

static unsigned detected;
static int apply_cap(const char *name);
static unsigned cap_mask = ~0u;
static pthread_once_t detect_once = PTHREAD_ONCE_INIT;

#ifdef OM_X86
static unsigned long long xgetbv0(void) {
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

/* Linux keeps AMX tile state off until a process asks for it (arch_prctl ARCH_REQ_XCOMP_PERM). */
static int amx_permitted(void) {
#ifdef SYS_arch_prctl
    return syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */, 18 /* XFEATURE_XTILEDATA */) == 0;
#else
    return 0;
#endif
}
#endif

static void detect(void) {
#ifdef OM_X86
    unsigned a, b, c, d, max = __get_cpuid_max(0, NULL);
    if (max < 7 || !__get_cpuid(1, &a, &b, &c, &d)) goto env;
    int osxsave = (c >> 27) & 1, fma = (c >> 12) & 1, avx = (c >> 28) & 1;
    unsigned long long xcr0 = osxsave ? xgetbv0() : 0;
    int ymm_os = (xcr0 & 0x6) == 0x6, zmm_os = (xcr0 & 0xE6) == 0xE6, amx_os = (xcr0 & 0x60000) == 0x60000;
    unsigned b7, c7, d7, a71 = 0, tmp;
    __cpuid_count(7, 0, a, b7, c7, d7);
    unsigned leaf7_max = a;
    if (leaf7_max >= 1) __cpuid_count(7, 1, a71, tmp, tmp, tmp);
    if (avx && fma && ymm_os && ((b7 >> 5) & 1)) detected |= OM_CPU_AVX2;
    if ((detected & OM_CPU_AVX2) && ((a71 >> 4) & 1)) detected |= OM_CPU_AVX_VNNI;
    /* AVX-512 F, DQ, BW, VL: the subset every AVX-512 kernel here assumes */
    unsigned need512 = (1u << 16) | (1u << 17) | (1u << 30) | (1u << 31);
    if ((detected & OM_CPU_AVX2) && zmm_os && (b7 & need512) == need512) detected |= OM_CPU_AVX512;
    if ((detected & OM_CPU_AVX512) && ((c7 >> 11) & 1)) detected |= OM_CPU_AVX512_VNNI;
    if ((detected & OM_CPU_AVX512) && ((a71 >> 5) & 1)) detected |= OM_CPU_AVX512_BF16;
    if ((detected & OM_CPU_AVX512) && amx_os && ((d7 >> 24) & 1) && ((d7 >> 25) & 1) && ((d7 >> 22) & 1) &&
        amx_permitted())
        detected |= OM_CPU_AMX;
env:
#endif
    {
        const char *e = getenv("OPENMED_CPU_ISA");
        if (e && *e) apply_cap(e);
    }
}

unsigned om_cpu_features(void) {
    pthread_once(&detect_once, detect);
    return detected & cap_mask;
}

unsigned om_cpu_detected_features(void) {
    pthread_once(&detect_once, detect);
    return detected;
}

int om_cpu_isa_set_cap(const char *name) {
    pthread_once(&detect_once, detect);
    return apply_cap(name);
}

static int apply_cap(const char *name) {
    if (!name || !*name || strcmp(name, "native") == 0 || strcmp(name, "all") == 0) {
        cap_mask = ~0u;
        return 0;
    }
    for (size_t i = 0; i < N_CAPS; i++)
        if (strcasecmp(name, caps[i].name) == 0) {
            cap_mask = caps[i].features;
            return 0;
        }
    return -1;
}

const char *om_cpu_isa_cap_name(size_t i) { return i < N_CAPS ? caps[i].name : NULL; }

int om_cpu_isa_cap_available(const char *name) {
    unsigned have = om_cpu_detected_features();
    for (size_t i = 0; i < N_CAPS; i++)
        if (strcasecmp(name, caps[i].name) == 0) return (have & caps[i].features) == caps[i].features;
    return 0;
}

void om_cpu_features_describe(unsigned f, char *buf, size_t size) {
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {{OM_CPU_AVX2, "avx2"},           {OM_CPU_AVX_VNNI, "avx_vnni"},       {OM_CPU_AVX512, "avx512"},
                 {OM_CPU_AVX512_VNNI, "avx512_vnni"}, {OM_CPU_AVX512_BF16, "avx512_bf16"}, {OM_CPU_AMX, "amx"}};
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if ((f & names[i].bit) && used + strlen(names[i].name) + 2 < size) {
            if (used) buf[used++] = ' ';
            strcpy(buf + used, names[i].name);
            used += strlen(names[i].name);
        }
    if (!used && size > 8) strcpy(buf, "baseline");
}
