/* The test backend's virtual networks: libvirt's test:///default "default"
 * network, in memory, with the state machine of libvirt's network driver
 * (define/create/start/destroy/undefine, live and persistent definitions,
 * virNetworkUpdate) and its lifecycle events. Nothing is actually set up on
 * the host. */
#include "vb-test-private.h"

#include "vb-error.h"
#include "vb-network-def.h"
#include "vb-network-ops.h"

/* What test:///default starts with (virsh -c test:///default net-dumpxml default). */
static const char default_network_xml[] =
  "<network>"
  "  <name>default</name>"
  "  <uuid>dd8fe884-6c02-601e-7551-cca97df1c5df</uuid>"
  "  <forward mode='nat'/>"
  "  <bridge name='virbr0' stp='on' delay='0'/>"
  "  <ip address='192.168.122.1' netmask='255.255.255.0'>"
  "    <dhcp>"
  "      <range start='192.168.122.2' end='192.168.122.254'/>"
  "    </dhcp>"
  "  </ip>"
  "</network>";

/* Makes @net active. A persistent network keeps a copy of its definition
 * as newdef, so live-only changes never leak into the persistent one. */
static void
start_network (VbBackend *backend, VbObj *net)
{
  if (net->persistent && net->newdef == NULL)
    vb_obj_set_newdef (net, vb_network_def_copy (net->def));
  vb_obj_set_active (net, TRUE);
  vb_backend_emit_event (backend, net, VB_NETWORK_EVENT_STARTED, 0);
}

/* Stops @net: the persistent definition becomes current again and a
 * transient network is gone. */
static void
stop_network (VbBackend *backend, VbObj *net)
{
  vb_obj_set_active (net, FALSE);
  vb_backend_emit_event (backend, net, VB_NETWORK_EVENT_STOPPED, 0);
  if (!net->persistent) {
    vb_backend_remove_object (backend, net);
    return;
  }
  vb_obj_apply_newdef (net);
}

static void
test_network_define_xml (VbBackend *backend, const char *xml, GTask *task)
{
  GError *error = NULL;
  g_autoptr(VbNetworkDef) def = vb_network_def_parse (xml, &error);
  VbObj *net;

  if (def == NULL || !vb_network_check_collision (backend, def, FALSE, &net, &error)) {
    g_task_return_error (task, error);
    return;
  }
  net = vb_network_define (backend, net, g_steal_pointer (&def));
  g_task_return_pointer (task, g_object_ref (net), g_object_unref);
}

static void
test_network_create_xml (VbBackend *backend, const char *xml, GTask *task)
{
  GError *error = NULL;
  g_autoptr(VbNetworkDef) def = vb_network_def_parse (xml, &error);
  VbObj *net;

  if (def == NULL || !vb_network_check_collision (backend, def, TRUE, &net, &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (net == NULL) {
    /* Added already running, so clients see it so from the start. */
    g_autoptr(VbObj) created = vb_network_obj_new (g_steal_pointer (&def));
    created->active = TRUE;
    vb_backend_add_object (backend, created);
    net = created;
  } else {
    /* Like libvirt, @def replaces the inactive persistent network's
     * definition outright (it also stays its persistent one). */
    vb_obj_set_def (net, g_steal_pointer (&def));
  }
  start_network (backend, net);
  g_task_return_pointer (task, g_object_ref (net), g_object_unref);
}

static gboolean
test_network_set_autostart (VbBackend *backend, VbObj *net, gboolean autostart, GError **error)
{
  if (!net->persistent) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "cannot set autostart for transient network '%s'",
                 net->name);
    return FALSE;
  }
  vb_obj_set_autostart (net, autostart);
  return TRUE;
}

static void
test_network_create (VbBackend *backend, VbObj *net, GTask *task)
{
  if (net->active) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_OPERATION_INVALID, "network '%s' is already running",
                             net->name);
    return;
  }
  start_network (backend, net);
  g_task_return_boolean (task, TRUE);
}

static void
test_network_destroy (VbBackend *backend, VbObj *net, GTask *task)
{
  if (!net->active) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_OPERATION_INVALID, "network '%s' is not active", net->name);
    return;
  }
  stop_network (backend, net);
  g_task_return_boolean (task, TRUE);
}

static void
test_network_undefine (VbBackend *backend, VbObj *net, GTask *task)
{
  if (!net->persistent) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_OPERATION_INVALID, "cannot undefine transient network '%s'",
                             net->name);
    return;
  }
  vb_backend_emit_event (backend, net, VB_NETWORK_EVENT_UNDEFINED, 0);
  if (!net->active) {
    vb_backend_remove_object (backend, net);
  } else {
    /* A running network lives on as a transient one until destroyed. */
    vb_obj_set_newdef (net, NULL);
    vb_obj_set_autostart (net, FALSE);
    vb_obj_set_persistent (net, FALSE);
  }
  g_task_return_boolean (task, TRUE);
}

static void
test_network_update (VbBackend *backend, VbObj *net, guint command, guint section, int parent_index,
                     const char *xml, guint flags, GTask *task)
{
  GError *error = NULL;
  g_autoptr(VbNetworkDef) live = NULL;
  g_autoptr(VbNetworkDef) config = NULL;

  if (!vb_network_update_check_flags (net, &flags, &error)) {
    g_task_return_error (task, error);
    return;
  }

  /* Both definitions are edited as copies and swapped in only when every
   * edit succeeded, so a failed call changes nothing. */
  if (flags & VB_NETWORK_UPDATE_AFFECT_LIVE) {
    live = vb_network_def_copy (net->def);
    if (!vb_network_def_update_section (live, command, section, parent_index, xml, &error)) {
      g_task_return_error (task, error);
      return;
    }
  }
  if (flags & VB_NETWORK_UPDATE_AFFECT_CONFIG) {
    config = vb_network_def_copy (vb_obj_get_persistent_def (net));
    if (!vb_network_def_update_section (config, command, section, parent_index, xml, &error)) {
      g_task_return_error (task, error);
      return;
    }
  }

  if (config != NULL) {
    if (net->active)
      vb_obj_set_newdef (net, g_steal_pointer (&config));
    else
      vb_obj_set_def (net, g_steal_pointer (&config));
  }
  if (live != NULL)
    vb_obj_set_def (net, g_steal_pointer (&live));
  g_task_return_boolean (task, TRUE);
}

void
vb_test_network_ops_init (VbNetworkOpsInterface *iface)
{
  iface->define_xml = test_network_define_xml;
  iface->create_xml = test_network_create_xml;
  iface->set_autostart = test_network_set_autostart;
  iface->create = test_network_create;
  iface->destroy = test_network_destroy;
  iface->undefine = test_network_undefine;
  iface->get_xml_desc = vb_network_ops_get_xml_desc;
  iface->update = test_network_update;
  /* get_dhcp_leases stays NULL: libvirt's test driver does not implement
   * virNetworkGetDHCPLeases either (there is no dnsmasq to ask). */
}

gboolean
vb_test_network_populate (VbTestBackend *self, GError **error)
{
  g_autoptr(VbNetworkDef) def = vb_network_def_parse (default_network_xml, error);
  g_autoptr(VbObj) net = NULL;

  if (def == NULL)
    return FALSE;
  net = vb_network_obj_new (g_steal_pointer (&def));
  net->persistent = TRUE;
  net->active = TRUE;
  net->newdef = vb_network_def_copy (net->def);
  vb_backend_add_object (VB_BACKEND (self), net);
  return TRUE;
}
