/* Hooks shared by every exported interface skeleton. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Applies a D-Bus Properties.Set of @property to @skeleton's object, or
 * fails with @error (sent to the caller). The new value reaches the
 * skeleton's property (and PropertiesChanged) through the object. */
typedef gboolean (*VbSetPropertyFunc) (GDBusInterfaceSkeleton *skeleton, const char *property, GVariant *value,
                                       GError **error);

/* From a skeleton subclass' class_init: routes Properties.Set to @setter
 * instead of letting the generated code write the property unchecked. */
void vb_skeleton_class_route_set_property (GDBusInterfaceSkeletonClass *klass, VbSetPropertyFunc setter);

G_END_DECLS
