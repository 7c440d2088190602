/* rtnetlink requests (links, addresses, routes) and tap devices. */
#include "config.h"

#include "vb-netlink.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "vb-error.h"

/* Every request here is far below this. */
#define NL_BUF 1024

typedef struct {
  union {
    struct nlmsghdr hdr;
    char buf[NL_BUF];
  };
} NlMsg;

gboolean
vb_netlink_name_is_valid (const char *name)
{
  size_t len = name ? strlen (name) : 0;

  if (len == 0 || len >= IFNAMSIZ || g_str_equal (name, ".") || g_str_equal (name, ".."))
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
      return FALSE;
  return TRUE;
}

gboolean
vb_netlink_link_exists (const char *name)
{
  return vb_netlink_name_is_valid (name) && if_nametoindex (name) != 0;
}

static void *
msg_init (NlMsg *msg, guint16 type, guint16 flags, size_t body)
{
  memset (msg, 0, sizeof *msg);
  msg->hdr.nlmsg_len = NLMSG_LENGTH (body);
  msg->hdr.nlmsg_type = type;
  msg->hdr.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  return NLMSG_DATA (&msg->hdr);
}

static struct rtattr *
put_attr (NlMsg *msg, guint16 type, const void *data, size_t len)
{
  struct rtattr *rta = (struct rtattr *) (msg->buf + NLMSG_ALIGN (msg->hdr.nlmsg_len));

  g_assert (NLMSG_ALIGN (msg->hdr.nlmsg_len) + RTA_SPACE (len) <= sizeof msg->buf);
  rta->rta_type = type;
  rta->rta_len = RTA_LENGTH (len);
  if (len > 0)
    memcpy (RTA_DATA (rta), data, len);
  msg->hdr.nlmsg_len = NLMSG_ALIGN (msg->hdr.nlmsg_len) + RTA_SPACE (len);
  return rta;
}

static void
put_u32 (NlMsg *msg, guint16 type, guint32 value)
{
  put_attr (msg, type, &value, sizeof value);
}

static void
put_str (NlMsg *msg, guint16 type, const char *value)
{
  put_attr (msg, type, value, strlen (value) + 1);
}

static struct rtattr *
nest_start (NlMsg *msg, guint16 type)
{
  return put_attr (msg, type, NULL, 0);
}

static void
nest_end (NlMsg *msg, struct rtattr *nest)
{
  nest->rta_len = (unsigned short) (msg->buf + msg->hdr.nlmsg_len - (char *) nest);
}

/* Sends @msg and waits for the kernel's acknowledgement. @what says what
 * the request was for the error message. */
static gboolean
talk (NlMsg *msg, const char *what, GError **error)
{
  struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
  char reply[NL_BUF];
  int fd, saved;
  ssize_t n;

  fd = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) {
    saved = errno;
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "cannot %s: netlink: %s", what, g_strerror (saved));
    return FALSE;
  }
  /* The kernel answers at once; a bound wait all the same, so that the
   * main loop can never hang on it. */
  {
    struct timeval limit = { .tv_sec = 5 };
    (void) setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  }
  msg->hdr.nlmsg_seq = 1;
  if (sendto (fd, msg->buf, msg->hdr.nlmsg_len, 0, (struct sockaddr *) &kernel, sizeof kernel) < 0) {
    saved = errno;
    close (fd);
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "cannot %s: netlink: %s", what, g_strerror (saved));
    return FALSE;
  }
  do
    n = recv (fd, reply, sizeof reply, 0);
  while (n < 0 && errno == EINTR);
  saved = errno;
  close (fd);
  if (n < 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "cannot %s: netlink: %s", what, g_strerror (saved));
    return FALSE;
  }
  for (struct nlmsghdr *h = (struct nlmsghdr *) reply; NLMSG_OK (h, (size_t) n); h = NLMSG_NEXT (h, n)) {
    if (h->nlmsg_type == NLMSG_ERROR && h->nlmsg_len >= NLMSG_LENGTH (sizeof (struct nlmsgerr))) {
      const struct nlmsgerr *err = NLMSG_DATA (h);
      if (err->error == 0)
        return TRUE;
      g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "cannot %s: %s", what, g_strerror (-err->error));
      return FALSE;
    }
  }
  g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "cannot %s: no answer from the kernel", what);
  return FALSE;
}

