/* VbQemuBackend: the class, its state directories, the QEMU capabilities
 * probe and the host queries of org.libvirt.Connect that need QEMU's
 * (capabilities, CPU models); those about the host alone are in
 * vb-qemu-host.c. */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vb-qemu-firmware.h"
#include "vb-qemu-process.h"
#include "vb-interface-local.h"
#include "vb-network-local.h"
#include "vb-nodedev-local.h"
#include "vb-storage-local.h"

#define VB_QEMU_DEFAULT_EMULATOR "/usr/bin/qemu-system-x86_64"

G_DEFINE_FINAL_TYPE_WITH_CODE (VbQemuBackend, vb_qemu_backend, VB_TYPE_BACKEND,
  G_IMPLEMENT_INTERFACE (VB_TYPE_DOMAIN_OPS, vb_qemu_domain_ops_init)
  G_IMPLEMENT_INTERFACE (VB_TYPE_STORAGE_OPS, vb_storage_local_ops_init)
  G_IMPLEMENT_INTERFACE (VB_TYPE_NETWORK_OPS, vb_network_local_ops_init)
  G_IMPLEMENT_INTERFACE (VB_TYPE_INTERFACE_OPS, vb_interface_local_ops_init)
  G_IMPLEMENT_INTERFACE (VB_TYPE_NODE_DEV_OPS, vb_nodedev_local_ops_init))

/* ---- files ---- */

char *
vb_qemu_domain_run_dir (VbQemuBackend *self, const char *name)
{
  return g_build_filename (vb_backend_get_state_dirs (VB_BACKEND (self))->run_dir, name, NULL);
}

char *
vb_qemu_domain_state_path (VbQemuBackend *self, const char *name)
{
  g_autofree char *file = g_strconcat (name, ".state", NULL);
  return g_build_filename (vb_backend_get_state_dirs (VB_BACKEND (self))->run_dir, file, NULL);
}

char *
vb_qemu_domain_config_path (VbQemuBackend *self, const char *name)
{
  g_autofree char *file = g_strconcat (name, ".xml", NULL);
  return g_build_filename (vb_backend_get_state_dirs (VB_BACKEND (self))->config_dir, file, NULL);
}

char *
vb_qemu_domain_autostart_path (VbQemuBackend *self, const char *name)
{
  g_autofree char *file = g_strconcat (name, ".xml", NULL);
  return g_build_filename (vb_backend_get_state_dirs (VB_BACKEND (self))->config_dir, "autostart", file, NULL);
}

char *
vb_qemu_domain_log_path (VbQemuBackend *self, const char *name)
{
  g_autofree char *file = g_strconcat (name, ".log", NULL);
  return g_build_filename (vb_backend_get_state_dirs (VB_BACKEND (self))->log_dir, file, NULL);
}

char *
vb_qemu_nvram_dir (VbQemuBackend *self)
{
  return g_build_filename (vb_backend_get_state_dirs (VB_BACKEND (self))->lib_dir, "nvram", NULL);
}

/* ---- firmware ---- */

GPtrArray *
vb_qemu_backend_firmware (VbQemuBackend *self, const VbQemuCaps *caps)
{
  g_auto(GStrv) dirs = vb_qemu_firmware_default_dirs (vb_backend_is_system (VB_BACKEND (self)));
  GPtrArray *firmware = vb_qemu_firmware_load ((const char *const *) dirs, caps->arch);

  /* A host without descriptors (hand-installed OVMF): the image the probe
   * found, as a firmware without Secure Boot. */
  if (firmware->len == 0 && caps->ovmf_code != NULL && caps->ovmf_vars != NULL) {
    VbQemuFirmware *fw = g_new0 (VbQemuFirmware, 1);
    const char *machines[] = { "pc-i440fx-*", "pc-q35-*", NULL };

    fw->descriptor = g_strdup ("(found on the host)");
    fw->code = g_strdup (caps->ovmf_code);
    fw->vars = g_strdup (caps->ovmf_vars);
    fw->machines = g_strdupv ((char **) machines);
    g_ptr_array_add (firmware, fw);
  }
  return firmware;
}

