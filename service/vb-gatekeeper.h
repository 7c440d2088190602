/* VbGatekeeper: who may call what, on which object.
 *
 * One table maps every D-Bus method and every writable property of every
 * exported interface to libvirt-style permissions, spelled as polkit actions
 * org.virtbus.api.<object>.<permission> (libvirt's org.libvirt.api.* with our
 * prefix, so libvirt polkit rules port by renaming). A call that has no entry
 * is denied, whoever makes it.
 *
 * On the system bus uid 0 passes without asking; everyone else is checked
 * with polkit, asynchronously (CheckAuthorization over GDBus: no thread waits
 * while an authentication dialog is open). On the session bus only the
 * daemon's own uid may call.
 *
 * Defines and creates pass the new object's name/UUID (read from their XML
 * with the safe parser) to polkit, and libvirt's flag-dependent checks
 * (AFFECT_CONFIG → save, SECURE → read-secure, …) are part of the table.
 *
 * Every skeleton reaches this through vb-skeleton.c (method calls,
 * Properties.Get/GetAll/Set); list replies are filtered through
 * vb_gatekeeper_filter_objects, and ObjectManager.GetManagedObjects is
 * answered here (a connection filter takes it from the generated
 * ObjectManager, which cannot be told who is asking).
 *
 * The same filter answers, in GDBus' worker thread, the property reads and
 * unfiltered lists that the main thread already answered and published
 * (vb_gatekeeper_publish_properties/_reply), and only for callers that pass
 * every check without polkit: everyone else takes the path above.
 */
#pragma once

#include <gio/gio.h>

#include "vb-obj.h"
#include "vb-path-policy.h"

G_BEGIN_DECLS

typedef struct _VbConnect VbConnect;

typedef enum {
  VB_GATEKEEPER_SESSION, /* only the daemon's own uid */
  VB_GATEKEEPER_SYSTEM,  /* root, or whoever polkit allows */
} VbGatekeeperMode;

#define VB_POLKIT_ACTION_PREFIX "org.virtbus.api."

#define VB_TYPE_GATEKEEPER (vb_gatekeeper_get_type ())
G_DECLARE_FINAL_TYPE (VbGatekeeper, vb_gatekeeper, VB, GATEKEEPER, GObject)

/* Creates the gatekeeper of @connection and makes it the default one every
 * skeleton consults; installs the GetManagedObjects filter. */
VbGatekeeper *vb_gatekeeper_install (GDBusConnection *connection, VbGatekeeperMode mode);
/* The installed gatekeeper; without one, a session-mode gatekeeper for the
 * connection of the first call is created (never "allow everyone"). */
VbGatekeeper *vb_gatekeeper_get_default (GDBusConnection *connection);

/* Where objects are found (VbConnect registers itself; VbService gives the
 * ObjectManager whose GetManagedObjects is answered here). */
void vb_gatekeeper_add_connect (VbGatekeeper *self, VbConnect *connect);
void vb_gatekeeper_remove_connect (VbGatekeeper *self, VbConnect *connect);
void vb_gatekeeper_set_object_manager (VbGatekeeper *self, GDBusObjectManagerServer *manager);

/* Authorizes @invocation (a call of a method, or a Properties.Get/GetAll/Set,
 * on one of our objects). @callback runs on the main context once decided;
 * finish with vb_gatekeeper_authorize_finish. */
void vb_gatekeeper_authorize (VbGatekeeper *self, GDBusMethodInvocation *invocation, GAsyncReadyCallback callback,
                              gpointer user_data);
gboolean vb_gatekeeper_authorize_finish (VbGatekeeper *self, GAsyncResult *result, GError **error);
/* perf: TRUE when vb_gatekeeper_authorize would allow @invocation without
 * asking anyone (a known caller that passes without polkit, a mapped call),
 * so the call can go on at once; FALSE: use vb_gatekeeper_authorize. */