static gboolean
parse_mac (const char *mac, guint8 out[6], GError **error)
{
  if (mac == NULL || sscanf (mac, "%2hhx:%2hhx:%2hhx:%2hhx:%2hhx:%2hhx", &out[0], &out[1], &out[2], &out[3],
                             &out[4], &out[5]) != 6 || strlen (mac) != 17) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "invalid MAC address '%s'", mac ? mac : "");
    return FALSE;
  }
  return TRUE;
}

static int
link_index (const char *name, const char *what, GError **error)
{
  unsigned int index = vb_netlink_name_is_valid (name) ? if_nametoindex (name) : 0;

  if (index == 0)
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "cannot %s: no interface '%s'", what, name ? name : "");
  return (int) index;
}

gboolean
vb_netlink_bridge_add (const char *name, const char *mac, guint mtu, gboolean stp, guint delay, GError **error)
{
  g_autofree char *what = g_strdup_printf ("create bridge '%s'", name);
  NlMsg msg;
  struct ifinfomsg *ifi = msg_init (&msg, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof *ifi);
  struct rtattr *info, *data;
  guint8 addr[6];

  if (!vb_netlink_name_is_valid (name)) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "invalid bridge name '%s'", name ? name : "");
    return FALSE;
  }
  if (delay > 30) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "bridge forward delay %u s is out of range (0 to 30)",
                 delay);
    return FALSE;
  }
  ifi->ifi_family = AF_UNSPEC;
  put_str (&msg, IFLA_IFNAME, name);
  if (mac != NULL) {
    if (!parse_mac (mac, addr, error))
      return FALSE;
    put_attr (&msg, IFLA_ADDRESS, addr, sizeof addr);
  }
  if (mtu != 0)
    put_u32 (&msg, IFLA_MTU, mtu);
  info = nest_start (&msg, IFLA_LINKINFO);
  put_str (&msg, IFLA_INFO_KIND, "bridge");
  data = nest_start (&msg, IFLA_INFO_DATA);
  /* The kernel applies the delay before STP (br_changelink's order), so
   * STP with a delay under its 2 s minimum is accepted: the delay the
   * XML asks for applies while STP is off, STP's minimum once it is on. */
  put_u32 (&msg, IFLA_BR_FORWARD_DELAY, delay * 100);
  put_u32 (&msg, IFLA_BR_STP_STATE, stp ? 1 : 0);
  nest_end (&msg, data);
  nest_end (&msg, info);
  return talk (&msg, what, error);
}

gboolean
vb_netlink_ifb_add (const char *name, const char *alias, GError **error)
{
  g_autofree char *what = g_strdup_printf ("create IFB device '%s'", name);
  NlMsg msg;
  struct ifinfomsg *ifi = msg_init (&msg, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof *ifi);
  struct rtattr *info;

  if (!vb_netlink_name_is_valid (name)) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "invalid interface name '%s'", name ? name : "");
    return FALSE;
  }
  ifi->ifi_family = AF_UNSPEC;
  put_str (&msg, IFLA_IFNAME, name);
  if (alias != NULL)
    put_str (&msg, IFLA_IFALIAS, alias);
  info = nest_start (&msg, IFLA_LINKINFO);
  put_str (&msg, IFLA_INFO_KIND, "ifb");
  nest_end (&msg, info);
  return talk (&msg, what, error);
}

gboolean
vb_netlink_link_delete (const char *name, GError **error)
{
  g_autofree char *what = g_strdup_printf ("delete interface '%s'", name);
  NlMsg msg;
  struct ifinfomsg *ifi = msg_init (&msg, RTM_DELLINK, 0, sizeof *ifi);

  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = link_index (name, what, error);
  return ifi->ifi_index != 0 && talk (&msg, what, error);
}

/* RTM_NEWLINK on an existing link, with the attributes the caller adds. */
static struct ifinfomsg *
link_change (NlMsg *msg, const char *name, const char *what, GError **error)
{
  struct ifinfomsg *ifi = msg_init (msg, RTM_NEWLINK, 0, sizeof *ifi);

  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = link_index (name, what, error);
  return ifi->ifi_index != 0 ? ifi : NULL;
}

gboolean
vb_netlink_link_set_up (const char *name, gboolean up, GError **error)
{
  g_autofree char *what = g_strdup_printf ("set interface '%s' %s", name, up ? "up" : "down");
  NlMsg msg;
  struct ifinfomsg *ifi = link_change (&msg, name, what, error);

  if (ifi == NULL)
    return FALSE;
  ifi->ifi_change = IFF_UP;
  ifi->ifi_flags = up ? IFF_UP : 0;
  return talk (&msg, what, error);
}

