/* virtbus client library: a snapshot of a domain. */
#pragma once

#if !defined(VIRTBUS_INSIDE) && !defined(VIRTBUS_COMPILATION)
#error "Only <virtbus.h> can be included directly."
#endif

#include "virtbus-object.h"

G_BEGIN_DECLS

#define VIRTBUS_TYPE_DOMAIN_SNAPSHOT (virtbus_domain_snapshot_get_type ())
G_DECLARE_FINAL_TYPE (VirtbusDomainSnapshot, virtbus_domain_snapshot, VIRTBUS, DOMAIN_SNAPSHOT, VirtbusObject)

char *virtbus_domain_snapshot_dup_domain_uuid (VirtbusDomainSnapshot *self);

G_END_DECLS
