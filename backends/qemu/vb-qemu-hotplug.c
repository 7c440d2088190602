/* Hotplug and live changes of running QEMU domains: AttachDevice,
 * DetachDevice, UpdateDevice (cdrom media), SetVcpus, SetMemory,
 * BlockResize, Set/GetBlockIOTune, Set/GetInterfaceParameters, SendKey,
 * InjectNMI.
 *
 * Devices plugged here get the same QEMU ids and block node names as on
 * the command line (alias, "<alias>-file", "<alias>-fmt", "host<alias>"),
 * so a device cold-plugged at start and one hot-plugged later are removed
 * the same way. A removal is done when QEMU says so (DEVICE_DELETED),
 * which this part takes over from the core. */
#include "config.h"

#include <string.h>

#include "vb-invocation.h" /* vb_task_get_caller_creds */
#include "vb-qemu-agent.h"
#include "vb-qemu-command.h"
#include "vb-qemu-hotplug.h"
#include "vb-qemu-process.h"
#include "vb-task.h"

#define RETURN_ERROR(task, error)        \
  G_STMT_START {                         \
    g_task_return_error ((task), (error)); \
    return;                              \
  } G_STMT_END

/* Flag bits beyond virDomainModificationImpact (AFFECT_*, vb-task.h). */
enum { DEVICE_MODIFY_FORCE = 1 << 2 };
enum { VCPU_MAXIMUM = 1 << 2, VCPU_GUEST = 1 << 3, VCPU_HOTPLUGGABLE = 1 << 4 };
enum { MEM_MAXIMUM = 1 << 2 };
enum { BLOCK_RESIZE_BYTES = 1 << 0 };
/* virDomainEventTrayChangeReason */
enum { TRAY_OPEN = 0, TRAY_CLOSE = 1 };
/* virKeycodeSet */
enum { KEYCODE_LINUX = 0, KEYCODE_XT = 1, KEYCODE_QNUM = 9 };
#define SEND_KEY_MAX_KEYS 16

/* How long DetachDevice waits for the guest to let go (libvirt: 5 s). */
#define REMOVAL_WAIT_MS 5000
/* Spare pcie-root-ports a q35 definition gets. */
#define SPARE_ROOT_PORTS 4

typedef struct {
  VbObj *dom;  /* not owned */
  char *id;    /* qdev id or QOM path given to device_del */
  char *alias; /* what DeviceRemoved reports */
  GTask *task; /* the waiting DetachDevice/SetVcpus; NULL once answered */
  guint timer;
} Removal;

struct _VbQemuHotplug {
  GPtrArray *removals; /* Removal: device_del sent, DEVICE_DELETED not seen */
  gboolean busy;       /* a device change talks to QEMU: one at a time */
};

/* ------------------------------------------------------------------ */
/* Per-domain state                                                     */

static void
removal_free (gpointer data)
{
  Removal *r = data;

  g_clear_handle_id (&r->timer, g_source_remove);
  if (r->task != NULL)
    g_task_return_new_error (r->task, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                             "the domain stopped before device '%s' was removed", r->alias);
  g_clear_object (&r->task);
  g_free (r->id);
  g_free (r->alias);
  g_free (r);
}

static VbQemuHotplug *
hotplug_get (VbObj *dom)
{
  VbQemuDom *d = vb_qemu_dom (dom);

  if (d->hotplug == NULL) {
    d->hotplug = g_new0 (VbQemuHotplug, 1);
    d->hotplug->removals = g_ptr_array_new_with_free_func (removal_free);
  }
  return d->hotplug;
}

static void
hotplug_dom_free (VbQemuDom *d)
{
  if (d->hotplug == NULL)
    return;
  g_ptr_array_unref (d->hotplug->removals);
  g_clear_pointer (&d->hotplug, g_free);
}

static void
hotplug_stopped (VbObj *dom, gboolean detached)
{
  VbQemuDom *d = vb_qemu_dom (dom);

  if (d->hotplug == NULL)
    return;
  g_ptr_array_set_size (d->hotplug->removals, 0);
  d->hotplug->busy = FALSE;
}

static Removal *
find_removal (VbObj *dom, const char *id, const char *path)
{
  VbQemuHotplug *h = hotplug_get (dom);

  for (guint i = 0; i < h->removals->len; i++) {
    Removal *r = g_ptr_array_index (h->removals, i);
    if (g_strcmp0 (r->id, id) == 0 || g_strcmp0 (r->id, path) == 0 || g_strcmp0 (r->alias, id) == 0)
      return r;
    /* A vCPU (removed by QOM path) is only reported through its children
     * (".../lapic") by QEMU 7.2. */
    if (r->id[0] == '/' && path != NULL && g_str_has_prefix (path, r->id) && path[strlen (r->id)] == '/')
      return r;
  }
  return NULL;
}

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */

static VbDomainDef *
live_def (VbObj *dom)
{
  return dom->def;
}

static VbDomainDef *
persistent_def (VbObj *dom)
{
  return vb_obj_get_persistent_def (dom);
}

/* Makes @config (owned) the persistent definition and writes it. */
static gboolean
commit_config (VbObj *dom, VbDomainDef *config, gboolean live_changed_too, GError **error)
{
  VbQemuDom *d = vb_qemu_dom (dom);

  config->id = -1;
  if (dom->active)
    vb_obj_set_newdef (dom, config);
  else
    vb_obj_set_def (dom, config);
  if (!vb_qemu_domain_save_config (d->backend, dom, error))
    return FALSE;
  if (dom->active && !live_changed_too)
    vb_obj_set_updated (dom, TRUE);
  return TRUE;
}

/* The live definition changed: the runtime state file follows. */
static void
live_changed (VbObj *dom)
{
  if (dom->active)
    vb_qemu_process_save_state (dom, NULL);
}

static void
emit (VbObj *dom, const char *signal, GVariant *args)
{
  vb_backend_emit_domain_signal (VB_BACKEND (vb_qemu_dom (dom)->backend), dom, signal, args);
}

static const VbQemuCaps *
caps_of (VbObj *dom)
{
  return vb_qemu_dom (dom)->backend->caps;
}

static JsonObject *
obj_with_id (const char *member, const char *id)
{
  JsonObject *o = json_object_new ();

  json_object_set_string_member (o, member, id);
  return o;
}

/* ------------------------------------------------------------------ */
/* QMP scripts: commands run one after another; when one fails, the undo
 * commands of those that succeeded run (newest first) and the script
 * fails with that error. */

typedef struct {
  char *command;
  JsonObject *args;
  int fd;             /* passed with the command (getfd), closed with the step; -1: none */
  gboolean may_fail;
  char *undo_command;
  JsonObject *undo_args;
} Step;

static void
step_free (gpointer data)
{
  Step *s = data;

  g_free (s->command);
  g_clear_pointer (&s->args, json_object_unref);
  if (s->fd >= 0)
    close (s->fd);
  g_free (s->undo_command);
  g_clear_pointer (&s->undo_args, json_object_unref);
  g_free (s);
}

/* Takes @args and @undo_args. */
static Step *
step_add (GPtrArray *steps, const char *command, JsonObject *args, const char *undo_command, JsonObject *undo_args)
{
  Step *s = g_new0 (Step, 1);

  s->command = g_strdup (command);
  s->args = args;
  s->fd = -1;
  s->undo_command = g_strdup (undo_command);
  s->undo_args = undo_args;
  g_ptr_array_add (steps, s);
  return s;
}

typedef struct {
  VbObj *dom;
  GPtrArray *steps;
  guint next;
  GPtrArray *done; /* Step: succeeded, with an undo */
} Script;

static void
script_free (gpointer data)
{
  Script *sc = data;

  g_object_unref (sc->dom);
  g_ptr_array_unref (sc->steps);
  g_ptr_array_unref (sc->done);
  g_free (sc);
}

static void script_next (GTask *task);

static void
on_step_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Script *sc = g_task_get_task_data (task);
  Step *step = g_ptr_array_index (sc->steps, sc->next);
  GError *error = NULL;
  g_autoptr(JsonNode) ret = vb_qmp_execute_finish (VB_QMP (source), result, &error);

  if (error != NULL && !step->may_fail) {
    for (guint i = sc->done->len; i > 0; i--) {
      Step *undo = g_ptr_array_index (sc->done, i - 1);
      vb_qemu_process_qmp_fire (sc->dom, undo->undo_command,
                                undo->undo_args ? json_object_ref (undo->undo_args) : NULL);
    }
    g_task_return_error (task, error);
    return;
  }
  g_clear_error (&error);
  if (step->undo_command != NULL)
    g_ptr_array_add (sc->done, step);
  sc->next++;
  script_next (g_steal_pointer (&task));
}

static void
script_next (GTask *task)
{
  Script *sc = g_task_get_task_data (task);
  VbQmp *qmp = vb_qemu_process_get_qmp (sc->dom);
  Step *step;

  if (sc->next >= sc->steps->len) {
    g_task_return_boolean (task, TRUE);
    g_object_unref (task);
    return;
  }
  if (qmp == NULL) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running",
                             sc->dom->name);
    g_object_unref (task);
    return;
  }
  step = g_ptr_array_index (sc->steps, sc->next);
  if (step->fd >= 0)
    vb_qmp_execute_with_fd_async (qmp, step->command, step->args, step->fd, NULL, on_step_done, task);
  else
    vb_qmp_execute_async (qmp, step->command, step->args, NULL, on_step_done, task);
}

/* Runs @steps (taken) on @dom; @callback gets a task [void]. */
static void
script_run (VbObj *dom, GPtrArray *steps, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (dom, NULL, callback, user_data);
  Script *sc = g_new0 (Script, 1);

  sc->dom = g_object_ref (dom);
  sc->steps = steps;
  sc->done = g_ptr_array_new ();
  g_task_set_task_data (task, sc, script_free);
  script_next (task);
}

/* ------------------------------------------------------------------ */
/* PCI slots: q35's root ports                                          */

static gboolean
machine_q35 (const VbDomainDef *def)
{
  return vb_qemu_machine_is_q35 (def->os.machine);
}

static gboolean
info_on_bus (const VbDomainDeviceInfo *info, guint bus)
{
  return info->address.type == VB_DOMAIN_ADDRESS_PCI && info->address.u.pci.bus == bus;
}

static gboolean
bus_in_use (const VbDomainDef *def, guint bus)
{
#define SCAN(array, type)                                                  \
  for (guint i = 0; (array) != NULL && i < (array)->len; i++)              \
    if (info_on_bus (&((type *) g_ptr_array_index ((array), i))->info, bus)) \
      return TRUE;
  SCAN (def->disks, VbDomainDiskDef);
  SCAN (def->nets, VbDomainNetDef);
  SCAN (def->controllers, VbDomainControllerDef);
  SCAN (def->rngs, VbDomainRngDef);
  SCAN (def->videos, VbDomainVideoDef);
  SCAN (def->hostdevs, VbDomainHostdevDef);
  SCAN (def->inputs, VbDomainInputDef);
  SCAN (def->watchdogs, VbDomainWatchdogDef);
  SCAN (def->filesystems, VbDomainFsDef);
#undef SCAN
  return def->memballoon != NULL && info_on_bus (&def->memballoon->info, bus);
}

/* The index of a pcie-root-port of @def nothing is plugged into, or -1. */
static int
free_root_port (const VbDomainDef *def)
{
  for (guint i = 0; i < def->controllers->len; i++) {
    const VbDomainControllerDef *c = g_ptr_array_index (def->controllers, i);
    if (c->type == VB_DOMAIN_CONTROLLER_PCI && g_strcmp0 (c->model, "pcie-root-port") == 0 && !bus_in_use (def, c->index))
      return (int) c->index;
  }
  return -1;
}

static VbDomainDeviceInfo *
device_info (VbDomainDeviceDef *dev)
{
  switch (dev->type) {
  case VB_DOMAIN_DEVICE_DISK:
    return &dev->data.disk->info;
  case VB_DOMAIN_DEVICE_INTERFACE:
    return &dev->data.net->info;
  default:
    return NULL;
  }
}

/* Does @dev (as it would be plugged into @def) sit in a PCI slot? */
static gboolean
needs_pci_slot (const VbDomainDef *def, VbDomainDeviceDef *dev)
{
  if (dev->type == VB_DOMAIN_DEVICE_INTERFACE)
    return TRUE;
  return dev->type == VB_DOMAIN_DEVICE_DISK && vb_qemu_disk_bus (dev->data.disk, def->os.machine) == VB_DOMAIN_DISK_BUS_VIRTIO;
}

/* On q35 a device without an address goes into a free root port (pcie.0
 * takes no hot-plugged device). */
