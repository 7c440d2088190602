/* Host devices from sysfs, named and described as libvirt's udev node
 * device driver does (see the header and README.md). */
#include "config.h"

#include "vb-nodedev-sysfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vb-error.h"
#include "vb-nodedev-ids.h"
#include "vb-xml.h"

/* A sysfs attribute is at most a page; PCI config space is 4 KiB. */
#define ATTR_MAX 4096
#define CONFIG_MAX 4096
/* Far above any real directory of sysfs (a host with thousands of disks
 * or virtual functions stays below); keeps a hostile tree bounded. */
#define MAX_DIR_ENTRIES 65536
#define MAX_DEVPATH 4096
/* How the XML shows device paths, whatever the root. */
#define SYSFS_PREFIX "/sys/"

struct _VbNodedevSysfs {
  char *root; /* canonical, no trailing '/' */
  VbNodedevIds *pci_ids;
  VbNodedevIds *usb_ids;
};

static const char *const pci_ids_files[] = { "/usr/share/misc/pci.ids", "/usr/share/hwdata/pci.ids", NULL };
static const char *const usb_ids_files[] = { "/usr/share/misc/usb.ids", "/usr/share/hwdata/usb.ids",
                                             "/var/lib/usbutils/usb.ids", NULL };

static VbNodedevSysfsWriteHook write_hook;
static gpointer write_hook_data;

/* ---- lifetime ---- */

VbNodedevSysfs *
vb_nodedev_sysfs_new (const char *root, GError **error)
{
  g_autofree char *real = realpath (root, NULL);
  VbNodedevSysfs *self;

  if (real == NULL || !g_file_test (real, G_FILE_TEST_IS_DIR)) {
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot read sysfs at %s: %s", root,
                 real == NULL ? g_strerror (errno) : "not a directory");
    return NULL;
  }
  self = g_atomic_rc_box_new0 (VbNodedevSysfs);
  /* realpath gives "/" only for the root directory itself. */
  self->root = g_str_equal (real, "/") ? g_strdup ("") : g_steal_pointer (&real);
  vb_nodedev_sysfs_set_ids_files (self, vb_nodedev_ids_find_file (pci_ids_files),
                                  vb_nodedev_ids_find_file (usb_ids_files));
  return self;
}

VbNodedevSysfs *
vb_nodedev_sysfs_ref (VbNodedevSysfs *self)
{
  return g_atomic_rc_box_acquire (self);
}

static void
sysfs_clear (gpointer p)
{
  VbNodedevSysfs *self = p;

  g_free (self->root);
  vb_nodedev_ids_free (self->pci_ids);
  vb_nodedev_ids_free (self->usb_ids);
}

void
vb_nodedev_sysfs_unref (VbNodedevSysfs *self)
{
  if (self != NULL)
    g_atomic_rc_box_release_full (self, sysfs_clear);
}

void
vb_nodedev_sysfs_set_ids_files (VbNodedevSysfs *self, const char *pci_ids, const char *usb_ids)
{
  g_clear_pointer (&self->pci_ids, vb_nodedev_ids_free);
  g_clear_pointer (&self->usb_ids, vb_nodedev_ids_free);
  self->pci_ids = pci_ids ? vb_nodedev_ids_new (pci_ids) : NULL;
  self->usb_ids = usb_ids ? vb_nodedev_ids_new (usb_ids) : NULL;
}

void
vb_nodedev_sysfs_device_free (VbNodedevSysfsDevice *device)
{
  if (device == NULL)
    return;
  g_free (device->devpath);
  vb_nodedev_def_free (device->def);
  g_free (device);
}

void
vb_nodedev_sysfs_set_write_hook (VbNodedevSysfsWriteHook hook, gpointer user_data)
{
  write_hook = hook;
  write_hook_data = user_data;
}

/* ---- reading sysfs ---- */

/* A name sysfs could give a directory entry: printable ASCII without
 * spaces or '/', not "." or "..". */
static gboolean
valid_name (const char *name)
{
  gsize len = strlen (name);

  if (len == 0 || len > NAME_MAX || g_str_equal (name, ".") || g_str_equal (name, ".."))
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if ((guchar) *p <= ' ' || (guchar) *p >= 0x7f || *p == '/')
      return FALSE;
  return TRUE;
}

gboolean
vb_nodedev_sysfs_devpath_is_valid (const char *devpath)
{
  g_auto(GStrv) parts = NULL;

  if (devpath == NULL || strlen (devpath) > MAX_DEVPATH || !g_str_has_prefix (devpath, "devices/"))
    return FALSE;
  parts = g_strsplit (devpath, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    if (!valid_name (parts[i]))
      return FALSE;
  return TRUE;
}

const char *
vb_nodedev_sysfs_def_devpath (const VbNodeDevDef *def)
{
  const char *devpath;

  if (def == NULL || def->sysfs_path == NULL || !g_str_has_prefix (def->sysfs_path, SYSFS_PREFIX))
    return NULL;
  devpath = def->sysfs_path + strlen (SYSFS_PREFIX);
  return vb_nodedev_sysfs_devpath_is_valid (devpath) ? devpath : NULL;
}

gpointer
vb_nodedev_sysfs_find_ancestor (GHashTable *table, const char *devpath)
{
  g_autofree char *path = g_strdup (devpath);
  char *slash;

  while ((slash = strrchr (path, '/')) != NULL) {
    gpointer value;
    *slash = '\0';
    value = g_hash_table_lookup (table, path);
    if (value != NULL)
      return value;
  }
  return NULL;
}

/* Reads regular file @path, at most @max bytes; NULL when it cannot be
 * read or is longer (a sysfs attribute never is: a fake tree might be). */
static char *
read_bounded (const char *path, gsize max, gsize *len_out)
{
  g_autofree char *buf = NULL;
  struct stat st;
  gsize len = 0;
  int fd;

  /* No FIFO can block the open, no link at the end leads elsewhere. */
  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    if (errno != ENOENT)
      g_debug ("cannot open %s: %s", path, g_strerror (errno));
    return NULL;
  }
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode)) {
    g_debug ("%s is not a regular file", path);
    close (fd);
    return NULL;
  }
  buf = g_malloc (max + 2);
  while (len <= max) {
    ssize_t n = read (fd, buf + len, max + 1 - len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int saved = errno;
      /* Normal for some attributes (a link's speed while it is down). */
      g_debug ("cannot read %s: %s", path, g_strerror (saved));
      close (fd);
      return NULL;
    }
    if (n == 0)
      break;
    len += (gsize) n;
  }
  close (fd);
  if (len > max) {
    g_debug ("%s is longer than %" G_GSIZE_FORMAT " bytes: ignored", path, max);
    return NULL;
  }
  buf[len] = '\0';
  if (len_out != NULL)
    *len_out = len;
  return g_steal_pointer (&buf);
}

/* Attribute @name of @dir without surrounding white space; NULL when
 * missing, unreadable or binary. */
static char *
read_attr (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  gsize len = 0;
  g_autofree char *text = read_bounded (path, ATTR_MAX, &len);

  if (text == NULL)
    return NULL;
  if (strlen (text) != len) {
    g_debug ("%s holds a NUL byte: ignored", path);
    return NULL;
  }
  return g_strdup (g_strstrip (text));
}

/* An attribute that goes into the XML as text: non-empty, printable. */
static char *
read_text (const char *dir, const char *name)
{
  g_autofree char *text = read_attr (dir, name);

  if (text == NULL || text[0] == '\0')
    return NULL;
  if (!vb_nodedev_text_is_valid (text)) {
    g_debug ("%s/%s is not printable text: ignored", dir, name);
    return NULL;
  }
  return g_steal_pointer (&text);
}