gboolean
vb_qemu_domain_fill_firmware (VbQemuBackend *self, VbDomainDef *def, const VbQemuCaps *caps, GError **error)
{
  const VbDomainOsDef *os = &def->os;
  g_autoptr(GPtrArray) firmware = NULL;
  g_autofree char *nvram_dir = NULL;
  const VbQemuMachine *m;

  if (os->firmware != VB_DOMAIN_FIRMWARE_EFI && os->loader_type != VB_DOMAIN_LOADER_TYPE_PFLASH)
    return TRUE;
  /* Filled at define time (every start after): no descriptor to read. */
  if (os->loader_path != NULL && os->loader_type == VB_DOMAIN_LOADER_TYPE_PFLASH &&
      (os->loader_readonly == VB_DOMAIN_TRISTATE_NO ||
       (os->loader_readonly == VB_DOMAIN_TRISTATE_YES && os->nvram_template != NULL && os->nvram_path != NULL)))
    return TRUE;
  m = vb_qemu_caps_machine_or_default (caps, os->machine);
  if (m == NULL)
    return TRUE; /* validation says why */
  firmware = vb_qemu_backend_firmware (self, caps);
  nvram_dir = vb_qemu_nvram_dir (self);
  return vb_qemu_firmware_fill (def, m->name, firmware, nvram_dir, error);
}

/* ---- capabilities ---- */

typedef struct {
  VbQemuCapsReadyFunc func;
  gpointer user_data;
} CapsWaiter;

void
vb_qemu_backend_when_caps_ready (VbQemuBackend *self, VbQemuCapsReadyFunc func, gpointer user_data)
{
  CapsWaiter *w;

  if (self->caps_done) {
    func (self, self->caps, self->caps_error, user_data);
    return;
  }
  w = g_new0 (CapsWaiter, 1);
  w->func = func;
  w->user_data = user_data;
  g_ptr_array_add (self->caps_waiters, w);
}

/* Opening ends when QEMU is probed and the networks and storage pools are
 * loaded; then what is marked autostart starts (networks and pools first:
 * domains use them). */
static void
on_networks_autostarted (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(VbQemuBackend) self = user_data;

  if (self->closing)
    return;
  vb_storage_local_autostart (VB_BACKEND (self));
  vb_qemu_domain_autostart_all (self);
}

static void
open_step_done (VbQemuBackend *self)
{
  if (--self->open_pending > 0)
    return;
  if (self->open_task != NULL) {
    g_autoptr(GTask) open_task = g_steal_pointer (&self->open_task);
    g_debug ("opened after %.0f ms", (g_get_monotonic_time () - self->open_started) / 1000.0);
    g_task_return_boolean (open_task, TRUE);
  }
  if (self->closing)
    return;
  vb_network_local_autostart_async (VB_BACKEND (self), on_networks_autostarted, g_object_ref (self));
}

static void
on_storage_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(VbQemuBackend) self = user_data;
  g_autoptr(GError) error = NULL;

  /* Not fatal: the domains stay manageable, and the storage calls say
   * what is wrong. */
  if (!vb_storage_local_load_finish (VB_BACKEND (self), result, &error))
    g_warning ("cannot load the storage pools: %s", error->message);
  open_step_done (self);
}

static void
on_networks_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(VbQemuBackend) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!vb_network_local_load_finish (VB_BACKEND (self), result, &error))
    g_warning ("cannot load the virtual networks: %s", error->message);
  open_step_done (self);
}

static void
on_interfaces_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(VbQemuBackend) self = user_data;
  g_autoptr(GError) error = NULL;

  /* Not fatal either: the interface calls say what is wrong. */
  if (!vb_interface_local_load_finish (VB_BACKEND (self), result, &error))
    g_warning ("cannot read the host's network interfaces: %s", error->message);
  open_step_done (self);
}

static void
on_node_devices_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(VbQemuBackend) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!vb_nodedev_local_load_finish (VB_BACKEND (self), result, &error))
    g_warning ("cannot read the host's devices: %s", error->message);
  open_step_done (self);
}

static void
on_caps_probed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(VbQemuBackend) self = user_data;
  g_autoptr(GPtrArray) waiters = NULL;

  self->caps = vb_qemu_caps_probe_finish (result, &self->caps_error);
  self->caps_done = TRUE;
  if (self->caps == NULL)
    g_warning ("cannot probe %s: %s", self->emulator, self->caps_error->message);
  else
    g_debug ("probed %s: version %" G_GUINT64_FORMAT, self->emulator, self->caps->version);
  vb_child_reap_orphans ();
  /* A failed probe is not fatal: the definitions stay usable and each
   * start or query says why QEMU cannot be used. */
  if (!self->closing) {
    waiters = g_steal_pointer (&self->caps_waiters);
    self->caps_waiters = g_ptr_array_new_with_free_func (g_free);
    for (guint i = 0; i < waiters->len; i++) {
      CapsWaiter *w = g_ptr_array_index (waiters, i);
      w->func (self, self->caps, self->caps_error, w->user_data);
    }
    g_ptr_array_set_free_func (waiters, g_free);
  }
  open_step_done (self);
}

