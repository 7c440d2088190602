/* VbInterfaceOps: what a backend implements to manage host network
 * interfaces. One entry per operation of org.libvirt.Interface and the
 * interface part of org.libvirt.Connect (the listing and lookups are
 * answered by the service from the object registry).
 *
 * Calling convention as in vb-domain-ops.h: plain C arguments with libvirt's
 * meaning, and the operation completes @task as the bracket says
 * ([void] g_task_return_boolean, [s] a char *, [o] a VbObj reference) or
 * with a VB_ERROR. A NULL entry means "not supported by this backend".
 *
 * Interfaces are VbObj of kind VB_OBJ_INTERFACE whose key is the MAC address
 * (the name when the interface has none), with a VbInterfaceDef as ->def.
 * libvirt has no interface lifecycle events: clients follow the
 * ObjectManager and the Active property.
 */
#pragma once

#include "vb-backend.h"

G_BEGIN_DECLS

/* libvirt's virConnectListAllInterfacesFlags. */
typedef enum {
  VB_LIST_INTERFACES_INACTIVE = 1 << 0,
  VB_LIST_INTERFACES_ACTIVE = 1 << 1,
} VbListInterfacesFlags;

/* libvirt's virInterfaceXMLFlags. */
typedef enum {
  VB_INTERFACE_GET_XML_INACTIVE = 1 << 0,
} VbInterfaceGetXmlFlags;

#define VB_TYPE_INTERFACE_OPS (vb_interface_ops_get_type ())
G_DECLARE_INTERFACE (VbInterfaceOps, vb_interface_ops, VB, INTERFACE_OPS, VbBackend)

typedef void (*VbInterfaceFlagsOp) (VbBackend *backend, VbObj *iface, guint flags, GTask *task);

struct _VbInterfaceOpsInterface {
  GTypeInterface parent_iface;

  /* ---- org.libvirt.Connect ---- */
  void (*define_xml) (VbBackend *backend, const char *xml, guint flags, GTask *task); /* [o] */
  void (*change_begin) (VbBackend *backend, guint flags, GTask *task);    /* [void] */
  void (*change_commit) (VbBackend *backend, guint flags, GTask *task);   /* [void] */
  void (*change_rollback) (VbBackend *backend, guint flags, GTask *task); /* [void] */

  /* ---- org.libvirt.Interface ---- */
  VbInterfaceFlagsOp create;       /* [void] */
  VbInterfaceFlagsOp destroy;      /* [void] */
  VbInterfaceFlagsOp get_xml_desc; /* [s] */
  void (*undefine) (VbBackend *backend, VbObj *iface, GTask *task); /* [void] */
};

G_END_DECLS
