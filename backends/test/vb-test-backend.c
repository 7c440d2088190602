#include "vb-test-private.h"

static void vb_test_backend_domain_ops_iface_init (VbDomainOpsInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (VbTestBackend, vb_test_backend, VB_TYPE_BACKEND,
  G_IMPLEMENT_INTERFACE (VB_TYPE_DOMAIN_OPS, vb_test_backend_domain_ops_iface_init))

static void
vb_test_backend_domain_ops_iface_init (VbDomainOpsInterface *iface)
{
#ifdef VB_TEST_HAVE_DOMAIN
  vb_test_domain_ops_init (iface);
#endif
}

static gboolean
vb_test_backend_open (VbBackend *backend, GError **error)
{
  VbTestBackend *self = VB_TEST_BACKEND (backend);

  self->start_time = g_get_monotonic_time ();
  self->next_domain_id = 1;
#ifdef VB_TEST_HAVE_DOMAIN
  if (!vb_test_domain_populate (self, error))
    return FALSE;
#endif
  return TRUE;
}

static void
vb_test_backend_class_init (VbTestBackendClass *klass)
{
  VbBackendClass *backend_class = VB_BACKEND_CLASS (klass);

  backend_class->open = vb_test_backend_open;
#ifdef VB_TEST_HAVE_HOST
  vb_test_host_class_init (backend_class);
#endif
}

static void
vb_test_backend_init (VbTestBackend *self)
{
}

VbBackend *
vb_test_backend_new (gboolean system, const char *root_prefix)
{
  return g_object_new (VB_TYPE_TEST_BACKEND,
                       "driver", "Test",
                       "uri", "test:///default",
                       "system", system,
                       "root-prefix", root_prefix,
                       NULL);
}
