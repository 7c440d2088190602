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

/* org.virtbus.Migration for @connect's own object; NULL when its backend
 * cannot receive migrations. */
GDBusInterfaceSkeleton *vb_migration_skeleton_new (VbConnect *connect);

G_END_DECLS