/* Host queries are synchronous: they rely on the probe having finished,
 * which open_async waits for before the backend is exported. */
static const VbQemuCaps *
caps_sync (VbQemuBackend *self, GError **error)
{
  if (!self->caps_done) {
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "the capabilities of QEMU (%s) are not known yet",
                 self->emulator);
    return NULL;
  }
  if (self->caps == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "QEMU (%s) is not usable: %s", self->emulator,
                 self->caps_error ? self->caps_error->message : "unknown error");
    return NULL;
  }
  return self->caps;
}

/* ---- host queries ---- */

static char *
qemu_get_hostname (VbBackend *backend, GError **error)
{
  return g_strdup (g_get_host_name ());
}

static guint64
qemu_get_version (VbBackend *backend)
{
  const VbQemuCaps *caps = caps_sync (VB_QEMU_BACKEND (backend), NULL);
  return caps ? caps->version : 0;
}

static char *
qemu_get_capabilities (VbBackend *backend, GError **error)
{
  const VbQemuCaps *caps = caps_sync (VB_QEMU_BACKEND (backend), error);
  return caps ? vb_qemu_caps_format_capabilities (caps, error) : NULL;
}

static char *
qemu_get_domain_capabilities (VbBackend *backend, const char *emulator, const char *arch, const char *machine,
                              const char *virttype, guint flags, GError **error)
{
  VbQemuBackend *self = VB_QEMU_BACKEND (backend);
  g_autoptr(GPtrArray) firmware = NULL;
  g_autofree char *swtpm = NULL;
  g_autofree char *swtpm_setup = NULL;
  g_autofree char *virtiofsd = NULL;
  VbQemuHostExtras host = { 0 };
  const VbQemuCaps *caps;

  if (!vb_check_flags (flags, 0, "GetDomainCapabilities", error))
    return NULL;
  caps = caps_sync (self, error);
  if (caps == NULL)
    return NULL;
  if (emulator != NULL && g_strcmp0 (emulator, caps->emulator) != 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "emulator '%s' is not supported (only %s)", emulator,
                 caps->emulator);
    return NULL;
  }
  if (arch != NULL && g_strcmp0 (arch, caps->arch) != 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "architecture '%s' is not supported (only %s)", arch,
                 caps->arch);
    return NULL;
  }
  firmware = vb_qemu_backend_firmware (self, caps);
  swtpm = g_find_program_in_path ("swtpm");
  swtpm_setup = g_find_program_in_path ("swtpm_setup");
  virtiofsd = vb_qemu_virtiofsd_path ();
  host.firmware = firmware;
  host.swtpm = swtpm != NULL && swtpm_setup != NULL;
  /* virtiofsd runs as root: a virtbusd running as root. */
  host.virtiofs = virtiofsd != NULL && geteuid () == 0;
  return vb_qemu_caps_format_domain_capabilities (caps, &host, machine, virttype, error);
}

static char **
qemu_get_cpu_model_names (VbBackend *backend, const char *arch, guint flags, GError **error)
{
  const VbQemuCaps *caps;
  GPtrArray *names;

  if (!vb_check_flags (flags, 0, "GetCPUModelNames", error))
    return NULL;
  caps = caps_sync (VB_QEMU_BACKEND (backend), error);
  if (caps == NULL)
    return NULL;
  if (g_strcmp0 (arch, caps->arch) != 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "cannot find CPU models for architecture '%s'", arch);
    return NULL;
  }
  names = g_ptr_array_new ();
  for (guint i = 0; caps->cpu_models && i < caps->cpu_models->len; i++)
    g_ptr_array_add (names, g_strdup (g_ptr_array_index (caps->cpu_models, i)));
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_free (names, FALSE);
}

/* The CPU models' data, or why there is none. */
static VbQemuCpuData *
cpu_data (VbQemuBackend *self, GError **error)
{
  const VbQemuCaps *caps = caps_sync (self, error);

  if (caps == NULL)
    return NULL;
  if (caps->cpu == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "QEMU %s did not describe its CPU models (see the log)",
                 caps->emulator);
    return NULL;
  }
  return caps->cpu;
}

static int
qemu_compare_cpu (VbBackend *backend, const char *xml, guint flags, GError **error)
{
  VbQemuCpuData *data = cpu_data (VB_QEMU_BACKEND (backend), error);

  return data != NULL ? vb_qemu_cpu_compare (data, xml, flags, error) : -1;
}

