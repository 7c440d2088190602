/* Pools of type disk: a whole block device whose partitions are the
 * volumes. The partition table is read and written with sfdisk(8); the
 * kernel learns of each change through BLKPG, one partition at a time (as
 * parted does), so partitions of the disk that are in use stay as they are
 * and a kernel without a parser for the table still shows its partitions.
 * Everything here blocks: the callers run it in worker threads, one change
 * of any table at a time. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <linux/blkpg.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vb-child.h"
#include "vb-storage-private.h"

/* One table change (or read that must see a finished one) at a time. */
static GMutex table_lock;

/* Partition type codes: MBR ids and GPT type GUIDs. */
#define GPT_LINUX "0FC63DAF-8483-4772-8E79-3D69D8477DE4"
#define GPT_SWAP "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F"
#define GPT_LVM "E6D6D379-F507-44C2-A23C-238F2A3DF928"
#define GPT_RAID "A19D880F-05FC-4D3B-A006-743F0F84911E"
#define GPT_BASIC_DATA "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"

static const struct {
  VbStorageVolFormat format;
  const char *dos;
  const char *gpt;
} part_types[] = {
  { VB_STORAGE_VOL_FORMAT_LINUX, "83", GPT_LINUX },
  { VB_STORAGE_VOL_FORMAT_LINUX_SWAP, "82", GPT_SWAP },
  { VB_STORAGE_VOL_FORMAT_LINUX_LVM, "8e", GPT_LVM },
  { VB_STORAGE_VOL_FORMAT_LINUX_RAID, "fd", GPT_RAID },
  { VB_STORAGE_VOL_FORMAT_FAT16, "6", NULL },
  { VB_STORAGE_VOL_FORMAT_FAT32, "c", GPT_BASIC_DATA },
  { VB_STORAGE_VOL_FORMAT_EXTENDED, "5", NULL },
};

const char *
vb_storage_disk_label (const VbStoragePoolDef *def)
{
  return def->source.format == VB_STORAGE_POOL_FORMAT_GPT ? "gpt" : "dos";
}

gboolean
vb_storage_disk_check_def (const VbStoragePoolDef *def, const VbCallerCreds *creds, GError **error)
{
  const char *device = vb_storage_fs_device (def);

  if (!vb_storage_device_path_valid (device)) {
    g_set_error (error, VB_ERROR, VB_ERROR_XML,
                 "pool '%s': a disk pool needs one <source><device path='...'/> that is an absolute path without "
                 "'..'", def->name);
    return FALSE;
  }
  if (def->source.devices->len > 1) {
    g_set_error (error, VB_ERROR, VB_ERROR_XML, "pool '%s': a disk pool has exactly one source device", def->name);
    return FALSE;
  }
  /* unknown: as libvirt, a dos table. */
  if (def->source.format != VB_STORAGE_POOL_FORMAT_DEFAULT && def->source.format != VB_STORAGE_POOL_FORMAT_UNKNOWN &&
      def->source.format != VB_STORAGE_POOL_FORMAT_DOS && def->source.format != VB_STORAGE_POOL_FORMAT_GPT) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                 "pool '%s': partition tables of format '%s' are not supported by this connection (dos, gpt are)",
                 def->name, vb_storage_pool_format_to_string (def->source.format));
    return FALSE;
  }
  if (creds != NULL && creds->uid != 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_AUTHORIZED,
                 "only root may define or start storage pools of type disk (they partition block devices)");
    return FALSE;
  }
  return TRUE;
}

/* ---- the table ---- */

typedef struct {
  guint number;
  guint64 start, size; /* bytes */
  char *type;          /* sfdisk's: an MBR id in hex, or a GPT type GUID */
  gboolean extended;
  gboolean logical;
} Part;

typedef struct {
  guint64 start, end;  /* bytes, end exclusive */
  gboolean logical;    /* inside the extended partition */
} FreeArea;

