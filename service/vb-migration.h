/* Live migration between two virtbus daemons: the source side of
 * org.virtbus.Domain.Migrate (a D-Bus client of the destination daemon)
 * and the destination's org.virtbus.Migration skeleton. The backends do
 * each side's half through VbDomainOps (migrate_*); this file only moves
 * the calls between the daemons. */
#pragma once

#include "vb-connect.h"

G_BEGIN_DECLS

/* Runs org.virtbus.Domain.Migrate of @dom on @connect and replies to
 * @invocation (takes the handler's reference) when it is over. */
void vb_migration_run (VbConnect *connect, VbObj *dom, GDBusMethodInvocation *invocation, const char *destination,
                       GVariant *params, guint flags);

/* Runs org.libvirt.Domain.MigrateToURI3 of @dom: a peer-to-peer migration
 * to the daemon @dconnuri (a libvirt connection URI) names. */
void vb_migration_run_uri3 (VbConnect *connect, VbObj *dom, GDBusMethodInvocation *invocation, const char *dconnuri,
                            GVariant *params, guint flags);

/* Fails unless @params (a{sv}) holds only migration parameters we know,
 * each of its type. */
gboolean vb_migration_check_params (GVariant *params, GError **error);

/* The destination (a D-Bus address or ssh://…) that @dconnuri, a libvirt
 * connection URI (qemu+ssh://host/system, qemu+unix:///system?socket=…),
 * names; NULL with @error when it names none we can reach. */
char *vb_migration_destination_for_uri (const char *dconnuri, GError **error);

/* org.virtbus.Migration for @connect's own object; NULL when its backend
 * cannot receive migrations. */
GDBusInterfaceSkeleton *vb_migration_skeleton_new (VbConnect *connect);

G_END_DECLS