static gboolean
parse_unsigned (const char *text, guint base, guint64 max, guint64 *out)
{
  if (base == 16 && (g_str_has_prefix (text, "0x") || g_str_has_prefix (text, "0X")))
    text += 2;
  return g_ascii_string_to_unsigned (text, base, 0, max, out, NULL);
}

/* An unsigned attribute (base 10, or 16 with or without "0x"), at most @max. */
static gboolean
read_uint (const char *dir, const char *name, guint base, guint64 max, guint64 *out)
{
  g_autofree char *text = read_attr (dir, name);

  if (text == NULL)
    return FALSE;
  if (!parse_unsigned (text, base, max, out)) {
    g_debug ("%s/%s: '%s' is not a number up to %" G_GUINT64_FORMAT, dir, name, text, max);
    return FALSE;
  }
  return TRUE;
}

static gboolean
read_int (const char *dir, const char *name, gint64 *out)
{
  g_autofree char *text = read_attr (dir, name);

  return text != NULL && g_ascii_string_to_signed (text, 10, G_MININT, G_MAXINT, out, NULL);
}

/* The last component of where link @name of @dir points, when it is a
 * plausible sysfs name (a driver, a subsystem, a PCI address…). */
static char *
read_link_name (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  char target[PATH_MAX];
  const char *base;
  ssize_t n = readlink (path, target, sizeof target);

  if (n < 0 || (gsize) n >= sizeof target)
    return NULL;
  target[n] = '\0';
  base = strrchr (target, '/');
  base = base ? base + 1 : target;
  if (!valid_name (base)) {
    g_debug ("%s points to an odd name: ignored", path);
    return NULL;
  }
  return g_strdup (base);
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The plausible names in directory @dir, sorted (empty when there is no
 * such directory). */
static GPtrArray *
list_dir (const char *dir)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return names;
  while ((name = g_dir_read_name (d)) != NULL) {
    if (names->len >= MAX_DIR_ENTRIES) {
      g_debug ("%s: more than %d entries, the rest ignored", dir, MAX_DIR_ENTRIES);
      break;
    }
    if (valid_name (name))
      g_ptr_array_add (names, g_strdup (name));
  }
  g_ptr_array_sort (names, compare_strings);
  return names;
}

/* What the device's uevent file says (the kernel's own properties). */
typedef struct {
  char *devtype; /* "disk", "partition", "usb_device", "wlan", … */
  char *devname; /* relative to /dev: "sda", "bus/usb/001/002" */
} Uevent;

static void
uevent_clear (Uevent *uevent)
{
  g_free (uevent->devtype);
  g_free (uevent->devname);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Uevent, uevent_clear)

static gboolean
valid_devname (const char *devname)
{
  g_auto(GStrv) parts = g_strsplit (devname, "/", -1);

  if (g_strv_length (parts) > 8)
    return FALSE;
  for (guint i = 0; parts[i] != NULL; i++)
    if (!valid_name (parts[i]))
      return FALSE;
  return TRUE;
}

static void
read_uevent (const char *dir, Uevent *uevent)
{
  g_autofree char *text = read_attr (dir, "uevent");
  g_auto(GStrv) lines = NULL;

  if (text == NULL)
    return;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    const char *line = lines[i];
    if (g_str_has_prefix (line, "DEVTYPE=") && uevent->devtype == NULL && valid_name (line + 8))
      uevent->devtype = g_strdup (line + 8);
    else if (g_str_has_prefix (line, "DEVNAME=") && uevent->devname == NULL && valid_devname (line + 8))
      uevent->devname = g_strdup (line + 8);
  }
}

/* The device's directory, when @devpath is a directory of the tree itself
 * (no link in it leads out or elsewhere). */
static char *
device_dir (VbNodedevSysfs *self, const char *devpath)
{
  g_autofree char *dir = NULL;
  g_autofree char *real = NULL;

  if (!vb_nodedev_sysfs_devpath_is_valid (devpath)) {
    g_debug ("'%s' is not a device path", devpath);
    return NULL;
  }
  dir = g_build_filename (self->root[0] ? self->root : "/", devpath, NULL);
  real = realpath (dir, NULL);
  if (real == NULL || !g_str_equal (real, dir) || !g_file_test (real, G_FILE_TEST_IS_DIR)) {
    g_debug ("%s is no device directory", dir);
    return NULL;
  }
  return g_steal_pointer (&dir);
}

static char *
root_path (VbNodedevSysfs *self, const char *relative)
{
  return g_build_filename (self->root[0] ? self->root : "/", relative, NULL);
}

/* The devpath a link of bus/…/devices or class/… leads to, when it stays
 * inside the tree. */
static char *
link_devpath (VbNodedevSysfs *self, const char *link)
{
  g_autofree char *real = realpath (link, NULL);
  g_autofree char *prefix = g_strconcat (self->root, "/", NULL);
  const char *devpath;

  if (real == NULL) {
    g_debug ("%s leads nowhere: ignored", link);
    return NULL;
  }
  if (!g_str_has_prefix (real, prefix)) {
    g_debug ("%s leads out of sysfs: ignored", link);
    return NULL;
  }
  devpath = real + strlen (prefix);
  if (!vb_nodedev_sysfs_devpath_is_valid (devpath)) {
    g_debug ("%s leads to %s, no device path: ignored", link, real);
    return NULL;
  }
  return g_strdup (devpath);
}

/* libvirt's names: "<subsystem>_<sysname>[_<extra>]" with every byte that
 * is not an ASCII letter or digit turned into '_'. */
static char *
make_name (const char *subsystem, const char *sysname, const char *extra)
{
  char *name = extra ? g_strdup_printf ("%s_%s_%s", subsystem, sysname, extra)
                     : g_strdup_printf ("%s_%s", subsystem, sysname);

  for (char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p))
      *p = '_';
  return name;
}

/* Up to @max hex digits (at least @min) at *@s. */
static gboolean
take_hex (const char **s, int min, int max, guint *out)
{
  guint value = 0;
  int n = 0;

  while (n < max && g_ascii_isxdigit ((*s)[n])) {
    value = value * 16 + (guint) g_ascii_xdigit_value ((*s)[n]);
    n++;
  }
  if (n < min)
    return FALSE;
  *s += n;
  *out = value;
  return TRUE;
}

/* "dddd:bb:ss.f" (a domain of up to 8 digits, as VMD has). */
static gboolean
parse_pci_address (const char *text, VbNodeDevPciAddress *addr)
{
  const char *p = text;

  return take_hex (&p, 4, 8, &addr->domain) && *p++ == ':' && take_hex (&p, 2, 2, &addr->bus) && *p++ == ':' &&
         take_hex (&p, 2, 2, &addr->slot) && *p++ == '.' && take_hex (&p, 1, 1, &addr->function) && *p == '\0' &&
         addr->slot <= 0x1f && addr->function <= 7;
}

static int
compare_pci_addresses (gconstpointer pa, gconstpointer pb)
{
  const VbNodeDevPciAddress *a = pa, *b = pb;

  if (a->domain != b->domain)
    return a->domain < b->domain ? -1 : 1;
  if (a->bus != b->bus)
    return a->bus < b->bus ? -1 : 1;
  if (a->slot != b->slot)
    return a->slot < b->slot ? -1 : 1;
  return (int) a->function - (int) b->function;
}

/* "<prefix>N:N:…" with @count decimal numbers, nothing else. */
static gboolean
parse_numbers (const char *text, const char *prefix, guint count, guint *out)
{
  g_auto(GStrv) parts = NULL;

  if (!g_str_has_prefix (text, prefix))
    return FALSE;
  parts = g_strsplit (text + strlen (prefix), ":", -1);
  if (g_strv_length (parts) != count)
    return FALSE;
  for (guint i = 0; i < count; i++) {
    guint64 v;
    if (!g_ascii_string_to_unsigned (parts[i], 10, 0, G_MAXUINT, &v, NULL))
      return FALSE;
    out[i] = (guint) v;
  }
  return TRUE;
}

