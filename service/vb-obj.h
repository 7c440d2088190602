/* VbObj: one managed object of a connection (a domain, snapshot, network,
 * storage pool, volume, host interface, node device, secret or nwfilter),
 * as a backend sees it. The service exports each as a D-Bus object and binds
 * the GObject properties below to the D-Bus properties, so a backend only
 * ever changes a VbObj and PropertiesChanged/ObjectManager follow.
 *
 * The typed definition (VbDomainDef, VbNetworkDef, …) hangs off ->def; the
 * persistent definition of a running object, when it differs, off ->newdef.
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum {
  VB_OBJ_DOMAIN,
  VB_OBJ_SNAPSHOT,
  VB_OBJ_NETWORK,
  VB_OBJ_STORAGE_POOL,
  VB_OBJ_STORAGE_VOL,
  VB_OBJ_NODE_DEVICE,
  VB_OBJ_INTERFACE,
  VB_OBJ_SECRET,
  VB_OBJ_NWFILTER,
} VbObjKind;

/* libvirt's virDomainState values. */
typedef enum {
  VB_DOMAIN_NOSTATE = 0,
  VB_DOMAIN_RUNNING = 1,
  VB_DOMAIN_BLOCKED = 2,
  VB_DOMAIN_PAUSED = 3,
  VB_DOMAIN_SHUTDOWN = 4,
  VB_DOMAIN_SHUTOFF = 5,
  VB_DOMAIN_CRASHED = 6,
  VB_DOMAIN_PMSUSPENDED = 7,
} VbDomainState;

#define VB_TYPE_OBJ (vb_obj_get_type ())
G_DECLARE_FINAL_TYPE (VbObj, vb_obj, VB, OBJ, GObject)

struct _VbObj {
  GObject parent_instance;

  VbObjKind kind;
  char *name;
  char *uuid;       /* domains, networks, pools, secrets, nwfilters */
  char *key;        /* volumes: key; node devices: name; interfaces: MAC (name if none) */
  char *path;       /* volumes: target path */
  gboolean active;
  gboolean persistent;
  gboolean autostart;
  int id;           /* domains: -1 when not running */
  int state;        /* domains: VbDomainState */
  int reason;       /* domains: libvirt's per-state reason code */
  gboolean updated; /* domains: live config differs from persistent */
  gboolean has_managed_save; /* domains: a managed save image exists */

  gpointer def;     /* Vb<Kind>Def of the current (live) config */
  gpointer newdef;  /* persistent config while running, or NULL */
  GDestroyNotify def_free;

  VbObj *parent;            /* pool of a volume, domain of a snapshot; held
                             * from vb_obj_add_child until the child dies, so
                             * a call in flight on a removed child stays safe */
  gboolean parent_held;
  GHashTable *children;     /* name → VbObj: volumes of a pool, snapshots of a domain */

  GVariant *path_value;     /* the service's D-Bus path ("o"), cached */
  gpointer owner;           /* the VbBackend holding it (vb_backend_add_object),
                             * NULL once removed; not owned */
  gpointer backend_data;    /* owned by the backend */
  GDestroyNotify backend_data_free;
};

VbObj *vb_obj_new (VbObjKind kind, const char *name, const char *uuid, gpointer def, GDestroyNotify def_free);

const char *vb_obj_kind_to_string (VbObjKind kind);
/* Called for every property change of every VbObj (the service turns them
 * into PropertiesChanged without a handler per object); set once. */
typedef void (*VbObjNotifyHook) (VbObj *self, GParamSpec *pspec);
void vb_obj_set_notify_hook (VbObjNotifyHook hook);

/* Setters notify only on change, so D-Bus sees one PropertiesChanged each. */
void vb_obj_set_name (VbObj *self, const char *name);
void vb_obj_set_key (VbObj *self, const char *key);
void vb_obj_set_path (VbObj *self, const char *path);
void vb_obj_set_active (VbObj *self, gboolean active);
void vb_obj_set_persistent (VbObj *self, gboolean persistent);
void vb_obj_set_autostart (VbObj *self, gboolean autostart);
void vb_obj_set_updated (VbObj *self, gboolean updated);
/* Domains: sets state/reason, and active/id to match (id -1 when shut off). */
void vb_obj_set_state (VbObj *self, int state, int reason, int id);
/* Replaces def (and newdef) freeing the old ones; emits "notify::def". */
void vb_obj_set_def (VbObj *self, gpointer def);
void vb_obj_set_newdef (VbObj *self, gpointer newdef);
/* A stopped object's persistent definition becomes its definition again:
 * newdef, when set, replaces def (emits "notify::def"). */
void vb_obj_apply_newdef (VbObj *self);
/* The persistent definition: newdef when set, else def. */
gpointer vb_obj_get_persistent_def (VbObj *self);

/* Children (volumes, snapshots): the table holds a reference. */
void vb_obj_add_child (VbObj *self, VbObj *child);
void vb_obj_remove_child (VbObj *self, VbObj *child);
VbObj *vb_obj_lookup_child (VbObj *self, const char *name);

G_END_DECLS
