/* Shared between the parts of the test backend (vb-test-<part>.c). */
#pragma once

#include "vb-domain-ops.h"
#include "vb-test-backend.h"

G_BEGIN_DECLS

struct _VbTestBackend {
  VbBackend parent_instance;

  int next_domain_id;  /* ids of running domains, as libvirt hands them out */
  gint64 start_time;   /* monotonic µs at open: fake cpu time derives from it */
};

/* Each part: an ops interface initialiser and a populate function that
 * creates its share of the test:///default objects. */
void vb_test_domain_ops_init (VbDomainOpsInterface *iface);
gboolean vb_test_domain_populate (VbTestBackend *self, GError **error);

void vb_test_host_class_init (VbBackendClass *klass);

G_END_DECLS