/* ---- computer ---- */

VbNodeDevDef *
vb_nodedev_sysfs_read_computer (VbNodedevSysfs *self)
{
  g_autofree char *dmi = root_path (self, "class/dmi/id");
  g_autofree char *uuid = read_attr (dmi, "product_uuid");
  VbNodeDevDef *def = vb_nodedev_def_new ();
  VbNodeDevCap *cap = vb_nodedev_def_add_cap (def, VB_NODEDEV_CAP_SYSTEM);
  VbNodeDevCapSystem *sys = &cap->system;

  def->name = g_strdup (VB_NODEDEV_COMPUTER);
  sys->product = read_text (dmi, "product_name");
  sys->hardware_vendor = read_text (dmi, "sys_vendor");
  sys->hardware_version = read_text (dmi, "product_version");
  sys->hardware_serial = read_text (dmi, "product_serial");
  /* Unknown stays empty: the XML then shows all zeroes, as libvirt does. */
  if (uuid != NULL && !vb_uuid_parse (uuid, sys->hardware_uuid))
    g_debug ("DMI product_uuid '%s' is not a UUID: ignored", uuid);
  sys->firmware_vendor = read_text (dmi, "bios_vendor");
  sys->firmware_version = read_text (dmi, "bios_version");
  sys->firmware_release_date = read_text (dmi, "bios_date");
  return def;
}

/* ---- PCI ---- */

/* "8.0 GT/s PCIe" → "8", "2.5 GT/s" → "2.5"; NULL for "Unknown". */
static char *
pcie_speed (const char *text)
{
  g_autofree char *num = g_strndup (text, strcspn (text, " "));
  char *dot = strchr (num, '.');
  gsize digits = strspn (num, "0123456789");

  if (digits == 0 || (dot == NULL && num[digits] != '\0') ||
      (dot != NULL && (dot != num + digits || dot[1] == '\0' || dot[1 + strspn (dot + 1, "0123456789")] != '\0')))
    return NULL;
  if (dot != NULL) {
    char *end = num + strlen (num);
    while (end > dot + 1 && end[-1] == '0')
      *--end = '\0';
    if (end == dot + 1)
      *dot = '\0';
  }
  return g_steal_pointer (&num);
}

static void
add_pcie_link (VbNodeDevCapPci *pci, VbNodeDevPcieLinkValidity validity, const char *speed_text, guint64 width,
               gboolean has_port, guint port)
{
  VbNodeDevPcieLink *link;

  if (width == 0)
    return;
  link = g_new0 (VbNodeDevPcieLink, 1);
  link->validity = validity;
  link->speed = speed_text ? pcie_speed (speed_text) : NULL;
  link->width = (guint) width;
  link->has_port = has_port;
  link->port = port;
  g_ptr_array_add (pci->pcie_links, link);
}

/* What only config space tells: the header type (bridges) and the port
 * number of a PCI Express link. Unprivileged readers get 64 bytes only. */
static void
read_pci_config (const char *dir, VbNodeDevCapPci *pci, gboolean *is_pcie, guint *port)
{
  g_autofree char *path = g_build_filename (dir, "config", NULL);
  gsize len = 0;
  g_autofree guchar *cfg = (guchar *) read_bounded (path, CONFIG_MAX, &len);
  guint ptr;

  if (cfg == NULL || len < 64)
    return;
  if ((cfg[0x0e] & 0x7f) == 1)
    pci->bridge = VB_NODEDEV_PCI_BRIDGE_PCI;
  else if ((cfg[0x0e] & 0x7f) == 2)
    pci->bridge = VB_NODEDEV_PCI_BRIDGE_CARDBUS;
  if (!(cfg[0x06] & 0x10)) /* no capability list */
    return;
  ptr = cfg[0x34] & 0xfc;
  /* 48 capabilities fill the 192 bytes after the header: a longer chain loops. */
  for (int i = 0; i < 48 && ptr >= 0x40 && ptr + 0x10 <= len; i++) {
    if (cfg[ptr] == 0x10) { /* PCI Express; Link Capabilities at +0x0c, port in its top byte */
      *is_pcie = TRUE;
      *port = cfg[ptr + 0x0f];
      return;
    }
    ptr = cfg[ptr + 1] & 0xfc;
  }
}

typedef struct {
  guint64 index; /* N of virtfnN */
  VbNodeDevPciAddress addr;
} Vf;

static int
compare_vfs (gconstpointer pa, gconstpointer pb)
{
  const Vf *a = pa, *b = pb;

  return a->index < b->index ? -1 : a->index > b->index;
}

static void
read_sriov (const char *dir, VbNodeDevCapPci *pci)
{
  g_autofree char *pf = read_link_name (dir, "physfn");
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GArray) vfs = NULL;
  guint64 total;

  if (pf != NULL && parse_pci_address (pf, &pci->phys_function))
    pci->has_phys_function = TRUE;
  if (read_uint (dir, "sriov_totalvfs", 10, G_MAXUINT, &total) && total > 0) {
    pci->has_virt_functions = TRUE;
    pci->max_virt_functions = (guint) total;
  }
  entries = list_dir (dir);
  vfs = g_array_new (FALSE, FALSE, sizeof (Vf));
  for (guint i = 0; i < entries->len; i++) {
    const char *name = g_ptr_array_index (entries, i);
    g_autofree char *target = NULL;
    Vf vf;
    if (!g_str_has_prefix (name, "virtfn") || !g_ascii_string_to_unsigned (name + 6, 10, 0, G_MAXUINT, &vf.index, NULL))
      continue;
    target = read_link_name (dir, name);
    if (target != NULL && parse_pci_address (target, &vf.addr))
      g_array_append_val (vfs, vf);
  }
  /* virtfn10 after virtfn9. */
  g_array_sort (vfs, compare_vfs);
  for (guint i = 0; i < vfs->len; i++)
    g_array_append_val (pci->virt_functions, g_array_index (vfs, Vf, i).addr);
  if (vfs->len > 0)
    pci->has_virt_functions = TRUE;
}

static void
read_mdev_types (const char *dir, GPtrArray *types)
{
  g_autofree char *types_dir = g_build_filename (dir, "mdev_supported_types", NULL);
  g_autoptr(GPtrArray) ids = list_dir (types_dir);

  for (guint i = 0; i < ids->len; i++) {
    const char *id = g_ptr_array_index (ids, i);
    g_autofree char *type_dir = g_build_filename (types_dir, id, NULL);
    g_autofree char *api = read_attr (type_dir, "device_api");
    VbNodeDevMdevType *type;
    guint64 available;

    if (api == NULL ||
        !(g_str_equal (api, "vfio-pci") || g_str_equal (api, "vfio-ccw") || g_str_equal (api, "vfio-ap")) ||
        !read_uint (type_dir, "available_instances", 10, G_MAXUINT, &available)) {
      g_debug ("%s: not a usable mediated device type", type_dir);
      continue;
    }
    type = g_new0 (VbNodeDevMdevType, 1);
    type->id = g_strdup (id);
    type->name = read_text (type_dir, "name");
    type->device_api = g_steal_pointer (&api);
    type->available_instances = (guint) available;
    g_ptr_array_add (types, type);
  }
}