typedef struct {
  char *device;        /* the real path of the disk */
  char *label;         /* "dos", "gpt", ...; NULL: no partition table */
  guint64 sector_size;
  guint64 size;        /* bytes */
  GArray *parts;       /* Part */
  GArray *free;        /* FreeArea */
} Table;

static void
part_clear (gpointer p)
{
  g_free (((Part *) p)->type);
}

static void
table_free (Table *t)
{
  if (t == NULL)
    return;
  g_free (t->device);
  g_free (t->label);
  g_array_unref (t->parts);
  g_array_unref (t->free);
  g_free (t);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Table, table_free)

/* Runs @argv (with @input on its stdin) to completion; its stdout in @out.
 * A failure's message has the tool's own. */
static gboolean
run (const char *const *argv, const char *input, char **out, GError **error)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (
    G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE |
    (input != NULL ? G_SUBPROCESS_FLAGS_STDIN_PIPE : G_SUBPROCESS_FLAGS_NONE));
  g_autoptr(GSubprocess) proc = NULL;
  g_autofree char *stdout_text = NULL;
  g_autofree char *stderr_text = NULL;

  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C", TRUE);
  if (!vb_child_run_sync (launcher, argv, input, &proc, &stdout_text, &stderr_text, error))
    return FALSE;
  if (!g_subprocess_get_successful (proc)) {
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "%s: %s", argv[0],
                 stderr_text != NULL && *g_strstrip (stderr_text) ? stderr_text : "failed without a message");
    return FALSE;
  }
  if (out != NULL)
    *out = g_steal_pointer (&stdout_text);
  return TRUE;
}

static gboolean
is_extended_type (const char *label, const char *type)
{
  return g_strcmp0 (label, "dos") == 0 &&
         (g_ascii_strcasecmp (type, "5") == 0 || g_ascii_strcasecmp (type, "f") == 0 ||
          g_ascii_strcasecmp (type, "85") == 0);
}

static gboolean
parse_json_table (Table *t, const char *json, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root, *pt;
  JsonArray *parts;

  if (!json_parser_load_from_data (parser, json, -1, error))
    return FALSE;
  root = JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)) ? json_node_get_object (json_parser_get_root (parser))
                                                                 : NULL;
  pt = root != NULL && json_object_has_member (root, "partitiontable")
         ? json_object_get_object_member (root, "partitiontable")
         : NULL;
  if (pt == NULL || !json_object_has_member (pt, "label")) {
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "sfdisk gave no partition table for %s", t->device);
    return FALSE;
  }
  t->label = g_strdup (json_object_get_string_member (pt, "label"));
  if (json_object_has_member (pt, "sectorsize"))
    t->sector_size = (guint64) json_object_get_int_member (pt, "sectorsize");
  parts = json_object_has_member (pt, "partitions") ? json_object_get_array_member (pt, "partitions") : NULL;
  for (guint i = 0; parts != NULL && i < json_array_get_length (parts); i++) {
    JsonObject *o = json_array_get_object_element (parts, i);
    const char *node = o ? json_object_get_string_member_with_default (o, "node", NULL) : NULL;
    const char *digits;
    Part p = { 0 };

    if (node == NULL)
      continue;
    /* The number ends the node's name (sfdisk's own naming). */
    for (digits = node + strlen (node); digits > node && g_ascii_isdigit (digits[-1]); digits--)
      ;
    p.number = (guint) g_ascii_strtoull (digits, NULL, 10);
    p.start = (guint64) json_object_get_int_member (o, "start") * t->sector_size;
    p.size = (guint64) json_object_get_int_member (o, "size") * t->sector_size;
    p.type = g_strdup (json_object_get_string_member_with_default (o, "type", ""));
    p.extended = is_extended_type (t->label, p.type);
    p.logical = g_str_equal (t->label, "dos") && p.number > 4;
    if (p.number == 0)
      continue;
    g_array_append_val (t->parts, p);
  }
  return TRUE;
}

static const Part *
extended_part (const Table *t)
{
  for (guint i = 0; i < t->parts->len; i++)
    if (g_array_index (t->parts, Part, i).extended)
      return &g_array_index (t->parts, Part, i);
  return NULL;
}