static char *
qemu_baseline_cpu (VbBackend *backend, const char *const *xml_cpus, guint flags, GError **error)
{
  VbQemuCpuData *data = cpu_data (VB_QEMU_BACKEND (backend), error);

  return data != NULL ? vb_qemu_cpu_baseline (data, xml_cpus, flags, error) : NULL;
}

/* ---- lifecycle ---- */

static gboolean
resolve_qemu_user (VbQemuBackend *self, GError **error)
{
  struct passwd *pw;

  if (self->qemu_user == NULL)
    return TRUE;
  pw = getpwnam (self->qemu_user);
  if (pw == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED,
                 "the user '%s' QEMU should run as does not exist (create it with systemd-sysusers, "
                 "or choose another with --qemu-user)", self->qemu_user);
    return FALSE;
  }
  self->qemu_uid = pw->pw_uid;
  self->qemu_gid = pw->pw_gid;
  return TRUE;
}

/* The unprivileged QEMU must reach its per-domain directories under the
 * run and log dirs: let others traverse (not list) them and their
 * virtbus parents. */
static void
make_traversable (const char *dir)
{
  g_autofree char *path = g_strdup (dir);

  while (path != NULL && strlen (path) > 1) {
    struct stat st;
    g_autofree char *base = g_path_get_basename (path);
    char *parent;

    if (stat (path, &st) == 0 && st.st_uid == geteuid () && (st.st_mode & 0011) != 0011 &&
        chmod (path, (st.st_mode & 07777) | 0011) < 0)
      g_warning ("cannot make %s traversable: %s", path, g_strerror (errno));
    if (g_strcmp0 (base, "virtbus") == 0)
      break;
    parent = g_path_get_dirname (path);
    g_free (path);
    path = parent;
  }
}

static gboolean
open_now (VbQemuBackend *self, GError **error)
{
  VbBackend *backend = VB_BACKEND (self);
  const VbStateDirs *dirs = vb_backend_get_state_dirs (backend);
  g_autofree char *autostart_dir = g_build_filename (dirs->config_dir, "autostart", NULL);

  if (!vb_state_dirs_ensure (dirs, error))
    return FALSE;
  if (g_mkdir_with_parents (autostart_dir, 0755) < 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot create %s: %s", autostart_dir, g_strerror (errno));
    return FALSE;
  }
  /* A missing QEMU user is not fatal for the daemon (the other drivers
   * and the definitions stay usable); starting a domain reports it. */
  if (vb_backend_is_system (backend) && !resolve_qemu_user (self, &self->user_error))
    g_warning ("%s", self->user_error->message);
  if (self->qemu_user != NULL) {
    make_traversable (dirs->run_dir);
    make_traversable (dirs->log_dir);
  }

  /* Daemonized QEMUs are re-parented to us rather than to init while we
   * run, so their exit is ours to reap and no zombie lingers. */
  {
    g_autoptr(GError) local = NULL;
    if (!vb_child_become_subreaper (&local))
      g_warning ("%s", local->message);
  }

  return vb_qemu_domain_load_all (self, error);
}

char *
vb_qemu_backend_qemu_img (VbQemuBackend *self)
{
  g_autofree char *dir = g_path_get_dirname (self->emulator);
  g_autofree char *beside = g_build_filename (dir, "qemu-img", NULL);

  if (g_file_test (beside, G_FILE_TEST_IS_EXECUTABLE))
    return g_steal_pointer (&beside);
  return g_strdup ("qemu-img");
}

/* Opening completes once QEMU is probed (runs it once, a fraction of a
 * second, without blocking the main loop): the backend is exported only
 * then, so no host query or definition ever has to wait for it. */
static void
vb_qemu_backend_open_async (VbBackend *backend, GAsyncReadyCallback callback, gpointer user_data)
{
  VbQemuBackend *self = VB_QEMU_BACKEND (backend);
  g_autoptr(GTask) task = g_task_new (self, self->cancellable, callback, user_data);
  GError *error = NULL;

  g_task_set_source_tag (task, vb_qemu_backend_open_async);
  self->open_started = g_get_monotonic_time ();
  if (!open_now (self, &error)) {
    g_task_return_error (task, error);
    return;
  }
  self->open_task = g_steal_pointer (&task);
  self->open_pending = 5;
  vb_network_local_load_async (backend, self->cancellable, on_networks_loaded, g_object_ref (self));
  vb_interface_local_load_async (backend, self->cancellable, on_interfaces_loaded, g_object_ref (self));
  vb_nodedev_local_load_async (backend, "/sys", self->cancellable, on_node_devices_loaded, g_object_ref (self));
  {
    g_autofree char *tool = vb_qemu_backend_qemu_img (self);
    vb_storage_local_load_async (backend, tool, self->cancellable, on_storage_loaded, g_object_ref (self));
  }
  /* perf: a warm start reads the last probe from disk instead of running
   * QEMU before the backend can be exported. */
  {
    g_autofree char *cache_dir = g_build_filename (vb_backend_get_state_dirs (backend)->lib_dir, "cache", NULL);
    vb_qemu_caps_set_cache_dir (cache_dir);
  }
  vb_qemu_caps_probe_async (self->emulator, self->cancellable, on_caps_probed, g_object_ref (self));
}

