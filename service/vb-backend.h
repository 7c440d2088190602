/* VbBackend: the abstract class every backend (test, qemu, …) subclasses.
 *
 * A backend owns the objects of one connection (VbObj: domains, networks,
 * pools, …), keeps them current and reports what happens through the
 * signals below. It never touches D-Bus or polkit: the service exports the
 * objects and translates calls into the operation interfaces a backend
 * implements (VbDomainOps, VbNetworkOps, VbStorageOps, VbInterfaceOps,
 * VbNodeDevOps, VbSecretOps, VbNWFilterOps — see vb-ops.h). A backend that
 * does not implement an interface simply does not offer those objects.
 */
#pragma once

#include <gio/gio.h>

#include "vb-obj.h"
#include "vb-state-dir.h"

G_BEGIN_DECLS

#define VB_TYPE_BACKEND (vb_backend_get_type ())
G_DECLARE_DERIVABLE_TYPE (VbBackend, vb_backend, VB, BACKEND, GObject)

struct _VbBackendClass {
  GObjectClass parent_class;

  /* Loads or creates the backend's objects. Called once before export. */
  gboolean (*open) (VbBackend *self, GError **error);
  /* Called at daemon shutdown; running guests keep running. */
  void (*close) (VbBackend *self);

  /* ---- Host queries (org.libvirt.Connect). Each returns a new value or
   * NULL with @error set. ---- */
  char *(*get_hostname) (VbBackend *self, GError **error);
  guint64 (*get_version) (VbBackend *self);      /* hypervisor version, libvirt encoding */
  char *(*get_capabilities) (VbBackend *self, GError **error);
  char *(*get_domain_capabilities) (VbBackend *self, const char *emulator, const char *arch,
                                    const char *machine, const char *virttype, guint flags,
                                    GError **error);
  char *(*get_sysinfo) (VbBackend *self, guint flags, GError **error);
  char **(*get_cpu_model_names) (VbBackend *self, const char *arch, guint flags, GError **error);
  char *(*baseline_cpu) (VbBackend *self, const char *const *xml_cpus, guint flags, GError **error);
  int (*compare_cpu) (VbBackend *self, const char *xml, guint flags, GError **error); /* <0 error */
  /* GVariant results use the D-Bus out type shown. */
  GVariant *(*node_get_cpu_map) (VbBackend *self, guint flags, GError **error);           /* ab */
  GVariant *(*node_get_cpu_stats) (VbBackend *self, int cpu, guint flags, GError **error); /* a{st} */
  GVariant *(*node_get_memory_stats) (VbBackend *self, int cell, guint flags, GError **error); /* a{st} */
  GVariant *(*node_get_memory_parameters) (VbBackend *self, guint flags, GError **error); /* a{sv} */
  gboolean (*node_set_memory_parameters) (VbBackend *self, GVariant *params, guint flags, GError **error);
  GVariant *(*node_get_security_model) (VbBackend *self, GError **error);                 /* (ss) */
  gboolean (*node_get_free_memory) (VbBackend *self, guint64 *bytes, GError **error);

  /* Optional asynchronous open, used instead of open when set: the
   * backend is exported (and the bus name owned) only once it completed,
   * so a backend that must learn something slow first (QEMU's capabilities)
   * never sees a query before it knows the answer. */
  void (*open_async) (VbBackend *self, GAsyncReadyCallback callback, gpointer user_data);
  gboolean (*open_finish) (VbBackend *self, GAsyncResult *result, GError **error);

  /* Optional: readies @obj for a call on its D-Bus object (a backend that
   * loads definitions lazily parses @obj's now), or fails with @error,
   * which the call then gets. */
  gboolean (*prepare_object) (VbBackend *self, VbObj *obj, GError **error);
};

/* Properties: "driver" (path component: "Test", "QEMU"), "uri"
 * ("test:///default"), "system" (system or session instance),
 * "root-prefix" (relocates state dirs, for tests). */
const char *vb_backend_get_driver (VbBackend *self);
const char *vb_backend_get_uri (VbBackend *self);
gboolean vb_backend_is_system (VbBackend *self);
const char *vb_backend_get_root_prefix (VbBackend *self);
/* VbBackendClass.prepare_object, TRUE when the backend has none. */
gboolean vb_backend_prepare_object (VbBackend *self, VbObj *obj, GError **error);
/* The connection's state directories (created on first use). */
const VbStateDirs *vb_backend_get_state_dirs (VbBackend *self);

gboolean vb_backend_open (VbBackend *self, GError **error);
/* Opens with open_async when the backend has it, else with open. */
void vb_backend_open_async (VbBackend *self, GAsyncReadyCallback callback, gpointer user_data);
gboolean vb_backend_open_finish (VbBackend *self, GAsyncResult *result, GError **error);
void vb_backend_close (VbBackend *self);

/* ---- Object registry ----
 * Top-level objects are indexed by uuid (domains, networks, pools, secrets,
 * nwfilters) or key (node devices: name; interfaces: MAC) and by name.
 * A volume's path must be set before it is added (it is indexed).
 * Volumes and snapshots are children of their pool/domain (obj->parent). */
void vb_backend_add_object (VbBackend *self, VbObj *obj);
void vb_backend_remove_object (VbBackend *self, VbObj *obj);
/* Renames @obj, keeping the name index right. */
void vb_backend_rename_object (VbBackend *self, VbObj *obj, const char *new_name);
VbObj *vb_backend_lookup (VbBackend *self, VbObjKind kind, const char *uuid_or_key);
VbObj *vb_backend_lookup_by_name (VbBackend *self, VbObjKind kind, const char *name);
/* Domains by running id. */
VbObj *vb_backend_lookup_domain_by_id (VbBackend *self, int id);
/* Volumes anywhere by key or path. */
VbObj *vb_backend_lookup_volume (VbBackend *self, const char *key_or_path);
/* All top-level objects of @kind (new array of borrowed pointers) sorted by name. */
GPtrArray *vb_backend_list (VbBackend *self, VbObjKind kind);
guint vb_backend_count (VbBackend *self, VbObjKind kind);

/* ---- Events ----
 * "lifecycle-event" (VbObj *obj, int event, int detail): libvirt's event
 * and detail codes for the object's kind (domain, network, pool, node
 * device, secret). "domain-signal" (VbObj *domain, char *name, GVariant *args):
 * a per-domain signal of org.libvirt.Domain (Reboot, DeviceAdded, …) with its
 * arguments as a tuple. "pool-refresh" (VbObj *pool). "object-added" /
 * "object-removed" (VbObj *obj). "object-changed" (VbObj *obj, GParamSpec
 * *pspec): a property of an object it holds changed. */
void vb_backend_emit_event (VbBackend *self, VbObj *obj, int event, int detail);
void vb_backend_emit_domain_signal (VbBackend *self, VbObj *domain, const char *name, GVariant *args);
/* Holds back the events and domain signals above (kept in order) until
 * vb_backend_release_events: a backend opening may emit some (a restart
 * undoing a job cut short) before its connection is on the bus and the
 * daemon owns its name, and clients would never see them. */
void vb_backend_hold_events (VbBackend *self);
void vb_backend_release_events (VbBackend *self);
void vb_backend_emit_pool_refresh (VbBackend *self, VbObj *pool);

/* Returns an error naming the missing object kind and identifier. */
void vb_set_not_found (GError **error, VbObjKind kind, const char *what);

G_END_DECLS