gboolean vb_gatekeeper_allows_at_once (VbGatekeeper *self, GDBusMethodInvocation *invocation);
/* perf: TRUE when @sender is a known caller that passes every check
 * without polkit (root on the system bus, a session's owner): lists need
 * no filtering for it. FALSE also when not known yet. */
gboolean vb_gatekeeper_sees_everything (VbGatekeeper *self, const char *sender);

/* perf: Properties.Get/GetAll answered in GDBus' worker thread, without a
 * round through the main loop, for callers that pass every check without
 * polkit. After answering a GetAll of @iface on @path to @sender, the main
 * thread publishes the values it sent (a{sv}); they are used until
 * vb_gatekeeper_withdraw_properties(@path), which must be called before
 * anything of the object changes (before a reply or signal could tell),
 * and when it goes away. Nothing is published for other callers. */
void vb_gatekeeper_publish_properties (VbGatekeeper *self, const char *sender, const char *path, const char *iface,
                                       GVariant *all);
void vb_gatekeeper_withdraw_properties (VbGatekeeper *self, const char *path);
/* The same for the reply (@reply, the whole body) to a call of
 * @iface.@member(u @arg) on @path, e.g. ListDomains(0): used until
 * vb_gatekeeper_withdraw_replies(@path). */
void vb_gatekeeper_publish_reply (VbGatekeeper *self, const char *sender, const char *path, const char *iface,
                                  const char *member, guint32 arg, GVariant *reply);
void vb_gatekeeper_withdraw_replies (VbGatekeeper *self, const char *path);

/* After a successful vb_gatekeeper_authorize: the credentials of a caller
 * whose host paths must be checked (vb_path_policy_check), or NULL when the
 * caller is unrestricted (root on the system bus, the session's user).
 * Method handlers hand this to the backend with the operation. */
const VbCallerCreds *vb_gatekeeper_get_caller_creds (GDBusMethodInvocation *invocation);

/* Keeps only the objects of @objs (VbObj, owning array) the caller of
 * @invocation may getattr; the result is a new owning GPtrArray. */
void vb_gatekeeper_filter_objects (VbGatekeeper *self, GDBusMethodInvocation *invocation, GPtrArray *objs,
                                   GAsyncReadyCallback callback, gpointer user_data);
GPtrArray *vb_gatekeeper_filter_objects_finish (VbGatekeeper *self, GAsyncResult *result, GError **error);
/* Same, keeping the objects the caller may @permission (e.g. "domain.read":
 * GetAllDomainStats shows only the domains the caller may read); finish
 * with vb_gatekeeper_filter_objects_finish. */
void vb_gatekeeper_filter_objects_for (VbGatekeeper *self, GDBusMethodInvocation *invocation, GPtrArray *objs,
                                       const char *permission, GAsyncReadyCallback callback, gpointer user_data);

/* ---- the table (exposed for its unit test and the policy file) ---- */

/* The permissions (without prefix, e.g. "domain.start") a call of @member on
 * @interface needs, or NULL when it has no entry (then it is denied).
 * @is_property: @member is a writable property being set. */
const char *const *vb_gatekeeper_lookup_permissions (const char *interface, const char *member,
                                                     gboolean is_property);
/* The permissions a call of method @member with @params needs, including
 * libvirt's flag-dependent ones (AFFECT_CONFIG → save, SECURE →
 * read-secure, …); NULL when unmapped. */
GStrv vb_gatekeeper_permissions_for_call (const char *interface, const char *member, GVariant *params);
/* For defines and creates: the polkit details naming the new object, read
 * from the XML argument (a{ss}: domain_name, domain_uuid, …), or NULL when
 * @member creates nothing or the XML is malformed. */
GVariant *vb_gatekeeper_new_object_details (const char *interface, const char *member, GVariant *params);
/* Every permission the table uses, plus the getattr ones, sorted, unique. */
GStrv vb_gatekeeper_list_permissions (void);

G_END_DECLS