static gboolean
place_on_root_port (const VbDomainDef *def, VbDomainDeviceDef *dev, gboolean required, GError **error)
{
  VbDomainDeviceInfo *info = device_info (dev);
  int port;

  if (!machine_q35 (def) || info == NULL || info->address.type != VB_DOMAIN_ADDRESS_NONE || !needs_pci_slot (def, dev))
    return TRUE;
  port = free_root_port (def);
  if (port < 0) {
    if (!required)
      return TRUE;
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED,
                 "domain '%s' has no free hot-pluggable PCI slot (add a <controller type='pci' "
                 "model='pcie-root-port'> to its config)", def->name);
    return FALSE;
  }
  info->address.type = VB_DOMAIN_ADDRESS_PCI;
  info->address.u.pci.bus = (guint) port;
  info->address.u.pci.slot = 0;
  info->address.u.pci.function = 0;
  return TRUE;
}

void
vb_qemu_hotplug_add_root_ports (VbDomainDef *def)
{
  guint next = 1;

  if (!machine_q35 (def))
    return;
  for (guint i = 0; i < def->controllers->len; i++) {
    const VbDomainControllerDef *c = g_ptr_array_index (def->controllers, i);
    if (c->type != VB_DOMAIN_CONTROLLER_PCI)
      continue;
    if (g_strcmp0 (c->model, "pcie-root-port") == 0)
      return;
    next = MAX (next, c->index + 1);
  }
  for (guint n = 0; n < SPARE_ROOT_PORTS; n++) {
    g_autofree char *xml = g_strdup_printf ("<controller type='pci' index='%u' model='pcie-root-port'/>", next + n);
    g_autoptr(VbDomainDeviceDef) dev = vb_domain_device_def_parse (xml, NULL);
    g_autoptr(GError) error = NULL;

    if (dev == NULL || !vb_domain_def_add_device (def, dev, &error)) {
      g_warning ("cannot add a pcie-root-port to domain '%s': %s", def->name, error ? error->message : "parse error");
      return;
    }
  }
}

/* ------------------------------------------------------------------ */
/* Building the QMP commands of one device                              */

static const char *
disk_driver (const VbDomainDiskDef *disk, VbDomainDiskBus bus)
{
  gboolean cdrom = disk->device == VB_DOMAIN_DISK_DEVICE_CDROM;

  if (bus == VB_DOMAIN_DISK_BUS_VIRTIO)
    return "virtio-blk-pci";
  return cdrom ? "scsi-cd" : "scsi-hd";
}

static void
set_pci_bus (JsonObject *o, const VbDomainDef *def, const VbDomainDeviceInfo *info)
{
  g_autofree char *bus = NULL;
  g_autofree char *addr = NULL;

  if (info->address.type != VB_DOMAIN_ADDRESS_PCI)
    return;
  if (info->address.u.pci.bus == 0)
    bus = g_strdup (machine_q35 (def) ? "pcie.0" : "pci.0");
  else
    bus = g_strdup_printf ("pci.%u", info->address.u.pci.bus);
  addr = g_strdup_printf ("0x%x.0x%x", info->address.u.pci.slot, info->address.u.pci.function);
  json_object_set_string_member (o, "bus", bus);
  json_object_set_string_member (o, "addr", addr);
}

static int
disk_index (const char *dst)
{
  int idx = 0;

  if (strlen (dst) < 3)
    return 0;
  for (const char *p = dst + 2; *p != '\0'; p++) {
    if (*p < 'a' || *p > 'z')
      return 0;
    idx = idx * 26 + (*p - 'a' + 1);
  }
  return idx - 1;
}

/* blockdev-add of the protocol and format nodes of @disk (with undos). */
static void
add_block_nodes (GPtrArray *steps, const VbDomainDiskDef *disk, gboolean readonly)
{
  const char *alias = disk->info.alias;
  g_autofree char *file_node = g_strdup_printf ("%s-file", alias);
  g_autofree char *fmt_node = g_strdup_printf ("%s-fmt", alias);
  JsonNode *file = vb_qemu_blockdev_json (vb_domain_disk_local_type (disk) == VB_DOMAIN_DISK_TYPE_BLOCK ? "host_device" : "file", file_node,
                                          disk->src_path, NULL, readonly, disk);
  JsonNode *fmt = vb_qemu_blockdev_json (disk->driver_format ? disk->driver_format : "raw", fmt_node, NULL,
                                         file_node, readonly, disk);

  step_add (steps, "blockdev-add", json_object_ref (json_node_get_object (file)), "blockdev-del",
            obj_with_id ("node-name", file_node));
  step_add (steps, "blockdev-add", json_object_ref (json_node_get_object (fmt)), "blockdev-del",
            obj_with_id ("node-name", fmt_node));
  json_node_unref (file);
  json_node_unref (fmt);
}

static void
del_block_nodes (VbObj *dom, const char *alias)
{
  g_autofree char *file_node = g_strdup_printf ("%s-file", alias);
  g_autofree char *fmt_node = g_strdup_printf ("%s-fmt", alias);
  const VbDomainDiskDef probe = { .info.alias = (char *) alias };
  g_autofree char *root = vb_qemu_disk_root_node (dom, &probe);

  /* A block job may have moved the disk onto another node (a copy's made
   * by QEMU goes with the device; deleting it just fails). */
  if (strcmp (root, fmt_node) != 0)
    vb_qemu_process_qmp_fire (dom, "blockdev-del", obj_with_id ("node-name", root));
  vb_qemu_disk_root_reset (dom, alias);
  vb_qemu_process_qmp_fire (dom, "blockdev-del", obj_with_id ("node-name", fmt_node));
  vb_qemu_process_qmp_fire (dom, "blockdev-del", obj_with_id ("node-name", file_node));
}

static GPtrArray *
disk_attach_steps (const VbDomainDef *def, const VbDomainDiskDef *disk)
{
  GPtrArray *steps = g_ptr_array_new_with_free_func (step_free);
  VbDomainDiskBus bus = vb_qemu_disk_bus (disk, def->os.machine);
  gboolean readonly = disk->readonly || disk->device == VB_DOMAIN_DISK_DEVICE_CDROM;
  g_autofree char *fmt_node = g_strdup_printf ("%s-fmt", disk->info.alias);
  JsonObject *dev = json_object_new ();

  if (disk->src_path != NULL)
    add_block_nodes (steps, disk, readonly);
  json_object_set_string_member (dev, "driver", disk_driver (disk, bus));
  json_object_set_string_member (dev, "id", disk->info.alias);
  if (bus == VB_DOMAIN_DISK_BUS_VIRTIO) {
    set_pci_bus (dev, def, &disk->info);
  } else {
    guint ctrl = 0, channel = 0, target = 0, unit = (guint) disk_index (disk->dst);
    g_autofree char *scsi_bus = NULL;

    if (disk->info.address.type == VB_DOMAIN_ADDRESS_DRIVE) {
      ctrl = disk->info.address.u.drive.controller;
      channel = disk->info.address.u.drive.bus;
      target = disk->info.address.u.drive.target;
      unit = disk->info.address.u.drive.unit;
    }
    scsi_bus = g_strdup_printf ("scsi%u.0", ctrl);
    json_object_set_string_member (dev, "bus", scsi_bus);
    json_object_set_int_member (dev, "channel", channel);
    json_object_set_int_member (dev, "scsi-id", target);
    json_object_set_int_member (dev, "lun", unit);
  }
  if (disk->src_path != NULL)
    json_object_set_string_member (dev, "drive", fmt_node);
  if (disk->serial != NULL)
    json_object_set_string_member (dev, "serial", disk->serial);
  if (disk->cache == VB_DOMAIN_DISK_CACHE_WRITETHROUGH || disk->cache == VB_DOMAIN_DISK_CACHE_DIRECTSYNC)
    json_object_set_string_member (dev, "write-cache", "off");
  else if (disk->cache != VB_DOMAIN_DISK_CACHE_NONE && disk->src_path != NULL)
    json_object_set_string_member (dev, "write-cache", "on");
  step_add (steps, "device_add", dev, NULL, NULL);
  return steps;
}

/* @tap_fds: the interface's tap, one descriptor per queue
 * (vb_qemu_net_queues; taken), or NULL for a user-mode one. */
static GPtrArray *
net_attach_steps (const VbDomainDef *def, const VbDomainNetDef *net, const int *tap_fds)
{
  GPtrArray *steps = g_ptr_array_new_with_free_func (step_free);
  g_autofree char *netdev = g_strdup_printf ("host%s", net->info.alias);
  const char *model = net->model ? net->model : "rtl8139";
  gboolean virtio = g_str_equal (model, "virtio");
  JsonObject *nd = json_object_new ();
  JsonObject *dev = json_object_new ();

  if (tap_fds != NULL) {
    guint queues = vb_qemu_net_queues (net);
    GString *names = g_string_new (NULL);

    for (guint q = 0; q < queues; q++) {
      g_autofree char *fdname = queues > 1 ? g_strdup_printf ("tap-%s-%u", net->info.alias, q)
                                           : g_strdup_printf ("tap-%s", net->info.alias);
      step_add (steps, "getfd", obj_with_id ("fdname", fdname), "closefd", obj_with_id ("fdname", fdname))->fd =
        tap_fds[q];
      g_string_append_printf (names, "%s%s", q ? ":" : "", fdname);
    }
    json_object_set_string_member (nd, "type", "tap");
    json_object_set_string_member (nd, queues > 1 ? "fds" : "fd", names->str);
    g_string_free (names, TRUE);
    if (net->driver_name == VB_DOMAIN_NET_DRIVER_VHOST)
      json_object_set_boolean_member (nd, "vhost", TRUE);
  } else {
    json_object_set_string_member (nd, "type", "user");
  }
  json_object_set_string_member (nd, "id", netdev);
  step_add (steps, "netdev_add", nd, "netdev_del", obj_with_id ("id", netdev));
  json_object_set_string_member (dev, "driver", virtio ? "virtio-net-pci" : model);
  json_object_set_string_member (dev, "id", net->info.alias);
  json_object_set_string_member (dev, "netdev", netdev);
  if (virtio && vb_qemu_net_queues (net) > 1) {
    json_object_set_boolean_member (dev, "mq", TRUE);
    json_object_set_int_member (dev, "vectors", 2 * vb_qemu_net_queues (net) + 2);
  }
  json_object_set_string_member (dev, "mac", net->mac);
  if (net->mtu != 0)
    json_object_set_int_member (dev, "host_mtu", net->mtu);
  if (virtio)
    json_object_set_string_member (dev, "romfile", "");
  set_pci_bus (dev, def, &net->info);
  step_add (steps, "device_add", dev, NULL, NULL);
  return steps;
}

/* ------------------------------------------------------------------ */
/* What can be plugged live                                            */

static gboolean
has_scsi_controller (const VbDomainDef *def, guint index)
{
  for (guint i = 0; i < def->controllers->len; i++) {
    const VbDomainControllerDef *c = g_ptr_array_index (def->controllers, i);
    if (c->type == VB_DOMAIN_CONTROLLER_SCSI && c->index == index)
      return TRUE;
  }
  /* The command line adds scsi0 by itself for SCSI disks. */
  for (guint i = 0; index == 0 && i < def->disks->len; i++)
    if (vb_qemu_disk_bus (g_ptr_array_index (def->disks, i), def->os.machine) == VB_DOMAIN_DISK_BUS_SCSI)
      return TRUE;
  return FALSE;
}

/* Refuses, naming it, a device this driver cannot plug/unplug live. */
static gboolean
check_live_device (const VbDomainDef *def, const VbDomainDeviceDef *dev, gboolean attach, GError **error)
{
  const char *verb = attach ? "attach" : "detach";

  switch (dev->type) {
  case VB_DOMAIN_DEVICE_DISK: {
    const VbDomainDiskDef *disk = dev->data.disk;
    VbDomainDiskBus bus = vb_qemu_disk_bus (disk, def->os.machine);

    if (bus != VB_DOMAIN_DISK_BUS_VIRTIO && bus != VB_DOMAIN_DISK_BUS_SCSI) {
      g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                   "live %s of disk '%s' on bus '%s' is not supported (use bus 'virtio' or 'scsi')", verb, disk->dst,
                   vb_domain_disk_bus_to_string (bus) ? vb_domain_disk_bus_to_string (bus) : "?");
      return FALSE;
    }
    if (attach && !vb_domain_disk_is_local_image (disk)) {
      g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED, "live attach of disk '%s': only file and block disks",
                   disk->dst);
      return FALSE;
    }
    if (attach && bus == VB_DOMAIN_DISK_BUS_SCSI) {
      guint ctrl = disk->info.address.type == VB_DOMAIN_ADDRESS_DRIVE ? disk->info.address.u.drive.controller : 0;
      if (!has_scsi_controller (def, ctrl)) {
        g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                     "domain '%s' has no SCSI controller %u for disk '%s' (attach a <controller type='scsi' "
                     "model='virtio-scsi'> to its config first)", def->name, ctrl, disk->dst);
        return FALSE;
      }
    }
    return TRUE;
  }
  case VB_DOMAIN_DEVICE_INTERFACE:
    if (dev->data.net->type != VB_DOMAIN_NET_TYPE_USER && !vb_qemu_net_has_tap (dev->data.net)) {
      g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                   "live %s of <interface type='%s'> is not supported by the QEMU driver (user, network, bridge "
                   "and direct are)", verb, vb_domain_net_type_to_string (dev->data.net->type));
      return FALSE;
    }
    return TRUE;
  default:
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                 "live %s of <%s> devices is not supported by the QEMU driver (only <disk> and <interface>)", verb,
                 vb_domain_device_type_to_string (dev->type));
    return FALSE;
  }
}