/* sfdisk -F: the free areas, aligned as sfdisk would use them. */
static gboolean
read_free (Table *t, GError **error)
{
  const char *argv[] = { "sfdisk", "-F", "--", t->device, NULL };
  g_autofree char *out = NULL;
  g_auto(GStrv) lines = NULL;
  const Part *ext = extended_part (t);
  gboolean in_table = FALSE;

  if (!run (argv, NULL, &out, error))
    return FALSE;
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    guint64 start, end;
    char *rest;
    FreeArea a;

    g_strstrip (lines[i]);
    if (g_str_has_prefix (lines[i], "Start")) {
      in_table = TRUE;
      continue;
    }
    if (!in_table || *lines[i] == '\0')
      continue;
    start = g_ascii_strtoull (lines[i], &rest, 10);
    end = g_ascii_strtoull (rest, NULL, 10);
    if (end < start)
      continue;
    a.start = start * t->sector_size;
    a.end = (end + 1) * t->sector_size;
    a.logical = ext != NULL && a.start >= ext->start && a.end <= ext->start + ext->size;
    g_array_append_val (t->free, a);
  }
  return TRUE;
}

/* The partition table of @device; a device without one gives a table
 * with no label. */
static Table *
read_table (const char *device, GError **error)
{
  g_autoptr(Table) t = g_new0 (Table, 1);
  const char *argv[] = { "sfdisk", "--json", "--", device, NULL };
  g_autofree char *out = NULL;
  GError *local = NULL;
  struct stat st;
  int fd;

  t->parts = g_array_new (FALSE, TRUE, sizeof (Part));
  g_array_set_clear_func (t->parts, part_clear);
  t->free = g_array_new (FALSE, TRUE, sizeof (FreeArea));
  t->sector_size = 512;
  t->device = realpath (device, NULL);
  if (t->device == NULL || stat (t->device, &st) < 0) {
    int saved = errno;
    g_set_error (error, VB_ERROR, saved == ENOENT ? VB_ERROR_OPERATION_INVALID : VB_ERROR_IO, "device %s: %s",
                 device, g_strerror (saved));
    return NULL;
  }
  if (!S_ISBLK (st.st_mode)) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "%s is not a block device", device);
    return NULL;
  }
  fd = open (t->device, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0 || ioctl (fd, BLKGETSIZE64, &t->size) < 0) {
    int saved = errno;
    if (fd >= 0)
      close (fd);
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot read the size of %s: %s", device, g_strerror (saved));
    return NULL;
  }
  close (fd);
  if (!run (argv, NULL, &out, &local)) {
    if (strstr (local->message, "does not contain a recognized partition table") != NULL) {
      g_error_free (local);
      return g_steal_pointer (&t);
    }
    g_propagate_error (error, local);
    return NULL;
  }
  if (!parse_json_table (t, out, error) || !read_free (t, error))
    return NULL;
  return g_steal_pointer (&t);
}

/* ---- the kernel's view ---- */

/* /sys/class/block/<disk>/<partition> of partition @number, or NULL. */
static char *
sysfs_part_dir (const char *disk_name, guint number)
{
  g_autofree char *dir_path = g_strdup_printf ("/sys/class/block/%s", disk_name);
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *entry;

  while (dir != NULL && (entry = g_dir_read_name (dir)) != NULL) {
    g_autofree char *path = g_build_filename (dir_path, entry, "partition", NULL);
    g_autofree char *text = NULL;

    if (g_file_get_contents (path, &text, NULL, NULL) && g_ascii_strtoull (text, NULL, 10) == number)
      return g_build_filename (dir_path, entry, NULL);
  }
  return NULL;
}

static guint64
sysfs_u64 (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *text = NULL;

  return g_file_get_contents (path, &text, NULL, NULL) ? g_ascii_strtoull (text, NULL, 10) : G_MAXUINT64;
}

