/* The libvirt <network> XML format (schema network.rng) as a typed structure,
 * plus the in-place edits of virNetworkUpdate().
 *
 * IP addresses are stored in canonical text form (as GInetAddress prints
 * them), MAC addresses in lowercase. Optional yes/no attributes are
 * VbNetworkTristate so that "absent" survives a round trip.
 */
#pragma once

#include <glib.h>

#include "vb-bandwidth-def.h"

G_BEGIN_DECLS

/* Format flag, libvirt's VIR_NETWORK_XML_INACTIVE: leave out live-only data
 * (connection counts). */
#define VB_NETWORK_XML_INACTIVE (1u << 0)

typedef enum {
  VB_NETWORK_TRISTATE_ABSENT = 0,
  VB_NETWORK_TRISTATE_YES,
  VB_NETWORK_TRISTATE_NO,
} VbNetworkTristate;

/* libvirt's virNetworkForwardType order. NONE: no <forward>, an isolated
 * network. A <forward> without mode= is NAT. */
typedef enum {
  VB_NETWORK_FORWARD_NONE = 0,
  VB_NETWORK_FORWARD_NAT,
  VB_NETWORK_FORWARD_ROUTE,
  VB_NETWORK_FORWARD_OPEN,
  VB_NETWORK_FORWARD_BRIDGE,
  VB_NETWORK_FORWARD_PRIVATE,
  VB_NETWORK_FORWARD_VEPA,
  VB_NETWORK_FORWARD_PASSTHROUGH,
  VB_NETWORK_FORWARD_HOSTDEV,
} VbNetworkForwardMode;

typedef enum {
  VB_NETWORK_FORWARD_DRIVER_DEFAULT = 0,
  VB_NETWORK_FORWARD_DRIVER_KVM,
  VB_NETWORK_FORWARD_DRIVER_VFIO,
} VbNetworkForwardDriver;

typedef enum {
  VB_NETWORK_MAC_TABLE_MANAGER_DEFAULT = 0,
  VB_NETWORK_MAC_TABLE_MANAGER_KERNEL,
  VB_NETWORK_MAC_TABLE_MANAGER_LIBVIRT,
} VbNetworkMacTableManager;

/* The family= attribute as written; the address decides the real family. */
typedef enum {
  VB_NETWORK_IP_FAMILY_DEFAULT = 0,
  VB_NETWORK_IP_FAMILY_IPV4,
  VB_NETWORK_IP_FAMILY_IPV6,
} VbNetworkIpFamily;

typedef enum {
  VB_NETWORK_LEASE_UNIT_DEFAULT = 0, /* absent: minutes */
  VB_NETWORK_LEASE_UNIT_SECONDS,
  VB_NETWORK_LEASE_UNIT_MINUTES,
  VB_NETWORK_LEASE_UNIT_HOURS,
} VbNetworkLeaseUnit;

typedef enum {
  VB_NETWORK_VIRTUALPORT_NONE = 0, /* no type= attribute */
  VB_NETWORK_VIRTUALPORT_8021QBG,
  VB_NETWORK_VIRTUALPORT_8021QBH,
  VB_NETWORK_VIRTUALPORT_OPENVSWITCH,
  VB_NETWORK_VIRTUALPORT_MIDONET,
} VbNetworkVirtualPortType;

typedef enum {
  VB_NETWORK_VLAN_NATIVE_DEFAULT = 0,
  VB_NETWORK_VLAN_NATIVE_TAGGED,
  VB_NETWORK_VLAN_NATIVE_UNTAGGED,
} VbNetworkVlanNativeMode;

/* virNetworkUpdate() commands and sections, with libvirt's values. */
typedef enum {
  VB_NETWORK_UPDATE_COMMAND_NONE = 0,
  VB_NETWORK_UPDATE_COMMAND_MODIFY = 1,
  VB_NETWORK_UPDATE_COMMAND_DELETE = 2,
  VB_NETWORK_UPDATE_COMMAND_ADD_LAST = 3,
  VB_NETWORK_UPDATE_COMMAND_ADD_FIRST = 4,
} VbNetworkUpdateCommand;