/* The device @def holds that @dev designates (borrowed), or NULL. */
static VbDomainDeviceInfo *
find_live_info (VbDomainDef *def, const VbDomainDeviceDef *dev, VbDomainDeviceDef *found, GError **error)
{
  int idx = vb_domain_def_find_device (def, dev, error);

  if (idx < 0)
    return NULL;
  found->type = dev->type;
  switch (dev->type) {
  case VB_DOMAIN_DEVICE_DISK:
    found->data.disk = g_ptr_array_index (def->disks, idx);
    return &found->data.disk->info;
  case VB_DOMAIN_DEVICE_INTERFACE:
    found->data.net = g_ptr_array_index (def->nets, idx);
    return &found->data.net->info;
  default:
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                 "live changes of <%s> devices are not supported by the QEMU driver",
                 vb_domain_device_type_to_string (dev->type));
    return NULL;
  }
}

/* A "netN" alias no interface of @def has. */
static char *
free_net_alias (const VbDomainDef *def)
{
  for (guint n = 0;; n++) {
    g_autofree char *alias = g_strdup_printf ("net%u", n);
    gboolean used = FALSE;

    for (guint i = 0; i < def->nets->len && !used; i++)
      used = g_strcmp0 (((VbDomainNetDef *) g_ptr_array_index (def->nets, i))->info.alias, alias) == 0;
    if (!used)
      return g_steal_pointer (&alias);
  }
}

/* Host paths of a single device, checked for a restricted caller. */
gboolean
vb_qemu_hotplug_check_device_paths (VbObj *dom, const VbDomainDeviceDef *dev, GTask *task, GError **error)
{
  const VbCallerCreds *creds = vb_task_get_caller_creds (task);
  g_autoptr(VbDomainDef) probe = NULL;

  if (creds == NULL || dev->type != VB_DOMAIN_DEVICE_DISK)
    return TRUE;
  probe = vb_domain_def_new ();
  probe->name = g_strdup (dom->name);
  if (!vb_domain_def_add_device (probe, dev, error))
    return FALSE;
  return vb_qemu_domain_check_host_paths (probe, creds, error);
}

/* System mode: the QEMU user gets access to a new disk's image. */
gboolean
vb_qemu_hotplug_grant_device_access (VbObj *dom, const VbDomainDeviceDef *dev, GError **error)
{
  VbQemuDom *d = vb_qemu_dom (dom);
  g_autoptr(VbDomainDef) probe = NULL;
  g_autoptr(GPtrArray) grants = NULL;

  if (d->backend->qemu_user == NULL || dev->type != VB_DOMAIN_DEVICE_DISK || dev->data.disk->src_path == NULL)
    return TRUE;
  probe = vb_domain_def_new ();
  probe->name = g_strdup (dom->name);
  if (!vb_domain_def_add_device (probe, dev, error))
    return FALSE;
  grants = vb_qemu_access_grant (probe, d->backend->qemu_uid, error);
  if (grants == NULL)
    return FALSE;
  if (d->grants == NULL)
    d->grants = g_ptr_array_new_with_free_func (vb_qemu_grant_free);
  /* Kept until the domain stops, then put back with the others. */
  while (grants->len > 0)
    g_ptr_array_add (d->grants, g_ptr_array_steal_index (grants, 0));
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* AttachDevice                                                         */

typedef struct {
  VbObj *dom;
  VbDomainDeviceDef *dev;
  VbDomainDef *config;
  GTask *task;
} Change;

static void
change_free (Change *c)
{
  hotplug_get (c->dom)->busy = FALSE;
  g_object_unref (c->dom);
  g_clear_pointer (&c->dev, vb_domain_device_def_free);
  g_clear_pointer (&c->config, vb_domain_def_free);
  g_object_unref (c->task);
  g_free (c);
}

static Change *
change_new (VbObj *dom, VbDomainDeviceDef *dev, VbDomainDef *config, GTask *task)
{
  Change *c = g_new0 (Change, 1);

  hotplug_get (dom)->busy = TRUE;
  c->dom = g_object_ref (dom);
  c->dev = dev;
  c->config = config;
  c->task = g_object_ref (task);
  return c;
}

/* The live change is made: the runtime state file, then the persistent
 * config with it (when asked), then @signal (@alias) and the reply. */
static void
change_done (Change *c, const char *signal, const char *alias)
{
  GError *error = NULL;

  live_changed (c->dom);
  if (c->config != NULL && !commit_config (c->dom, g_steal_pointer (&c->config), TRUE, &error)) {
    g_task_return_error (c->task, error);
  } else {
    if (signal != NULL)
      emit (c->dom, signal, g_variant_new ("(s)", alias));
    g_task_return_boolean (c->task, TRUE);
  }
  change_free (c);
}

static gboolean
check_not_busy (VbObj *dom, GError **error)
{
  if (hotplug_get (dom)->busy) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                 "another device change of domain '%s' is in progress", dom->name);
    return FALSE;
  }
  return TRUE;
}

static void
on_attached (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Change *c = user_data;
  GError *error = NULL;
  VbDomainDeviceInfo *info = device_info (c->dev);

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    /* The steps undone, QEMU let go of its descriptor: a macvtap goes too. */
    if (c->dev->type == VB_DOMAIN_DEVICE_INTERFACE)
      vb_qemu_net_release (c->dev->data.net);
    g_prefix_error (&error, "cannot attach the device to domain '%s': ", c->dom->name);
    g_task_return_error (c->task, error);
    change_free (c);
    return;
  }
  if (c->dev->type == VB_DOMAIN_DEVICE_DISK)
    vb_qemu_disk_number_chain (c->dev->data.disk);
  if (!vb_domain_def_add_device (live_def (c->dom), c->dev, &error)) {
    /* Checked on a copy before: only a concurrent change gets here. */
    g_warning ("domain '%s': plugged device missing from the live XML: %s", c->dom->name, error->message);
    g_clear_error (&error);
  }
  change_done (c, "DeviceAdded", info->alias);
}

typedef struct {
  GPtrArray *steps;
  Change *change;
} AttachShaping;

static void on_attach_shaped (GObject *source, GAsyncResult *result, gpointer user_data);

static void
hotplug_attach_device (VbBackend *backend, VbObj *dom, const char *xml, guint flags, GTask *task)
{
  g_autoptr(VbDomainDeviceDef) dev = NULL;
  g_autoptr(VbDomainDef) config = NULL;
  g_autoptr(VbDomainDef) probe = NULL;
  gboolean live, config_flag;
  GError *error = NULL;
  GPtrArray *steps;
  VbDomainDeviceInfo *info;
  const VbQemuCaps *caps = caps_of (dom);

  CHECK_FLAGS (task, flags, AFFECT_LIVE | AFFECT_CONFIG, "AttachDevice");
  if (!vb_resolve_affect (dom, flags, &live, &config_flag, &error) ||
      (dev = vb_domain_device_def_parse (xml, &error)) == NULL ||
      !vb_qemu_hotplug_check_device_paths (dom, dev, task, &error))
    RETURN_ERROR (task, error);
  /* A pool's volume: live, it must be there now. */
  if (dev->type == VB_DOMAIN_DEVICE_DISK &&
      !vb_qemu_domain_resolve_volume (vb_qemu_dom (dom)->backend, dev->data.disk, live, &error))
    RETURN_ERROR (task, error);

  if (config_flag) {
    g_autoptr(VbDomainDeviceDef) copy = vb_domain_device_def_copy (dev);

    config = vb_domain_def_copy (persistent_def (dom));
    if (!place_on_root_port (config, copy, FALSE, &error) || !vb_domain_def_add_device (config, copy, &error) ||
        (caps != NULL && !vb_qemu_domain_validate (config, caps, &error)))
      RETURN_ERROR (task, error);
  }
  if (!live) {
    if (!commit_config (dom, g_steal_pointer (&config), FALSE, &error))
      RETURN_ERROR (task, error);
    g_task_return_boolean (task, TRUE);
    return;
  }

  /* Live: check on a copy of the live definition (clashes, what QEMU can
   * do), with the alias and slot the device will get. */
  if (!check_not_busy (dom, &error) || !check_live_device (live_def (dom), dev, TRUE, &error))
    RETURN_ERROR (task, error);
  info = device_info (dev);
  probe = vb_domain_def_copy (live_def (dom));
  if (dev->type == VB_DOMAIN_DEVICE_INTERFACE && info->alias == NULL)
    info->alias = free_net_alias (probe);
  if (!place_on_root_port (probe, dev, TRUE, &error) || !vb_domain_def_add_device (probe, dev, &error))
    RETURN_ERROR (task, error);
  vb_qemu_domain_assign_aliases (probe);
  if (info->alias == NULL) {
    VbDomainDeviceDef found = { 0 };
    VbDomainDeviceInfo *probe_info = find_live_info (probe, dev, &found, &error);
    if (probe_info == NULL)
      RETURN_ERROR (task, error);
    info->alias = g_strdup (probe_info->alias);
  }
  if ((caps != NULL && !vb_qemu_domain_validate (probe, caps, &error)) ||
      !vb_qemu_hotplug_grant_device_access (dom, dev, &error))
    RETURN_ERROR (task, error);

  if (dev->type == VB_DOMAIN_DEVICE_DISK) {
    steps = disk_attach_steps (probe, dev->data.disk);
  } else {
    VbDomainNetDef *net = dev->data.net;
    g_autofree int *tap_fds = NULL;

    /* Plugged in now; the tap goes with the failed step list (a macvtap
     * is removed in on_attached), or lives on in QEMU. */
    if (vb_qemu_net_has_tap (net)) {
      tap_fds = g_new (int, vb_qemu_net_queues (net));
      if (!vb_qemu_net_open_tap (vb_qemu_dom (dom)->backend, net, tap_fds, &error))
        RETURN_ERROR (task, error);
    }
    steps = net_attach_steps (probe, net, tap_fds);
    if (tap_fds != NULL) {
      const VbBandwidth *bw = vb_qemu_net_bandwidth (vb_qemu_dom (dom)->backend, net);

      if (vb_bandwidth_is_set (bw)) {
        /* Shaped before the guest sees the NIC. */
        AttachShaping *as = g_new0 (AttachShaping, 1);
        as->steps = steps;
        as->change = change_new (dom, g_steal_pointer (&dev), g_steal_pointer (&config), task);
        vb_bandwidth_apply_async (net->target_dev, bw, vb_qemu_net_shape_kind (net),
                                  net->target_managed != VB_DOMAIN_TRISTATE_NO, on_attach_shaped, as);
        return;
      }
    }
  }
  script_run (dom, steps, on_attached, change_new (dom, g_steal_pointer (&dev), g_steal_pointer (&config), task));
}

static void
on_attach_shaped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autofree AttachShaping *as = user_data;
  Change *c = as->change;
  GError *error = NULL;

  if (!vb_bandwidth_apply_finish (result, &error)) {
    /* The tap goes with its descriptors (the steps hold them). */
    g_ptr_array_unref (as->steps);
    vb_qemu_net_release (c->dev->data.net);
    g_prefix_error (&error, "cannot attach the device to domain '%s': ", c->dom->name);
    g_task_return_error (c->task, error);
    change_free (c);
    return;
  }
  script_run (c->dom, as->steps, on_attached, c);
}

/* ------------------------------------------------------------------ */
/* DetachDevice and DEVICE_DELETED                                      */

static gboolean
on_removal_timeout (gpointer user_data)
{
  Removal *r = user_data;

  r->timer = 0;
  /* As libvirt: the guest did not let go yet; the removal stays pending
   * and DeviceRemoved follows when it does. */
  if (r->task != NULL)
    g_task_return_boolean (r->task, TRUE);
  g_clear_object (&r->task);
  return G_SOURCE_REMOVE;
}

static Removal *
removal_add (VbObj *dom, const char *id, const char *alias, GTask *task)
{
  Removal *r = g_new0 (Removal, 1);

  r->dom = dom;
  r->id = g_strdup (id);
  r->alias = g_strdup (alias);
  r->task = task ? g_object_ref (task) : NULL;
  r->timer = g_timeout_add (REMOVAL_WAIT_MS, on_removal_timeout, r);
  g_ptr_array_add (hotplug_get (dom)->removals, r);
  return r;
}

/* The guest let go of the device QEMU calls @id (or @path): drop it from
 * the live definition, delete its backends, tell everyone. */
