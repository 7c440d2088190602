/* Host interfaces of the test backend: libvirt's test:///default "eth1",
 * define/undefine/start/stop in memory, and the change transaction
 * (InterfaceChangeBegin snapshots the definitions, Rollback restores them
 * with every interface down, Commit forgets the snapshot) as libvirt's test
 * driver does it. */
#include "vb-test-private.h"

#include "vb-error.h"
#include "vb-interface-def.h"

/* Backend data key: the snapshot (GPtrArray of VbInterfaceDef) of an open
 * change transaction. */
#define TRANSACTION_KEY "vb-test-interface-transaction"

static const char eth1_xml[] =
  "<interface type='ethernet' name='eth1'>"
  "  <start mode='onboot'/>"
  "  <mtu size='1492'/>"
  "  <protocol family='ipv4'>"
  "    <ip address='192.168.0.5' prefix='24'/>"
  "    <route gateway='192.168.0.1'/>"
  "  </protocol>"
  "  <mac address='aa:bb:cc:dd:ee:ff'/>"
  "</interface>";

/* Objects are keyed by MAC; interfaces without one (bridges, bonds) by name. */
static const char *
def_key (const VbInterfaceDef *def)
{
  return def->mac ? def->mac : def->name;
}

/* Snapshot entries are stolen (set to NULL) during a rollback. */
static void
def_free0 (gpointer def)
{
  if (def != NULL)
    vb_interface_def_free (def);
}

static VbObj *
add_interface (VbBackend *backend, VbInterfaceDef *def, gboolean active)
{
  g_autoptr(VbObj) obj = vb_obj_new (VB_OBJ_INTERFACE, def->name, NULL, def,
                                     (GDestroyNotify) vb_interface_def_free);

  obj->key = g_strdup (def_key (def));
  obj->persistent = TRUE;
  obj->active = active;
  vb_backend_add_object (backend, obj);
  return obj; /* the registry holds it */
}

/* ---- org.libvirt.Connect ---- */

static void
define_xml (VbBackend *backend, const char *xml, guint flags, GTask *task)
{
  GError *error = NULL;
  g_autoptr(VbInterfaceDef) def = NULL;
  VbObj *old;
  VbObj *same_key;
  VbObj *obj;

  if (!vb_check_flags (flags, 0, "InterfaceDefineXML", &error)) {
    g_task_return_error (task, error);
    return;
  }
  def = vb_interface_def_parse (xml, &error);
  if (def == NULL) {
    g_task_return_error (task, error);
    return;
  }
  old = vb_backend_lookup_by_name (backend, VB_OBJ_INTERFACE, def->name);
  same_key = vb_backend_lookup (backend, VB_OBJ_INTERFACE, def_key (def));
  if (same_key != NULL && same_key != old) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_EXISTS,
                             "interface '%s' already uses MAC address %s", same_key->name, def_key (def));
    return;
  }

  if (old != NULL && old == same_key) {
    /* Redefining an interface replaces its definition in place. */
    vb_obj_set_def (old, g_steal_pointer (&def));
    g_task_return_pointer (task, g_object_ref (old), g_object_unref);
    return;
  }

  {
    /* The MAC (and so the object path) changes: a new object replaces
     * the old one, keeping its state. */
    gboolean active = old != NULL && old->active;
    if (old != NULL)
      vb_backend_remove_object (backend, old);
    obj = add_interface (backend, g_steal_pointer (&def), active);
  }
  g_task_return_pointer (task, g_object_ref (obj), g_object_unref);
}

static void
change_begin (VbBackend *backend, guint flags, GTask *task)
{
  GError *error = NULL;
  g_autoptr(GPtrArray) all = NULL;
  GPtrArray *snapshot;

  if (!vb_check_flags (flags, 0, "InterfaceChangeBegin", &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (g_object_get_data (G_OBJECT (backend), TRANSACTION_KEY) != NULL) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                             "there is another transaction running");
    return;
  }
  all = vb_backend_list (backend, VB_OBJ_INTERFACE);
  snapshot = g_ptr_array_new_with_free_func (def_free0);
  for (guint i = 0; i < all->len; i++)
    g_ptr_array_add (snapshot, vb_interface_def_copy (((VbObj *) g_ptr_array_index (all, i))->def));
  g_object_set_data_full (G_OBJECT (backend), TRANSACTION_KEY, snapshot, (GDestroyNotify) g_ptr_array_unref);
  g_task_return_boolean (task, TRUE);
}