/* How the kernel shows @p: an extended partition as its first sectors only
 * (its logical partitions lie inside it). */
static guint64
kernel_length (const Table *t, const Part *p)
{
  return p->extended ? MIN (p->size, MAX (t->sector_size, 1024)) : p->size;
}

static const Part *
find_part (const Table *t, guint number)
{
  for (guint i = 0; i < t->parts->len; i++)
    if (g_array_index (t->parts, Part, i).number == number)
      return &g_array_index (t->parts, Part, i);
  return NULL;
}

static gboolean
blkpg (int fd, int op, guint number, guint64 start, guint64 length, const char *device, GError **error)
{
  struct blkpg_partition part = { .start = (long long) start, .length = (long long) length, .pno = (int) number };
  struct blkpg_ioctl_arg arg = { .op = op, .datalen = sizeof part, .data = &part };

  if (ioctl (fd, BLKPG, &arg) == 0)
    return TRUE;
  if (errno == EBUSY && op == BLKPG_DEL_PARTITION)
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                 "partition %u of %s is in use (mounted or held open): the kernel still has it", number, device);
  else
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot tell the kernel of partition %u of %s: %s", number, device,
                 g_strerror (errno));
  return FALSE;
}

/* Makes the kernel's partitions of the disk those of @t. */
static gboolean
sync_kernel (const Table *t, GError **error)
{
  g_autofree char *disk_name = g_path_get_basename (t->device);
  g_autofree char *dir_path = g_strdup_printf ("/sys/class/block/%s", disk_name);
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  g_autoptr(GArray) stale = g_array_new (FALSE, FALSE, sizeof (guint));
  const char *entry;
  gboolean ok = TRUE;
  int fd;

  fd = open (t->device, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot open %s: %s", t->device, g_strerror (errno));
    return FALSE;
  }
  /* Gone or moved: out first (their room may be a new one's). */
  while (dir != NULL && (entry = g_dir_read_name (dir)) != NULL) {
    g_autofree char *part_dir = g_build_filename (dir_path, entry, NULL);
    guint64 number = sysfs_u64 (part_dir, "partition");
    const Part *p;

    if (number == G_MAXUINT64)
      continue;
    p = find_part (t, (guint) number);
    if (p == NULL || sysfs_u64 (part_dir, "start") * 512 != p->start ||
        sysfs_u64 (part_dir, "size") * 512 != kernel_length (t, p))
      g_array_append_val (stale, (guint) { (guint) number });
  }
  for (guint i = 0; ok && i < stale->len; i++)
    ok = blkpg (fd, BLKPG_DEL_PARTITION, g_array_index (stale, guint, i), 0, 0, t->device, error);
  for (guint i = 0; ok && i < t->parts->len; i++) {
    const Part *p = &g_array_index (t->parts, Part, i);
    g_autofree char *part_dir = sysfs_part_dir (disk_name, p->number);

    if (part_dir == NULL)
      ok = blkpg (fd, BLKPG_ADD_PARTITION, p->number, p->start, kernel_length (t, p), t->device, error);
  }
  close (fd);
  return ok;
}

/* Fails when a partition of the disk (or the disk) is mounted or held
 * open exclusively. */
static gboolean
check_disk_unused (const char *device, const char *doing, GError **error)
{
  int fd = open (device, O_RDONLY | O_EXCL | O_CLOEXEC | O_NOCTTY);

  if (fd >= 0) {
    close (fd);
    return TRUE;
  }
  if (errno == EBUSY)
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                 "cannot %s: %s or a partition of it is in use (mounted or held open)", doing, device);
  else
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot %s: cannot open %s: %s", doing, device, g_strerror (errno));
  return FALSE;
}

/* ---- volumes from the table ---- */

static char *
part_name (const char *disk_name, guint number)
{
  g_autofree char *dir = sysfs_part_dir (disk_name, number);
  gsize len = strlen (disk_name);

  if (dir != NULL)
    return g_path_get_basename (dir);
  /* The kernel's naming: sda1, but nvme0n1p1 and loop0p1. */
  return g_strdup_printf ("%s%s%u", disk_name, len > 0 && g_ascii_isdigit (disk_name[len - 1]) ? "p" : "", number);
}