static void
device_deleted (VbObj *dom, const char *id, const char *path)
{
  VbDomainDef *def = live_def (dom);
  Removal *r = find_removal (dom, id, path);
  const char *alias = id != NULL ? id : r != NULL ? r->alias : NULL;
  gboolean cpu = FALSE;

  g_debug ("domain '%s': device %s (%s) deleted%s", dom->name, id ? id : "-", path ? path : "-",
           r != NULL ? "" : " (not by us)");

  for (guint i = 0; id != NULL && i < def->disks->len; i++) {
    VbDomainDiskDef *disk = g_ptr_array_index (def->disks, i);
    if (g_strcmp0 (disk->info.alias, id) == 0) {
      if (disk->src_path != NULL)
        del_block_nodes (dom, id);
      g_ptr_array_remove_index (def->disks, i);
      break;
    }
  }
  for (guint i = 0; id != NULL && i < def->nets->len; i++) {
    VbDomainNetDef *net = g_ptr_array_index (def->nets, i);
    if (g_strcmp0 (net->info.alias, id) == 0) {
      g_autofree char *netdev = g_strdup_printf ("host%s", id);
      vb_qemu_process_qmp_fire (dom, "netdev_del", obj_with_id ("id", netdev));
      vb_qemu_net_release (net);
      g_ptr_array_remove_index (def->nets, i);
      break;
    }
  }
  if (r != NULL && g_str_has_prefix (r->alias, "vcpu")) {
    cpu = TRUE;
    if (def->vcpus_current > 1)
      def->vcpus_current--;
  }
  live_changed (dom);
  /* vCPUs have no DeviceRemoved (as libvirt). */
  if (alias != NULL && !cpu && !(r == NULL && g_str_has_prefix (alias, "vcpu")))
    emit (dom, "DeviceRemoved", g_variant_new ("(s)", alias));
  if (r != NULL) {
    if (r->task != NULL)
      g_task_return_boolean (r->task, TRUE);
    g_clear_object (&r->task);
    g_ptr_array_remove (hotplug_get (dom)->removals, r);
  }
}

typedef struct {
  Change *change;
  char *alias;
} Detach;

static void
on_device_del (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Detach *dt = user_data;
  Change *c = dt->change;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    g_prefix_error (&error, "cannot detach device '%s' of domain '%s': ", dt->alias, c->dom->name);
    g_task_return_error (c->task, error);
  } else if (c->config != NULL && !commit_config (c->dom, g_steal_pointer (&c->config), TRUE, &error)) {
    g_task_return_error (c->task, error);
  } else {
    /* Answered when DEVICE_DELETED comes, or after REMOVAL_WAIT_MS. */
    removal_add (c->dom, dt->alias, dt->alias, c->task);
  }
  change_free (c);
  g_free (dt->alias);
  g_free (dt);
}

static void
hotplug_detach_device (VbBackend *backend, VbObj *dom, const char *xml, guint flags, GTask *task)
{
  g_autoptr(VbDomainDeviceDef) dev = NULL;
  g_autoptr(VbDomainDef) config = NULL;
  gboolean live, config_flag;
  GError *error = NULL;
  VbDomainDeviceDef found = { 0 };
  VbDomainDeviceInfo *info;
  GPtrArray *steps;
  Detach *dt;

  CHECK_FLAGS (task, flags, AFFECT_LIVE | AFFECT_CONFIG, "DetachDevice");
  if (!vb_resolve_affect (dom, flags, &live, &config_flag, &error) ||
      (dev = vb_domain_device_def_parse (xml, &error)) == NULL)
    RETURN_ERROR (task, error);
  if (config_flag) {
    g_autoptr(VbDomainDeviceDef) removed = NULL;

    config = vb_domain_def_copy (persistent_def (dom));
    removed = vb_domain_def_remove_device (config, dev, &error);
    if (removed == NULL)
      RETURN_ERROR (task, error);
  }
  if (!live) {
    if (!commit_config (dom, g_steal_pointer (&config), FALSE, &error))
      RETURN_ERROR (task, error);
    g_task_return_boolean (task, TRUE);
    return;
  }

  if (!check_not_busy (dom, &error) || (info = find_live_info (live_def (dom), dev, &found, &error)) == NULL ||
      !check_live_device (live_def (dom), &found, FALSE, &error))
    RETURN_ERROR (task, error);
  if (info->alias == NULL)
    FAIL (task, VB_ERROR_FAILED, "the device has no alias: it cannot be detached live");
  if (find_removal (dom, info->alias, NULL) != NULL)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "device '%s' of domain '%s' is already being removed", info->alias,
          dom->name);
  steps = g_ptr_array_new_with_free_func (step_free);
  step_add (steps, "device_del", obj_with_id ("id", info->alias), NULL, NULL);
  dt = g_new0 (Detach, 1);
  dt->alias = g_strdup (info->alias);
  dt->change = change_new (dom, g_steal_pointer (&dev), g_steal_pointer (&config), task);
  script_run (dom, steps, on_device_del, dt);
}

/* ------------------------------------------------------------------ */
/* UpdateDevice: cdrom media                                            */

static void
on_medium_changed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Change *c = user_data;
  GError *error = NULL;
  const VbDomainDiskDef *want = c->dev->data.disk;
  VbDomainDiskDef *disk;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    g_prefix_error (&error, "cannot change the medium of '%s' in domain '%s': ", want->dst, c->dom->name);
    g_task_return_error (c->task, error);
    change_free (c);
    return;
  }
  disk = vb_domain_def_find_disk_by_target (live_def (c->dom), want->dst);
  if (disk != NULL) {
    g_free (disk->src_path);
    disk->src_path = g_strdup (want->src_path);
    disk->type = want->type;
    disk->src_actual = want->src_actual;
    g_free (disk->src_pool);
    disk->src_pool = g_strdup (want->src_pool);
    g_free (disk->src_volume);
    disk->src_volume = g_strdup (want->src_volume);
    if (want->driver_format != NULL) {
      g_free (disk->driver_format);
      disk->driver_format = g_strdup (want->driver_format);
    }
    /* The old medium's chain is not the new one's. */
    g_ptr_array_set_size (disk->backing, 0);
    disk->backing_terminated = FALSE;
    vb_qemu_disk_number_chain (disk);
  }
  change_done (c, NULL, NULL);
}

static void reshape_net (VbObj *dom, const VbDomainNetDef *net, const VbBandwidth *bw, const VbBandwidth *own,
                         VbDomainDef *config, GTask *task, Change *change);
static gboolean check_can_shape (VbObj *dom, const VbDomainNetDef *net, const VbBandwidth *bw, GError **error);

static void
on_link_set (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Change *c = user_data;
  const VbDomainNetDef *want = c->dev->data.net;
  GError *error = NULL;
  int index;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    g_prefix_error (&error, "cannot set the link of an interface of domain '%s': ", c->dom->name);
    g_task_return_error (c->task, error);
    change_free (c);
    return;
  }
  index = vb_domain_def_find_device (live_def (c->dom), c->dev, NULL);
  if (index >= 0) {
    VbDomainNetDef *net = g_ptr_array_index (live_def (c->dom)->nets, index);

    net->link_state = want->link_state;
    if (!vb_bandwidth_equal (net->bandwidth, want->bandwidth)) {
      /* Then its <bandwidth> (without one of its own: its portgroup's). */
      VbDomainNetDef probe = *net;
      probe.bandwidth = want->bandwidth;
      reshape_net (c->dom, net, vb_qemu_net_bandwidth (vb_qemu_dom (c->dom)->backend, &probe), want->bandwidth,
                   NULL, NULL, c);
      return;
    }
  }
  change_done (c, NULL, NULL);
}

/* UpdateDevice of a running guest's <interface>: the link state and the
 * <bandwidth> are what change live (cockpit's plug/unplug); a change of anything else that
 * QEMU would need the NIC re-plugged for is refused, naming it. */
static void
update_link (VbObj *dom, VbDomainDeviceDef *dev, VbDomainDef *config, GTask *task)
{
  g_autoptr(VbDomainDeviceDef) owned = dev;
  g_autoptr(VbDomainDef) owned_config = config;
  const VbDomainNetDef *want = dev->data.net;
  const VbDomainNetDef *net;
  g_autoptr(JsonObject) args = NULL;
  GError *error = NULL;
  GTask *inner;
  int index;

  /* As libvirt finds it: by MAC when given, else by alias or address. */
  if ((index = vb_domain_def_find_device (live_def (dom), dev, &error)) < 0)
    RETURN_ERROR (task, error);
  net = g_ptr_array_index (live_def (dom)->nets, index);
  if (want->type != net->type || g_strcmp0 (want->model, net->model) != 0 ||
      (want->src_network != NULL && g_strcmp0 (want->src_network, net->src_network) != 0) ||
      (want->type == VB_DOMAIN_NET_TYPE_BRIDGE && g_strcmp0 (want->src_bridge, net->src_bridge) != 0))
    FAIL (task, VB_ERROR_NOT_SUPPORTED, "live update of interface %s: only its link state can change while the "
          "guest runs (type, source and model need it shut off)", net->mac);
  if (want->driver_queues != 0 && vb_qemu_net_queues (want) != vb_qemu_net_queues (net))
    FAIL (task, VB_ERROR_NOT_SUPPORTED, "live update of interface %s: its queues (%u) cannot change while the guest "
          "runs", net->mac, vb_qemu_net_queues (net));
  if (!vb_bandwidth_equal (net->bandwidth, want->bandwidth) && !check_can_shape (dom, net, want->bandwidth, &error))
    RETURN_ERROR (task, error);
  if (net->info.alias == NULL)
    FAIL (task, VB_ERROR_FAILED, "interface %s has no alias", net->mac);
  args = json_object_new ();
  json_object_set_string_member (args, "name", net->info.alias);
  json_object_set_boolean_member (args, "up", want->link_state != VB_DOMAIN_NET_LINK_DOWN);
  inner = g_task_new (dom, NULL, on_link_set,
                      change_new (dom, g_steal_pointer (&owned), g_steal_pointer (&owned_config), task));
  vb_qemu_process_qmp_void (dom, "set_link", args, inner);
  g_object_unref (inner);
}

static void
hotplug_update_device (VbBackend *backend, VbObj *dom, const char *xml, guint flags, GTask *task)
{
  g_autoptr(VbDomainDeviceDef) dev = NULL;
  g_autoptr(VbDomainDef) config = NULL;
  gboolean live, config_flag;
  GError *error = NULL;
  VbDomainDiskDef *disk, *want;
  GPtrArray *steps;
  JsonObject *open;

  CHECK_FLAGS (task, flags, AFFECT_LIVE | AFFECT_CONFIG | DEVICE_MODIFY_FORCE, "UpdateDevice");
  if (!vb_resolve_affect (dom, flags, &live, &config_flag, &error) ||
      (dev = vb_domain_device_def_parse (xml, &error)) == NULL ||
      !vb_qemu_hotplug_check_device_paths (dom, dev, task, &error))
    RETURN_ERROR (task, error);
  if (dev->type == VB_DOMAIN_DEVICE_DISK &&
      !vb_qemu_domain_resolve_volume (vb_qemu_dom (dom)->backend, dev->data.disk, live, &error))
    RETURN_ERROR (task, error);
  if (config_flag) {
    config = vb_domain_def_copy (persistent_def (dom));
    if (!vb_domain_def_update_device (config, dev, &error) ||
        (caps_of (dom) != NULL && !vb_qemu_domain_validate (config, caps_of (dom), &error)))
      RETURN_ERROR (task, error);
  }
  if (!live) {
    if (!commit_config (dom, g_steal_pointer (&config), FALSE, &error))
      RETURN_ERROR (task, error);
    g_task_return_boolean (task, TRUE);
    return;
  }

  if (!check_not_busy (dom, &error))
    RETURN_ERROR (task, error);
  if (dev->type == VB_DOMAIN_DEVICE_INTERFACE) {
    update_link (dom, g_steal_pointer (&dev), g_steal_pointer (&config), task);
    return;
  }
  if (dev->type != VB_DOMAIN_DEVICE_DISK)
    FAIL (task, VB_ERROR_NOT_SUPPORTED,
          "live update of <%s> devices is not supported by the QEMU driver (only the medium of a cdrom and the "
          "link state of an interface)",
          vb_domain_device_type_to_string (dev->type));
  want = dev->data.disk;
  disk = vb_domain_def_find_disk_by_target (live_def (dom), want->dst);
  if (disk == NULL)
    FAIL (task, VB_ERROR_INVALID_ARG, "domain '%s' has no disk '%s'", dom->name, want->dst);
  if (disk->device != VB_DOMAIN_DISK_DEVICE_CDROM || want->device != VB_DOMAIN_DISK_DEVICE_CDROM)
    FAIL (task, VB_ERROR_NOT_SUPPORTED,
          "live update of disk '%s' is not supported: only the medium of a cdrom can change", want->dst);
  if (disk->info.alias == NULL)
    FAIL (task, VB_ERROR_FAILED, "disk '%s' has no alias", want->dst);
  if (want->src_path != NULL && !vb_domain_disk_is_local_image (want))
    FAIL (task, VB_ERROR_NOT_SUPPORTED, "cdrom '%s': only file, block and volume media", want->dst);
  if (want->driver_format != NULL && !g_str_equal (want->driver_format, "raw") &&
      !g_str_equal (want->driver_format, "qcow2"))
    FAIL (task, VB_ERROR_NOT_SUPPORTED, "cdrom '%s': format '%s' is not supported (raw, qcow2)", want->dst,
          want->driver_format);

  /* Open the tray (forcing a guest lock), take the old medium out and
   * delete its nodes, insert the new one and close the tray. */
  steps = g_ptr_array_new_with_free_func (step_free);
  open = obj_with_id ("id", disk->info.alias);
  json_object_set_boolean_member (open, "force", TRUE);
  step_add (steps, "blockdev-open-tray", open, NULL, NULL);
  step_add (steps, "blockdev-remove-medium", obj_with_id ("id", disk->info.alias), NULL, NULL);
  if (disk->src_path != NULL) {
    g_autofree char *file_node = g_strdup_printf ("%s-file", disk->info.alias);
    g_autofree char *fmt_node = g_strdup_printf ("%s-fmt", disk->info.alias);
    step_add (steps, "blockdev-del", obj_with_id ("node-name", fmt_node), NULL, NULL)->may_fail = TRUE;
    step_add (steps, "blockdev-del", obj_with_id ("node-name", file_node), NULL, NULL)->may_fail = TRUE;
  }
  if (want->src_path != NULL) {
    g_autofree char *fmt_node = g_strdup_printf ("%s-fmt", disk->info.alias);
    JsonObject *insert = obj_with_id ("id", disk->info.alias);
    g_autofree char *old_alias = want->info.alias;

    want->info.alias = disk->info.alias;
    add_block_nodes (steps, want, TRUE);
    want->info.alias = g_steal_pointer (&old_alias);
    json_object_set_string_member (insert, "node-name", fmt_node);
    step_add (steps, "blockdev-insert-medium", insert, NULL, NULL);
    step_add (steps, "blockdev-close-tray", obj_with_id ("id", disk->info.alias), NULL, NULL);
  }
  script_run (dom, steps, on_medium_changed, change_new (dom, g_steal_pointer (&dev), g_steal_pointer (&config), task));
}