static void
read_iommu_group (VbNodedevSysfs *self, const char *dir, const VbNodeDevPciAddress *own, VbNodeDevCapPci *pci)
{
  g_autofree char *group = read_link_name (dir, "iommu_group");
  g_autofree char *relative = NULL;
  g_autofree char *members_dir = NULL;
  g_autoptr(GPtrArray) members = NULL;
  guint64 number;

  if (group == NULL || !g_ascii_string_to_unsigned (group, 10, 0, G_MAXUINT, &number, NULL))
    return;
  pci->has_iommu_group = TRUE;
  pci->iommu_group = (guint) number;
  relative = g_strdup_printf ("kernel/iommu_groups/%s/devices", group);
  members_dir = root_path (self, relative);
  members = list_dir (members_dir);
  for (guint i = 0; i < members->len; i++) {
    VbNodeDevPciAddress addr;
    if (parse_pci_address (g_ptr_array_index (members, i), &addr))
      g_array_append_val (pci->iommu_group_devices, addr);
  }
  /* The device is in its own group, whatever the listing says. */
  if (pci->iommu_group_devices->len == 0)
    g_array_append_val (pci->iommu_group_devices, *own);
  g_array_sort (pci->iommu_group_devices, compare_pci_addresses);
}

static gboolean
read_pci (VbNodedevSysfs *self, const char *dir, const char *sysname, VbNodeDevDef *def)
{
  VbNodeDevPciAddress addr;
  VbNodeDevCapPci *pci;
  guint64 vendor, device, klass;
  g_autofree char *max_speed = NULL;
  g_autofree char *cur_speed = NULL;
  guint64 max_width = 0, cur_width = 0;
  gboolean is_pcie = FALSE;
  guint port = 0;
  gint64 numa;

  if (!parse_pci_address (sysname, &addr)) {
    g_debug ("pci device %s: not a PCI address", sysname);
    return FALSE;
  }
  if (!read_uint (dir, "vendor", 16, 0xffff, &vendor) || !read_uint (dir, "device", 16, 0xffff, &device)) {
    g_debug ("pci device %s: no vendor or device id", sysname);
    return FALSE;
  }
  def->name = make_name ("pci", sysname, NULL);
  pci = &vb_nodedev_def_add_cap (def, VB_NODEDEV_CAP_PCI)->pci;
  if (read_uint (dir, "class", 16, G_MAXUINT32, &klass)) {
    pci->has_class = TRUE;
    pci->class_code = (guint) klass & 0xffffff;
  }
  pci->domain = addr.domain;
  pci->bus = addr.bus;
  pci->slot = addr.slot;
  pci->function = addr.function;
  pci->vendor_id = (guint) vendor;
  pci->product_id = (guint) device;
  vb_nodedev_ids_lookup (self->pci_ids, pci->vendor_id, pci->product_id, &pci->vendor_name, &pci->product_name);

  read_sriov (dir, pci);
  read_pci_config (dir, pci, &is_pcie, &port);
  /* Config space unreadable: the class tells bridges too. */
  if (pci->bridge == VB_NODEDEV_PCI_BRIDGE_NONE && pci->has_class) {
    if ((pci->class_code >> 8) == 0x0604 || (pci->class_code >> 8) == 0x0609)
      pci->bridge = VB_NODEDEV_PCI_BRIDGE_PCI;
    else if ((pci->class_code >> 8) == 0x0607)
      pci->bridge = VB_NODEDEV_PCI_BRIDGE_CARDBUS;
  }
  read_mdev_types (dir, pci->mdev_types);
  read_iommu_group (self, dir, &addr, pci);
  if (read_int (dir, "numa_node", &numa) && numa >= 0) {
    pci->has_numa_node = TRUE;
    pci->numa_node = (int) numa;
  }

  /* The kernel shows the link attributes of PCI Express devices only. */
  max_speed = read_attr (dir, "max_link_speed");
  cur_speed = read_attr (dir, "current_link_speed");
  read_uint (dir, "max_link_width", 10, G_MAXUINT, &max_width);
  read_uint (dir, "current_link_width", 10, G_MAXUINT, &cur_width);
  if (max_speed != NULL || is_pcie) {
    pci->is_pcie = TRUE;
    add_pcie_link (pci, VB_NODEDEV_PCIE_LINK_CAP, max_speed, max_width, is_pcie, port);
    add_pcie_link (pci, VB_NODEDEV_PCIE_LINK_STA, cur_speed, cur_width, FALSE, 0);
  }
  return TRUE;
}

/* ---- USB ---- */

static gboolean
read_usb_device (VbNodedevSysfs *self, const char *dir, const char *sysname, const Uevent *uevent,
                 VbNodeDevDef *def)
{
  VbNodeDevCapUsbDevice *usb;
  guint64 bus, devnum, vendor, product;

  if (!read_uint (dir, "busnum", 10, G_MAXUINT, &bus) || !read_uint (dir, "devnum", 10, G_MAXUINT, &devnum) ||
      !read_uint (dir, "idVendor", 16, 0xffff, &vendor) || !read_uint (dir, "idProduct", 16, 0xffff, &product)) {
    g_debug ("usb device %s: no bus, device, vendor or product number", sysname);
    return FALSE;
  }
  def->name = make_name ("usb", sysname, NULL);
  usb = &vb_nodedev_def_add_cap (def, VB_NODEDEV_CAP_USB_DEVICE)->usb_device;
  usb->bus = (guint) bus;
  usb->device = (guint) devnum;
  usb->vendor_id = (guint) vendor;
  usb->product_id = (guint) product;
  /* The database's names first, as udev's hwdb gives libvirt; else the
   * device's own strings. */
  vb_nodedev_ids_lookup (self->usb_ids, usb->vendor_id, usb->product_id, &usb->vendor_name, &usb->product_name);
  if (usb->vendor_name == NULL)
    usb->vendor_name = read_text (dir, "manufacturer");
  if (usb->product_name == NULL)
    usb->product_name = read_text (dir, "product");
  def->devnode = uevent->devname ? g_strconcat ("/dev/", uevent->devname, NULL)
                                 : g_strdup_printf ("/dev/bus/usb/%03u/%03u", usb->bus, usb->device);
  return TRUE;
}

static gboolean
read_usb_interface (const char *dir, const char *sysname, VbNodeDevDef *def)
{
  VbNodeDevCapUsb *usb;
  guint64 number, klass, subclass, protocol;

  if (!read_uint (dir, "bInterfaceNumber", 16, 0xff, &number) ||
      !read_uint (dir, "bInterfaceClass", 16, 0xff, &klass) ||
      !read_uint (dir, "bInterfaceSubClass", 16, 0xff, &subclass) ||
      !read_uint (dir, "bInterfaceProtocol", 16, 0xff, &protocol)) {
    g_debug ("usb interface %s: no number, class, subclass or protocol", sysname);
    return FALSE;
  }
  def->name = make_name ("usb", sysname, NULL);
  usb = &vb_nodedev_def_add_cap (def, VB_NODEDEV_CAP_USB)->usb;
  usb->number = (guint) number;
  usb->klass = (guint) klass;
  usb->subclass = (guint) subclass;
  usb->protocol = (guint) protocol;
  usb->description = read_text (dir, "interface");
  return TRUE;
}

/* ---- net ---- */