/* The path a volume is listed with: a link to the partition in the
 * pool's target directory when it is one of /dev/disk/by-…, else the
 * node in /dev. */
static char *
stable_path (const VbStoragePoolDef *def, const char *node)
{
  g_autoptr(GDir) dir = NULL;
  const char *entry;

  if (def->target_path == NULL || g_str_equal (def->target_path, "/dev") ||
      !g_str_has_prefix (def->target_path, "/dev/"))
    return g_strdup (node);
  dir = g_dir_open (def->target_path, 0, NULL);
  while (dir != NULL && (entry = g_dir_read_name (dir)) != NULL) {
    g_autofree char *link = g_build_filename (def->target_path, entry, NULL);
    g_autofree char *real = realpath (link, NULL);

    if (real != NULL && g_str_equal (real, node))
      return g_steal_pointer (&link);
  }
  return g_strdup (node);
}

static VbStorageVolFormat
format_of (const Table *t, const Part *p)
{
  gboolean dos = g_str_equal (t->label, "dos");

  if (p->extended)
    return VB_STORAGE_VOL_FORMAT_EXTENDED;
  for (guint i = 0; i < G_N_ELEMENTS (part_types); i++) {
    const char *code = dos ? part_types[i].dos : part_types[i].gpt;
    if (code != NULL && g_ascii_strcasecmp (code, p->type) == 0)
      return part_types[i].format;
  }
  /* The other FAT ids. */
  if (dos && (g_ascii_strcasecmp (p->type, "4") == 0 || g_ascii_strcasecmp (p->type, "e") == 0))
    return VB_STORAGE_VOL_FORMAT_FAT16;
  if (dos && g_ascii_strcasecmp (p->type, "b") == 0)
    return VB_STORAGE_VOL_FORMAT_FAT32;
  return VB_STORAGE_VOL_FORMAT_NONE;
}

static VbStorageVolDef *
vol_def_for (const VbStoragePoolDef *def, const Table *t, const Part *p)
{
  g_autoptr(VbStorageVolDef) vol = vb_storage_vol_def_new ();
  g_autofree char *disk_name = g_path_get_basename (t->device);
  g_autofree char *node = NULL;
  VbStorageVolSourceDevice *dev = g_new0 (VbStorageVolSourceDevice, 1);
  VbStorageExtent extent = { p->start, p->start + p->size };
  struct stat st;

  vol->name = part_name (disk_name, p->number);
  node = g_build_filename ("/dev", vol->name, NULL);
  vol->type = VB_STORAGE_VOL_BLOCK;
  vol->path = stable_path (def, node);
  vol->key = g_strdup (vol->path);
  vol->format = format_of (t, p);
  vol->has_capacity = vol->has_allocation = TRUE;
  vol->capacity = p->size;
  vol->allocation = p->size;
  if (p->extended) {
    /* What its logical partitions take. */
    vol->allocation = 0;
    for (guint i = 0; i < t->parts->len; i++)
      if (g_array_index (t->parts, Part, i).logical)
        vol->allocation += g_array_index (t->parts, Part, i).size;
  }
  dev->path = g_strdup (vb_storage_fs_device (def));
  dev->extents = g_array_new (FALSE, FALSE, sizeof (VbStorageExtent));
  g_array_append_val (dev->extents, extent);
  g_ptr_array_add (vol->source_devices, dev);
  if (stat (node, &st) == 0) {
    vol->perms.mode = st.st_mode & 07777;
    vol->perms.owner = st.st_uid;
    vol->perms.group = st.st_gid;
  }
  return g_steal_pointer (&vol);
}

