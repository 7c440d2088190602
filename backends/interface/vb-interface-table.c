/* Links and addresses from rtnetlink messages, and the definitions made
 * from them. */
#include "config.h"

#include "vb-interface-table.h"

#include <gio/gio.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_bonding.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include "vb-netlink.h"

/* Longer kinds exist in no kernel; a longer one is treated as unknown. */
#define KIND_SIZE 32
/* An interface holds this many addresses at most here; more are not shown. */
#define MAX_ADDRESSES 4096
/* Kernel operational states (IF_OPER_*) map onto the definition's link
 * states in the same order, IF_OPER_UP being the last. */
#define OPER_STATE_LAST 6
/* The kernel's BOND_MAX_ARP_TARGETS. */
#define BOND_TARGETS 16

typedef struct {
  guint8 family; /* AF_INET, AF_INET6 */
  guint8 prefix;
  guint8 bytes[16];
} Address;

typedef struct {
  guint index;
  char name[IFNAMSIZ];
  char kind[KIND_SIZE]; /* IFLA_INFO_KIND, "" when none */
  guint flags;          /* IFF_* */
  char mac[18];         /* "" when the link has no Ethernet address */
  guint mtu;
  int oper_state; /* IF_OPER_*, -1 when not given or unknown to us */
  guint speed;
  guint master;
  guint parent; /* IFLA_LINK within this namespace, 0 when none */

  gboolean has_stp;
  guint32 stp_state;
  gboolean has_delay;
  guint32 delay; /* centiseconds (USER_HZ) */

  gboolean has_bond_mode;
  guint8 bond_mode;
  guint32 miimon, updelay, downdelay;
  gboolean has_use_carrier;
  guint8 use_carrier;
  guint32 arp_interval;
  gboolean has_arp_target;
  guint8 arp_target[4];
  gboolean has_arp_validate;
  guint32 arp_validate;

  gboolean has_vlan_id;
  guint16 vlan_id;

  GArray *addresses; /* Address */
  gboolean seen;     /* during a link dump */
} Link;

struct _VbInterfaceTable {
  GHashTable *links; /* index → Link */
  GHashTable *dirty; /* set of indexes */
  VbInterfaceSpeedFunc speed_func;
  gpointer speed_data;
};

static void
link_free (gpointer data)
{
  Link *link = data;

  g_array_unref (link->addresses);
  g_free (link);
}

VbInterfaceTable *
vb_interface_table_new (VbInterfaceSpeedFunc speed_func, gpointer user_data)
{
  VbInterfaceTable *self = g_new0 (VbInterfaceTable, 1);

  self->links = g_hash_table_new_full (NULL, NULL, NULL, link_free);
  self->dirty = g_hash_table_new (NULL, NULL);
  self->speed_func = speed_func;
  self->speed_data = user_data;
  return self;
}

void
vb_interface_table_free (VbInterfaceTable *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->links);
  g_hash_table_unref (self->dirty);
  g_free (self);
}

static Link *
get_link (VbInterfaceTable *self, guint index)
{
  return g_hash_table_lookup (self->links, GUINT_TO_POINTER (index));
}

static void
mark (VbInterfaceTable *self, guint index)
{
  g_hash_table_add (self->dirty, GUINT_TO_POINTER (index));
}

/* @index and the bridge or bond holding it, and the bridge holding that
 * bond: their definitions show @index as a member. Two levels are all the
 * format nests, and they bound a loop of masters. */
static void
mark_with_masters (VbInterfaceTable *self, guint index)
{
  Link *link = get_link (self, index);

  mark (self, index);
  for (int level = 0; level < 2 && link != NULL && link->master != 0; level++) {
    mark (self, link->master);
    link = get_link (self, link->master);
  }
}

/* VLANs name the link they are on. */
static void
mark_dependents (VbInterfaceTable *self, guint index)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->links);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (((Link *) value)->parent == index)
      mark (self, ((Link *) value)->index);
}

static void
remove_link (VbInterfaceTable *self, guint index)
{
  mark_with_masters (self, index);
  mark_dependents (self, index);
  g_hash_table_remove (self->links, GUINT_TO_POINTER (index));
}

