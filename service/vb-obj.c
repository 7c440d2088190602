#define G_LOG_DOMAIN "virtbus"

#include "vb-obj.h"

G_DEFINE_FINAL_TYPE (VbObj, vb_obj, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_NAME,
  PROP_UUID,
  PROP_KEY,
  PROP_PATH,
  PROP_ACTIVE,
  PROP_PERSISTENT,
  PROP_AUTOSTART,
  PROP_ID,
  PROP_STATE,
  PROP_UPDATED,
  PROP_DEF,
  N_PROPS
};

static GParamSpec *props[N_PROPS];
static VbObjNotifyHook notify_hook;

void
vb_obj_set_notify_hook (VbObjNotifyHook hook)
{
  notify_hook = hook;
}

/* The class closure of "notify": runs for every change, whether or not
 * anybody connected to the object. */
static void
vb_obj_notify (GObject *object, GParamSpec *pspec)
{
  if (notify_hook != NULL && VB_OBJ (object)->owner != NULL)
    notify_hook (VB_OBJ (object), pspec);
}

static void
vb_obj_finalize (GObject *object)
{
  VbObj *self = VB_OBJ (object);

  if (self->backend_data_free && self->backend_data)
    self->backend_data_free (self->backend_data);
  if (self->def_free) {
    if (self->def)
      self->def_free (self->def);
    if (self->newdef)
      self->def_free (self->newdef);
  }
  g_clear_pointer (&self->children, g_hash_table_unref);
  g_clear_pointer (&self->path_value, g_variant_unref);
  if (self->parent_held)
    g_object_unref (self->parent);
  g_free (self->name);
  g_free (self->uuid);
  g_free (self->key);
  g_free (self->path);
  G_OBJECT_CLASS (vb_obj_parent_class)->finalize (object);
}

static void
vb_obj_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  VbObj *self = VB_OBJ (object);

  switch (prop_id) {
  case PROP_NAME: g_value_set_string (value, self->name); break;
  case PROP_UUID: g_value_set_string (value, self->uuid); break;
  case PROP_KEY: g_value_set_string (value, self->key); break;
  case PROP_PATH: g_value_set_string (value, self->path); break;
  case PROP_ACTIVE: g_value_set_boolean (value, self->active); break;
  case PROP_PERSISTENT: g_value_set_boolean (value, self->persistent); break;
  case PROP_AUTOSTART: g_value_set_boolean (value, self->autostart); break;
  case PROP_ID: g_value_set_int (value, self->id); break;
  case PROP_STATE: g_value_set_int (value, self->state); break;
  case PROP_UPDATED: g_value_set_boolean (value, self->updated); break;
  case PROP_DEF: g_value_set_pointer (value, self->def); break;
  default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
  }
}

static void
vb_obj_class_init (VbObjClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = vb_obj_finalize;
  object_class->get_property = vb_obj_get_property;
  object_class->notify = vb_obj_notify;

  props[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, ro);
  props[PROP_UUID] = g_param_spec_string ("uuid", NULL, NULL, NULL, ro);
  props[PROP_KEY] = g_param_spec_string ("key", NULL, NULL, NULL, ro);
  props[PROP_PATH] = g_param_spec_string ("path", NULL, NULL, NULL, ro);
  props[PROP_ACTIVE] = g_param_spec_boolean ("active", NULL, NULL, FALSE, ro);
  props[PROP_PERSISTENT] = g_param_spec_boolean ("persistent", NULL, NULL, FALSE, ro);
  props[PROP_AUTOSTART] = g_param_spec_boolean ("autostart", NULL, NULL, FALSE, ro);
  props[PROP_ID] = g_param_spec_int ("id", NULL, NULL, -1, G_MAXINT, -1, ro);
  props[PROP_STATE] = g_param_spec_int ("state", NULL, NULL, 0, G_MAXINT, 0, ro);
  props[PROP_UPDATED] = g_param_spec_boolean ("updated", NULL, NULL, FALSE, ro);
  props[PROP_DEF] = g_param_spec_pointer ("def", NULL, NULL, ro);
  g_object_class_install_properties (object_class, N_PROPS, props);
}

static void
vb_obj_init (VbObj *self)
{
  self->id = -1;
  self->state = VB_DOMAIN_SHUTOFF;
}