gboolean
vb_netlink_link_set_master (const char *name, const char *master, GError **error)
{
  g_autofree char *what = master ? g_strdup_printf ("add interface '%s' to bridge '%s'", name, master)
                                 : g_strdup_printf ("take interface '%s' out of its bridge", name);
  NlMsg msg;
  int master_index = 0;

  if (master != NULL && (master_index = link_index (master, what, error)) == 0)
    return FALSE;
  if (link_change (&msg, name, what, error) == NULL)
    return FALSE;
  put_u32 (&msg, IFLA_MASTER, (guint32) master_index);
  return talk (&msg, what, error);
}

gboolean
vb_netlink_link_set_mtu (const char *name, guint mtu, GError **error)
{
  g_autofree char *what = g_strdup_printf ("set the MTU of '%s' to %u", name, mtu);
  NlMsg msg;

  if (link_change (&msg, name, what, error) == NULL)
    return FALSE;
  put_u32 (&msg, IFLA_MTU, mtu);
  return talk (&msg, what, error);
}

gboolean
vb_netlink_link_set_mac (const char *name, const char *mac, GError **error)
{
  g_autofree char *what = g_strdup_printf ("set the MAC address of '%s'", name);
  NlMsg msg;
  guint8 addr[6];

  if (!parse_mac (mac, addr, error) || link_change (&msg, name, what, error) == NULL)
    return FALSE;
  put_attr (&msg, IFLA_ADDRESS, addr, sizeof addr);
  return talk (&msg, what, error);
}

guint
vb_netlink_link_get_mtu (const char *name)
{
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  guint64 mtu;

  if (!vb_netlink_name_is_valid (name))
    return 0;
  path = g_strdup_printf ("/sys/class/net/%s/mtu", name);
  if (!g_file_get_contents (path, &text, NULL, NULL) || !g_ascii_string_to_unsigned (g_strstrip (text), 10, 1,
                                                                                    G_MAXUINT32, &mtu, NULL))
    return 0;
  return (guint) mtu;
}

gboolean
vb_netlink_address_add (const char *name, GInetAddress *address, guint prefix, GError **error)
{
  return vb_netlink_address_add_peer (name, address, prefix, NULL, error);
}

gboolean
vb_netlink_address_add_peer (const char *name, GInetAddress *address, guint prefix, GInetAddress *peer,
                             GError **error)
{
  g_autofree char *text = g_inet_address_to_string (address);
  g_autofree char *what = g_strdup_printf ("add address %s/%u to '%s'", text, prefix, name);
  gboolean v4 = g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV4;
  gsize len = g_inet_address_get_native_size (address);
  NlMsg msg;
  struct ifaddrmsg *ifa = msg_init (&msg, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof *ifa);

  if (prefix > len * 8) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "cannot %s: prefix out of range", what);
    return FALSE;
  }
  ifa->ifa_family = v4 ? AF_INET : AF_INET6;
  ifa->ifa_prefixlen = (unsigned char) prefix;
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = (unsigned) link_index (name, what, error);
  if (ifa->ifa_index == 0)
    return FALSE;
  if (peer != NULL && g_inet_address_get_family (peer) != g_inet_address_get_family (address)) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "cannot %s: the peer is of another family", what);
    return FALSE;
  }
  put_attr (&msg, IFA_LOCAL, g_inet_address_to_bytes (address), len);
  /* A point-to-point link: IFA_ADDRESS is the other end. */
  put_attr (&msg, IFA_ADDRESS, g_inet_address_to_bytes (peer != NULL ? peer : address), len);
  if (v4 && prefix < 31 && peer == NULL) {
    guint32 a;
    memcpy (&a, g_inet_address_to_bytes (address), 4);
    a |= g_htonl (prefix == 0 ? 0xffffffffu : (1u << (32 - prefix)) - 1);
    put_attr (&msg, IFA_BROADCAST, &a, 4);
  }
  return talk (&msg, what, error);
}