/* ---- attributes ---- */

/* Fills @tb[type] for the attributes in @data/@len with a type up to @max
 * (a later duplicate wins). FALSE when an attribute's length does not fit. */
static gboolean
parse_attrs (const void *data, gsize len, const struct rtattr **tb, guint max)
{
  const guint8 *p = data;

  memset (tb, 0, sizeof *tb * (max + 1));
  while (len >= sizeof (struct rtattr)) {
    const struct rtattr *rta = (const struct rtattr *) p;
    gsize rta_len = rta->rta_len;
    guint type = rta->rta_type & NLA_TYPE_MASK;
    gsize step;

    if (rta_len < sizeof (struct rtattr) || rta_len > len)
      return FALSE;
    if (type <= max)
      tb[type] = rta;
    step = MIN ((gsize) RTA_ALIGN (rta_len), len);
    p += step;
    len -= step;
  }
  return TRUE;
}

static gsize
attr_len (const struct rtattr *rta)
{
  return rta->rta_len - RTA_LENGTH (0);
}

static gboolean
attr_u32 (const struct rtattr *rta, guint32 *out)
{
  if (rta == NULL || attr_len (rta) != sizeof *out)
    return FALSE;
  memcpy (out, RTA_DATA (rta), sizeof *out);
  return TRUE;
}

static gboolean
attr_u16 (const struct rtattr *rta, guint16 *out)
{
  if (rta == NULL || attr_len (rta) != sizeof *out)
    return FALSE;
  memcpy (out, RTA_DATA (rta), sizeof *out);
  return TRUE;
}

static gboolean
attr_u8 (const struct rtattr *rta, guint8 *out)
{
  if (rta == NULL || attr_len (rta) != 1)
    return FALSE;
  *out = *(const guint8 *) RTA_DATA (rta);
  return TRUE;
}

/* A NUL-terminated string attribute that fits @size with its NUL. */
static gboolean
attr_string (const struct rtattr *rta, char *out, gsize size)
{
  const char *s;
  const char *nul;

  if (rta == NULL)
    return FALSE;
  s = RTA_DATA (rta);
  nul = memchr (s, '\0', attr_len (rta));
  if (nul == NULL || (gsize) (nul - s) >= size)
    return FALSE;
  memcpy (out, s, (gsize) (nul - s) + 1);
  return TRUE;
}

static gboolean
printable (const char *s)
{
  for (; *s != '\0'; s++)
    if (!g_ascii_isgraph (*s))
      return FALSE;
  return TRUE;
}

/* ---- links ---- */

static void
parse_bridge_data (Link *link, const struct rtattr *data)
{
  const struct rtattr *tb[IFLA_BR_MAX + 1];

  if (!parse_attrs (RTA_DATA (data), attr_len (data), tb, IFLA_BR_MAX))
    g_debug ("bridge '%s': malformed bridge attributes, using what came before", link->name);
  link->has_stp = attr_u32 (tb[IFLA_BR_STP_STATE], &link->stp_state);
  link->has_delay = attr_u32 (tb[IFLA_BR_FORWARD_DELAY], &link->delay);
}

