/* VbNetworkOps: what a backend implements to manage virtual networks. One
 * entry per operation of org.libvirt.Network and the network part of
 * org.libvirt.Connect; listing and lookups are answered by the service from
 * the backend's object registry.
 *
 * Same calling convention as VbDomainOps (see vb-domain-ops.h): plain C
 * arguments with libvirt's meaning, the operation completes @task as the
 * bracket says, a NULL entry means "not supported by this backend".
 */
#pragma once

#include "vb-backend.h"
#include "vb-network-def.h"

G_BEGIN_DECLS

/* libvirt's virNetworkEventLifecycleType: the event argument of
 * org.libvirt.Connect.NetworkEvent. */
typedef enum {
  VB_NETWORK_EVENT_DEFINED = 0,
  VB_NETWORK_EVENT_UNDEFINED = 1,
  VB_NETWORK_EVENT_STARTED = 2,
  VB_NETWORK_EVENT_STOPPED = 3,
} VbNetworkEventType;

/* libvirt's virNetworkUpdateFlags. CURRENT (0) means LIVE when the network
 * is active, CONFIG otherwise. */
enum {
  VB_NETWORK_UPDATE_AFFECT_CURRENT = 0,
  VB_NETWORK_UPDATE_AFFECT_LIVE = 1 << 0,
  VB_NETWORK_UPDATE_AFFECT_CONFIG = 1 << 1,
};

/* libvirt's virConnectListAllNetworksFlags (ListNetworks). */
enum {
  VB_LIST_NETWORKS_INACTIVE = 1 << 0,
  VB_LIST_NETWORKS_ACTIVE = 1 << 1,
  VB_LIST_NETWORKS_PERSISTENT = 1 << 2,
  VB_LIST_NETWORKS_TRANSIENT = 1 << 3,
  VB_LIST_NETWORKS_AUTOSTART = 1 << 4,
  VB_LIST_NETWORKS_NO_AUTOSTART = 1 << 5,
  VB_LIST_NETWORKS_ALL_FLAGS = (1 << 6) - 1,
};

#define VB_TYPE_NETWORK_OPS (vb_network_ops_get_type ())
G_DECLARE_INTERFACE (VbNetworkOps, vb_network_ops, VB, NETWORK_OPS, VbBackend)

struct _VbNetworkOpsInterface {
  GTypeInterface parent_iface;

  /* ---- org.libvirt.Connect ---- */
  void (*define_xml) (VbBackend *backend, const char *xml, GTask *task); /* [o] NetworkDefineXML */
  void (*create_xml) (VbBackend *backend, const char *xml, GTask *task); /* [o] NetworkCreateXML */

  /* ---- org.libvirt.Network: properties ---- */
  gboolean (*set_autostart) (VbBackend *backend, VbObj *net, gboolean autostart, GError **error);

  /* ---- org.libvirt.Network: methods ---- */
  void (*create) (VbBackend *backend, VbObj *net, GTask *task);                 /* [void] */
  void (*destroy) (VbBackend *backend, VbObj *net, GTask *task);                /* [void] */
  void (*undefine) (VbBackend *backend, VbObj *net, GTask *task);               /* [void] */
  void (*get_xml_desc) (VbBackend *backend, VbObj *net, guint flags, GTask *task); /* [s] */
  /* @mac is NULL for all leases. [a(sxisssuss)]: iface, expirytime, type,
   * mac, iaid, ipaddr, prefix, hostname, clientid ("" for absent). */
  void (*get_dhcp_leases) (VbBackend *backend, VbObj *net, const char *mac, guint flags, GTask *task);
  /* @command, @section: VbNetworkUpdateCommand/Section values (libvirt's);
   * @flags: VB_NETWORK_UPDATE_AFFECT_*. [void] */
  void (*update) (VbBackend *backend, VbObj *net, guint command, guint section, int parent_index,
                  const char *xml, guint flags, GTask *task);
};

/* libvirt's name/uuid collision rules for adding @def, shared by the
 * backends. Sets @existing to the network @def legitimately replaces (same
 * name and uuid), or NULL when it is new; FALSE with @error on a clash.
 * @live: @def is to run now (an active namesake is a clash). */
gboolean vb_network_check_collision (VbBackend *backend, const VbNetworkDef *def, gboolean live,
                                     VbObj **existing, GError **error);

/* virNetworkUpdate's @flags for @net: CURRENT becomes LIVE or CONFIG by
 * its state; LIVE needs it running, CONFIG persistent. */
gboolean vb_network_update_check_flags (VbObj *net, guint *flags, GError **error);

/* A network object holding @def (taken). */
VbObj *vb_network_obj_new (VbNetworkDef *def);

/* What NetworkDefineXML does to the registry once @def (taken) is
 * accepted: a new persistent network, or @existing (from
 * vb_network_check_collision) gets it — as its next definition while it
 * runs. Emits DEFINED; returns the network (held by @backend). */
VbObj *vb_network_define (VbBackend *backend, VbObj *existing, VbNetworkDef *def);

/* GetXMLDesc from the object's definitions (the live one, or the
 * persistent one with VB_NETWORK_XML_INACTIVE): the get_xml_desc of a
 * backend that keeps VbNetworkDefs. */
void vb_network_ops_get_xml_desc (VbBackend *backend, VbObj *net, guint flags, GTask *task);

G_END_DECLS