gboolean
vb_netlink_route_add (const char *name, GInetAddress *dest, guint prefix, GInetAddress *gateway, guint metric,
                      GError **error)
{
  g_autofree char *text = g_inet_address_to_string (dest);
  g_autofree char *what = g_strdup_printf ("add a route to %s/%u via '%s'", text, prefix, name);
  gsize len = g_inet_address_get_native_size (dest);
  NlMsg msg;
  struct rtmsg *rt = msg_init (&msg, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, sizeof *rt);
  int index = link_index (name, what, error);

  if (index == 0)
    return FALSE;
  if (prefix > len * 8 || (gateway != NULL && g_inet_address_get_family (gateway) != g_inet_address_get_family (dest))) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "cannot %s: bad prefix or gateway", what);
    return FALSE;
  }
  rt->rtm_family = len == 4 ? AF_INET : AF_INET6;
  rt->rtm_dst_len = (unsigned char) prefix;
  rt->rtm_table = RT_TABLE_MAIN;
  rt->rtm_protocol = RTPROT_STATIC;
  rt->rtm_scope = gateway != NULL ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
  rt->rtm_type = RTN_UNICAST;
  put_attr (&msg, RTA_DST, g_inet_address_to_bytes (dest), len);
  if (gateway != NULL)
    put_attr (&msg, RTA_GATEWAY, g_inet_address_to_bytes (gateway), len);
  put_u32 (&msg, RTA_OIF, (guint32) index);
  if (metric != 0)
    put_u32 (&msg, RTA_PRIORITY, metric);
  return talk (&msg, what, error);
}

/* One descriptor of tap @name (a template the first time). */
static int
tap_open_queue (const char *name, short flags, char **name_out, GError **error)
{
  struct ifreq ifr = { 0 };
  int fd, saved;

  fd = open ("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    saved = errno;
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "cannot open /dev/net/tun: %s", g_strerror (saved));
    return -1;
  }
  ifr.ifr_flags = flags;
  g_strlcpy (ifr.ifr_name, name, sizeof ifr.ifr_name);
  if (ioctl (fd, TUNSETIFF, &ifr) < 0) {
    saved = errno;
    close (fd);
    /* An existing tap made for a different number of queues. */
    if (saved == EINVAL && strchr (name, '%') == NULL && (flags & IFF_MULTI_QUEUE))
      g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "tap device '%s' was not made for several queues "
                   "(multi_queue)", name);
    else if (saved == EINVAL && strchr (name, '%') == NULL)
      g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "tap device '%s' was made for several queues "
                   "(multi_queue): the interface needs <driver queues=...>", name);
    else
      g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "cannot create tap device '%s': %s", name, g_strerror (saved));
    return -1;
  }
  if (name_out != NULL)
    *name_out = g_strndup (ifr.ifr_name, IFNAMSIZ);
  return fd;
}

gboolean
vb_tap_create (const char *name_template, gboolean vnet_hdr, guint queues, int *fds, char **name_out,
               GError **error)
{
  short flags = IFF_TAP | IFF_NO_PI | (vnet_hdr ? IFF_VNET_HDR : 0) | (queues > 1 ? IFF_MULTI_QUEUE : 0);
  g_autofree char *name = NULL;

  g_return_val_if_fail (queues >= 1, FALSE);
  if (strlen (name_template) >= IFNAMSIZ) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "tap name '%s' is too long", name_template);
    return FALSE;
  }
  if ((fds[0] = tap_open_queue (name_template, flags, &name, error)) < 0)
    return FALSE;
  for (guint i = 1; i < queues; i++) {
    if ((fds[i] = tap_open_queue (name, flags, NULL, error)) < 0) {
      /* A new tap goes with its last descriptor. */
      for (guint j = 0; j < i; j++)
        close (fds[j]);
      return FALSE;
    }
  }
  *name_out = g_steal_pointer (&name);
  return TRUE;
}

gboolean
vb_netlink_macvtap_add (const char *name, const char *lower, guint32 mode, const char *mac, GError **error)
{
  g_autofree char *what = g_strdup_printf ("create macvtap device '%s' on '%s'", name, lower);
  NlMsg msg;
  struct ifinfomsg *ifi = msg_init (&msg, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof *ifi);
  struct rtattr *info, *data;
  guint8 addr[6];
  int lower_index;

  if (!vb_netlink_name_is_valid (name)) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "invalid interface name '%s'", name ? name : "");
    return FALSE;
  }
  lower_index = link_index (lower, what, error);
  if (lower_index == 0 || !parse_mac (mac, addr, error))
    return FALSE;
  ifi->ifi_family = AF_UNSPEC;
  put_str (&msg, IFLA_IFNAME, name);
  put_u32 (&msg, IFLA_LINK, (guint32) lower_index);
  put_attr (&msg, IFLA_ADDRESS, addr, sizeof addr);
  info = nest_start (&msg, IFLA_LINKINFO);
  put_str (&msg, IFLA_INFO_KIND, "macvtap");
  data = nest_start (&msg, IFLA_INFO_DATA);
  put_u32 (&msg, IFLA_MACVLAN_MODE, mode);
  nest_end (&msg, data);
  nest_end (&msg, info);
  return talk (&msg, what, error);
}