static void
parse_bond_data (Link *link, const struct rtattr *data)
{
  const struct rtattr *tb[IFLA_BOND_MAX + 1];

  if (!parse_attrs (RTA_DATA (data), attr_len (data), tb, IFLA_BOND_MAX))
    g_debug ("bond '%s': malformed bond attributes, using what came before", link->name);
  link->has_bond_mode = attr_u8 (tb[IFLA_BOND_MODE], &link->bond_mode);
  attr_u32 (tb[IFLA_BOND_MIIMON], &link->miimon);
  attr_u32 (tb[IFLA_BOND_UPDELAY], &link->updelay);
  attr_u32 (tb[IFLA_BOND_DOWNDELAY], &link->downdelay);
  link->has_use_carrier = attr_u8 (tb[IFLA_BOND_USE_CARRIER], &link->use_carrier);
  attr_u32 (tb[IFLA_BOND_ARP_INTERVAL], &link->arp_interval);
  link->has_arp_validate = attr_u32 (tb[IFLA_BOND_ARP_VALIDATE], &link->arp_validate);
  if (tb[IFLA_BOND_ARP_IP_TARGET] != NULL) {
    /* A nest of IPv4 addresses typed 0, 1, …; the format has room for one. */
    const struct rtattr *targets[BOND_TARGETS];
    const struct rtattr *nest = tb[IFLA_BOND_ARP_IP_TARGET];

    if (parse_attrs (RTA_DATA (nest), attr_len (nest), targets, BOND_TARGETS - 1))
      for (guint i = 0; i < BOND_TARGETS && !link->has_arp_target; i++)
        if (targets[i] != NULL && attr_len (targets[i]) == 4) {
          memcpy (link->arp_target, RTA_DATA (targets[i]), 4);
          link->has_arp_target = TRUE;
        }
  }
}

static void
parse_vlan_data (Link *link, const struct rtattr *data)
{
  const struct rtattr *tb[IFLA_VLAN_MAX + 1];

  if (!parse_attrs (RTA_DATA (data), attr_len (data), tb, IFLA_VLAN_MAX))
    g_debug ("vlan '%s': malformed vlan attributes, using what came before", link->name);
  link->has_vlan_id = attr_u16 (tb[IFLA_VLAN_ID], &link->vlan_id) && link->vlan_id <= 4095;
}

static void
parse_link_info (Link *link, const struct rtattr *info)
{
  const struct rtattr *tb[IFLA_INFO_MAX + 1];
  char kind[KIND_SIZE];

  if (!parse_attrs (RTA_DATA (info), attr_len (info), tb, IFLA_INFO_MAX))
    g_debug ("link '%s': malformed link info, using what came before", link->name);
  if (!attr_string (tb[IFLA_INFO_KIND], kind, sizeof kind) || !printable (kind)) {
    if (tb[IFLA_INFO_KIND] != NULL)
      g_debug ("link '%s': ignoring a kind that is not a short printable string", link->name);
    return;
  }
  memcpy (link->kind, kind, sizeof kind);
  if (tb[IFLA_INFO_DATA] == NULL)
    return;
  if (g_str_equal (kind, "bridge"))
    parse_bridge_data (link, tb[IFLA_INFO_DATA]);
  else if (g_str_equal (kind, "bond"))
    parse_bond_data (link, tb[IFLA_INFO_DATA]);
  else if (g_str_equal (kind, "vlan"))
    parse_vlan_data (link, tb[IFLA_INFO_DATA]);
}

