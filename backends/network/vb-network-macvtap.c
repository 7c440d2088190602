/* macvtap devices: a guest NIC of type 'direct' put straight onto a host
 * interface, with no bridge of ours in between. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "vb-error.h"
#include "vb-netlink.h"
#include "vb-network-local.h"

/* The character device the kernel made for macvtap @name ("maj:min" in
 * sysfs), or 0. */
static dev_t
macvtap_devno (const char *name, unsigned int index)
{
  g_autofree char *path = g_strdup_printf ("/sys/class/net/%s/macvtap/tap%u/dev", name, index);
  g_autofree char *text = NULL;
  unsigned int major_no, minor_no;

  if (!g_file_get_contents (path, &text, NULL, NULL) || sscanf (text, "%u:%u", &major_no, &minor_no) != 2)
    return 0;
  return makedev (major_no, minor_no);
}

/* Opens macvtap @name's character device: /dev/tapN when udev made it
 * (and it is this device: interface numbers are per network namespace),
 * else a node of our own in @node_dir, removed again once open. */
static int
open_macvtap (const char *name, const char *node_dir, GError **error)
{
  unsigned int index = if_nametoindex (name);
  g_autofree char *dev_path = g_strdup_printf ("/dev/tap%u", index);
  g_autofree char *own = NULL;
  struct stat st;
  dev_t devno;
  int fd, saved;

  devno = index != 0 ? macvtap_devno (name, index) : 0;
  if (devno == 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "cannot find the character device of macvtap '%s'", name);
    return -1;
  }
  if (stat (dev_path, &st) == 0 && S_ISCHR (st.st_mode) && st.st_rdev == devno)
    return open (dev_path, O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (g_mkdir_with_parents (node_dir, 0700) < 0) {
    saved = errno;
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot create %s: %s", node_dir, g_strerror (saved));
    return -1;
  }
  own = g_strdup_printf ("%s/tap%u-%08x", node_dir, index, g_random_int ());
  if (mknod (own, S_IFCHR | 0600, devno) < 0) {
    saved = errno;
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "cannot make a device node for macvtap '%s' in %s: %s", name,
                 node_dir, g_strerror (saved));
    return -1;
  }
  fd = open (own, O_RDWR | O_CLOEXEC | O_NOCTTY);
  saved = errno;
  unlink (own);
  if (fd < 0)
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "cannot open macvtap '%s': %s", name, g_strerror (saved));
  return fd;
}

/* macvtap devices start with the virtio net header on; QEMU's other
 * models want plain frames. */
static gboolean
set_vnet_hdr (int fd, const char *name, gboolean vnet_hdr, GError **error)
{
  struct ifreq ifr = { 0 };
  int saved;

  if (ioctl (fd, TUNGETIFF, &ifr) == 0) {
    ifr.ifr_flags = (short) ((ifr.ifr_flags & ~IFF_VNET_HDR) | (vnet_hdr ? IFF_VNET_HDR : 0));
    if (ioctl (fd, TUNSETIFF, &ifr) == 0)
      return TRUE;
  }
  saved = errno;
  g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "cannot set up macvtap '%s': %s", name, g_strerror (saved));
  return FALSE;
}

int
vb_network_macvtap_open (const char *lower, guint32 mode, const char *target_dev, const char *guest_mac,
                         gboolean vnet_hdr, const char *node_dir, char **name_out, GError **error)
{
  g_autofree char *name = NULL;
  GError *local = NULL;
  int fd;

  if (target_dev != NULL && !vb_netlink_name_is_valid (target_dev)) {
    g_set_error (error, VB_ERROR, VB_ERROR_XML, "invalid interface target name '%s'", target_dev);
    return -1;
  }
  if (lower == NULL || !vb_netlink_link_exists (lower)) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "host interface '%s' does not exist",
                 lower ? lower : "");
    return -1;
  }
  if (target_dev != NULL) {
    if (vb_netlink_link_exists (target_dev)) {
      g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "interface '%s' already exists", target_dev);
      return -1;
    }
    name = g_strdup (target_dev);
  } else {
    /* The first free macvtapN; a race with another creator fails below. */
    for (guint i = 0; name == NULL && i < 4096; i++) {
      g_autofree char *candidate = g_strdup_printf ("macvtap%u", i);
      if (!vb_netlink_link_exists (candidate))
        name = g_steal_pointer (&candidate);
    }
    if (name == NULL) {
      g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "no free macvtap device name");
      return -1;
    }
  }
  if (!vb_netlink_macvtap_add (name, lower, mode, guest_mac, &local)) {
    if (mode == MACVLAN_MODE_PASSTHRU)
      g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                   "%s (in passthrough mode the guest must be alone on '%s': no other macvtap or macvlan)",
                   local->message, lower);
    else
      g_propagate_error (error, g_steal_pointer (&local));
    g_clear_error (&local);
    return -1;
  }
  fd = -1;
  if (!vb_netlink_link_set_up (name, TRUE, &local) || (fd = open_macvtap (name, node_dir, &local)) < 0 ||
      !set_vnet_hdr (fd, name, vnet_hdr, &local)) {
    if (fd >= 0)
      close (fd);
    /* Unlike a tap, a macvtap outlives its descriptors: nothing half made
     * stays behind. */
    (void) vb_netlink_link_delete (name, NULL);
    g_propagate_error (error, local);
    return -1;
  }
  *name_out = g_steal_pointer (&name);
  return fd;
}

void
vb_network_macvtap_release (const char *name, const char *guest_mac, const char *lower)
{
  g_autofree char *dir = NULL;
  g_autofree char *address_path = NULL;
  g_autofree char *lower_link = NULL;
  g_autofree char *address = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ours;

  if (name == NULL || guest_mac == NULL || !vb_netlink_name_is_valid (name))
    return;
  dir = g_strdup_printf ("/sys/class/net/%s/macvtap", name);
  address_path = g_strdup_printf ("/sys/class/net/%s/address", name);
  lower_link = lower != NULL && vb_netlink_name_is_valid (lower)
                 ? g_strdup_printf ("/sys/class/net/%s/lower_%s", name, lower)
                 : NULL;
  /* Only a macvtap that still carries the guest's address is ours (in
   * passthrough mode it has the host interface's: then its being on that
   * interface says it): a device someone made under the name since is
   * left alone. */
  ours = g_file_test (dir, G_FILE_TEST_IS_DIR) &&
         ((g_file_get_contents (address_path, &address, NULL, NULL) &&
           g_ascii_strcasecmp (g_strstrip (address), guest_mac) == 0) ||
          (lower_link != NULL && g_file_test (lower_link, G_FILE_TEST_EXISTS)));
  if (ours && !vb_netlink_link_delete (name, &error))
    g_warning ("%s", error->message);
}