static VbNodeDevLinkState
link_state (const char *operstate)
{
  static const char *const names[] = { "unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_str_equal (operstate, names[i]))
      return VB_NODEDEV_LINK_STATE_UNKNOWN + i;
  return VB_NODEDEV_LINK_STATE_UNKNOWN;
}

static gboolean
read_net (const char *dir, const char *sysname, const Uevent *uevent, VbNodeDevDef *def)
{
  g_autofree char *address = read_attr (dir, "address");
  g_autofree char *operstate = read_attr (dir, "operstate");
  g_autofree char *wireless = g_build_filename (dir, "wireless", NULL);
  g_autofree char *phy = g_build_filename (dir, "phy80211", NULL);
  VbNodeDevCapNet *net;

  net = &vb_nodedev_def_add_cap (def, VB_NODEDEV_CAP_NET)->net;
  net->interface = g_strdup (sysname);
  /* Tunnels and InfiniBand have addresses that are no MAC. */
  if (address != NULL && vb_nodedev_mac_is_valid (address))
    net->address = g_ascii_strdown (address, -1);
  def->name = make_name ("net", sysname, net->address);
  if (operstate != NULL) {
    guint64 speed;
    net->has_link = TRUE;
    net->link_state = link_state (operstate);
    /* Only a link that is up has a speed; unknown is -1. */
    if (net->link_state == VB_NODEDEV_LINK_STATE_UP && read_uint (dir, "speed", 10, G_MAXUINT32 - 1, &speed))
      net->link_speed = (guint) speed;
  }
  if (g_strcmp0 (uevent->devtype, "wlan") == 0 || g_file_test (wireless, G_FILE_TEST_IS_DIR) ||
      g_file_test (phy, G_FILE_TEST_EXISTS))
    net->subcap = VB_NODEDEV_NET_SUBCAP_80211;
  else
    net->subcap = VB_NODEDEV_NET_SUBCAP_80203;
  return TRUE;
}

/* ---- storage ---- */

/* The schema's device path: "/" then [a-zA-Z0-9_+-/%]. */
static gboolean
valid_dev_path (const char *path)
{
  if (path[0] != '/' || path[1] == '\0')
    return FALSE;
  for (const char *p = path; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr ("_+-/%", *p) == NULL)
      return FALSE;
  return TRUE;
}

/* A SCSI device's unit serial number (VPD page 0x80: a 4-byte header,
 * then the number in ASCII). */
static char *
read_vpd_serial (const char *device_dir)
{
  g_autofree char *path = g_build_filename (device_dir, "vpd_pg80", NULL);
  gsize len = 0;
  g_autofree guchar *page = (guchar *) read_bounded (path, ATTR_MAX, &len);
  g_autofree char *serial = NULL;
  gsize serial_len;

  if (page == NULL || len < 4 || page[1] != 0x80)
    return NULL;
  serial_len = ((gsize) page[2] << 8) | page[3];
  if (serial_len > len - 4)
    return NULL;
  serial = g_strstrip (g_strndup ((const char *) page + 4, serial_len));
  return vb_nodedev_text_is_valid (serial) ? g_steal_pointer (&serial) : NULL;
}

/* udev's ID_BUS, as far as the sysfs path tells it. */
static const char *
storage_bus (const char *devpath, const char *sysname, gboolean scsi)
{
  g_auto(GStrv) parts = g_strsplit (devpath, "/", -1);
  guint64 n;

  for (guint i = 0; parts[i] != NULL; i++)
    if (g_str_has_prefix (parts[i], "usb") && g_ascii_string_to_unsigned (parts[i] + 3, 10, 0, G_MAXUINT, &n, NULL))
      return "usb";
  for (guint i = 0; parts[i] != NULL; i++)
    if (g_str_has_prefix (parts[i], "ata") && g_ascii_string_to_unsigned (parts[i] + 3, 10, 0, G_MAXUINT, &n, NULL))
      return "ata";
  if (g_str_has_prefix (sysname, "nvme"))
    return "nvme";
  return scsi ? "scsi" : NULL;
}

static gboolean
read_storage (const char *dir, const char *devpath, const char *sysname, const Uevent *uevent, VbNodeDevDef *def)
{
  g_autofree char *device_dir = g_build_filename (dir, "device", NULL);
  g_autofree char *partition = g_build_filename (dir, "partition", NULL);
  g_autofree char *queue = g_build_filename (dir, "queue", NULL);
  g_autofree char *block = NULL;
  const char *drive_type;
  VbNodeDevCapStorage *st;
  guint64 scsi_type, sectors = 0, lbs = 0, removable = 0;
  gboolean scsi;

  /* Partitions are no devices of their own (libvirt lists whole disks). */
  if (g_strcmp0 (uevent->devtype, "partition") == 0 || g_file_test (partition, G_FILE_TEST_EXISTS))
    return FALSE;
  /* Nor are loop, zram, device-mapper or md devices: no hardware below. */
  if (!g_file_test (device_dir, G_FILE_TEST_IS_DIR)) {
    g_debug ("block device %s: virtual, not listed", sysname);
    return FALSE;
  }
  block = g_strconcat ("/dev/", uevent->devname ? uevent->devname : sysname, NULL);
  if (!valid_dev_path (block)) {
    g_debug ("block device %s: odd device node %s", sysname, block);
    return FALSE;
  }

  scsi = read_uint (device_dir, "type", 10, 0xff, &scsi_type);
  read_uint (dir, "removable", 10, 1, &removable);
  if (g_str_has_prefix (sysname, "fd"))
    drive_type = "floppy";
  else if (scsi && scsi_type == 5)
    drive_type = "cd";
  else if (scsi && scsi_type != 0 && scsi_type != 7 && scsi_type != 0x0e) {
    g_debug ("block device %s: SCSI type %" G_GUINT64_FORMAT " is no disk", sysname, scsi_type);
    return FALSE;
  } else if (g_str_has_prefix (sysname, "mmcblk"))
    drive_type = "sd";
  else
    drive_type = "disk";

  st = &vb_nodedev_def_add_cap (def, VB_NODEDEV_CAP_STORAGE)->storage;
  st->block = g_steal_pointer (&block);
  st->bus = g_strdup (storage_bus (devpath, sysname, scsi));
  st->drive_type = g_strdup (drive_type);
  st->model = read_text (device_dir, "model");
  st->vendor = read_text (device_dir, "vendor");
  st->serial = read_text (dir, "serial"); /* virtio-blk */
  if (st->serial == NULL)
    st->serial = read_text (device_dir, "serial"); /* NVMe, MMC */
  if (st->serial == NULL && scsi)
    st->serial = read_vpd_serial (device_dir);

  /* "size" counts 512-byte sectors whatever the block size. */
  read_uint (dir, "size", 10, G_MAXUINT64 / 512, &sectors);
  read_uint (queue, "logical_block_size", 10, G_MAXUINT32, &lbs);
  st->removable = removable == 1 || g_str_equal (drive_type, "cd") || g_str_equal (drive_type, "floppy");
  if (st->removable) {
    st->media_available = sectors > 0;
    st->media_size = sectors * 512;
  } else {
    st->size = sectors * 512;
  }
  if (lbs > 0) {
    st->logical_block_size = lbs;
    st->num_blocks = sectors * 512 / lbs;
  }
  def->devnode = g_strdup (st->block);
  def->name = make_name ("block", sysname, st->serial);
  return TRUE;
}

/* ---- SCSI ---- */

/* WWNs as sysfs shows them ("0x20000000c9848140") → 16 hex digits. */
static char *
read_wwn (const char *dir, const char *name)
{
  g_autofree char *text = read_attr (dir, name);
  const char *digits;

  if (text == NULL)
    return NULL;
  digits = g_str_has_prefix (text, "0x") ? text + 2 : text;
  if (strlen (digits) != 16 || strspn (digits, "0123456789abcdefABCDEF") != 16)
    return NULL;
  return g_ascii_strdown (digits, -1);
}

static gboolean
read_scsi_host (const char *dir, const char *sysname, VbNodeDevDef *def)
{
  g_autofree char *host_dir = g_build_filename (dir, "scsi_host", sysname, NULL);
  g_autofree char *fc_dir = g_build_filename (dir, "fc_host", sysname, NULL);
  VbNodeDevCapScsiHost *sh;
  guint host;
  guint64 v, vports;

  if (!parse_numbers (sysname, "host", 1, &host))
    return FALSE;
  def->name = make_name ("scsi", sysname, NULL);
  sh = &vb_nodedev_def_add_cap (def, VB_NODEDEV_CAP_SCSI_HOST)->scsi_host;
  sh->has_host = TRUE;
  sh->host = host;
  if (read_uint (host_dir, "unique_id", 10, G_MAXUINT, &v)) {
    sh->has_unique_id = TRUE;
    sh->unique_id = (guint) v;
  }
  sh->wwnn = read_wwn (fc_dir, "node_name");
  sh->wwpn = read_wwn (fc_dir, "port_name");
  if (sh->wwnn != NULL && sh->wwpn != NULL) {
    sh->has_fc_host = TRUE;
    sh->fabric_wwn = read_wwn (fc_dir, "fabric_name");
  } else {
    g_clear_pointer (&sh->wwnn, g_free);
    g_clear_pointer (&sh->wwpn, g_free);
  }
  if (sh->has_fc_host && read_uint (fc_dir, "max_npiv_vports", 10, G_MAXUINT, &v) &&
      read_uint (fc_dir, "npiv_vports_inuse", 10, G_MAXUINT, &vports)) {
    sh->has_vport_ops = TRUE;
    sh->max_vports = (guint) v;
    sh->vports = (guint) vports;
  }
  return TRUE;
}

static gboolean
read_scsi_target (const char *dir, const char *sysname, VbNodeDevDef *def)
{
  g_autofree char *parent_dir = g_path_get_dirname (dir);
  g_autofree char *rport = g_path_get_basename (parent_dir);
  VbNodeDevCapScsiTarget *st;
  guint numbers[3];

  if (!parse_numbers (sysname, "target", 3, numbers))
    return FALSE;
  def->name = make_name ("scsi", sysname, NULL);
  st = &vb_nodedev_def_add_cap (def, VB_NODEDEV_CAP_SCSI_TARGET)->scsi_target;
  st->target = g_strdup (sysname);
  /* A target behind a fibre channel remote port sits in its directory. */
  if (g_str_has_prefix (rport, "rport-") && valid_name (rport)) {
    g_autofree char *rport_dir = g_build_filename (parent_dir, "fc_remote_ports", rport, NULL);
    st->rport_wwpn = read_wwn (rport_dir, "port_name");
    if (st->rport_wwpn != NULL) {
      st->has_fc_remote_port = TRUE;
      st->rport = g_steal_pointer (&rport);
    }
  }
  return TRUE;
}

static const char *
scsi_type_name (guint64 type)
{
  switch (type) {
  case 0x00: return "disk";
  case 0x01: return "tape";
  case 0x03: return "processor";
  case 0x04: return "worm";
  case 0x05: return "cdrom";
  case 0x06: return "scanner";
  case 0x07: return "mod";
  case 0x08: return "changer";
  case 0x0c: return "raid";
  case 0x0d: return "enclosure";
  default: return NULL;
  }
}

static gboolean
read_scsi_device (const char *dir, const char *sysname, VbNodeDevDef *def)
{
  VbNodeDevCapScsi *scsi;
  guint numbers[4];
  guint64 type;

  if (!parse_numbers (sysname, "", 4, numbers))
    return FALSE;
  def->name = make_name ("scsi", sysname, NULL);
  scsi = &vb_nodedev_def_add_cap (def, VB_NODEDEV_CAP_SCSI)->scsi;
  scsi->host = numbers[0];
  scsi->bus = numbers[1];
  scsi->target = numbers[2];
  scsi->lun = numbers[3];
  if (read_uint (dir, "type", 10, 0xff, &type))
    scsi->type = g_strdup (scsi_type_name (type));
  return TRUE;
}

static gboolean
read_scsi (const char *dir, const char *sysname, const Uevent *uevent, VbNodeDevDef *def)
{
  const char *devtype = uevent->devtype;

  if (g_strcmp0 (devtype, "scsi_host") == 0 || (devtype == NULL && g_str_has_prefix (sysname, "host")))
    return read_scsi_host (dir, sysname, def);
  if (g_strcmp0 (devtype, "scsi_target") == 0 || (devtype == NULL && g_str_has_prefix (sysname, "target")))
    return read_scsi_target (dir, sysname, def);
  if (g_strcmp0 (devtype, "scsi_device") == 0 || devtype == NULL)
    return read_scsi_device (dir, sysname, def);
  return FALSE;
}

static gboolean
read_scsi_generic (const char *sysname, const Uevent *uevent, VbNodeDevDef *def)
{
  g_autofree char *node = g_strconcat ("/dev/", uevent->devname ? uevent->devname : sysname, NULL);
  VbNodeDevCap *cap;

  if (!valid_dev_path (node))
    return FALSE;
  def->name = make_name ("scsi_generic", sysname, NULL);
  def->devnode = g_strdup (node);
  cap = vb_nodedev_def_add_cap (def, VB_NODEDEV_CAP_SCSI_GENERIC);
  cap->scsi_generic_char = g_steal_pointer (&node);
  return TRUE;
}

/* ---- DRM, mediated devices ---- */

static gboolean
read_drm (const char *sysname, const Uevent *uevent, VbNodeDevDef *def)
{
  guint n;
  VbNodeDevDrmType type;

  /* Connectors (card0-HDMI-A-1) are no minors: not listed. */
  if (parse_numbers (sysname, "card", 1, &n))
    type = VB_NODEDEV_DRM_PRIMARY;
  else if (parse_numbers (sysname, "controlD", 1, &n))
    type = VB_NODEDEV_DRM_CONTROL;
  else if (parse_numbers (sysname, "renderD", 1, &n))
    type = VB_NODEDEV_DRM_RENDER;
  else
    return FALSE;
  def->name = make_name ("drm", sysname, NULL);
  def->devnode = uevent->devname ? g_strconcat ("/dev/", uevent->devname, NULL)
                                 : g_strconcat ("/dev/dri/", sysname, NULL);
  vb_nodedev_def_add_cap (def, VB_NODEDEV_CAP_DRM)->drm_type = type;
  return TRUE;
}

static gboolean
read_mdev (const char *dir, const char *devpath, const char *sysname, VbNodeDevDef *def)
{
  g_autofree char *parent_path = g_path_get_dirname (devpath);
  g_autofree char *parent = g_path_get_basename (parent_path);
  g_autofree char *type = read_link_name (dir, "mdev_type");
  g_autofree char *group = read_link_name (dir, "iommu_group");
  VbNodeDevCapMdev *mdev;
  char uuid[37];
  guint64 number;

  if (!vb_uuid_parse (sysname, uuid) || type == NULL || !valid_name (parent)) {
    g_debug ("mediated device %s: no UUID, type or parent", sysname);
    return FALSE;
  }
  /* libvirt names them by UUID and parent, a UUID being unique per parent only. */
  def->name = make_name ("mdev", uuid, parent);
  mdev = &vb_nodedev_def_add_cap (def, VB_NODEDEV_CAP_MDEV)->mdev;
  mdev->type_id = g_steal_pointer (&type);
  memcpy (mdev->uuid, uuid, sizeof uuid);
  mdev->parent_addr = g_steal_pointer (&parent);
  if (group != NULL && g_ascii_string_to_unsigned (group, 10, 0, G_MAXUINT, &number, NULL)) {
    mdev->has_iommu_group = TRUE;
    mdev->iommu_group = (guint) number;
  }
  return TRUE;
}

/* ---- one device, all devices ---- */

VbNodeDevDef *
vb_nodedev_sysfs_read_device (VbNodedevSysfs *self, const char *devpath, const char *subsystem)
{
  g_autofree char *dir = device_dir (self, devpath);
  g_autofree char *link_subsystem = NULL;
  g_autoptr(VbNodeDevDef) def = NULL;
  g_auto(Uevent) uevent = { 0 };
  const char *sysname;
  gboolean ok;

  if (dir == NULL)
    return NULL;
  sysname = strrchr (devpath, '/') + 1;
  link_subsystem = read_link_name (dir, "subsystem");
  if (link_subsystem != NULL)
    subsystem = link_subsystem;
  if (subsystem == NULL) {
    g_debug ("%s: no subsystem", devpath);
    return NULL;
  }
  read_uevent (dir, &uevent);
  def = vb_nodedev_def_new ();
  def->sysfs_path = g_strconcat (SYSFS_PREFIX, devpath, NULL);
  def->driver = read_link_name (dir, "driver");

  if (g_str_equal (subsystem, "pci"))
    ok = read_pci (self, dir, sysname, def);
  else if (g_str_equal (subsystem, "usb") &&
           (g_strcmp0 (uevent.devtype, "usb_interface") == 0 || (uevent.devtype == NULL && strchr (sysname, ':'))))
    ok = read_usb_interface (dir, sysname, def);
  else if (g_str_equal (subsystem, "usb") && (g_strcmp0 (uevent.devtype, "usb_device") == 0 || uevent.devtype == NULL))
    ok = read_usb_device (self, dir, sysname, &uevent, def);
  else if (g_str_equal (subsystem, "net"))
    ok = read_net (dir, sysname, &uevent, def);
  else if (g_str_equal (subsystem, "block"))
    ok = read_storage (dir, devpath, sysname, &uevent, def);
  else if (g_str_equal (subsystem, "scsi"))
    ok = read_scsi (dir, sysname, &uevent, def);
  else if (g_str_equal (subsystem, "scsi_generic"))
    ok = read_scsi_generic (sysname, &uevent, def);
  else if (g_str_equal (subsystem, "drm"))
    ok = read_drm (sysname, &uevent, def);
  else if (g_str_equal (subsystem, "mdev"))
    ok = read_mdev (dir, devpath, sysname, def);
  else
    ok = FALSE;
  return ok ? g_steal_pointer (&def) : NULL;
}

/* Where the devices of each kind are listed (links into devices/). */
static const struct {
  const char *dir;
  const char *subsystem;
} scan_dirs[] = {
  { "bus/pci/devices", "pci" },
  { "bus/usb/devices", "usb" },
  { "class/net", "net" },
  { "class/block", "block" },
  { "block", "block" }, /* older kernels: no class/block */
  { "bus/scsi/devices", "scsi" },
  { "class/scsi_generic", "scsi_generic" },
  { "class/drm", "drm" },
  { "bus/mdev/devices", "mdev" },
};

static int
compare_devices (gconstpointer pa, gconstpointer pb)
{
  const VbNodedevSysfsDevice *a = *(VbNodedevSysfsDevice *const *) pa;
  const VbNodedevSysfsDevice *b = *(VbNodedevSysfsDevice *const *) pb;

  return strcmp (a->devpath, b->devpath);
}

GPtrArray *
vb_nodedev_sysfs_scan (VbNodedevSysfs *self)
{
  GPtrArray *result = g_ptr_array_new_with_free_func ((GDestroyNotify) vb_nodedev_sysfs_device_free);
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func ((GDestroyNotify) vb_nodedev_sysfs_device_free);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) by_devpath = g_hash_table_new (g_str_hash, g_str_equal);
  VbNodedevSysfsDevice *computer = g_new0 (VbNodedevSysfsDevice, 1);

  computer->def = vb_nodedev_sysfs_read_computer (self);
  g_ptr_array_add (result, computer);
  g_hash_table_add (names, computer->def->name);

  for (guint i = 0; i < G_N_ELEMENTS (scan_dirs); i++) {
    g_autofree char *dir = root_path (self, scan_dirs[i].dir);
    g_autoptr(GPtrArray) entries = list_dir (dir);

    for (guint j = 0; j < entries->len; j++) {
      g_autofree char *link = g_build_filename (dir, g_ptr_array_index (entries, j), NULL);
      g_autofree char *devpath = link_devpath (self, link);
      VbNodedevSysfsDevice *device;
      VbNodeDevDef *def;

      if (devpath == NULL || g_hash_table_contains (seen, devpath))
        continue;
      g_hash_table_add (seen, g_strdup (devpath));
      def = vb_nodedev_sysfs_read_device (self, devpath, scan_dirs[i].subsystem);
      if (def == NULL)
        continue;
      device = g_new0 (VbNodedevSysfsDevice, 1);
      device->devpath = g_steal_pointer (&devpath);
      device->def = def;
      g_ptr_array_add (found, device);
    }
  }

  /* Parents before children; a name twice (which the kernel's unique
   * names rule out) keeps the first. */
  g_ptr_array_sort (found, compare_devices);
  for (guint i = 0; i < found->len; i++) {
    VbNodedevSysfsDevice *device = g_ptr_array_index (found, i);
    if (g_hash_table_contains (names, device->def->name)) {
      g_debug ("%s: name %s taken already, not listed", device->devpath, device->def->name);
      continue;
    }
    g_hash_table_add (names, device->def->name);
    g_hash_table_insert (by_devpath, device->devpath, device->def->name);
    g_ptr_array_add (result, g_steal_pointer (&found->pdata[i]));
  }
  for (guint i = 1; i < result->len; i++) {
    VbNodedevSysfsDevice *device = g_ptr_array_index (result, i);
    const char *parent = vb_nodedev_sysfs_find_ancestor (by_devpath, device->devpath);
    device->def->parent = g_strdup (parent ? parent : VB_NODEDEV_COMPUTER);
  }
  return result;
}

