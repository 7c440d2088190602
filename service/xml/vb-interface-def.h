/* Host interface XML (<interface>, libvirt's interface.rng) as a typed
 * structure.
 *
 * Bridges and bonds hold their member interfaces as nested VbInterfaceDef.
 * The format bounds the nesting: a bridge holds ethernet, vlan and bond
 * members, a bond holds ethernet members only, so a definition is at most
 * three levels deep and parsing never recurses further.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  /* Leave out the live data (<link>). */
  VB_INTERFACE_XML_INACTIVE = 1 << 0,
} VbInterfaceXmlFlags;

typedef enum {
  VB_INTERFACE_ETHERNET,
  VB_INTERFACE_BRIDGE,
  VB_INTERFACE_BOND,
  VB_INTERFACE_VLAN,
  VB_INTERFACE_TYPE_LAST
} VbInterfaceType;

typedef enum {
  VB_INTERFACE_START_DEFAULT, /* no <start> */
  VB_INTERFACE_START_NONE,
  VB_INTERFACE_START_ONBOOT,
  VB_INTERFACE_START_HOTPLUG,
} VbInterfaceStartMode;

typedef enum {
  VB_INTERFACE_LINK_STATE_DEFAULT, /* no state attribute */
  VB_INTERFACE_LINK_STATE_UNKNOWN,
  VB_INTERFACE_LINK_STATE_NOTPRESENT,
  VB_INTERFACE_LINK_STATE_DOWN,
  VB_INTERFACE_LINK_STATE_LOWERLAYERDOWN,
  VB_INTERFACE_LINK_STATE_TESTING,
  VB_INTERFACE_LINK_STATE_DORMANT,
  VB_INTERFACE_LINK_STATE_UP,
} VbInterfaceLinkState;

typedef enum {
  VB_INTERFACE_TRISTATE_ABSENT,
  VB_INTERFACE_TRISTATE_YES, /* also "on" */
  VB_INTERFACE_TRISTATE_NO,  /* also "off" */
} VbInterfaceTristate;

typedef enum {
  VB_INTERFACE_BOND_MODE_DEFAULT, /* no mode attribute */
  VB_INTERFACE_BOND_MODE_BALANCE_RR,
  VB_INTERFACE_BOND_MODE_ACTIVE_BACKUP,
  VB_INTERFACE_BOND_MODE_BALANCE_XOR,
  VB_INTERFACE_BOND_MODE_BROADCAST,
  VB_INTERFACE_BOND_MODE_8023AD,
  VB_INTERFACE_BOND_MODE_BALANCE_TLB,
  VB_INTERFACE_BOND_MODE_BALANCE_ALB,
} VbInterfaceBondMode;

typedef enum {
  VB_INTERFACE_BOND_MONITOR_NONE,
  VB_INTERFACE_BOND_MONITOR_MII,
  VB_INTERFACE_BOND_MONITOR_ARP,
} VbInterfaceBondMonitor;

typedef enum {
  VB_INTERFACE_MII_CARRIER_DEFAULT,
  VB_INTERFACE_MII_CARRIER_IOCTL,
  VB_INTERFACE_MII_CARRIER_NETIF,
} VbInterfaceMiiCarrier;

typedef enum {
  VB_INTERFACE_ARP_VALIDATE_DEFAULT,
  VB_INTERFACE_ARP_VALIDATE_NONE,
  VB_INTERFACE_ARP_VALIDATE_ACTIVE,
  VB_INTERFACE_ARP_VALIDATE_BACKUP,
  VB_INTERFACE_ARP_VALIDATE_ALL,
} VbInterfaceArpValidate;

typedef struct {
  char *address; /* normalised textual form */
  guint prefix;  /* 0 when absent */
} VbInterfaceIp;

/* <protocol family='ipv4|ipv6'> */
typedef struct {
  gboolean present;
  gboolean autoconf; /* ipv6 only */
  gboolean dhcp;
  VbInterfaceTristate dhcp_peerdns;
  GPtrArray *ips; /* VbInterfaceIp; never NULL */
  char *gateway;  /* <route gateway='…'/> */
} VbInterfaceProtocol;

typedef struct _VbInterfaceDef VbInterfaceDef;

struct _VbInterfaceDef {
  VbInterfaceType type;
  char *name; /* a vlan without a name gets "<device>.<tag>" */

  /* Only on a top-level interface. */
  VbInterfaceStartMode start_mode;
  guint mtu; /* 0 when absent */
  VbInterfaceProtocol ipv4;
  VbInterfaceProtocol ipv6;

  char *mac;     /* ethernet only; lowercase */
  /* Live data; ethernet, vlan and bond only. */
  gboolean has_link;
  guint link_speed; /* Mbit/s, 0 when absent */
  VbInterfaceLinkState link_state;

  /* bridge */
  VbInterfaceTristate bridge_stp;
  char *bridge_delay; /* forward delay in seconds, as written ("0.01") */

  /* bond */
  VbInterfaceBondMode bond_mode;
  VbInterfaceBondMonitor bond_monitor;
  guint mii_freq;      /* ms */
  guint mii_downdelay; /* ms, 0 when absent */
  guint mii_updelay;   /* ms, 0 when absent */
  VbInterfaceMiiCarrier mii_carrier;
  guint arp_interval; /* ms */
  char *arp_target;
  VbInterfaceArpValidate arp_validate;

  /* vlan */
  guint vlan_tag;
  char *vlan_device;

  /* bridge and bond members: VbInterfaceDef; never NULL */
  GPtrArray *members;
};

const char *vb_interface_type_to_string (VbInterfaceType type);
const char *vb_interface_start_mode_to_string (VbInterfaceStartMode mode);

VbInterfaceDef *vb_interface_def_new (VbInterfaceType type);
VbInterfaceDef *vb_interface_def_parse (const char *xml, GError **error);
char *vb_interface_def_format (const VbInterfaceDef *def, guint flags);
VbInterfaceDef *vb_interface_def_copy (const VbInterfaceDef *def);
void vb_interface_def_free (VbInterfaceDef *def);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbInterfaceDef, vb_interface_def_free)

G_END_DECLS