/* ------------------------------------------------------------------ */
/* SetVcpus                                                             */

typedef struct {
  VbObj *dom;
  GTask *task;
  guint want;
  VbDomainDef *config;
} Vcpus;

static void
vcpus_free (Vcpus *v)
{
  g_object_unref (v->dom);
  g_object_unref (v->task);
  g_clear_pointer (&v->config, vb_domain_def_free);
  g_free (v);
}

static void
vcpus_finish (Vcpus *v, GError *error)
{
  if (error == NULL && v->config != NULL)
    commit_config (v->dom, g_steal_pointer (&v->config), TRUE, &error);
  if (error != NULL)
    g_task_return_error (v->task, error);
  else
    g_task_return_boolean (v->task, TRUE);
  vcpus_free (v);
}

static gint64
cpu_prop (JsonObject *cpu, const char *name)
{
  JsonObject *props = json_object_get_object_member (cpu, "props");

  return props != NULL && json_object_has_member (props, name) ? json_object_get_int_member (props, name) : 0;
}

static gint
compare_cpus (gconstpointer a, gconstpointer b)
{
  JsonObject *x = json_node_get_object (*(JsonNode **) a);
  JsonObject *y = json_node_get_object (*(JsonNode **) b);
  static const char *const keys[] = { "node-id", "socket-id", "die-id", "core-id", "thread-id" };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++) {
    gint64 d = cpu_prop (x, keys[i]) - cpu_prop (y, keys[i]);
    if (d != 0)
      return d < 0 ? -1 : 1;
  }
  return 0;
}

static void
on_vcpus_plugged (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Vcpus *v = user_data;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    g_prefix_error (&error, "cannot hot-plug vCPUs of domain '%s': ", v->dom->name);
    vcpus_finish (v, error);
    return;
  }
  live_def (v->dom)->vcpus_current = v->want;
  live_changed (v->dom);
  vcpus_finish (v, NULL);
}

static void
on_vcpu_unplugged (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Vcpus *v = user_data;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_prefix_error (&error, "cannot unplug vCPUs of domain '%s': ", v->dom->name);
  vcpus_finish (v, error);
}

static void
on_hotpluggable_cpus (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Vcpus *v = user_data;
  GError *error = NULL;
  g_autoptr(JsonNode) ret = g_task_propagate_pointer (G_TASK (result), &error);
  g_autoptr(GPtrArray) cpus = g_ptr_array_new ();
  guint plugged = 0;
  GPtrArray *steps;

  if (ret == NULL) {
    vcpus_finish (v, error);
    return;
  }
  if (!JSON_NODE_HOLDS_ARRAY (ret)) {
    vcpus_finish (v, g_error_new (VB_ERROR, VB_ERROR_FAILED,
                                  "QEMU of domain '%s' does not support vCPU hotplug", v->dom->name));
    return;
  }
  for (guint i = 0; i < json_array_get_length (json_node_get_array (ret)); i++) {
    JsonNode *cpu = json_array_get_element (json_node_get_array (ret), i);
    g_ptr_array_add (cpus, cpu);
    if (json_object_has_member (json_node_get_object (cpu), "qom-path"))
      plugged++;
  }
  g_ptr_array_sort (cpus, compare_cpus);
  steps = g_ptr_array_new_with_free_func (step_free);
  if (v->want > plugged) {
    guint missing = v->want - plugged;

    for (guint i = 0; i < cpus->len && missing > 0; i++) {
      JsonObject *cpu = json_node_get_object (g_ptr_array_index (cpus, i));
      JsonObject *props = json_object_get_object_member (cpu, "props");
      JsonObject *args;
      g_autofree char *id = g_strdup_printf ("vcpu%u", i);
      g_autoptr(GList) members = NULL;

      if (json_object_has_member (cpu, "qom-path"))
        continue;
      args = json_object_new ();
      json_object_set_string_member (args, "driver", json_object_get_string_member (cpu, "type"));
      json_object_set_string_member (args, "id", id);
      members = props ? json_object_get_members (props) : NULL;
      for (GList *l = members; l != NULL; l = l->next)
        json_object_set_member (args, l->data, json_node_copy (json_object_get_member (props, l->data)));
      step_add (steps, "device_add", args, "device_del", obj_with_id ("id", id));
      missing--;
    }
    script_run (v->dom, steps, on_vcpus_plugged, v);
    return;
  }
  if (v->want < plugged) {
    /* Highest first, never the boot CPU; one at a time (each waits for
     * the guest to give it up). */
    for (guint i = cpus->len; i > 1 && plugged > v->want; i--) {
      JsonObject *cpu = json_node_get_object (g_ptr_array_index (cpus, i - 1));
      g_autofree char *alias = g_strdup_printf ("vcpu%u", i - 1);
      const char *path;

      if (!json_object_has_member (cpu, "qom-path"))
        continue;
      path = json_object_get_string_member (cpu, "qom-path");
      step_add (steps, "device_del", obj_with_id ("id", path), NULL, NULL);
      removal_add (v->dom, path, alias, NULL);
      plugged--;
    }
    script_run (v->dom, steps, on_vcpu_unplugged, v);
    return;
  }
  g_ptr_array_unref (steps);
  vcpus_finish (v, NULL);
}

static void
hotplug_set_vcpus (VbBackend *backend, VbObj *dom, guint vcpus, guint flags, GTask *task)
{
  gboolean live, config_flag;
  GError *error = NULL;
  g_autoptr(VbDomainDef) config = NULL;
  Vcpus *v;
  g_autoptr(GTask) query = NULL;

  CHECK_FLAGS (task, flags, AFFECT_LIVE | AFFECT_CONFIG | VCPU_MAXIMUM | VCPU_GUEST | VCPU_HOTPLUGGABLE, "SetVcpus");
  if (vcpus == 0)
    FAIL (task, VB_ERROR_INVALID_ARG, "the number of vCPUs must be at least 1");
  if (flags & VCPU_GUEST) {
    /* What the running guest uses of the vCPUs it has, through its agent. */
    if (flags & (AFFECT_CONFIG | VCPU_MAXIMUM | VCPU_HOTPLUGGABLE))
      FAIL (task, VB_ERROR_INVALID_ARG,
            "the guest flag of SetVcpus changes the running guest only: not with config, maximum or hotpluggable");
    if (!dom->active)
      FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running", dom->name);
    if (vcpus > live_def (dom)->vcpus_current)
      FAIL (task, VB_ERROR_INVALID_ARG, "domain '%s' has %u vCPUs plugged in: the guest cannot bring %u online",
            dom->name, live_def (dom)->vcpus_current, vcpus);
    vb_qemu_agent_set_online_vcpus (dom, vcpus, task);
    return;
  }
  if (!vb_resolve_affect (dom, flags, &live, &config_flag, &error))
    RETURN_ERROR (task, error);
  if ((flags & VCPU_MAXIMUM) && live)
    FAIL (task, VB_ERROR_INVALID_ARG, "cannot change the maximum vCPUs of a running domain (use the config flag)");
  if (config_flag) {
    config = vb_domain_def_copy (persistent_def (dom));
    if (flags & VCPU_MAXIMUM) {
      const VbQemuCaps *caps = caps_of (dom);
      config->vcpus = vcpus;
      config->vcpus_current = MIN (config->vcpus_current, vcpus);
      if (caps != NULL && !vb_qemu_domain_validate (config, caps, &error))
        RETURN_ERROR (task, error);
    } else {
      if (vcpus > config->vcpus)
        FAIL (task, VB_ERROR_INVALID_ARG,
              "requested vcpus is greater than max allowable vcpus for the persistent domain: %u > %u", vcpus,
              config->vcpus);
      config->vcpus_current = vcpus;
    }
  }
  if (!live) {
    if (!commit_config (dom, g_steal_pointer (&config), FALSE, &error))
      RETURN_ERROR (task, error);
    g_task_return_boolean (task, TRUE);
    return;
  }
  if (vcpus > live_def (dom)->vcpus)
    FAIL (task, VB_ERROR_INVALID_ARG, "requested vcpus is greater than max allowable vcpus for the live domain: %u > %u",
          vcpus, live_def (dom)->vcpus);
  v = g_new0 (Vcpus, 1);
  v->dom = g_object_ref (dom);
  v->task = g_object_ref (task);
  v->want = vcpus;
  v->config = g_steal_pointer (&config);
  query = g_task_new (dom, NULL, on_hotpluggable_cpus, v);
  vb_qemu_process_qmp (dom, "query-hotpluggable-cpus", NULL, query);
}

/* The end of a live change with a pending persistent one: @task gets
 * @error or success; the references and the unused config go. */
static void
finish_live_change (VbObj *dom, GTask *task, VbDomainDef *config, GError *error)
{
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (dom);
  g_object_unref (task);
  g_clear_pointer (&config, vb_domain_def_free);
}

/* ------------------------------------------------------------------ */
/* AddIOThread / DelIOThread                                            */

typedef struct {
  VbObj *dom;
  GTask *task;
  guint id;
  gboolean add;
  VbDomainDef *config; /* the persistent definition to commit after, or NULL */
} IoThreadOp;

static void
on_iothread_object (GObject *source, GAsyncResult *result, gpointer user_data)
{
  IoThreadOp *op = user_data;
  GError *error = NULL;

  if (g_task_propagate_boolean (G_TASK (result), &error)) {
    /* QEMU has it (or not) now: the live definition follows. */
    gboolean ok = op->add ? vb_domain_def_add_iothread (live_def (op->dom), op->id, &error)
                          : vb_domain_def_del_iothread (live_def (op->dom), op->id, &error);
    if (ok) {
      live_changed (op->dom);
      if (op->config != NULL)
        commit_config (op->dom, g_steal_pointer (&op->config), TRUE, &error);
    }
  } else {
    g_prefix_error (&error, "cannot %s IOThread %u of domain '%s': ", op->add ? "add" : "remove", op->id,
                    op->dom->name);
  }
  finish_live_change (op->dom, op->task, op->config, error);
  g_free (op);
}

/* Checked on copies first (the live one too), so that a refusal changes
 * nothing; QEMU's object comes and goes before the definitions follow. */
