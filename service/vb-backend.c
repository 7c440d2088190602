#define G_LOG_DOMAIN "virtbus"

#include "vb-backend.h"

#include "vb-error.h"

#define N_KINDS (VB_OBJ_NWFILTER + 1)

typedef struct {
  GHashTable *by_id;   /* uuid or key → VbObj (ref) */
  GHashTable *by_name; /* name → VbObj (borrowed) */
  GPtrArray *sorted;   /* by_id's objects sorted by name, or NULL when stale:
                        * lists of thousands of objects are not re-sorted on
                        * every call (perf) */
} Index;

typedef struct {
  char *driver;
  char *uri;
  char *root_prefix;
  gboolean system;
  VbStateDirs *dirs;
  Index index[N_KINDS];
  GHashTable *vol_paths; /* volume path → VbObj (borrowed) */
  GPtrArray *held;       /* HeldEvent, while events are held back; else NULL */
} VbBackendPrivate;

/* An event or domain signal emitted while events are held back. */
typedef struct {
  VbObj *obj;
  int event, detail; /* a lifecycle event when @name is NULL */
  char *name;
  GVariant *args;
} HeldEvent;

static void
held_event_free (gpointer p)
{
  HeldEvent *h = p;

  g_object_unref (h->obj);
  g_free (h->name);
  g_clear_pointer (&h->args, g_variant_unref);
  g_free (h);
}

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (VbBackend, vb_backend, G_TYPE_OBJECT)

enum { PROP_0, PROP_DRIVER, PROP_URI, PROP_SYSTEM, PROP_ROOT_PREFIX, N_PROPS };
static GParamSpec *props[N_PROPS];

enum { SIGNAL_OBJECT_ADDED, SIGNAL_OBJECT_REMOVED, SIGNAL_LIFECYCLE_EVENT, SIGNAL_DOMAIN_SIGNAL,
       SIGNAL_POOL_REFRESH, SIGNAL_OBJECT_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
vb_backend_finalize (GObject *object)
{
  VbBackendPrivate *priv = vb_backend_get_instance_private (VB_BACKEND (object));

  /* A parent and its children (pool and volumes, domain and snapshots)
   * hold each other: the parents let go first. */
  for (guint k = 0; k < N_KINDS; k++) {
    GHashTableIter iter;
    gpointer value;
    if (priv->index[k].by_id == NULL)
      continue;
    g_hash_table_iter_init (&iter, priv->index[k].by_id);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      g_clear_pointer (&VB_OBJ (value)->children, g_hash_table_unref);
  }
  for (guint k = 0; k < N_KINDS; k++) {
    g_clear_pointer (&priv->index[k].by_name, g_hash_table_unref);
    g_clear_pointer (&priv->index[k].sorted, g_ptr_array_unref);
    g_clear_pointer (&priv->index[k].by_id, g_hash_table_unref);
  }
  g_clear_pointer (&priv->vol_paths, g_hash_table_unref);
  g_clear_pointer (&priv->held, g_ptr_array_unref);
  vb_state_dirs_free (priv->dirs);
  g_free (priv->driver);
  g_free (priv->uri);
  g_free (priv->root_prefix);
  G_OBJECT_CLASS (vb_backend_parent_class)->finalize (object);
}

static void
vb_backend_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  VbBackendPrivate *priv = vb_backend_get_instance_private (VB_BACKEND (object));

