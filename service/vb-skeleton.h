/* Hooks shared by every exported interface skeleton. */
#pragma once

#include <gio/gio.h>

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

G_END_DECLS