/* ---- writing: PCI drivers, reset, mediated devices ---- */

/* @path as the kernel names it, for messages. */
static char *
display_path (VbNodedevSysfs *self, const char *path)
{
  if (self->root[0] != '\0' && g_str_has_prefix (path, self->root) && path[strlen (self->root)] == '/')
    return g_strconcat ("/sys", path + strlen (self->root), NULL);
  return g_strdup (path);
}

static gboolean
write_failed (VbNodedevSysfs *self, const char *path, const char *value, int err, GError **error)
{
  g_autofree char *shown = display_path (self, path);
  g_autofree char *escaped = g_strescape (value, NULL);

  g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot write '%s' to %s: %s", escaped, shown, g_strerror (err));
  return FALSE;
}

/* Writes @value to attribute @path, which must exist (nothing is created). */
static gboolean
write_attr (VbNodedevSysfs *self, const char *path, const char *value, GError **error)
{
  gsize len = strlen (value);
  int fd = open (path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
  ssize_t n;

  if (fd < 0)
    return write_failed (self, path, value, errno, error);
  if (write_hook != NULL && !write_hook (path, value, write_hook_data, error)) {
    close (fd);
    return FALSE;
  }
  do
    n = write (fd, value, len);
  while (n < 0 && errno == EINTR);
  if (n < 0 || (gsize) n != len) {
    int saved = n < 0 ? errno : EIO;
    close (fd);
    return write_failed (self, path, value, saved, error);
  }
  /* sysfs reports some failures only at close. */
  if (close (fd) < 0 && errno != EINTR)
    return write_failed (self, path, value, errno, error);
  return TRUE;
}

/* The directory and address of the PCI device at @devpath. */
static char *
pci_device_dir (VbNodedevSysfs *self, const char *devpath, const char **address, GError **error)
{
  char *dir = device_dir (self, devpath);
  VbNodeDevPciAddress addr;

  if (dir == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_FOUND, "device /sys/%s is gone", devpath);
    return NULL;
  }
  *address = strrchr (devpath, '/') + 1;
  if (!parse_pci_address (*address, &addr)) {
    g_free (dir);
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "/sys/%s is not a PCI device", devpath);
    return NULL;
  }
  return dir;
}