static gboolean
check_label (const VbStoragePoolDef *def, const Table *t, GError **error)
{
  const char *want = vb_storage_disk_label (def);

  if (t->label == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                 "%s has no partition table (build the pool to write a %s one)", vb_storage_fs_device (def), want);
    return FALSE;
  }
  if (!g_str_equal (t->label, want)) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                 "%s has a %s partition table, not the %s one of pool '%s' (build it with overwrite to replace it)",
                 vb_storage_fs_device (def), t->label, want, def->name);
    return FALSE;
  }
  return TRUE;
}

static void
fill_scan (const VbStoragePoolDef *def, const Table *t, GPtrArray *vols, VbStorageDiskSizes *sizes)
{
  sizes->capacity = t->size;
  sizes->allocation = sizes->available = 0;
  for (guint i = 0; i < t->parts->len; i++) {
    const Part *p = &g_array_index (t->parts, Part, i);
    g_ptr_array_add (vols, vol_def_for (def, t, p));
    if (!p->extended)
      sizes->allocation += p->size;
  }
  for (guint i = 0; i < t->free->len; i++)
    sizes->available += g_array_index (t->free, FreeArea, i).end - g_array_index (t->free, FreeArea, i).start;
}

gboolean
vb_storage_disk_scan (const VbStoragePoolDef *def, GPtrArray *vols, VbStorageDiskSizes *sizes, GError **error)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&table_lock);
  g_autoptr(Table) t = read_table (vb_storage_fs_device (def), error);

  if (t == NULL || !check_label (def, t, error) || !sync_kernel (t, error))
    return FALSE;
  fill_scan (def, t, vols, sizes);
  return TRUE;
}

/* ---- building and deleting the pool ---- */

/* Runs @argv (@input on its stdin), which replaces the whole table of
 * @t's disk, once no partition of it is in use; then the kernel learns
 * the new one. @what says what is done, for the errors. */
static gboolean
rewrite_whole_table (const Table *t, const char *const *argv, const char *input, const char *what, GError **error)
{
  g_autoptr(Table) now = NULL;

  if (!check_disk_unused (t->device, what, error))
    return FALSE;
  if (!run (argv, input, NULL, error)) {
    g_prefix_error (error, "cannot %s: ", what);
    return FALSE;
  }
  now = read_table (t->device, error);
  return now != NULL && sync_kernel (now, error);
}

gboolean
vb_storage_disk_build (const VbStoragePoolDef *def, gboolean overwrite, GError **error)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&table_lock);
  const char *device = vb_storage_fs_device (def);
  const char *label = vb_storage_disk_label (def);
  g_autofree char *script = g_strdup_printf ("label: %s\n", label);
  const char *write_argv[] = { "sfdisk", "--quiet", "--no-reread", "--no-tell-kernel", "--wipe", "always",
                               "--", device, NULL };
  g_autoptr(Table) t = read_table (device, error);
  g_autofree char *what = g_strdup_printf ("write a %s partition table on %s", label, device);

  if (t == NULL)
    return FALSE;
  if (!overwrite) {
    const char *argv[] = { "blkid", "-p", "-o", "export", "--", t->device, NULL };
    g_autoptr(GError) local = NULL;
    g_autofree char *out = NULL;

    /* blkid exits 2 when it finds nothing. */
    if (run (argv, NULL, &out, &local) && out != NULL && *g_strstrip (out) != '\0') {
      g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
      const char *found = NULL, *kind = NULL;

      for (guint i = 0; lines[i] != NULL; i++) {
        if (g_str_has_prefix (lines[i], "PTTYPE="))
          found = lines[i] + 7, kind = "partition table";
        else if (g_str_has_prefix (lines[i], "TYPE=") && kind == NULL)
          found = lines[i] + 5, kind = "file system";
      }
      if (found != NULL) {
        g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                     "cannot build storage pool '%s': %s holds a %s %s already (build with overwrite to replace "
                     "it)", def->name, device, found, kind);
        return FALSE;
      }
    }
  }
  return rewrite_whole_table (t, write_argv, script, what, error);
}