static gboolean
apply_link (VbInterfaceTable *self, const struct nlmsghdr *msg)
{
  const struct ifinfomsg *ifi;
  const struct rtattr *tb[IFLA_MAX + 1];
  g_autofree Link *link = NULL;
  Link *old;
  guint32 value;
  guint8 state;

  if (msg->nlmsg_len < NLMSG_LENGTH (sizeof *ifi)) {
    g_debug ("skipping a link message too short for its header");
    return FALSE;
  }
  ifi = NLMSG_DATA (msg);
  /* Bridges report their ports' state as AF_BRIDGE messages on the same
   * group, RTM_DELLINK included when a port leaves: not about links. */
  if (ifi->ifi_family != AF_UNSPEC) {
    g_debug ("skipping a link message of family %u", ifi->ifi_family);
    return FALSE;
  }
  if (ifi->ifi_index <= 0) {
    g_debug ("skipping a link message for index %d", ifi->ifi_index);
    return FALSE;
  }
  old = get_link (self, (guint) ifi->ifi_index);

  if (msg->nlmsg_type == RTM_DELLINK) {
    if (old == NULL) {
      g_debug ("skipping the removal of unknown link %d", ifi->ifi_index);
      return FALSE;
    }
    remove_link (self, old->index);
    return TRUE;
  }

  link = g_new0 (Link, 1);
  link->index = (guint) ifi->ifi_index;
  link->flags = ifi->ifi_flags;
  link->oper_state = -1;
  if (!parse_attrs (IFLA_RTA (ifi), IFLA_PAYLOAD (msg), tb, IFLA_MAX)) {
    g_debug ("skipping a malformed message about link %d", ifi->ifi_index);
    return FALSE;
  }
  if (!attr_string (tb[IFLA_IFNAME], link->name, sizeof link->name) || !vb_netlink_name_is_valid (link->name)) {
    /* Such an interface cannot be shown: as if it were gone. */
    g_debug ("link %d has no name or one virtbus does not show", ifi->ifi_index);
    if (old != NULL)
      remove_link (self, old->index);
    return FALSE;
  }
  if (tb[IFLA_ADDRESS] != NULL && attr_len (tb[IFLA_ADDRESS]) == 6) {
    const guint8 *a = RTA_DATA (tb[IFLA_ADDRESS]);
    g_snprintf (link->mac, sizeof link->mac, "%02x:%02x:%02x:%02x:%02x:%02x", a[0], a[1], a[2], a[3], a[4], a[5]);
  }
  if (attr_u32 (tb[IFLA_MTU], &value))
    link->mtu = value;
  if (attr_u8 (tb[IFLA_OPERSTATE], &state) && state <= OPER_STATE_LAST)
    link->oper_state = state;
  if (attr_u32 (tb[IFLA_MASTER], &value) && value != link->index && value <= G_MAXINT)
    link->master = value;
  /* A link on a link of another namespace: the index means nothing here. */
  if (tb[IFLA_LINK_NETNSID] == NULL && attr_u32 (tb[IFLA_LINK], &value) && value != link->index && value <= G_MAXINT)
    link->parent = value;
  if (tb[IFLA_LINKINFO] != NULL)
    parse_link_info (link, tb[IFLA_LINKINFO]);
  if (link->oper_state == IF_OPER_UP && !g_str_equal (link->kind, "bridge") && self->speed_func != NULL)
    link->speed = self->speed_func (link->name, self->speed_data);

  if (old != NULL) {
    /* The old members' master and the VLANs naming the old name. */
    mark_with_masters (self, old->index);
    if (!g_str_equal (old->name, link->name))
      mark_dependents (self, old->index);
    link->addresses = g_array_ref (old->addresses);
  } else {
    link->addresses = g_array_new (FALSE, FALSE, sizeof (Address));
    mark_dependents (self, link->index);
  }
  link->seen = TRUE;
  g_hash_table_replace (self->links, GUINT_TO_POINTER (link->index), link);
  mark_with_masters (self, ((Link *) g_steal_pointer (&link))->index);
  return TRUE;
}

/* ---- addresses ---- */

