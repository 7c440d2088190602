/* VbNWFilterOps: what a backend implements to manage network filters
 * (<filter> definitions that domain interfaces and other filters reference
 * by name). One entry per operation of org.libvirt.NWFilter and
 * NWFilterDefineXML of org.libvirt.Connect; listing and lookups are answered
 * by the service from the backend's object registry.
 *
 * Same calling convention as VbDomainOps (see vb-domain-ops.h): plain C
 * arguments with libvirt's meaning, the operation completes @task as the
 * bracket says, a NULL entry means "not supported by this backend".
 *
 * libvirt has no lifecycle events for network filters (and libvirt-dbus no
 * signal for them): clients follow them through the ObjectManager.
 */
#pragma once

#include "vb-backend.h"

G_BEGIN_DECLS

#define VB_TYPE_NWFILTER_OPS (vb_nwfilter_ops_get_type ())
G_DECLARE_INTERFACE (VbNWFilterOps, vb_nwfilter_ops, VB, NWFILTER_OPS, VbBackend)

struct _VbNWFilterOpsInterface {
  GTypeInterface parent_iface;

  /* ---- org.libvirt.Connect ---- */
  void (*define_xml) (VbBackend *backend, const char *xml, GTask *task); /* [o] NWFilterDefineXML */

  /* ---- org.libvirt.NWFilter: methods ---- */
  void (*get_xml_desc) (VbBackend *backend, VbObj *filter, guint flags, GTask *task); /* [s] */
  void (*undefine) (VbBackend *backend, VbObj *filter, GTask *task);                  /* [void] */
};

G_END_DECLS