gboolean
vb_storage_disk_delete (const VbStoragePoolDef *def, GError **error)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&table_lock);
  const char *device = vb_storage_fs_device (def);
  g_autofree char *what = g_strdup_printf ("delete storage pool '%s'", def->name);
  const char *argv[] = { "wipefs", "--all", "--quiet", "--", device, NULL };
  g_autoptr(Table) t = read_table (device, error);

  return t != NULL && rewrite_whole_table (t, argv, NULL, what, error);
}

/* ---- partitions ---- */

gboolean
vb_storage_disk_check_vol_format (const VbStoragePoolDef *def, VbStorageVolFormat format, GError **error)
{
  gboolean gpt = def->source.format == VB_STORAGE_POOL_FORMAT_GPT;

  if (format == VB_STORAGE_VOL_FORMAT_DEFAULT || format == VB_STORAGE_VOL_FORMAT_NONE)
    return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (part_types); i++)
    if (part_types[i].format == format) {
      if (gpt && format == VB_STORAGE_VOL_FORMAT_EXTENDED) {
        g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED, "a gpt partition table has no extended partitions");
        return FALSE;
      }
      if (gpt && format == VB_STORAGE_VOL_FORMAT_FAT16) {
        g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                     "a gpt partition table has no fat16 type (fat32 makes a basic data partition)");
        return FALSE;
      }
      return TRUE;
    }
  g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
               "volumes of a disk pool are partitions: format '%s' is none of none, linux, fat16, fat32, linux-swap, "
               "linux-lvm, linux-raid, extended", vb_storage_vol_format_to_string (format));
  return FALSE;
}

static const char *
type_code (const VbStoragePoolDef *def, VbStorageVolFormat format)
{
  gboolean gpt = def->source.format == VB_STORAGE_POOL_FORMAT_GPT;

  if (format == VB_STORAGE_VOL_FORMAT_DEFAULT || format == VB_STORAGE_VOL_FORMAT_NONE)
    format = VB_STORAGE_VOL_FORMAT_LINUX;
  for (guint i = 0; i < G_N_ELEMENTS (part_types); i++)
    if (part_types[i].format == format)
      return gpt ? part_types[i].gpt : part_types[i].dos;
  return NULL;
}

char *
vb_storage_disk_create (const VbStoragePoolDef *def, const char *name, VbStorageVolFormat format, guint64 capacity,
                        GPtrArray *vols, VbStorageDiskSizes *sizes, GError **error)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&table_lock);
  const char *device = vb_storage_fs_device (def);
  const char *argv[] = { "sfdisk", "--quiet", "--append", "--no-reread", "--no-tell-kernel", "--", device, NULL };
  g_autoptr(Table) t = read_table (device, error);
  g_autofree char *disk_name = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *script = NULL;
  gboolean dos, logical = FALSE;
  guint number = 0, primaries = 0, max_logical = 4;
  const FreeArea *best = NULL;
  guint64 largest = 0, bytes;
  const Part *made;

  if (t == NULL || !check_label (def, t, error))
    return NULL;
  dos = g_str_equal (t->label, "dos");
  for (guint i = 0; i < t->parts->len; i++) {
    const Part *p = &g_array_index (t->parts, Part, i);
    if (p->logical)
      max_logical = MAX (max_logical, p->number);
    else
      primaries++;
  }
  if (dos && format == VB_STORAGE_VOL_FORMAT_EXTENDED && extended_part (t) != NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "%s has an extended partition already", device);
    return NULL;
  }
  if (dos && primaries >= 4) {
    if (extended_part (t) == NULL || format == VB_STORAGE_VOL_FORMAT_EXTENDED) {
      g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                   "%s has 4 primary partitions and no extended partition for a logical one", device);
      return NULL;
    }
    logical = TRUE;
    number = max_logical + 1;
  } else {
    /* sfdisk takes the lowest free number. */
    for (number = 1; find_part (t, number) != NULL; number++)
      ;
  }
  disk_name = g_path_get_basename (t->device);
  expected = part_name (disk_name, number);
  if (g_strcmp0 (name, expected) != 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG,
                 "invalid partition name '%s', expected '%s' (a disk pool's volumes are named as the partitions "
                 "the kernel shows)", name, expected);
    return NULL;
  }
  bytes = (capacity + t->sector_size - 1) / t->sector_size * t->sector_size;
  if (bytes == 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "a partition needs a capacity above 0");
    return NULL;
  }
  /* The smallest free area it fits in, of its kind. */
  for (guint i = 0; i < t->free->len; i++) {
    const FreeArea *a = &g_array_index (t->free, FreeArea, i);
    guint64 len = a->end - a->start;

    if (a->logical != logical)
      continue;
    largest = MAX (largest, len);
    if (len >= bytes && (best == NULL || len < best->end - best->start))
      best = a;
  }
  if (best == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                 "no free space for %" G_GUINT64_FORMAT " bytes on %s (the largest free %sarea has %" G_GUINT64_FORMAT
                 ")", bytes, device, logical ? "logical " : "", largest);
    return NULL;
  }
  script = g_strdup_printf ("start=%" G_GUINT64_FORMAT ", size=%" G_GUINT64_FORMAT ", type=%s\n",
                            best->start / t->sector_size, bytes / t->sector_size, type_code (def, format));
  if (!run (argv, script, NULL, error)) {
    g_prefix_error (error, "cannot make partition %s: ", expected);
    return NULL;
  }
  table_free (g_steal_pointer (&t));
  if ((t = read_table (device, error)) == NULL)
    return NULL;
  made = find_part (t, number);
  if (made == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "sfdisk did not make partition %u of %s", number, device);
    return NULL;
  }
  if (!sync_kernel (t, error))
    return NULL;
  fill_scan (def, t, vols, sizes);
  return g_steal_pointer (&expected);
}