static void
iothread_change (VbObj *dom, guint id, guint flags, gboolean add, GTask *task)
{
  const char *method = add ? "AddIOThread" : "DelIOThread";
  gboolean live, config_flag;
  GError *error = NULL;
  g_autoptr(VbDomainDef) config = NULL;
  g_autoptr(JsonObject) args = NULL;
  g_autofree char *object = NULL;
  GTask *inner;
  IoThreadOp *op;

  CHECK_FLAGS (task, flags, AFFECT_LIVE | AFFECT_CONFIG, method);
  if (id == 0)
    FAIL (task, VB_ERROR_INVALID_ARG, "IOThread ids start at 1");
  if (!vb_resolve_affect (dom, flags, &live, &config_flag, &error))
    RETURN_ERROR (task, error);
  if (config_flag) {
    config = vb_domain_def_copy (persistent_def (dom));
    if (!(add ? vb_domain_def_add_iothread (config, id, &error) : vb_domain_def_del_iothread (config, id, &error)))
      RETURN_ERROR (task, error);
  }
  if (live) {
    g_autoptr(VbDomainDef) trial = vb_domain_def_copy (live_def (dom));

    if (!(add ? vb_domain_def_add_iothread (trial, id, &error) : vb_domain_def_del_iothread (trial, id, &error)))
      RETURN_ERROR (task, error);
  }
  if (!live) {
    if (!commit_config (dom, g_steal_pointer (&config), FALSE, &error))
      RETURN_ERROR (task, error);
    g_task_return_boolean (task, TRUE);
    return;
  }
  object = g_strdup_printf ("iothread%u", id);
  args = json_object_new ();
  json_object_set_string_member (args, "id", object);
  if (add)
    json_object_set_string_member (args, "qom-type", "iothread");
  op = g_new0 (IoThreadOp, 1);
  op->dom = g_object_ref (dom);
  op->task = g_object_ref (task);
  op->id = id;
  op->add = add;
  op->config = g_steal_pointer (&config);
  inner = g_task_new (dom, NULL, on_iothread_object, op);
  vb_qemu_process_qmp_void (dom, add ? "object-add" : "object-del", args, inner);
  g_object_unref (inner);
}

static void
hotplug_add_iothread (VbBackend *backend, VbObj *dom, guint id, guint flags, GTask *task)
{
  iothread_change (dom, id, flags, TRUE, task);
}

static void
hotplug_del_iothread (VbBackend *backend, VbObj *dom, guint id, guint flags, GTask *task)
{
  iothread_change (dom, id, flags, FALSE, task);
}

/* ------------------------------------------------------------------ */
/* SetMemory                                                            */

typedef struct {
  VbObj *dom;
  GTask *task;
  guint64 kib;
  VbDomainDef *config;
} Memory;

static void
on_balloon_set (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Memory *m = user_data;
  GError *error = NULL;

  if (g_task_propagate_boolean (G_TASK (result), &error)) {
    live_def (m->dom)->current_memory_kib = m->kib;
    live_changed (m->dom);
    if (m->config != NULL)
      commit_config (m->dom, g_steal_pointer (&m->config), TRUE, &error);
  }
  finish_live_change (m->dom, m->task, m->config, error);
  g_free (m);
}

static void
hotplug_set_memory (VbBackend *backend, VbObj *dom, guint64 kib, guint flags, GTask *task)
{
  gboolean live, config_flag;
  GError *error = NULL;
  g_autoptr(VbDomainDef) config = NULL;
  g_autoptr(JsonObject) args = NULL;
  g_autoptr(GTask) inner = NULL;
  const VbDomainDef *ldef = live_def (dom);
  Memory *m;

  CHECK_FLAGS (task, flags, AFFECT_LIVE | AFFECT_CONFIG | MEM_MAXIMUM, "SetMemory");
  if (!vb_resolve_affect (dom, flags, &live, &config_flag, &error))
    RETURN_ERROR (task, error);
  if (kib == 0)
    FAIL (task, VB_ERROR_INVALID_ARG, "memory must be greater than 0");
  if ((flags & MEM_MAXIMUM) && live)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "cannot resize the maximum memory on an active domain");
  if (config_flag) {
    config = vb_domain_def_copy (persistent_def (dom));
    if (flags & MEM_MAXIMUM) {
      config->memory_kib = kib;
      config->current_memory_kib = MIN (config->current_memory_kib, kib);
    } else {
      if (kib > config->memory_kib)
        FAIL (task, VB_ERROR_INVALID_ARG, "cannot set memory higher than max memory (%" G_GUINT64_FORMAT " KiB)",
              config->memory_kib);
      config->current_memory_kib = kib;
    }
  }
  if (!live) {
    if (!commit_config (dom, g_steal_pointer (&config), FALSE, &error))
      RETURN_ERROR (task, error);
    g_task_return_boolean (task, TRUE);
    return;
  }
  if (kib > ldef->memory_kib)
    FAIL (task, VB_ERROR_INVALID_ARG, "cannot set memory higher than max memory (%" G_GUINT64_FORMAT " KiB)",
          ldef->memory_kib);
  if (ldef->memballoon == NULL || ldef->memballoon->model == VB_DOMAIN_MEMBALLOON_NONE)
    FAIL (task, VB_ERROR_OPERATION_INVALID,
          "cannot change the memory of running domain '%s' without a balloon device (<memballoon model='virtio'>)",
          dom->name);
  m = g_new0 (Memory, 1);
  m->dom = g_object_ref (dom);
  m->task = g_object_ref (task);
  m->kib = kib;
  m->config = g_steal_pointer (&config);
  args = json_object_new ();
  json_object_set_int_member (args, "value", (gint64) (kib * 1024));
  inner = g_task_new (dom, NULL, on_balloon_set, m);
  vb_qemu_process_qmp_void (dom, "balloon", args, inner);
}

/* ------------------------------------------------------------------ */
/* BlockResize                                                          */

static void
on_resized (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
hotplug_block_resize (VbBackend *backend, VbObj *dom, const char *name, guint64 size, guint flags, GTask *task)
{
  VbDomainDiskDef *disk;
  g_autoptr(JsonObject) args = NULL;
  g_autoptr(GTask) inner = NULL;
  g_autofree char *node = NULL;

  CHECK_FLAGS (task, flags, BLOCK_RESIZE_BYTES, "BlockResize");
  if (!dom->active)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running", dom->name);
  disk = name != NULL && *name != '\0' ? vb_domain_def_find_disk (live_def (dom), name) : NULL;
  if (disk == NULL)
    FAIL (task, VB_ERROR_INVALID_ARG, "domain '%s' has no disk '%s'", dom->name, name ? name : "");
  if (disk->src_path == NULL || disk->info.alias == NULL)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "disk '%s' has no medium to resize", disk->dst);
  if (disk->readonly || disk->device == VB_DOMAIN_DISK_DEVICE_CDROM)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "disk '%s' is read-only", disk->dst);
  if (!(flags & BLOCK_RESIZE_BYTES)) {
    if (size > G_MAXUINT64 / 1024)
      FAIL (task, VB_ERROR_INVALID_ARG, "size %" G_GUINT64_FORMAT " KiB is too large", size);
    size *= 1024;
  }
  /* QEMU wants whole sectors. */
  if (size % 512 != 0)
    size += 512 - size % 512;
  if (size > G_MAXINT64)
    FAIL (task, VB_ERROR_INVALID_ARG, "size %" G_GUINT64_FORMAT " is too large", size);
  node = vb_qemu_disk_root_node (dom, disk);
  args = obj_with_id ("node-name", node);
  json_object_set_int_member (args, "size", (gint64) size);
  inner = g_task_new (dom, NULL, on_resized, g_object_ref (task));
  vb_qemu_process_qmp_void (dom, "block_resize", args, inner);
}

/* ------------------------------------------------------------------ */
/* Block I/O tuning and interface parameters                            */

static const char *const iotune_names[] = {
  "total_bytes_sec", "read_bytes_sec", "write_bytes_sec", "total_iops_sec", "read_iops_sec", "write_iops_sec",
};
/* Their block_set_io_throttle names. */
static const char *const iotune_qmp[] = { "bps", "bps_rd", "bps_wr", "iops", "iops_rd", "iops_wr" };
/* libvirt knows these too; QEMU could, this driver does not model them. */
static const char *const iotune_unsupported[] = {
  "total_bytes_sec_max", "read_bytes_sec_max", "write_bytes_sec_max", "total_iops_sec_max", "read_iops_sec_max",
  "write_iops_sec_max", "size_iops_sec", "group_name", "total_bytes_sec_max_length", "read_bytes_sec_max_length",
  "write_bytes_sec_max_length", "total_iops_sec_max_length", "read_iops_sec_max_length",
  "write_iops_sec_max_length",
};

static guint64 *
iotune_field (VbDomainDiskIotune *t, guint i)
{
  guint64 *fields[] = { &t->total_bytes_sec, &t->read_bytes_sec, &t->write_bytes_sec,
                        &t->total_iops_sec, &t->read_iops_sec, &t->write_iops_sec };
  return fields[i];
}

/* The block backend of a virtio disk belongs to the virtio device below
 * the PCI proxy that carries the alias. */
static JsonObject *
throttle_args (const VbDomainDef *def, const VbDomainDiskDef *disk, const VbDomainDiskIotune *t)
{
  g_autofree char *id = vb_qemu_disk_bus (disk, def->os.machine) == VB_DOMAIN_DISK_BUS_VIRTIO
                          ? g_strdup_printf ("/machine/peripheral/%s/virtio-backend", disk->info.alias)
                          : g_strdup (disk->info.alias);
  JsonObject *o = obj_with_id ("id", id);

  for (guint i = 0; i < G_N_ELEMENTS (iotune_qmp); i++)
    json_object_set_int_member (o, iotune_qmp[i], (gint64) *iotune_field ((VbDomainDiskIotune *) t, i));
  return o;
}

static gboolean
variant_to_u64 (GVariant *v, guint64 *out)
{
  if (g_variant_is_of_type (v, G_VARIANT_TYPE_UINT64))
    *out = g_variant_get_uint64 (v);
  else if (g_variant_is_of_type (v, G_VARIANT_TYPE_INT64) && g_variant_get_int64 (v) >= 0)
    *out = (guint64) g_variant_get_int64 (v);
  else if (g_variant_is_of_type (v, G_VARIANT_TYPE_UINT32))
    *out = g_variant_get_uint32 (v);
  else if (g_variant_is_of_type (v, G_VARIANT_TYPE_INT32) && g_variant_get_int32 (v) >= 0)
    *out = (guint64) g_variant_get_int32 (v);
  else
    return FALSE;
  return TRUE;
}

/* Applies @params to @t with libvirt's rules: a total and its read/write
 * pair exclude each other, setting one side clears the other. */
static gboolean
iotune_apply (VbDomainDiskIotune *t, GVariant *params, GError **error)
{
  GVariantIter iter;
  const char *name;
  GVariant *value;
  gboolean set[G_N_ELEMENTS (iotune_names)] = { FALSE };
  VbDomainDiskIotune n = *t;

  g_variant_iter_init (&iter, params);
  while (g_variant_iter_loop (&iter, "{&sv}", &name, &value)) {
    guint i;
    guint64 u;

    for (i = 0; i < G_N_ELEMENTS (iotune_names) && strcmp (iotune_names[i], name) != 0; i++)
      ;
    if (i == G_N_ELEMENTS (iotune_names)) {
      gboolean known = FALSE;
      for (guint k = 0; k < G_N_ELEMENTS (iotune_unsupported); k++)
        known |= strcmp (iotune_unsupported[k], name) == 0;
      g_set_error (error, VB_ERROR, known ? VB_ERROR_NOT_SUPPORTED : VB_ERROR_INVALID_ARG,
                   known ? "block I/O tuning parameter '%s' is not supported by the QEMU driver yet"
                         : "unknown block I/O tuning parameter '%s'", name);
      g_variant_unref (value);
      return FALSE;
    }
    if (!variant_to_u64 (value, &u)) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "block I/O tuning parameter '%s' must be an unsigned integer",
                   name);
      g_variant_unref (value);
      return FALSE;
    }
    *iotune_field (&n, i) = u;
    set[i] = TRUE;
  }
  for (guint base = 0; base < 6; base += 3) {
    if (set[base] && (set[base + 1] || set[base + 2]) && *iotune_field (&n, base) != 0 &&
        (*iotune_field (&n, base + 1) != 0 || *iotune_field (&n, base + 2) != 0)) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "%s cannot be set at the same time as %s or %s",
                   iotune_names[base], iotune_names[base + 1], iotune_names[base + 2]);
      return FALSE;
    }
    if (set[base] && !set[base + 1] && !set[base + 2])
      *iotune_field (&n, base + 1) = *iotune_field (&n, base + 2) = 0;
    else if (!set[base] && (set[base + 1] || set[base + 2]))
      *iotune_field (&n, base) = 0;
  }
  *t = n;
  return TRUE;
}

static gboolean
iotune_any (const VbDomainDiskIotune *t)
{
  return t->total_bytes_sec || t->read_bytes_sec || t->write_bytes_sec || t->total_iops_sec || t->read_iops_sec ||
         t->write_iops_sec;
}

