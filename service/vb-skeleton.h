/* Hooks shared by every exported interface skeleton. */
#pragma once

#include <gio/gio.h>

#include "vb-obj.h"

G_BEGIN_DECLS

/* Applies a D-Bus Properties.Set of @property to @skeleton's object, or
 * fails with @error (sent to the caller). The new value reaches the
 * skeleton's property (and PropertiesChanged) through the object. */
typedef gboolean (*VbSetPropertyFunc) (GDBusInterfaceSkeleton *skeleton, const char *property, GVariant *value,
                                       GError **error);

/* From EVERY skeleton subclass' class_init: every method call and every
 * Properties.Get/GetAll/Set on the skeleton is first authorized by the
 * gatekeeper (vb-gatekeeper.h), asynchronously, then dispatched to the
 * generated code. Properties.Set goes to @setter (NULL: the generated
 * setter) instead of the generated code writing the property unchecked. */
void vb_skeleton_class_install (GDBusInterfaceSkeletonClass *klass, VbSetPropertyFunc setter);

/* The same, for classes written before vb_skeleton_class_install existed. */
void vb_skeleton_class_route_set_property (GDBusInterfaceSkeletonClass *klass, VbSetPropertyFunc setter);

/* Whether @skeleton's class went through vb_skeleton_class_install: the
 * daemon exports no skeleton that bypasses the gatekeeper. */
gboolean vb_skeleton_is_gated (GDBusInterfaceSkeleton *skeleton);

/* perf: while set, the GetAll replies of @skeleton are published to the
 * gatekeeper, which answers the next ones from GDBus' worker thread
 * (vb_gatekeeper_publish_properties); whoever sets it withdraws them when
 * the object changes or goes. */
void vb_skeleton_set_published (GDBusInterfaceSkeleton *skeleton, gboolean published);

/* A D-Bus property of a skeleton that mirrors a property of its VbObj. When
 * @obj_property changes, @push (when set) updates the skeleton from the
 * object, and @dbus_names (space-separated) are the D-Bus properties it
 * sets; otherwise the value is copied as is to the skeleton's GObject
 * property @property. */
typedef void (*VbSkeletonPushFunc) (GDBusInterfaceSkeleton *skeleton, VbObj *obj);
typedef struct {
  const char *obj_property;
  const char *property;
  VbSkeletonPushFunc push;
  const char *dbus_names;
} VbSkeletonProperty;

/* Name, UUID, Active, Persistent, Autostart: the properties of networks
 * and storage pools alike. */
#define VB_SKELETON_N_LIFECYCLE_PROPERTIES 5
extern const VbSkeletonProperty vb_skeleton_lifecycle_properties[VB_SKELETON_N_LIFECYCLE_PROPERTIES];

/* From class_init, after vb_skeleton_class_install: the properties of the
 * class that follow the object (@props is kept, so static). */
void vb_skeleton_class_follow_obj (GDBusInterfaceSkeletonClass *klass, const VbSkeletonProperty *props,
                                   guint n_props);

/* Sets every property of the class' table from @obj now and whenever @obj
 * notifies a change, until vb_skeleton_unfollow_obj (from finalize, while
 * the skeleton still holds @obj). One signal handler per skeleton rather
 * than a GBinding per property: start-up cost and memory per object. */
void vb_skeleton_follow_obj (GDBusInterfaceSkeleton *skeleton, VbObj *obj);
void vb_skeleton_unfollow_obj (GDBusInterfaceSkeleton *skeleton, VbObj *obj);

/* The D-Bus properties (a{sv}, floating) of @skeleton that follow the
 * VbObj properties named in @obj_props, with their current values; NULL
 * when none does. For PropertiesChanged of lazily exported objects. */
GVariant *vb_skeleton_changed_properties (GDBusInterfaceSkeleton *skeleton, GPtrArray *obj_props);

G_END_DECLS