gboolean
vb_storage_disk_remove (const VbStoragePoolDef *def, const char *name, GPtrArray *vols, VbStorageDiskSizes *sizes,
                        GError **error)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&table_lock);
  const char *device = vb_storage_fs_device (def);
  g_autoptr(Table) t = read_table (device, error);
  g_autofree char *disk_name = NULL;
  g_autofree char *number_text = NULL;
  g_autofree char *node = NULL;
  const Part *victim = NULL;
  int fd;

  if (t == NULL || !check_label (def, t, error))
    return FALSE;
  disk_name = g_path_get_basename (t->device);
  for (guint i = 0; victim == NULL && i < t->parts->len; i++) {
    const Part *p = &g_array_index (t->parts, Part, i);
    g_autofree char *pname = part_name (disk_name, p->number);
    if (g_str_equal (pname, name))
      victim = p;
  }
  if (victim == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_FOUND, "%s has no partition %s", device, name);
    return FALSE;
  }
  if (victim->extended) {
    for (guint i = 0; i < t->parts->len; i++)
      if (g_array_index (t->parts, Part, i).logical) {
        g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                     "extended partition %s still holds logical partitions: delete them first", name);
        return FALSE;
      }
  } else {
    /* Mounted or held exclusively: it stays. */
    node = g_build_filename ("/dev", name, NULL);
    fd = open (node, O_RDONLY | O_EXCL | O_CLOEXEC | O_NOCTTY);
    if (fd < 0 && errno == EBUSY) {
      g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "partition %s is in use (mounted or held open)",
                   node);
      return FALSE;
    }
    if (fd >= 0)
      close (fd);
  }
  number_text = g_strdup_printf ("%u", victim->number);
  {
    const char *argv[] = { "sfdisk", "--quiet", "--no-reread", "--no-tell-kernel", "--delete", device, number_text,
                           NULL };
    if (!run (argv, NULL, NULL, error)) {
      g_prefix_error (error, "cannot delete partition %s: ", name);
      return FALSE;
    }
  }
  table_free (g_steal_pointer (&t));
  t = read_table (device, error);
  if (t == NULL || !sync_kernel (t, error))
    return FALSE;
  fill_scan (def, t, vols, sizes);
  return TRUE;
}