/* Back to the host: no override, and a probe if no driver has it. */
static void
undo_detach (VbNodedevSysfs *self, const char *dir, const char *address)
{
  g_autofree char *override = g_build_filename (dir, "driver_override", NULL);
  g_autofree char *probe = root_path (self, "bus/pci/drivers_probe");
  g_autofree char *driver = NULL;
  g_autoptr(GError) error = NULL;

  if (!write_attr (self, override, "\n", &error)) {
    g_warning ("undoing the detach of %s: %s", address, error->message);
    g_clear_error (&error);
  }
  driver = read_link_name (dir, "driver");
  if (driver == NULL && !write_attr (self, probe, address, &error))
    g_warning ("undoing the detach of %s: %s", address, error->message);
}

gboolean
vb_nodedev_sysfs_pci_detach (VbNodedevSysfs *self, const char *devpath, GError **error)
{
  const char *address = NULL;
  g_autofree char *dir = pci_device_dir (self, devpath, &address, error);
  g_autofree char *driver = NULL;
  g_autofree char *vfio = root_path (self, "bus/pci/drivers/vfio-pci");
  g_autofree char *override = NULL;
  g_autofree char *probe = root_path (self, "bus/pci/drivers_probe");
  g_autofree char *now = NULL;

  if (dir == NULL)
    return FALSE;
  driver = read_link_name (dir, "driver");
  if (g_strcmp0 (driver, "vfio-pci") == 0)
    return TRUE;
  if (!g_file_test (vfio, G_FILE_TEST_IS_DIR)) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                 "cannot detach PCI device %s: the vfio-pci kernel module is not loaded", address);
    return FALSE;
  }
  override = g_build_filename (dir, "driver_override", NULL);
  if (!write_attr (self, override, "vfio-pci", error)) {
    g_prefix_error (error, "cannot detach PCI device %s: ", address);
    return FALSE;
  }
  if (driver != NULL) {
    g_autofree char *unbind = g_build_filename (dir, "driver", "unbind", NULL);
    if (!write_attr (self, unbind, address, error)) {
      g_prefix_error (error, "cannot unbind PCI device %s from %s: ", address, driver);
      undo_detach (self, dir, address);
      return FALSE;
    }
  }
  if (!write_attr (self, probe, address, error)) {
    g_prefix_error (error, "cannot bind PCI device %s to vfio-pci: ", address);
    undo_detach (self, dir, address);
    return FALSE;
  }
  now = read_link_name (dir, "driver");
  if (g_strcmp0 (now, "vfio-pci") != 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "PCI device %s did not bind to vfio-pci (%s%s)", address,
                 now ? "it is bound to " : "no driver took it", now ? now : "");
    undo_detach (self, dir, address);
    return FALSE;
  }
  return TRUE;
}