typedef enum {
  VB_NETWORK_SECTION_NONE = 0,
  VB_NETWORK_SECTION_BRIDGE = 1,
  VB_NETWORK_SECTION_DOMAIN = 2,
  VB_NETWORK_SECTION_IP = 3,
  VB_NETWORK_SECTION_IP_DHCP_HOST = 4,
  VB_NETWORK_SECTION_IP_DHCP_RANGE = 5,
  VB_NETWORK_SECTION_FORWARD = 6,
  VB_NETWORK_SECTION_FORWARD_INTERFACE = 7,
  VB_NETWORK_SECTION_FORWARD_PF = 8,
  VB_NETWORK_SECTION_PORTGROUP = 9,
  VB_NETWORK_SECTION_DNS_HOST = 10,
  VB_NETWORK_SECTION_DNS_TXT = 11,
  VB_NETWORK_SECTION_DNS_SRV = 12,
} VbNetworkUpdateSection;

typedef struct {
  char *dev;
  guint connections;          /* live only */
} VbNetworkForwardInterface;

/* A PCI virtual function for mode='hostdev'. */
typedef struct {
  guint domain, bus, slot, function;
  guint connections;          /* live only */
} VbNetworkForwardAddress;

typedef struct {
  VbNetworkForwardMode mode;
  char *dev;                  /* forward dev=, NULL when absent */
  VbNetworkTristate managed;
  VbNetworkForwardDriver driver;
  char *pf_dev;               /* <pf dev=>, NULL when absent */
  GPtrArray *interfaces;      /* VbNetworkForwardInterface */
  GPtrArray *addresses;       /* VbNetworkForwardAddress */
  gboolean has_nat;           /* <nat> present */
  VbNetworkTristate nat_ipv6;
  char *nat_address_start, *nat_address_end; /* IPv4, both or neither */
  guint nat_port_start, nat_port_end;        /* 0 when absent */
} VbNetworkForward;

typedef struct {
  char *name;
  char *zone;
  VbNetworkTristate stp;      /* YES = on, NO = off */
  gboolean has_delay;
  guint64 delay;
  VbNetworkMacTableManager mac_table_manager;
} VbNetworkBridge;

typedef struct {
  char *addr;                 /* NULL when absent */
  char *domain;               /* NULL when absent */
} VbNetworkDnsForwarder;

typedef struct {
  char *name;
  char *value;
} VbNetworkDnsTxt;

typedef struct {
  char *service;
  char *protocol;             /* "tcp" or "udp" */
  char *domain, *target;      /* NULL when absent */
  int port, priority, weight; /* -1 when absent */
} VbNetworkDnsSrv;

typedef struct {
  char *ip;
  GPtrArray *hostnames;       /* char *, at least one */
} VbNetworkDnsHost;

typedef struct {
  VbNetworkTristate enable;
  VbNetworkTristate forward_plain_names;
  GPtrArray *forwarders;      /* VbNetworkDnsForwarder */
  GPtrArray *txts;            /* VbNetworkDnsTxt */
  GPtrArray *srvs;            /* VbNetworkDnsSrv */
  GPtrArray *hosts;           /* VbNetworkDnsHost */
} VbNetworkDns;

typedef struct {
  char *start, *end;
  gboolean has_lease;
  guint64 lease_expiry;       /* 0 means infinite */
  VbNetworkLeaseUnit lease_unit;
} VbNetworkDhcpRange;

typedef struct {
  char *mac;                  /* IPv4 only; NULL when absent */
  char *id;                   /* DHCPv6 DUID; NULL when absent */
  char *name;                 /* NULL when absent */
  char *ip;
  gboolean has_lease;
  guint64 lease_expiry;
  VbNetworkLeaseUnit lease_unit;
} VbNetworkDhcpHost;

typedef struct {
  VbNetworkIpFamily family;
  char *address;
  char *netmask;              /* IPv4 dotted mask, NULL when absent */
  int prefix;                 /* -1 when absent */
  VbNetworkTristate local_ptr;
  char *tftp_root;
  gboolean has_dhcp;          /* <dhcp> present, even if empty */
  GPtrArray *dhcp_ranges;     /* VbNetworkDhcpRange */
  GPtrArray *dhcp_hosts;      /* VbNetworkDhcpHost */
  char *bootp_file, *bootp_server;
} VbNetworkIp;

