/* fake_device.h: the cpu backend dressed as a device whose memory the host cannot touch, for the
 * cuda tests' self-check on machines without a GPU. */
#ifndef OM_TESTS_FAKE_DEVICE_H
#define OM_TESTS_FAKE_DEVICE_H

#include "backend/backend.h"

/* A backend named "fake-device" that runs every op on the cpu backend, but every buffer it hands
 * out (alloc, prepare_weight, prepare_vector) is moved 2^47 bytes up, outside the canonical
 * address space: host code that reads or writes backend memory instead of using upload/download
 * crashes at once, exactly the mistake that breaks on cuda. set_precision is NULL, as on cpu. */
openmed_status om_fake_device_open(om_backend **out, openmed_error *err);

/* The backend in the cuda tests' "gpu" seat: cuda with `threads` host threads, or the fake device
 * when OM_TEST_CUDA_AS_CPU=1 (then *self_check = 1). Returns 0 with *gpu open; 77 (the test's
 * skip code, after printing why) when there is no CUDA device; 1 after printing any other error. */
int om_fake_device_seat(om_backend **gpu, int threads, int *self_check);

#endif