static gboolean
apply_address (VbInterfaceTable *self, const struct nlmsghdr *msg)
{
  const struct ifaddrmsg *ifa;
  const struct rtattr *tb[IFA_MAX + 1];
  const struct rtattr *addr;
  Address address = { 0 };
  gsize size;
  Link *link;
  guint i;

  if (msg->nlmsg_len < NLMSG_LENGTH (sizeof *ifa)) {
    g_debug ("skipping an address message too short for its header");
    return FALSE;
  }
  ifa = NLMSG_DATA (msg);
  if (ifa->ifa_family == AF_INET) {
    size = 4;
  } else if (ifa->ifa_family == AF_INET6) {
    size = 16;
  } else {
    g_debug ("skipping an address of family %u", ifa->ifa_family);
    return FALSE;
  }
  if (ifa->ifa_prefixlen > size * 8) {
    g_debug ("skipping an address with prefix length %u", ifa->ifa_prefixlen);
    return FALSE;
  }
  link = get_link (self, ifa->ifa_index);
  if (link == NULL) {
    g_debug ("skipping an address of unknown link %u", ifa->ifa_index);
    return FALSE;
  }
  if (!parse_attrs (IFA_RTA (ifa), IFA_PAYLOAD (msg), tb, IFA_MAX)) {
    g_debug ("skipping a malformed address message");
    return FALSE;
  }
  /* IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer's on
   * a point-to-point link, and the only one for most IPv6 addresses. */
  addr = tb[IFA_LOCAL] != NULL ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
  if (addr == NULL || attr_len (addr) != size) {
    g_debug ("skipping an address message without a usable address");
    return FALSE;
  }
  address.family = ifa->ifa_family;
  address.prefix = ifa->ifa_prefixlen;
  memcpy (address.bytes, RTA_DATA (addr), size);

  for (i = 0; i < link->addresses->len; i++) {
    const Address *a = &g_array_index (link->addresses, Address, i);
    if (a->family == address.family && a->prefix == address.prefix && memcmp (a->bytes, address.bytes, size) == 0)
      break;
  }
  if (msg->nlmsg_type == RTM_DELADDR) {
    if (i == link->addresses->len) {
      g_autoptr(GInetAddress) inet = g_inet_address_new_from_bytes (
        address.bytes, address.family == AF_INET ? G_SOCKET_FAMILY_IPV4 : G_SOCKET_FAMILY_IPV6);
      g_autofree char *text = g_inet_address_to_string (inet);
      g_debug ("skipping the removal of %s/%u, which '%s' does not have", text, address.prefix, link->name);
      return FALSE;
    }
    g_array_remove_index (link->addresses, i);
  } else if (i == link->addresses->len) {
    if (link->addresses->len >= MAX_ADDRESSES) {
      g_debug ("'%s' has more than %d addresses: not showing more", link->name, MAX_ADDRESSES);
      return FALSE;
    }
    g_array_append_val (link->addresses, address);
  }
  mark (self, link->index);
  return TRUE;
}

gboolean
vb_interface_table_apply (VbInterfaceTable *self, const struct nlmsghdr *msg, gsize len)
{
  if (len < sizeof *msg || msg->nlmsg_len < sizeof *msg || msg->nlmsg_len > len) {
    g_debug ("skipping a truncated netlink message");
    return FALSE;
  }
  switch (msg->nlmsg_type) {
  case RTM_NEWLINK:
  case RTM_DELLINK:
    return apply_link (self, msg);
  case RTM_NEWADDR:
  case RTM_DELADDR:
    return apply_address (self, msg);
  default:
    g_debug ("skipping a netlink message of type %u", msg->nlmsg_type);
    return FALSE;
  }
}

/* ---- dumps ---- */

void
vb_interface_table_begin_links (VbInterfaceTable *self)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->links);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    ((Link *) value)->seen = FALSE;
}

void
vb_interface_table_end_links (VbInterfaceTable *self)
{
  g_autoptr(GArray) gone = g_array_new (FALSE, FALSE, sizeof (guint));
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->links);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (!((Link *) value)->seen)
      g_array_append_val (gone, ((Link *) value)->index);
  for (guint i = 0; i < gone->len; i++)
    remove_link (self, g_array_index (gone, guint, i));
}

void
vb_interface_table_begin_addresses (VbInterfaceTable *self)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->links);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    Link *link = value;
    if (link->addresses->len > 0) {
      g_array_set_size (link->addresses, 0);
      mark (self, link->index);
    }
  }
}

/* ---- queries ---- */

static gint
compare_uint (gconstpointer a, gconstpointer b)
{
  guint x = *(const guint *) a;
  guint y = *(const guint *) b;

  return x < y ? -1 : x > y;
}

static GArray *
sorted_keys (GHashTable *table)
{
  GArray *keys = g_array_sized_new (FALSE, FALSE, sizeof (guint), g_hash_table_size (table));
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, &key, NULL)) {
    guint index = GPOINTER_TO_UINT (key);
    g_array_append_val (keys, index);
  }
  g_array_sort (keys, compare_uint);
  return keys;
}

GArray *
vb_interface_table_take_dirty (VbInterfaceTable *self)
{
  GArray *dirty = sorted_keys (self->dirty);

  g_hash_table_remove_all (self->dirty);
  return dirty;
}

gboolean
vb_interface_table_has (VbInterfaceTable *self, guint index)
{
  return get_link (self, index) != NULL;
}

GArray *
vb_interface_table_list (VbInterfaceTable *self)
{
  return sorted_keys (self->links);
}