VbObj *
vb_obj_new (VbObjKind kind, const char *name, const char *uuid, gpointer def, GDestroyNotify def_free)
{
  VbObj *self = g_object_new (VB_TYPE_OBJ, NULL);
  self->kind = kind;
  self->name = g_strdup (name);
  self->uuid = g_strdup (uuid);
  self->def = def;
  self->def_free = def_free;
  return self;
}

const char *
vb_obj_kind_to_string (VbObjKind kind)
{
  static const char *const names[] = {
    [VB_OBJ_DOMAIN] = "domain", [VB_OBJ_SNAPSHOT] = "snapshot", [VB_OBJ_NETWORK] = "network",
    [VB_OBJ_STORAGE_POOL] = "storage pool", [VB_OBJ_STORAGE_VOL] = "storage volume",
    [VB_OBJ_NODE_DEVICE] = "node device", [VB_OBJ_INTERFACE] = "interface",
    [VB_OBJ_SECRET] = "secret", [VB_OBJ_NWFILTER] = "network filter",
  };
  return names[kind];
}

static void
set_string (VbObj *self, char **field, const char *value, guint prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), props[prop]);
}

static void
set_bool (VbObj *self, gboolean *field, gboolean value, guint prop)
{
  value = !!value;
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), props[prop]);
}

void vb_obj_set_name (VbObj *self, const char *name) { set_string (self, &self->name, name, PROP_NAME); }
void vb_obj_set_key (VbObj *self, const char *key) { set_string (self, &self->key, key, PROP_KEY); }
void vb_obj_set_path (VbObj *self, const char *path) { set_string (self, &self->path, path, PROP_PATH); }
void vb_obj_set_active (VbObj *self, gboolean v) { set_bool (self, &self->active, v, PROP_ACTIVE); }
void vb_obj_set_persistent (VbObj *self, gboolean v) { set_bool (self, &self->persistent, v, PROP_PERSISTENT); }
void vb_obj_set_autostart (VbObj *self, gboolean v) { set_bool (self, &self->autostart, v, PROP_AUTOSTART); }
void vb_obj_set_updated (VbObj *self, gboolean v) { set_bool (self, &self->updated, v, PROP_UPDATED); }

void
vb_obj_set_state (VbObj *self, int state, int reason, int id)
{
  g_object_freeze_notify (G_OBJECT (self));
  self->reason = reason;
  if (self->state != state) {
    self->state = state;
    g_object_notify_by_pspec (G_OBJECT (self), props[PROP_STATE]);
  }
  if (state == VB_DOMAIN_SHUTOFF)
    id = -1;
  if (self->id != id) {
    self->id = id;
    g_object_notify_by_pspec (G_OBJECT (self), props[PROP_ID]);
  }
  set_bool (self, &self->active, state != VB_DOMAIN_SHUTOFF, PROP_ACTIVE);
  g_object_thaw_notify (G_OBJECT (self));
}

void
vb_obj_set_def (VbObj *self, gpointer def)
{
  if (self->def == def)
    return;
  if (self->def && self->def_free)
    self->def_free (self->def);
  self->def = def;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_DEF]);
}

void
vb_obj_apply_newdef (VbObj *self)
{
  gpointer newdef = self->newdef;

  if (newdef == NULL)
    return;
  self->newdef = NULL;
  vb_obj_set_def (self, newdef);
}

void
vb_obj_set_newdef (VbObj *self, gpointer newdef)
{
  if (self->newdef == newdef)
    return;
  if (self->newdef && self->def_free)
    self->def_free (self->newdef);
  self->newdef = newdef;
}

gpointer
vb_obj_get_persistent_def (VbObj *self)
{
  return self->newdef ? self->newdef : self->def;
}

void
vb_obj_add_child (VbObj *self, VbObj *child)
{
  if (self->children == NULL)
    self->children = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  if (!child->parent_held) {
    child->parent = g_object_ref (self);
    child->parent_held = TRUE;
  }
  g_hash_table_replace (self->children, g_strdup (child->name), g_object_ref (child));
}

void
vb_obj_remove_child (VbObj *self, VbObj *child)
{
  if (self->children == NULL)
    return;
  if (g_hash_table_lookup (self->children, child->name) == child)
    g_hash_table_remove (self->children, child->name);
}

VbObj *
vb_obj_lookup_child (VbObj *self, const char *name)
{
  return self->children ? g_hash_table_lookup (self->children, name) : NULL;
}