  switch (prop_id) {
  case PROP_DRIVER: priv->driver = g_value_dup_string (value); break;
  case PROP_URI: priv->uri = g_value_dup_string (value); break;
  case PROP_SYSTEM: priv->system = g_value_get_boolean (value); break;
  case PROP_ROOT_PREFIX: priv->root_prefix = g_value_dup_string (value); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
vb_backend_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  VbBackendPrivate *priv = vb_backend_get_instance_private (VB_BACKEND (object));

  switch (prop_id) {
  case PROP_DRIVER: g_value_set_string (value, priv->driver); break;
  case PROP_URI: g_value_set_string (value, priv->uri); break;
  case PROP_SYSTEM: g_value_set_boolean (value, priv->system); break;
  case PROP_ROOT_PREFIX: g_value_set_string (value, priv->root_prefix); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

/* Every property change of an object a backend holds, as one signal on the
 * backend (no handler per object). */
static void
on_obj_notify (VbObj *obj, GParamSpec *pspec)
{
  g_signal_emit (obj->owner, signals[SIGNAL_OBJECT_CHANGED], 0, obj, pspec);
}

static void
vb_backend_class_init (VbBackendClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = vb_backend_finalize;
  object_class->set_property = vb_backend_set_property;
  object_class->get_property = vb_backend_get_property;

  props[PROP_DRIVER] = g_param_spec_string ("driver", NULL, NULL, NULL, flags);
  props[PROP_URI] = g_param_spec_string ("uri", NULL, NULL, NULL, flags);
  props[PROP_SYSTEM] = g_param_spec_boolean ("system", NULL, NULL, FALSE, flags);
  props[PROP_ROOT_PREFIX] = g_param_spec_string ("root-prefix", NULL, NULL, NULL, flags);
  g_object_class_install_properties (object_class, N_PROPS, props);

  signals[SIGNAL_OBJECT_ADDED] =
    g_signal_new ("object-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, VB_TYPE_OBJ);
  signals[SIGNAL_OBJECT_REMOVED] =
    g_signal_new ("object-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, VB_TYPE_OBJ);
  signals[SIGNAL_LIFECYCLE_EVENT] =
    g_signal_new ("lifecycle-event", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, VB_TYPE_OBJ, G_TYPE_INT, G_TYPE_INT);
  signals[SIGNAL_DOMAIN_SIGNAL] =
    g_signal_new ("domain-signal", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, VB_TYPE_OBJ, G_TYPE_STRING, G_TYPE_VARIANT);
  signals[SIGNAL_POOL_REFRESH] =
    g_signal_new ("pool-refresh", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, VB_TYPE_OBJ);
  signals[SIGNAL_OBJECT_CHANGED] =
    g_signal_new ("object-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, VB_TYPE_OBJ, G_TYPE_PARAM);
  vb_obj_set_notify_hook (on_obj_notify);
}

static void
vb_backend_init (VbBackend *self)
{
  VbBackendPrivate *priv = vb_backend_get_instance_private (self);

  for (guint k = 0; k < N_KINDS; k++) {
    priv->index[k].by_id = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
    priv->index[k].by_name = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  }
  priv->vol_paths = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

const char *
vb_backend_get_driver (VbBackend *self)
{
  VbBackendPrivate *priv = vb_backend_get_instance_private (self);
  return priv->driver;
}

const char *
vb_backend_get_uri (VbBackend *self)
{
  VbBackendPrivate *priv = vb_backend_get_instance_private (self);
  return priv->uri;
}

gboolean
vb_backend_is_system (VbBackend *self)
{
  VbBackendPrivate *priv = vb_backend_get_instance_private (self);
  return priv->system;
}

const char *
vb_backend_get_root_prefix (VbBackend *self)
{
  VbBackendPrivate *priv = vb_backend_get_instance_private (self);
  return priv->root_prefix;
}

const VbStateDirs *
vb_backend_get_state_dirs (VbBackend *self)
{
  VbBackendPrivate *priv = vb_backend_get_instance_private (self);
  if (priv->dirs == NULL) {
    g_autofree char *lower = g_ascii_strdown (priv->driver, -1);
    priv->dirs = vb_state_dirs_new (priv->system, priv->root_prefix, lower);
  }
  return priv->dirs;
}

gboolean
vb_backend_open (VbBackend *self, GError **error)
{
  VbBackendClass *klass = VB_BACKEND_GET_CLASS (self);
  if (klass->open == NULL && klass->open_async != NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "the %s driver can only be opened asynchronously",
                 vb_backend_get_driver (self));
    return FALSE;
  }
  return klass->open ? klass->open (self, error) : TRUE;
}

void
vb_backend_open_async (VbBackend *self, GAsyncReadyCallback callback, gpointer user_data)
{
  VbBackendClass *klass = VB_BACKEND_GET_CLASS (self);
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;

  if (klass->open_async != NULL) {
    klass->open_async (self, callback, user_data);
    return;
  }
  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, vb_backend_open_async);
  if (!vb_backend_open (self, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

gboolean
vb_backend_open_finish (VbBackend *self, GAsyncResult *result, GError **error)
{
  VbBackendClass *klass = VB_BACKEND_GET_CLASS (self);

  if (klass->open_async != NULL)
    return klass->open_finish (self, result, error);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
vb_backend_close (VbBackend *self)
{
  VbBackendClass *klass = VB_BACKEND_GET_CLASS (self);
  if (klass->close)
    klass->close (self);
}

static const char *
obj_id (VbObj *obj)
{
  return obj->uuid ? obj->uuid : obj->key;
}

void
vb_backend_add_object (VbBackend *self, VbObj *obj)
{
  VbBackendPrivate *priv = vb_backend_get_instance_private (self);
  Index *idx = &priv->index[obj->kind];

  g_return_if_fail (obj_id (obj) != NULL && obj->name != NULL);
  g_clear_pointer (&idx->sorted, g_ptr_array_unref);

  if (obj->kind == VB_OBJ_SNAPSHOT) {
    g_return_if_fail (obj->parent != NULL);
    vb_obj_add_child (obj->parent, obj);
  } else if (obj->kind == VB_OBJ_STORAGE_VOL) {
    g_return_if_fail (obj->parent != NULL);
    vb_obj_add_child (obj->parent, obj);
    g_hash_table_replace (idx->by_id, g_strdup (obj->key), g_object_ref (obj));
    if (obj->path != NULL)
      g_hash_table_replace (priv->vol_paths, g_strdup (obj->path), obj);
  } else {
    g_hash_table_replace (idx->by_id, g_strdup (obj_id (obj)), g_object_ref (obj));
    g_hash_table_replace (idx->by_name, g_strdup (obj->name), obj);
  }
  obj->owner = self;
  g_signal_emit (self, signals[SIGNAL_OBJECT_ADDED], 0, obj);
}

void
vb_backend_remove_object (VbBackend *self, VbObj *obj)
{
  VbBackendPrivate *priv = vb_backend_get_instance_private (self);
  Index *idx = &priv->index[obj->kind];
  g_autoptr(VbObj) keep = g_object_ref (obj);

  g_clear_pointer (&idx->sorted, g_ptr_array_unref);

  /* Children go first so clients never see an orphaned volume/snapshot. */
  if (obj->children != NULL) {
    g_autoptr(GList) children = g_hash_table_get_values (obj->children);
    for (GList *l = children; l != NULL; l = l->next)
      vb_backend_remove_object (self, l->data);
  }

  if (obj->kind == VB_OBJ_SNAPSHOT || obj->kind == VB_OBJ_STORAGE_VOL) {
    if (obj->kind == VB_OBJ_STORAGE_VOL) {
      if (g_hash_table_lookup (idx->by_id, obj->key) == obj)
        g_hash_table_remove (idx->by_id, obj->key);
      if (obj->path != NULL && g_hash_table_lookup (priv->vol_paths, obj->path) == obj)
        g_hash_table_remove (priv->vol_paths, obj->path);
    }
    if (obj->parent)
      vb_obj_remove_child (obj->parent, obj);
  } else {
    if (g_hash_table_lookup (idx->by_name, obj->name) == obj)
      g_hash_table_remove (idx->by_name, obj->name);
    if (g_hash_table_lookup (idx->by_id, obj_id (obj)) == obj)
      g_hash_table_remove (idx->by_id, obj_id (obj));
  }
  obj->owner = NULL;
  g_signal_emit (self, signals[SIGNAL_OBJECT_REMOVED], 0, obj);
}

void
vb_backend_rename_object (VbBackend *self, VbObj *obj, const char *new_name)
{
  VbBackendPrivate *priv = vb_backend_get_instance_private (self);
  Index *idx = &priv->index[obj->kind];

  g_clear_pointer (&idx->sorted, g_ptr_array_unref);
  if (g_hash_table_lookup (idx->by_name, obj->name) == obj)
    g_hash_table_remove (idx->by_name, obj->name);
  vb_obj_set_name (obj, new_name);
  g_hash_table_replace (idx->by_name, g_strdup (new_name), obj);
}

VbObj *
vb_backend_lookup (VbBackend *self, VbObjKind kind, const char *uuid_or_key)
{
  VbBackendPrivate *priv = vb_backend_get_instance_private (self);
  return uuid_or_key ? g_hash_table_lookup (priv->index[kind].by_id, uuid_or_key) : NULL;
}

VbObj *
vb_backend_lookup_by_name (VbBackend *self, VbObjKind kind, const char *name)
{
  VbBackendPrivate *priv = vb_backend_get_instance_private (self);
  return name ? g_hash_table_lookup (priv->index[kind].by_name, name) : NULL;
}

VbObj *
vb_backend_lookup_domain_by_id (VbBackend *self, int id)
{
  VbBackendPrivate *priv = vb_backend_get_instance_private (self);
  GHashTableIter iter;
  gpointer value;

  if (id < 0)
    return NULL;
  g_hash_table_iter_init (&iter, priv->index[VB_OBJ_DOMAIN].by_id);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (VB_OBJ (value)->id == id && VB_OBJ (value)->active)
      return value;
  return NULL;
}

VbObj *
vb_backend_lookup_volume (VbBackend *self, const char *key_or_path)
{
  VbBackendPrivate *priv = vb_backend_get_instance_private (self);
  VbObj *vol = g_hash_table_lookup (priv->index[VB_OBJ_STORAGE_VOL].by_id, key_or_path);
  return vol ? vol : g_hash_table_lookup (priv->vol_paths, key_or_path);
}

static int
compare_by_name (gconstpointer a, gconstpointer b)
{
  const VbObj *oa = *(VbObj *const *) a;
  const VbObj *ob = *(VbObj *const *) b;
  return g_strcmp0 (oa->name, ob->name);
}

GPtrArray *
vb_backend_list (VbBackend *self, VbObjKind kind)
{
  VbBackendPrivate *priv = vb_backend_get_instance_private (self);
  Index *idx = &priv->index[kind];

  if (idx->sorted == NULL) {
    GHashTableIter iter;
    gpointer value;

    idx->sorted = g_ptr_array_sized_new (g_hash_table_size (idx->by_id));
    g_hash_table_iter_init (&iter, idx->by_id);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      g_ptr_array_add (idx->sorted, value);
    g_ptr_array_sort (idx->sorted, compare_by_name);
  }
  return g_ptr_array_copy (idx->sorted, NULL, NULL);
}

guint
vb_backend_count (VbBackend *self, VbObjKind kind)
{
  VbBackendPrivate *priv = vb_backend_get_instance_private (self);
  return g_hash_table_size (priv->index[kind].by_id);
}

void
vb_backend_emit_event (VbBackend *self, VbObj *obj, int event, int detail)
{
  VbBackendPrivate *priv = vb_backend_get_instance_private (self);

  if (priv->held != NULL) {
    HeldEvent *h = g_new0 (HeldEvent, 1);
    h->obj = g_object_ref (obj);
    h->event = event;
    h->detail = detail;
    g_ptr_array_add (priv->held, h);
    return;
  }
  g_signal_emit (self, signals[SIGNAL_LIFECYCLE_EVENT], 0, obj, event, detail);
}

void
vb_backend_emit_domain_signal (VbBackend *self, VbObj *domain, const char *name, GVariant *args)
{
  VbBackendPrivate *priv = vb_backend_get_instance_private (self);
  g_autoptr(GVariant) sunk = args ? g_variant_ref_sink (args) : g_variant_ref_sink (g_variant_new ("()"));

  if (priv->held != NULL) {
    HeldEvent *h = g_new0 (HeldEvent, 1);
    h->obj = g_object_ref (domain);
    h->name = g_strdup (name);
    h->args = g_steal_pointer (&sunk);
    g_ptr_array_add (priv->held, h);
    return;
  }
  g_signal_emit (self, signals[SIGNAL_DOMAIN_SIGNAL], 0, domain, name, sunk);
}

void
vb_backend_hold_events (VbBackend *self)
{
  VbBackendPrivate *priv = vb_backend_get_instance_private (self);

  if (priv->held == NULL)
    priv->held = g_ptr_array_new_with_free_func (held_event_free);
}

void
vb_backend_release_events (VbBackend *self)
{
  VbBackendPrivate *priv = vb_backend_get_instance_private (self);
  g_autoptr(GPtrArray) held = g_steal_pointer (&priv->held);

  for (guint i = 0; held != NULL && i < held->len; i++) {
    HeldEvent *h = g_ptr_array_index (held, i);
    if (h->name == NULL)
      g_signal_emit (self, signals[SIGNAL_LIFECYCLE_EVENT], 0, h->obj, h->event, h->detail);
    else
      g_signal_emit (self, signals[SIGNAL_DOMAIN_SIGNAL], 0, h->obj, h->name, h->args);
  }
}

void
vb_backend_emit_pool_refresh (VbBackend *self, VbObj *pool)
{
  g_signal_emit (self, signals[SIGNAL_POOL_REFRESH], 0, pool);
}

void
vb_set_not_found (GError **error, VbObjKind kind, const char *what)
{
  g_set_error (error, VB_ERROR, VB_ERROR_NOT_FOUND, "%c%s not found: %s",
               g_ascii_toupper (vb_obj_kind_to_string (kind)[0]), vb_obj_kind_to_string (kind) + 1, what);
}

gboolean
vb_backend_prepare_object (VbBackend *self, VbObj *obj, GError **error)
{
  VbBackendClass *klass = VB_BACKEND_GET_CLASS (self);

  return klass->prepare_object == NULL || klass->prepare_object (self, obj, error);
}
