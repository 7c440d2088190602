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

/* Opens @path @n times into @fds (each open is one queue). */
static gboolean
open_queues (const char *path, const char *name, guint n, int *fds, GError **error)
{
  for (guint i = 0; i < n; i++) {
    fds[i] = open (path, O_RDWR | O_CLOEXEC | O_NOCTTY);
    if (fds[i] < 0) {
      int saved = errno;

      g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "cannot open %s of macvtap '%s': %s",
                   n > 1 ? "a queue" : "the device", name, g_strerror (saved));
      for (guint j = 0; j < i; j++)
        close (fds[j]);
      return FALSE;
    }
  }
  return TRUE;
}

/* Opens macvtap @name's character device @queues times into @fds:
 * /dev/tapN when udev made it (and it is this device: interface numbers
 * are per network namespace), else a node of our own in @node_dir,
 * removed again once open. */
static gboolean
open_macvtap (const char *name, const char *node_dir, guint queues, int *fds, GError **error)
{
  unsigned int index = if_nametoindex (name);
  g_autofree char *dev_path = g_strdup_printf ("/dev/tap%u", index);
  g_autofree char *own = NULL;
  struct stat st;
  dev_t devno;
  gboolean opened;
  int saved;

  devno = index != 0 ? macvtap_devno (name, index) : 0;
  if (devno == 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "cannot find the character device of macvtap '%s'", name);
    return FALSE;
  }
  if (stat (dev_path, &st) == 0 && S_ISCHR (st.st_mode) && st.st_rdev == devno)
    return open_queues (dev_path, name, queues, fds, error);
  if (g_mkdir_with_parents (node_dir, 0700) < 0) {
    saved = errno;
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot create %s: %s", node_dir, g_strerror (saved));
    return FALSE;
  }
  own = g_strdup_printf ("%s/tap%u-%08x", node_dir, index, g_random_int ());
  if (mknod (own, S_IFCHR | 0600, devno) < 0) {
    saved = errno;
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "cannot make a device node for macvtap '%s' in %s: %s", name,
                 node_dir, g_strerror (saved));
    return FALSE;
  }
  opened = open_queues (own, name, queues, fds, error);
  unlink (own);
  return opened;
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

gboolean
vb_network_macvtap_open (const char *lower, guint32 mode, const char *target_dev, const char *guest_mac,
                         gboolean vnet_hdr, guint queues, int *fds, const char *node_dir, char **name_out,
                         GError **error)
{
  g_autofree char *name = NULL;
  GError *local = NULL;
  gboolean opened = FALSE, set_up = TRUE;

  if (target_dev != NULL && !vb_netlink_name_is_valid (target_dev)) {
    g_set_error (error, VB_ERROR, VB_ERROR_XML, "invalid interface target name '%s'", target_dev);
    return FALSE;
  }
  if (lower == NULL || !vb_netlink_link_exists (lower)) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "host interface '%s' does not exist",
                 lower ? lower : "");
    return FALSE;
  }
  if (target_dev != NULL) {
    if (vb_netlink_link_exists (target_dev)) {
      g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "interface '%s' already exists", target_dev);
      return FALSE;
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
      return FALSE;
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
    return FALSE;
  }
  if (vb_netlink_link_set_up (name, TRUE, &local) && (opened = open_macvtap (name, node_dir, queues, fds, &local)))
    for (guint i = 0; set_up && i < queues; i++)
      set_up = set_vnet_hdr (fds[i], name, vnet_hdr, &local);
  if (!opened || !set_up) {
    for (guint i = 0; opened && i < queues; i++)
      close (fds[i]);
    /* Unlike a tap, a macvtap outlives its descriptors: nothing half made
     * stays behind. */
    (void) vb_netlink_link_delete (name, NULL);
    g_propagate_error (error, local);
    return FALSE;
  }
  *name_out = g_steal_pointer (&name);
  return TRUE;
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