gboolean
vb_nodedev_sysfs_pci_reattach (VbNodedevSysfs *self, const char *devpath, GError **error)
{
  const char *address = NULL;
  g_autofree char *dir = pci_device_dir (self, devpath, &address, error);
  g_autofree char *driver = NULL;
  g_autofree char *unbind = NULL;
  g_autofree char *override = NULL;
  g_autofree char *probe = root_path (self, "bus/pci/drivers_probe");

  if (dir == NULL)
    return FALSE;
  driver = read_link_name (dir, "driver");
  if (g_strcmp0 (driver, "vfio-pci") != 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "PCI device %s is not detached (%s%s)", address,
                 driver ? "it is bound to " : "it has no driver", driver ? driver : "");
    return FALSE;
  }
  unbind = g_build_filename (dir, "driver", "unbind", NULL);
  override = g_build_filename (dir, "driver_override", NULL);
  if (!write_attr (self, unbind, address, error)) {
    g_prefix_error (error, "cannot unbind PCI device %s from vfio-pci: ", address);
    return FALSE;
  }
  if (!write_attr (self, override, "\n", error)) {
    g_autoptr(GError) again = NULL;
    g_prefix_error (error, "cannot reattach PCI device %s: ", address);
    /* The override still names vfio-pci: a probe gives the device back to it. */
    if (!write_attr (self, probe, address, &again))
      g_warning ("PCI device %s is left without a driver: %s", address, again->message);
    return FALSE;
  }
  if (!write_attr (self, probe, address, error)) {
    g_prefix_error (error, "PCI device %s is unbound from vfio-pci, but probing its host driver failed: ", address);
    return FALSE;
  }
  return TRUE;
}

gboolean
vb_nodedev_sysfs_pci_reset (VbNodedevSysfs *self, const char *devpath, GError **error)
{
  const char *address = NULL;
  g_autofree char *dir = pci_device_dir (self, devpath, &address, error);
  g_autofree char *reset = NULL;
  g_autofree char *driver = NULL;
  struct stat st;

  if (dir == NULL)
    return FALSE;
  /* A reset under a host driver pulls the device from under it (a disk
   * controller, the host's NIC): only one that no host driver runs. */
  driver = read_link_name (dir, "driver");
  if (driver != NULL && g_strcmp0 (driver, "vfio-pci") != 0 && g_strcmp0 (driver, "pci-stub") != 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                 "PCI device %s is in use by the host's driver %s: detach it first", address, driver);
    return FALSE;
  }
  reset = g_build_filename (dir, "reset", NULL);
  if (lstat (reset, &st) < 0 || !S_ISREG (st.st_mode)) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "PCI device %s does not support reset", address);
    return FALSE;
  }
  if (!write_attr (self, reset, "1", error)) {
    g_prefix_error (error, "cannot reset PCI device %s: ", address);
    return FALSE;
  }
  return TRUE;
}

char *
vb_nodedev_sysfs_mdev_create (VbNodedevSysfs *self, const char *parent_devpath, const char *type_id,
                              const char *uuid, GError **error)
{
  g_autofree char *dir = device_dir (self, parent_devpath);
  g_autofree char *type_dir = NULL;
  g_autofree char *create = NULL;
  g_autofree char *devpath = NULL;
  g_autofree char *mdev_dir = NULL;
  const char *parent = strrchr (parent_devpath, '/') + 1;

  if (dir == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_FOUND, "device /sys/%s is gone", parent_devpath);
    return NULL;
  }
  if (!valid_name (type_id) || !valid_name (uuid)) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "invalid mediated device type or UUID");
    return NULL;
  }
  type_dir = g_build_filename (dir, "mdev_supported_types", type_id, NULL);
  if (!g_file_test (type_dir, G_FILE_TEST_IS_DIR)) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "device %s offers no mediated device type '%s'", parent,
                 type_id);
    return NULL;
  }
  devpath = g_build_filename (parent_devpath, uuid, NULL);
  mdev_dir = g_build_filename (dir, uuid, NULL);
  if (g_file_test (mdev_dir, G_FILE_TEST_EXISTS)) {
    g_set_error (error, VB_ERROR, VB_ERROR_EXISTS, "device %s has a mediated device %s already", parent, uuid);
    return NULL;
  }
  create = g_build_filename (type_dir, "create", NULL);
  if (!write_attr (self, create, uuid, error)) {
    g_prefix_error (error, "cannot create mediated device %s of type '%s' on %s: ", uuid, type_id, parent);
    return NULL;
  }
  if (!g_file_test (mdev_dir, G_FILE_TEST_IS_DIR)) {
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "the kernel did not create mediated device %s on %s", uuid,
                 parent);
    return NULL;
  }
  return g_steal_pointer (&devpath);
}

gboolean
vb_nodedev_sysfs_mdev_remove (VbNodedevSysfs *self, const char *devpath, GError **error)
{
  g_autofree char *dir = device_dir (self, devpath);
  g_autofree char *remove = NULL;

  if (dir == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_FOUND, "device /sys/%s is gone", devpath);
    return FALSE;
  }
  remove = g_build_filename (dir, "remove", NULL);
  if (!write_attr (self, remove, "1", error)) {
    g_prefix_error (error, "cannot remove mediated device %s: ", strrchr (devpath, '/') + 1);
    return FALSE;
  }
  return TRUE;
}