static void
change_commit (VbBackend *backend, guint flags, GTask *task)
{
  GError *error = NULL;

  if (!vb_check_flags (flags, 0, "InterfaceChangeCommit", &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (g_object_get_data (G_OBJECT (backend), TRANSACTION_KEY) == NULL) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                             "no transaction running, nothing to be committed");
    return;
  }
  g_object_set_data (G_OBJECT (backend), TRANSACTION_KEY, NULL);
  g_task_return_boolean (task, TRUE);
}

static void
change_rollback (VbBackend *backend, guint flags, GTask *task)
{
  GError *error = NULL;
  g_autoptr(GPtrArray) snapshot = NULL;
  g_autoptr(GPtrArray) current = NULL;

  if (!vb_check_flags (flags, 0, "InterfaceChangeRollback", &error)) {
    g_task_return_error (task, error);
    return;
  }
  snapshot = g_object_steal_data (G_OBJECT (backend), TRANSACTION_KEY);
  if (snapshot == NULL) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                             "no transaction running, nothing to rollback");
    return;
  }

  /* Like libvirt's test driver, the restored interfaces are all down.
   * Objects whose name and MAC survive are updated in place so their
   * D-Bus objects stay; the rest are removed or re-created. */
  current = vb_backend_list (backend, VB_OBJ_INTERFACE);
  for (guint i = 0; i < current->len; i++) {
    VbObj *obj = g_ptr_array_index (current, i);
    gboolean kept = FALSE;

    for (guint j = 0; j < snapshot->len && !kept; j++) {
      VbInterfaceDef *def = g_ptr_array_index (snapshot, j);
      if (def != NULL && g_strcmp0 (def->name, obj->name) == 0 && g_strcmp0 (def_key (def), obj->key) == 0) {
        vb_obj_set_def (obj, g_steal_pointer (&snapshot->pdata[j]));
        vb_obj_set_active (obj, FALSE);
        kept = TRUE;
      }
    }
    if (!kept)
      vb_backend_remove_object (backend, obj);
  }
  for (guint j = 0; j < snapshot->len; j++)
    if (g_ptr_array_index (snapshot, j) != NULL)
      add_interface (backend, g_steal_pointer (&snapshot->pdata[j]), FALSE);
  g_task_return_boolean (task, TRUE);
}

/* ---- org.libvirt.Interface ---- */

static void
create (VbBackend *backend, VbObj *iface, guint flags, GTask *task)
{
  GError *error = NULL;

  if (!vb_check_flags (flags, 0, "Create", &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (iface->active) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_OPERATION_INVALID, "interface '%s' is already active",
                             iface->name);
    return;
  }
  vb_obj_set_active (iface, TRUE);
  g_task_return_boolean (task, TRUE);
}

static void
destroy (VbBackend *backend, VbObj *iface, guint flags, GTask *task)
{
  GError *error = NULL;

  if (!vb_check_flags (flags, 0, "Destroy", &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (!iface->active) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_OPERATION_INVALID, "interface '%s' is not active",
                             iface->name);
    return;
  }
  vb_obj_set_active (iface, FALSE);
  g_task_return_boolean (task, TRUE);
}

static void
get_xml_desc (VbBackend *backend, VbObj *iface, guint flags, GTask *task)
{
  GError *error = NULL;

  /* libvirt's test driver accepts no flags here, not even INACTIVE. */
  if (!vb_check_flags (flags, 0, "GetXMLDesc", &error)) {
    g_task_return_error (task, error);
    return;
  }
  g_task_return_pointer (task, vb_interface_def_format (iface->def, 0), g_free);
}

static void
undefine (VbBackend *backend, VbObj *iface, GTask *task)
{
  /* The test driver removes running interfaces too. */
  vb_backend_remove_object (backend, iface);
  g_task_return_boolean (task, TRUE);
}

void
vb_test_interface_ops_init (VbInterfaceOpsInterface *iface)
{
  iface->define_xml = define_xml;
  iface->change_begin = change_begin;
  iface->change_commit = change_commit;
  iface->change_rollback = change_rollback;
  iface->create = create;
  iface->destroy = destroy;
  iface->get_xml_desc = get_xml_desc;
  iface->undefine = undefine;
}

gboolean
vb_test_interface_populate (VbTestBackend *self, GError **error)
{
  VbInterfaceDef *def = vb_interface_def_parse (eth1_xml, error);

  if (def == NULL)
    return FALSE;
  add_interface (VB_BACKEND (self), def, TRUE);
  return TRUE;
}
