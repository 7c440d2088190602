/* The embedded test backend: libvirt's test:///default objects, in memory,
 * reset at every daemon start. Needs neither root nor KVM. */
#pragma once

#include "vb-backend.h"

G_BEGIN_DECLS

#define VB_TYPE_TEST_BACKEND (vb_test_backend_get_type ())
G_DECLARE_FINAL_TYPE (VbTestBackend, vb_test_backend, VB, TEST_BACKEND, VbBackend)

VbBackend *vb_test_backend_new (gboolean system, const char *root_prefix);

G_END_DECLS