guint
vb_interface_table_lookup (VbInterfaceTable *self, const char *name)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->links);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (g_strcmp0 (((Link *) value)->name, name) == 0)
      return ((Link *) value)->index;
  return 0;
}

const char *
vb_interface_table_get_name (VbInterfaceTable *self, guint index)
{
  Link *link = get_link (self, index);

  return link != NULL ? link->name : NULL;
}

const char *
vb_interface_table_get_mac (VbInterfaceTable *self, guint index)
{
  Link *link = get_link (self, index);

  return link != NULL && link->mac[0] != '\0' ? link->mac : NULL;
}

gboolean
vb_interface_table_is_up (VbInterfaceTable *self, guint index)
{
  Link *link = get_link (self, index);

  return link != NULL && (link->flags & IFF_UP) != 0;
}

void
vb_interface_table_set_up (VbInterfaceTable *self, guint index, gboolean up)
{
  Link *link = get_link (self, index);

  if (link == NULL)
    return;
  link->flags = up ? link->flags | IFF_UP : link->flags & ~(guint) IFF_UP;
  mark (self, index);
}

/* ---- definitions ---- */

/* The links whose master is @index, ascending. */
static GPtrArray *
members_of (VbInterfaceTable *self, guint index)
{
  g_autoptr(GArray) all = sorted_keys (self->links);
  GPtrArray *members = g_ptr_array_new ();

  for (guint i = 0; i < all->len; i++) {
    Link *link = get_link (self, g_array_index (all, guint, i));
    if (link->master == index && link->index != index)
      g_ptr_array_add (members, link);
  }
  return members;
}

/* Centiseconds as seconds, written as short as exact: 1500 → "15",
 * 250 → "2.5", 1 → "0.01". */
static char *
format_delay (guint32 centiseconds)
{
  if (centiseconds % 100 == 0)
    return g_strdup_printf ("%u", centiseconds / 100);
  if (centiseconds % 10 == 0)
    return g_strdup_printf ("%u.%u", centiseconds / 100, centiseconds % 100 / 10);
  return g_strdup_printf ("%u.%02u", centiseconds / 100, centiseconds % 100);
}

static gboolean
is_ipv6_link_local (const Address *a)
{
  return a->family == AF_INET6 && a->bytes[0] == 0xfe && (a->bytes[1] & 0xc0) == 0x80;
}

static void
add_addresses (VbInterfaceDef *def, const Link *link)
{
  for (guint i = 0; i < link->addresses->len; i++) {
    const Address *a = &g_array_index (link->addresses, Address, i);
    GSocketFamily family = a->family == AF_INET ? G_SOCKET_FAMILY_IPV4 : G_SOCKET_FAMILY_IPV6;
    VbInterfaceProtocol *proto = a->family == AF_INET ? &def->ipv4 : &def->ipv6;
    g_autoptr(GInetAddress) inet = NULL;
    VbInterfaceIp *ip;

    /* netcf, which libvirt showed addresses with, left them out too. */
    if (is_ipv6_link_local (a))
      continue;
    inet = g_inet_address_new_from_bytes (a->bytes, family);
    ip = g_new0 (VbInterfaceIp, 1);
    ip->address = g_inet_address_to_string (inet);
    ip->prefix = a->prefix;
    proto->present = TRUE;
    g_ptr_array_add (proto->ips, ip);
  }
}

/* <link> of anything but a bridge. */
static void
set_link_state (VbInterfaceDef *def, const Link *link)
{
  def->has_link = link->oper_state >= 0 || link->speed > 0;
  if (link->oper_state >= 0)
    def->link_state = (VbInterfaceLinkState) (link->oper_state + 1);
  def->link_speed = link->speed;
}