typedef struct {
  VbNetworkIpFamily family;
  char *address;
  char *netmask;
  int prefix;                 /* -1 when absent */
  char *gateway;
  gboolean has_metric;
  guint metric;
} VbNetworkRoute;


typedef struct {
  guint id;                   /* 0..4095 */
  VbNetworkVlanNativeMode native_mode;
} VbNetworkVlanTag;

typedef struct {
  gboolean trunk;
  GArray *tags;               /* VbNetworkVlanTag, at least one */
} VbNetworkVlan;

typedef struct {
  VbNetworkVirtualPortType type;
  gboolean has_parameters;    /* <parameters> present */
  int manager_id, type_id, type_id_version; /* -1 when absent */
  char *instance_id, *interface_id;          /* UUIDs, NULL when absent */
  char *profile_id;
} VbNetworkVirtualPort;

typedef struct {
  char *name;
  gboolean is_default;
  VbNetworkTristate trust_guest_rx_filters;
  VbNetworkVirtualPort *virtualport;
  VbBandwidth *bandwidth;
  VbNetworkVlan *vlan;
} VbNetworkPortGroup;

typedef struct {
  char *name;
  char uuid[37];
  char *title;
  char *description;
  char *metadata;             /* the children of <metadata>, verbatim; NULL when absent */
  guint connections;          /* live only */
  VbNetworkTristate ipv6;
  VbNetworkTristate trust_guest_rx_filters;
  VbNetworkForward forward;
  VbNetworkBridge *bridge;
  char *mac;
  char *domain_name;
  VbNetworkTristate domain_local_only;
  guint mtu;                  /* 0 when absent */
  VbNetworkDns *dns;
  GPtrArray *ips;             /* VbNetworkIp */
  GPtrArray *routes;          /* VbNetworkRoute */
  GPtrArray *portgroups;      /* VbNetworkPortGroup */
  VbBandwidth *bandwidth;
  VbNetworkVlan *vlan;
  VbNetworkVirtualPort *virtualport;
  VbNetworkTristate port_isolated;
} VbNetworkDef;

const char *vb_network_forward_mode_to_string (VbNetworkForwardMode mode);
/* The enum value, or -1 when unknown. "none" gives VB_NETWORK_FORWARD_NONE. */
int vb_network_forward_mode_from_string (const char *str);
const char *vb_network_virtualport_type_to_string (VbNetworkVirtualPortType type);
int vb_network_virtualport_type_from_string (const char *str);

VbNetworkDef *vb_network_def_parse (const char *xml, GError **error);
char *vb_network_def_format (const VbNetworkDef *def, guint flags);
VbNetworkDef *vb_network_def_copy (const VbNetworkDef *def);
void vb_network_def_free (VbNetworkDef *def);

/* TRUE when the <ip> is IPv6 (from its address). */
gboolean vb_network_ip_is_ipv6 (const VbNetworkIp *ip);
/* The prefix length in effect: prefix=, the netmask's, or the default (64
 * for IPv6, the classful one for IPv4). */
guint vb_network_ip_prefix (const VbNetworkIp *ip);

/* virNetworkUpdate(): applies @command to @section with the XML fragment
 * @xml (e.g. "<host mac=... ip=.../>" for ip-dhcp-host). @parent_index picks
 * the <ip> element for the ip-dhcp-* sections (-1: the one with DHCP, else
 * the first IPv4, else the first IPv6) and is ignored otherwise. On success
 * the contents of @def are replaced, so pointers taken into it before are no
 * longer valid; on failure @def is unchanged. Sections libvirt cannot update give
 * VB_ERROR_NOT_SUPPORTED; bad commands, sections or fragments give
 * VB_ERROR_INVALID_ARG/VB_ERROR_XML; a missing or duplicate entry gives
 * VB_ERROR_OPERATION_INVALID. */
gboolean vb_network_def_update_section (VbNetworkDef *def, VbNetworkUpdateCommand command,
                                        VbNetworkUpdateSection section, int parent_index,
                                        const char *xml, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbNetworkDef, vb_network_def_free)

G_END_DECLS
