/* Shared between the parts of the test backend (vb-test-<part>.c). */
#pragma once

#include "vb-domain-ops.h"
#include "vb-network-ops.h" /* networks (vb-test-network.c) */
#include "vb-storage-ops.h" /* storage pools and volumes (vb-test-storage.c) */
#include "vb-test-backend.h"
#include "vb-interface-ops.h"   /* host interfaces (vb-test-interface.c) */
#include "vb-node-device-ops.h" /* node devices (vb-test-node-device.c) */
#include "vb-secret-ops.h"      /* secrets (vb-test-secret.c) */
#include "vb-nwfilter-ops.h"    /* network filters (vb-test-nwfilter.c) */

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
/* (vb-test-domain.c) Changes a domain's state with the simulation's side
 * effects: cpu-time accounting, def->id, a private persistent config from
 * the start of a run, block jobs and frozen file systems dropped at shutoff.
 * Other parts (snapshot revert) use it instead of vb_obj_set_state; the
 * caller still emits the lifecycle event. */
void vb_test_domain_set_state (VbObj *dom, int state, int reason, int id);

/* networks (vb-test-network.c) */
void vb_test_network_ops_init (VbNetworkOpsInterface *iface);
gboolean vb_test_network_populate (VbTestBackend *self, GError **error);

/* storage pools and volumes (vb-test-storage.c) */
void vb_test_storage_ops_init (VbStorageOpsInterface *iface);
gboolean vb_test_storage_populate (VbTestBackend *self, GError **error);

/* host interfaces (vb-test-interface.c) */
void vb_test_interface_ops_init (VbInterfaceOpsInterface *iface);
gboolean vb_test_interface_populate (VbTestBackend *self, GError **error);

/* node devices (vb-test-node-device.c) */
void vb_test_node_device_ops_init (VbNodeDevOpsInterface *iface);
gboolean vb_test_node_device_populate (VbTestBackend *self, GError **error);

/* domain snapshots (vb-test-snapshot.c): fills the snapshot entries of the
 * domain ops; called after vb_test_domain_ops_init. */
void vb_test_snapshot_ops_init (VbDomainOpsInterface *iface);

/* secrets (vb-test-secret.c): test:///default starts with none. */
void vb_test_secret_ops_init (VbSecretOpsInterface *iface);

/* network filters (vb-test-nwfilter.c) */
void vb_test_nwfilter_ops_init (VbNWFilterOpsInterface *iface);
gboolean vb_test_nwfilter_populate (VbTestBackend *self, GError **error);

void vb_test_host_class_init (VbBackendClass *klass);

G_END_DECLS