static void
add_bond (VbInterfaceDef *def, const Link *link, GPtrArray *members)
{
  if (link->has_bond_mode && link->bond_mode <= BOND_MODE_ALB)
    def->bond_mode = (VbInterfaceBondMode) (link->bond_mode + 1);
  if (link->miimon > 0) {
    def->bond_monitor = VB_INTERFACE_BOND_MONITOR_MII;
    def->mii_freq = link->miimon;
    def->mii_updelay = link->updelay;
    def->mii_downdelay = link->downdelay;
    if (link->has_use_carrier)
      def->mii_carrier = link->use_carrier ? VB_INTERFACE_MII_CARRIER_NETIF : VB_INTERFACE_MII_CARRIER_IOCTL;
  } else if (link->arp_interval > 0 && link->has_arp_target) {
    g_autoptr(GInetAddress) target = g_inet_address_new_from_bytes (link->arp_target, G_SOCKET_FAMILY_IPV4);
    def->bond_monitor = VB_INTERFACE_BOND_MONITOR_ARP;
    def->arp_interval = link->arp_interval;
    def->arp_target = g_inet_address_to_string (target);
    /* The four values the format knows; the filter variants are left out. */
    if (link->has_arp_validate && link->arp_validate <= 3)
      def->arp_validate = (VbInterfaceArpValidate) (link->arp_validate + 1);
  }
  for (guint i = 0; i < members->len; i++) {
    const Link *member = g_ptr_array_index (members, i);
    /* The format's bond members are plain Ethernet, whatever they are. */
    VbInterfaceDef *m = vb_interface_def_new (VB_INTERFACE_ETHERNET);

    m->name = g_strdup (member->name);
    m->mac = member->mac[0] != '\0' ? g_strdup (member->mac) : NULL;
    set_link_state (m, member);
    g_ptr_array_add (def->members, m);
  }
}

/* @top: the interface asked for, else a bridge's member. */
static VbInterfaceDef *
build (VbInterfaceTable *self, const Link *link, gboolean top)
{
  g_autoptr(GPtrArray) members = NULL;
  VbInterfaceType type = VB_INTERFACE_ETHERNET;
  const Link *parent = NULL;
  VbInterfaceDef *def;

  /* What the format cannot show falls back to a plain Ethernet interface:
   * a bridge within a bridge, a bond without members (the format needs
   * one), a VLAN whose link is not in this namespace. */
  if (g_str_equal (link->kind, "bridge")) {
    if (top)
      type = VB_INTERFACE_BRIDGE;
  } else if (g_str_equal (link->kind, "bond")) {
    members = members_of (self, link->index);
    if (members->len > 0)
      type = VB_INTERFACE_BOND;
  } else if (g_str_equal (link->kind, "vlan") && link->has_vlan_id) {
    parent = get_link (self, link->parent);
    if (parent != NULL)
      type = VB_INTERFACE_VLAN;
  }

  def = vb_interface_def_new (type);
  def->name = g_strdup (link->name);
  if (top) {
    def->mtu = link->mtu;
    add_addresses (def, link);
  }
  if (type != VB_INTERFACE_BRIDGE)
    set_link_state (def, link);

  switch (type) {
  case VB_INTERFACE_ETHERNET:
    def->mac = link->mac[0] != '\0' ? g_strdup (link->mac) : NULL;
    break;
  case VB_INTERFACE_BRIDGE:
    if (link->has_stp)
      def->bridge_stp = link->stp_state != 0 ? VB_INTERFACE_TRISTATE_YES : VB_INTERFACE_TRISTATE_NO;
    if (link->has_delay)
      def->bridge_delay = format_delay (link->delay);
    members = members_of (self, link->index);
    for (guint i = 0; i < members->len; i++)
      g_ptr_array_add (def->members, build (self, g_ptr_array_index (members, i), FALSE));
    break;
  case VB_INTERFACE_BOND:
    add_bond (def, link, members);
    break;
  case VB_INTERFACE_VLAN:
    def->vlan_tag = link->vlan_id;
    def->vlan_device = g_strdup (parent->name);
    break;
  case VB_INTERFACE_TYPE_LAST:
  default:
    g_assert_not_reached ();
  }
  return def;
}

VbInterfaceDef *
vb_interface_table_build_def (VbInterfaceTable *self, guint index)
{
  Link *link = get_link (self, index);

  return link != NULL ? build (self, link, TRUE) : NULL;
}