static gboolean
vb_qemu_backend_open_finish (VbBackend *backend, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
vb_qemu_backend_close (VbBackend *backend)
{
  VbQemuBackend *self = VB_QEMU_BACKEND (backend);
  g_autoptr(GPtrArray) doms = vb_backend_list (backend, VB_OBJ_DOMAIN);

  self->closing = TRUE;
  g_cancellable_cancel (self->cancellable);
  for (guint i = 0; i < doms->len; i++)
    vb_qemu_process_detach (g_ptr_array_index (doms, i));
  vb_qemu_domain_write_index (self);
  vb_interface_local_stop (backend);
  vb_nodedev_local_stop (backend);
}

static gboolean
vb_qemu_backend_prepare_object (VbBackend *backend, VbObj *obj, GError **error)
{
  if (obj->kind == VB_OBJ_SNAPSHOT && obj->parent != NULL)
    obj = obj->parent;
  return obj->kind != VB_OBJ_DOMAIN || vb_qemu_domain_ensure_def (obj, error);
}

static void
vb_qemu_backend_finalize (GObject *object)
{
  VbQemuBackend *self = VB_QEMU_BACKEND (object);

  g_free (self->emulator);
  g_free (self->qemu_user);
  g_clear_pointer (&self->caps, vb_qemu_caps_free);
  g_clear_error (&self->caps_error);
  g_clear_error (&self->user_error);
  g_clear_pointer (&self->caps_waiters, g_ptr_array_unref);
  g_clear_object (&self->open_task);
  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (vb_qemu_backend_parent_class)->finalize (object);
}

static void
vb_qemu_backend_class_init (VbQemuBackendClass *klass)
{
  VbBackendClass *backend_class = VB_BACKEND_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = vb_qemu_backend_finalize;
  backend_class->open_async = vb_qemu_backend_open_async;
  backend_class->open_finish = vb_qemu_backend_open_finish;
  backend_class->close = vb_qemu_backend_close;
  backend_class->prepare_object = vb_qemu_backend_prepare_object;
  backend_class->get_hostname = qemu_get_hostname;
  backend_class->get_version = qemu_get_version;
  backend_class->get_capabilities = qemu_get_capabilities;
  backend_class->get_domain_capabilities = qemu_get_domain_capabilities;
  backend_class->get_cpu_model_names = qemu_get_cpu_model_names;
  backend_class->compare_cpu = qemu_compare_cpu;
  backend_class->baseline_cpu = qemu_baseline_cpu;
  vb_qemu_host_class_init (backend_class);
}

static void
vb_qemu_backend_init (VbQemuBackend *self)
{
  self->caps_waiters = g_ptr_array_new_with_free_func (g_free);
  self->cancellable = g_cancellable_new ();
  self->next_id = 1;
}

VbBackend *
vb_qemu_backend_new (gboolean system, const char *root_prefix, const char *qemu_user, const char *emulator)
{
  VbQemuBackend *self = g_object_new (VB_TYPE_QEMU_BACKEND,
                                      "driver", "QEMU",
                                      "uri", system ? "qemu:///system" : "qemu:///session",
                                      "system", system,
                                      "root-prefix", root_prefix,
                                      NULL);

  if (emulator == NULL)
    emulator = g_getenv ("VIRTBUS_QEMU_EMULATOR");
  self->emulator = g_strdup (emulator ? emulator : VB_QEMU_DEFAULT_EMULATOR);
  /* Session mode runs QEMU as the caller; system mode drops root unless
   * told to keep it. */
  if (system) {
    if (qemu_user == NULL)
      qemu_user = VB_QEMU_DEFAULT_USER;
    if (*qemu_user != '\0' && g_strcmp0 (qemu_user, "root") != 0)
      self->qemu_user = g_strdup (qemu_user);
  }
  return VB_BACKEND (self);
}
