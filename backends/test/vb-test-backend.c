#include "vb-test-private.h"

static void vb_test_backend_domain_ops_iface_init (VbDomainOpsInterface *iface);
#ifdef VB_TEST_HAVE_NETWORK
#define VB_TEST_IMPLEMENT_NETWORK G_IMPLEMENT_INTERFACE (VB_TYPE_NETWORK_OPS, vb_test_network_ops_init)
#else
#define VB_TEST_IMPLEMENT_NETWORK
#endif
#ifdef VB_TEST_HAVE_STORAGE
#define VB_TEST_IMPLEMENT_STORAGE G_IMPLEMENT_INTERFACE (VB_TYPE_STORAGE_OPS, vb_test_storage_ops_init)
#else
#define VB_TEST_IMPLEMENT_STORAGE
#endif
#ifdef VB_TEST_HAVE_INTERFACE
#define VB_TEST_IMPLEMENT_INTERFACE G_IMPLEMENT_INTERFACE (VB_TYPE_INTERFACE_OPS, vb_test_interface_ops_init)
#else
#define VB_TEST_IMPLEMENT_INTERFACE
#endif
#ifdef VB_TEST_HAVE_NODE_DEVICE
#define VB_TEST_IMPLEMENT_NODE_DEVICE G_IMPLEMENT_INTERFACE (VB_TYPE_NODE_DEV_OPS, vb_test_node_device_ops_init)
#else
#define VB_TEST_IMPLEMENT_NODE_DEVICE
#endif
#ifdef VB_TEST_HAVE_SECRET
#define VB_TEST_IMPLEMENT_SECRET G_IMPLEMENT_INTERFACE (VB_TYPE_SECRET_OPS, vb_test_secret_ops_init)
#else
#define VB_TEST_IMPLEMENT_SECRET
#endif
#ifdef VB_TEST_HAVE_NWFILTER
#define VB_TEST_IMPLEMENT_NWFILTER G_IMPLEMENT_INTERFACE (VB_TYPE_NWFILTER_OPS, vb_test_nwfilter_ops_init)
#else
#define VB_TEST_IMPLEMENT_NWFILTER
#endif

G_DEFINE_FINAL_TYPE_WITH_CODE (VbTestBackend, vb_test_backend, VB_TYPE_BACKEND,
  G_IMPLEMENT_INTERFACE (VB_TYPE_DOMAIN_OPS, vb_test_backend_domain_ops_iface_init)
  VB_TEST_IMPLEMENT_NETWORK
  VB_TEST_IMPLEMENT_STORAGE
  VB_TEST_IMPLEMENT_INTERFACE
  VB_TEST_IMPLEMENT_NODE_DEVICE
  VB_TEST_IMPLEMENT_SECRET
  VB_TEST_IMPLEMENT_NWFILTER)

static void
vb_test_backend_domain_ops_iface_init (VbDomainOpsInterface *iface)
{
#ifdef VB_TEST_HAVE_DOMAIN
  vb_test_domain_ops_init (iface);
#endif
#ifdef VB_TEST_HAVE_SNAPSHOT
  vb_test_snapshot_ops_init (iface); /* domain snapshots: after the domain ops */
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
#ifdef VB_TEST_HAVE_NETWORK
  if (!vb_test_network_populate (self, error))
    return FALSE;
#endif
#ifdef VB_TEST_HAVE_STORAGE
  if (!vb_test_storage_populate (self, error))
    return FALSE;
#endif
#ifdef VB_TEST_HAVE_INTERFACE
  if (!vb_test_interface_populate (self, error))
    return FALSE;
#endif
#ifdef VB_TEST_HAVE_NODE_DEVICE
  if (!vb_test_node_device_populate (self, error))
    return FALSE;
#endif
#ifdef VB_TEST_HAVE_NWFILTER
  if (!vb_test_nwfilter_populate (self, error))
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