static VbDomainDiskDef *
find_disk_or_fail (VbObj *dom, VbDomainDef *def, const char *name, GError **error)
{
  VbDomainDiskDef *disk = name != NULL && *name != '\0' ? vb_domain_def_find_disk (def, name) : NULL;

  if (disk == NULL)
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "domain '%s' has no disk '%s'", dom->name, name ? name : "");
  return disk;
}

typedef struct {
  VbObj *dom;
  GTask *task;
  char *dst;
  VbDomainDiskIotune tune;
  VbDomainDef *config;
} Throttle;

static void
on_throttled (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Throttle *t = user_data;
  GError *error = NULL;

  if (g_task_propagate_boolean (G_TASK (result), &error)) {
    VbDomainDiskDef *disk = vb_domain_def_find_disk_by_target (live_def (t->dom), t->dst);
    if (disk != NULL) {
      disk->iotune = t->tune;
      disk->has_iotune = iotune_any (&t->tune);
    }
    live_changed (t->dom);
    if (t->config != NULL)
      commit_config (t->dom, g_steal_pointer (&t->config), TRUE, &error);
  }
  if (error != NULL)
    g_task_return_error (t->task, error);
  else
    g_task_return_boolean (t->task, TRUE);
  g_object_unref (t->dom);
  g_object_unref (t->task);
  g_free (t->dst);
  g_clear_pointer (&t->config, vb_domain_def_free);
  g_free (t);
}

static void
set_block_iotune (VbObj *dom, const char *name, GVariant *params, guint flags, GTask *task)
{
  gboolean live, config_flag;
  GError *error = NULL;
  g_autoptr(VbDomainDef) config = NULL;
  VbDomainDiskDef *disk;
  Throttle *t;
  g_autoptr(GTask) inner = NULL;
  g_autoptr(JsonObject) args = NULL; /* the call takes its own reference */

  CHECK_FLAGS (task, flags, AFFECT_LIVE | AFFECT_CONFIG, "SetBlockIOTune");
  if (!vb_resolve_affect (dom, flags, &live, &config_flag, &error))
    RETURN_ERROR (task, error);
  if (config_flag) {
    config = vb_domain_def_copy (persistent_def (dom));
    if ((disk = find_disk_or_fail (dom, config, name, &error)) == NULL || !iotune_apply (&disk->iotune, params, &error))
      RETURN_ERROR (task, error);
    disk->has_iotune = iotune_any (&disk->iotune);
  }
  if (!live) {
    if (!commit_config (dom, g_steal_pointer (&config), FALSE, &error))
      RETURN_ERROR (task, error);
    g_task_return_boolean (task, TRUE);
    return;
  }
  if ((disk = find_disk_or_fail (dom, live_def (dom), name, &error)) == NULL)
    RETURN_ERROR (task, error);
  if (disk->src_path == NULL || disk->info.alias == NULL)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "disk '%s' has no medium to throttle", disk->dst);
  t = g_new0 (Throttle, 1);
  t->tune = disk->iotune;
  if (!iotune_apply (&t->tune, params, &error)) {
    g_free (t);
    RETURN_ERROR (task, error);
  }
  t->dom = g_object_ref (dom);
  t->task = g_object_ref (task);
  t->dst = g_strdup (disk->dst);
  t->config = g_steal_pointer (&config);
  inner = g_task_new (dom, NULL, on_throttled, t);
  args = throttle_args (live_def (dom), disk, &t->tune);
  vb_qemu_process_qmp_void (dom, "block_set_io_throttle", args, inner);
}

/* ------------------------------------------------------------------ */
/* Get/SetInterfaceParameters: a NIC's <bandwidth>                      */

/* libvirt's names (virDomainSetInterfaceParameters), in its order. */
static const struct {
  const char *name;
  gboolean inbound;
  gsize offset;
} bandwidth_params[] = {
  { "inbound.average", TRUE, G_STRUCT_OFFSET (VbBandwidthRate, average) },
  { "inbound.peak", TRUE, G_STRUCT_OFFSET (VbBandwidthRate, peak) },
  { "inbound.floor", TRUE, G_STRUCT_OFFSET (VbBandwidthRate, floor) },
  { "inbound.burst", TRUE, G_STRUCT_OFFSET (VbBandwidthRate, burst) },
  { "outbound.average", FALSE, G_STRUCT_OFFSET (VbBandwidthRate, average) },
  { "outbound.peak", FALSE, G_STRUCT_OFFSET (VbBandwidthRate, peak) },
  { "outbound.burst", FALSE, G_STRUCT_OFFSET (VbBandwidthRate, burst) },
};

static guint *
bandwidth_param (const VbBandwidth *bw, guint i)
{
  const VbBandwidthRate *rate = bandwidth_params[i].inbound ? &bw->inbound : &bw->outbound;
  return (guint *) G_STRUCT_MEMBER_P (rate, bandwidth_params[i].offset);
}

/* @device: the NIC's host device name or its MAC (as libvirt). */
static VbDomainNetDef *
find_net_or_fail (VbObj *dom, VbDomainDef *def, const char *device, GError **error)
{
  VbDomainNetDef *net = NULL;

  if (device != NULL && *device != '\0') {
    net = vb_domain_def_find_net_by_target (def, device);
    if (net == NULL)
      net = vb_domain_def_find_net_by_mac (def, device);
  }
  if (net == NULL)
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "domain '%s' has no interface '%s'", dom->name,
                 device ? device : "");
  return net;
}

/* @old (may be NULL) changed by @params, with libvirt's rules: a direction
 * whose average (and floor) become 0 is no longer limited; what is left
 * must be a valid <bandwidth>. NULL with @error, or a VbBandwidth that may
 * limit nothing. */
static VbBandwidth *
bandwidth_with_params (const VbBandwidth *old, GVariant *params, GError **error)
{
  g_autoptr(VbBandwidth) bw = old != NULL ? vb_bandwidth_copy (old) : g_new0 (VbBandwidth, 1);
  GVariantIter iter;
  const char *name;
  GVariant *value;

  g_variant_iter_init (&iter, params);
  while (g_variant_iter_loop (&iter, "{&sv}", &name, &value)) {
    guint i;
    guint64 u;

    for (i = 0; i < G_N_ELEMENTS (bandwidth_params) && strcmp (bandwidth_params[i].name, name) != 0; i++)
      ;
    if (i == G_N_ELEMENTS (bandwidth_params)) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG,
                   "unknown interface parameter '%s' (inbound.average, inbound.peak, inbound.floor, inbound.burst, "
                   "outbound.average, outbound.peak, outbound.burst)", name);
      g_variant_unref (value);
      return NULL;
    }
    if (!variant_to_u64 (value, &u) || u > G_MAXUINT) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG,
                   "interface parameter '%s' must be an unsigned 32-bit integer", name);
      g_variant_unref (value);
      return NULL;
    }
    if (u != 0 && !(bandwidth_params[i].inbound ? bw->has_inbound : bw->has_outbound)) {
      VbBandwidthRate *rate = bandwidth_params[i].inbound ? &bw->inbound : &bw->outbound;
      memset (rate, 0, sizeof *rate);
      if (bandwidth_params[i].inbound)
        bw->has_inbound = TRUE;
      else
        bw->has_outbound = TRUE;
    }
    *bandwidth_param (bw, i) = (guint) u;
  }
  if (bw->has_inbound && bw->inbound.average == 0 && bw->inbound.floor == 0) {
    bw->has_inbound = FALSE;
    memset (&bw->inbound, 0, sizeof bw->inbound);
  }
  if (bw->has_outbound && bw->outbound.average == 0) {
    bw->has_outbound = FALSE;
    memset (&bw->outbound, 0, sizeof bw->outbound);
  }
  if ((bw->has_inbound && !vb_bandwidth_rate_check (&bw->inbound, "inbound", TRUE, error)) ||
      (bw->has_outbound && !vb_bandwidth_rate_check (&bw->outbound, "outbound", FALSE, error)))
    return NULL;
  return g_steal_pointer (&bw);
}

/* @net's <bandwidth> becomes @bw (limiting nothing: none). */
static void
net_set_bandwidth (VbDomainNetDef *net, const VbBandwidth *bw)
{
  g_clear_pointer (&net->bandwidth, g_free);
  if (vb_bandwidth_is_set (bw))
    net->bandwidth = vb_bandwidth_copy (bw);
}

typedef struct {
  VbObj *dom;
  GTask *task;
  char *mac;
  VbBandwidth *bw;        /* what the NIC gets */
  VbBandwidth *own;       /* what its live XML says then (NULL: none; its portgroup's may apply) */
  VbBandwidth *old;       /* what it had, put back when that fails (NULL: nothing) */
  char *dev;
  VbShapeKind kind;
  VbDomainDef *config;    /* to commit too, or NULL */
  Change *change;         /* an UpdateDevice's, finished here; or NULL */
} Reshape;

static void
reshape_free (Reshape *r)
{
  g_object_unref (r->dom);
  g_clear_object (&r->task);
  g_free (r->mac);
  g_free (r->bw);
  g_free (r->own);
  g_free (r->old);
  g_free (r->dev);
  g_clear_pointer (&r->config, vb_domain_def_free);
  g_free (r);
}

static void
on_reshaped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Reshape *r = user_data;
  GError *error = NULL;

  if (vb_bandwidth_apply_finish (result, &error)) {
    VbDomainNetDef *net = r->dom->active ? vb_domain_def_find_net_by_mac (live_def (r->dom), r->mac) : NULL;
    if (net != NULL)
      net_set_bandwidth (net, r->own);
    if (r->change != NULL) {
      Change *c = g_steal_pointer (&r->change);
      change_done (c, NULL, NULL);
    } else {
      live_changed (r->dom);
      if (r->config != NULL)
        commit_config (r->dom, g_steal_pointer (&r->config), TRUE, &error);
    }
  } else {
    /* Unshaped now: what it had comes back (the live XML still says so). */
    g_prefix_error (&error, "domain '%s': ", r->dom->name);
    if (vb_bandwidth_is_set (r->old) && r->dom->active)
      vb_bandwidth_apply_async (r->dev, r->old, r->kind, FALSE, NULL, NULL);
  }
  if (r->change != NULL) {
    g_task_return_error (r->change->task, error);
    change_free (r->change);
  } else if (r->task != NULL) {
    if (error != NULL)
      g_task_return_error (r->task, error);
    else
      g_task_return_boolean (r->task, TRUE);
  } else {
    g_clear_error (&error);
  }
  reshape_free (r);
}

/* Shapes running @net as @bw says (NULL: not at all); its live XML gets
 * @own once done, then @config is committed; @task or @change gets the
 * result. */
static void
reshape_net (VbObj *dom, const VbDomainNetDef *net, const VbBandwidth *bw, const VbBandwidth *own,
             VbDomainDef *config, GTask *task, Change *change)
{
  Reshape *r = g_new0 (Reshape, 1);

  r->dom = g_object_ref (dom);
  r->task = task != NULL ? g_object_ref (task) : NULL;
  r->mac = g_strdup (net->mac);
  r->bw = vb_bandwidth_copy (bw);
  r->own = vb_bandwidth_copy (own);
  r->old = vb_bandwidth_copy (vb_qemu_net_bandwidth (vb_qemu_dom (dom)->backend, net));
  r->dev = g_strdup (net->target_dev);
  r->kind = vb_qemu_net_shape_kind (net);
  r->config = config;
  r->change = change;
  vb_bandwidth_apply_async (net->target_dev, bw, r->kind, FALSE, on_reshaped, r);
}

/* What a running @net can be shaped with: the definition's rules, and a
 * host device to shape. */
static gboolean
check_can_shape (VbObj *dom, const VbDomainNetDef *net, const VbBandwidth *bw, GError **error)
{
  if (!vb_qemu_net_bandwidth_check (net, bw, error))
    return FALSE;
  if (vb_bandwidth_is_set (bw) && (!vb_qemu_net_has_tap (net) || net->target_dev == NULL)) {
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "interface %s of domain '%s' has no host device to shape",
                 net->mac, dom->name);
    return FALSE;
  }
  return TRUE;
}

static void
set_interface_parameters (VbObj *dom, const char *device, GVariant *params, guint flags, GTask *task)
{
  gboolean live, config_flag;
  GError *error = NULL;
  g_autoptr(VbDomainDef) config = NULL;
  g_autoptr(VbBandwidth) bw = NULL;
  VbDomainNetDef *net;

  CHECK_FLAGS (task, flags, AFFECT_LIVE | AFFECT_CONFIG, "SetInterfaceParameters");
  if (!vb_resolve_affect (dom, flags, &live, &config_flag, &error))
    RETURN_ERROR (task, error);
  if (config_flag) {
    g_autoptr(VbBandwidth) cbw = NULL;

    config = vb_domain_def_copy (persistent_def (dom));
    if ((net = find_net_or_fail (dom, config, device, &error)) == NULL ||
        (cbw = bandwidth_with_params (net->bandwidth, params, &error)) == NULL)
      RETURN_ERROR (task, error);
    if (cbw->has_inbound && cbw->inbound.floor != 0 && net->type != VB_DOMAIN_NET_TYPE_NETWORK)
      FAIL (task, VB_ERROR_INVALID_ARG, "inbound.floor is only for interfaces of type 'network'");
    net_set_bandwidth (net, cbw);
    if (caps_of (dom) != NULL && !vb_qemu_domain_validate (config, caps_of (dom), &error))
      RETURN_ERROR (task, error);
  }
  if (!live) {
    if (!commit_config (dom, g_steal_pointer (&config), FALSE, &error))
      RETURN_ERROR (task, error);
    g_task_return_boolean (task, TRUE);
    return;
  }
  if ((net = find_net_or_fail (dom, live_def (dom), device, &error)) == NULL ||
      (bw = bandwidth_with_params (vb_qemu_net_bandwidth (vb_qemu_dom (dom)->backend, net), params, &error)) == NULL ||
      !check_can_shape (dom, net, bw, &error))
    RETURN_ERROR (task, error);
  reshape_net (dom, net, bw, bw, g_steal_pointer (&config), task, NULL);
}

static void
hotplug_get_device_parameters (VbBackend *backend, VbObj *dom, const char *group, const char *device, guint flags,
                               GTask *task)
{
  gboolean live, config_flag;
  GError *error = NULL;
  GVariantBuilder b;

  CHECK_FLAGS (task, flags, AFFECT_LIVE | AFFECT_CONFIG, g_str_equal (group, "blkiotune") ? "GetBlockIOTune"
                                                                                           : "GetInterfaceParameters");
  if ((flags & AFFECT_LIVE) && (flags & AFFECT_CONFIG))
    FAIL (task, VB_ERROR_INVALID_ARG, "the live and config flags are mutually exclusive here");
  if (!vb_resolve_affect (dom, flags, &live, &config_flag, &error))
    RETURN_ERROR (task, error);
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{sv}"));
  if (g_str_equal (group, "blkiotune")) {
    VbDomainDiskDef *disk = find_disk_or_fail (dom, live ? live_def (dom) : persistent_def (dom), device, &error);
    if (disk == NULL)
      RETURN_ERROR (task, error);
    for (guint i = 0; i < G_N_ELEMENTS (iotune_names); i++)
      g_variant_builder_add (&b, "{sv}", iotune_names[i], g_variant_new_uint64 (*iotune_field (&disk->iotune, i)));
  } else if (g_str_equal (group, "interface")) {
    VbDomainDef *def = live ? live_def (dom) : persistent_def (dom);
    VbDomainNetDef *net = find_net_or_fail (dom, def, device, &error);
    const VbBandwidth *bw;

    if (net == NULL) {
      g_variant_builder_clear (&b);
      RETURN_ERROR (task, error);
    }
    /* Running: what shapes it (its portgroup's when it has none). */
    bw = live ? vb_qemu_net_bandwidth (vb_qemu_dom (dom)->backend, net) : net->bandwidth;
    for (guint i = 0; i < G_N_ELEMENTS (bandwidth_params); i++)
      g_variant_builder_add (&b, "{sv}", bandwidth_params[i].name,
                             g_variant_new_uint32 (bw != NULL ? *bandwidth_param (bw, i) : 0));
  } else {
    g_variant_builder_clear (&b);
    FAIL (task, VB_ERROR_NOT_SUPPORTED, "%s parameters are not supported by the QEMU driver", group);
  }
  g_task_return_pointer (task, g_variant_ref_sink (g_variant_builder_end (&b)), (GDestroyNotify) g_variant_unref);
}

static void
hotplug_set_device_parameters (VbBackend *backend, VbObj *dom, const char *group, const char *device,
                               GVariant *params, guint flags, GTask *task)
{
  if (g_str_equal (group, "blkiotune")) {
    set_block_iotune (dom, device, params, flags, task);
    return;
  }
  if (g_str_equal (group, "interface")) {
    set_interface_parameters (dom, device, params, flags, task);
    return;
  }
  FAIL (task, VB_ERROR_NOT_SUPPORTED, "%s parameters are not supported by the QEMU driver", group);
}

/* ------------------------------------------------------------------ */
/* SendKey, InjectNMI                                                   */

/* Linux input keycodes (<linux/input-event-codes.h>) → QEMU's "qnum"
 * (XT set 1; an 0xe0 prefix becomes bit 7). 0 = no key. */
static guint
linux_to_qnum (guint code)
{
  static const struct {
    guint16 linux_code, qnum;
  } extended[] = {
    { 96, 0x9c },  /* KPENTER */   { 97, 0x9d },  /* RIGHTCTRL */ { 98, 0xb5 },  /* KPSLASH */
    { 99, 0x54 },  /* SYSRQ */     { 100, 0xb8 }, /* RIGHTALT */  { 102, 0xc7 }, /* HOME */
    { 103, 0xc8 }, /* UP */        { 104, 0xc9 }, /* PAGEUP */    { 105, 0xcb }, /* LEFT */
    { 106, 0xcd }, /* RIGHT */     { 107, 0xcf }, /* END */       { 108, 0xd0 }, /* DOWN */
    { 109, 0xd1 }, /* PAGEDOWN */  { 110, 0xd2 }, /* INSERT */    { 111, 0xd3 }, /* DELETE */
    { 113, 0xa0 }, /* MUTE */      { 114, 0xae }, /* VOLUMEDOWN */ { 115, 0xb0 }, /* VOLUMEUP */
    { 116, 0xde }, /* POWER */     { 117, 0x59 }, /* KPEQUAL */   { 119, 0xc6 }, /* PAUSE */
    { 125, 0xdb }, /* LEFTMETA */  { 126, 0xdc }, /* RIGHTMETA */ { 127, 0xdd }, /* COMPOSE */
    { 142, 0xdf }, /* SLEEP */     { 143, 0xe3 }, /* WAKEUP */
  };

  /* ESC (1) to KPDOT (83) and F11/F12 are the set-1 scancodes themselves. */
  if (code >= 1 && code <= 83)
    return code;
  if (code == 86 || code == 87 || code == 88)
    return code;
  for (guint i = 0; i < G_N_ELEMENTS (extended); i++)
    if (extended[i].linux_code == code)
      return extended[i].qnum;
  return 0;
}

static void
hotplug_send_key (VbBackend *backend, VbObj *dom, guint codeset, guint holdtime, GVariant *keycodes, guint flags,
                  GTask *task)
{
  g_autoptr(JsonObject) args = json_object_new ();
  JsonArray *keys = json_array_new ();
  gsize n = g_variant_n_children (keycodes);
  g_autoptr(GTask) inner = NULL;

  json_object_set_array_member (args, "keys", keys);
  CHECK_FLAGS (task, flags, 0, "SendKey");
  if (!dom->active)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running", dom->name);
  if (n == 0 || n > SEND_KEY_MAX_KEYS)
    FAIL (task, VB_ERROR_INVALID_ARG, "between 1 and %d keycodes are required, got %" G_GSIZE_FORMAT,
          SEND_KEY_MAX_KEYS, n);
  if (codeset != KEYCODE_LINUX && codeset != KEYCODE_XT && codeset != KEYCODE_QNUM)
    FAIL (task, VB_ERROR_NOT_SUPPORTED,
          "keycode set %u is not supported by the QEMU driver (linux = 0, xt = 1, qnum = 9)", codeset);
  for (gsize i = 0; i < n; i++) {
    guint32 code;
    guint qnum;
    JsonObject *key = json_object_new ();

    g_variant_get_child (keycodes, i, "u", &code);
    qnum = codeset == KEYCODE_LINUX ? linux_to_qnum (code) : codeset == KEYCODE_XT ? (code < 0x80 ? code : 0) : code;
    json_array_add_object_element (keys, key);
    if (qnum == 0 || qnum > 0xff)
      FAIL (task, VB_ERROR_INVALID_ARG, "keycode %u of keycode set %u cannot be sent", code, codeset);
    json_object_set_string_member (key, "type", "number");
    json_object_set_int_member (key, "data", qnum);
  }
  if (holdtime != 0)
    json_object_set_int_member (args, "hold-time", holdtime);
  inner = g_task_new (dom, NULL, on_resized, g_object_ref (task));
  vb_qemu_process_qmp_void (dom, "send-key", args, inner);
}

static void
hotplug_inject_nmi (VbBackend *backend, VbObj *dom, guint flags, GTask *task)
{
  g_autoptr(GTask) inner = NULL;

  CHECK_FLAGS (task, flags, 0, "InjectNMI");
  if (!dom->active)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running", dom->name);
  inner = g_task_new (dom, NULL, on_resized, g_object_ref (task));
  vb_qemu_process_qmp_void (dom, "inject-nmi", NULL, inner);
}

/* ------------------------------------------------------------------ */
/* Hooks                                                                */

static void
hotplug_running (VbObj *dom)
{
  VbDomainDef *def = live_def (dom);

  /* The live XML names devices as the command line did (idempotent). */
  vb_qemu_domain_assign_aliases (def);
  /* <iotune> has no command-line form with -blockdev: set it now. */
  for (guint i = 0; i < def->disks->len; i++) {
    VbDomainDiskDef *disk = g_ptr_array_index (def->disks, i);
    if (disk->has_iotune && disk->src_path != NULL && disk->info.alias != NULL)
      vb_qemu_process_qmp_fire (dom, "block_set_io_throttle", throttle_args (def, disk, &disk->iotune));
  }
}

static gboolean
hotplug_event (VbObj *dom, const char *name, JsonObject *data)
{
  if (g_strcmp0 (name, "DEVICE_DELETED") == 0) {
    const char *id = vb_qmp_member_str (data, "device");
    const char *path = vb_qmp_member_str (data, "path");

    /* Virtio devices also report their anonymous backend: nothing to do. */
    if (id != NULL || find_removal (dom, NULL, path) != NULL)
      device_deleted (dom, id, path);
    return TRUE;
  }
  if (g_strcmp0 (name, "DEVICE_UNPLUG_GUEST_ERROR") == 0) {
    const char *id = vb_qmp_member_str (data, "device");
    const char *path = vb_qmp_member_str (data, "path");
    Removal *r = find_removal (dom, id, path);
    const char *alias = id != NULL ? id : r != NULL ? r->alias : path;

    if (r != NULL) {
      if (r->task != NULL)
        g_task_return_new_error (r->task, VB_ERROR, VB_ERROR_FAILED,
                                 "the guest refused to release device '%s'", alias);
      g_clear_object (&r->task);
      g_ptr_array_remove (hotplug_get (dom)->removals, r);
    }
    if (alias != NULL)
      emit (dom, "DeviceRemovalFailed", g_variant_new ("(s)", alias));
    return TRUE;
  }
  if (g_strcmp0 (name, "DEVICE_TRAY_MOVED") == 0) {
    const char *id = vb_qmp_member_str (data, "id");
    gboolean open = vb_qmp_member_bool (data, "tray-open");
    VbDomainDef *def = live_def (dom);

    for (guint i = 0; id != NULL && i < def->disks->len; i++) {
      VbDomainDiskDef *disk = g_ptr_array_index (def->disks, i);
      if (g_strcmp0 (disk->info.alias, id) == 0)
        disk->tray = open ? VB_DOMAIN_DISK_TRAY_OPEN : VB_DOMAIN_DISK_TRAY_CLOSED;
    }
    if (id != NULL && *id != '\0')
      emit (dom, "TrayChange", g_variant_new ("(si)", id, open ? TRAY_OPEN : TRAY_CLOSE));
    return TRUE;
  }
  if (g_strcmp0 (name, "BALLOON_CHANGE") == 0 && data != NULL && json_object_has_member (data, "actual")) {
    /* The live <currentMemory> follows; the core sends BalloonChange. */
    live_def (dom)->current_memory_kib = (guint64) json_object_get_int_member (data, "actual") / 1024;
    return FALSE;
  }
  return FALSE;
}

static void
hotplug_ops_init (VbDomainOpsInterface *iface)
{
  iface->attach_device = hotplug_attach_device;
  iface->detach_device = hotplug_detach_device;
  iface->update_device = hotplug_update_device;
  iface->set_vcpus = hotplug_set_vcpus;
  iface->add_iothread = hotplug_add_iothread;
  iface->del_iothread = hotplug_del_iothread;
  iface->set_memory = hotplug_set_memory;
  iface->block_resize = hotplug_block_resize;
  iface->get_device_parameters = hotplug_get_device_parameters;
  iface->set_device_parameters = hotplug_set_device_parameters;
  iface->send_key = hotplug_send_key;
  iface->inject_nmi = hotplug_inject_nmi;
}

const VbQemuPart vb_qemu_part_hotplug = {
  .name = "hotplug",
  .ops_init = hotplug_ops_init,
  .running = hotplug_running,
  .stopped = hotplug_stopped,
  .event = hotplug_event,
  .dom_free = hotplug_dom_free,
};
