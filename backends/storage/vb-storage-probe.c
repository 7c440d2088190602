/* Image header probing for the files of a storage pool. Every size,
 * offset and length read from a header is checked against what was read
 * and against the file before it is used: the files are the guests'. */
#include "vb-storage-probe.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vb-error.h"

/* The longest backing file name a qcow2 header may carry (its spec). */
#define BACKING_NAME_MAX 1023
#define QCOW2_EXT_BACKING_FORMAT 0xE2792ACAu
#define QCOW2_COMPAT_LAZY_REFCOUNTS (G_GUINT64_CONSTANT (1) << 0)
#define QCOW2_INCOMPAT_EXTL2 (G_GUINT64_CONSTANT (1) << 4)
#define QED_F_BACKING_FILE (G_GUINT64_CONSTANT (1) << 0)
#define QED_F_BACKING_FORMAT_NO_PROBE (G_GUINT64_CONSTANT (1) << 2)
#define ISO_MAGIC_OFFSET 32769

static guint32
be32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8 | p[3];
}

static guint64
be64 (const guint8 *p)
{
  return (guint64) be32 (p) << 32 | be32 (p + 4);
}

static guint32
le32 (const guint8 *p)
{
  return (guint32) p[3] << 24 | (guint32) p[2] << 16 | (guint32) p[1] << 8 | p[0];
}

static guint64
le64 (const guint8 *p)
{
  return (guint64) le32 (p + 4) << 32 | le32 (p);
}

static gboolean G_GNUC_PRINTF (3, 4)
bad_header (GError **error, VbStorageVolDef *def, const char *format, ...)
{
  va_list args;
  g_autofree char *what = NULL;

  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "invalid %s header: %s",
               vb_storage_vol_format_to_string (def->format), what);
  return FALSE;
}

/* A backing file name of @size bytes at @offset of the header. */
static gboolean
set_backing (VbStorageVolDef *def, const guint8 *buf, gsize len, guint64 offset, guint64 size,
             VbStorageVolFormat format, GError **error)
{
  g_autofree char *name = NULL;

  if (size == 0)
    return TRUE;
  if (size > BACKING_NAME_MAX)
    return bad_header (error, def, "backing file name of %" G_GUINT64_FORMAT " bytes", size);
  if (offset > len || size > len - offset)
    return bad_header (error, def, "backing file name past the header (offset %" G_GUINT64_FORMAT ")", offset);
  name = g_strndup ((const char *) buf + offset, size);
  if (strlen (name) != size || !g_utf8_validate (name, -1, NULL))
    return bad_header (error, def, "backing file name is not a valid string");
  def->backing_store = g_new0 (VbStorageVolBackingStore, 1);
  vb_storage_perms_init (&def->backing_store->perms);
  def->backing_store->path = g_steal_pointer (&name);
  def->backing_store->format = format;
  return TRUE;
}

/* qcow2 header extensions: only the backing format is of interest. */
static VbStorageVolFormat
qcow2_backing_format (const guint8 *buf, gsize len, guint64 start, guint64 end)
{
  guint64 off = start;

  /* Extensions lie between the header and the first thing after it
   * (the backing file name, or the end of the first cluster). */
  while (off + 8 <= len && off + 8 <= end) {
    guint32 type = be32 (buf + off), elen = be32 (buf + off + 4);
    if (type == 0)
      break;
    if (elen > len - off - 8)
      break;
    if (type == QCOW2_EXT_BACKING_FORMAT && elen > 0 && elen < 32) {
      g_autofree char *fmt = g_strndup ((const char *) buf + off + 8, elen);
      int f = vb_storage_vol_format_from_string (fmt);
      return f > 0 ? (VbStorageVolFormat) f : VB_STORAGE_VOL_FORMAT_UNKNOWN;
    }
    off += 8 + ((guint64) elen + 7) / 8 * 8;
  }
  return VB_STORAGE_VOL_FORMAT_DEFAULT;
}

static gboolean
probe_qcow (const guint8 *buf, gsize len, VbStorageVolDef *def, GError **error)
{
  guint32 version = be32 (buf + 4);
  guint64 backing_offset, backing_size;

  if (len < 32)
    return bad_header (error, def, "truncated");
  backing_offset = be64 (buf + 8);
  backing_size = be32 (buf + 16);
  if (version == 1) {
    def->format = VB_STORAGE_VOL_FORMAT_QCOW;
    def->capacity = be64 (buf + 24);
    return set_backing (def, buf, len, backing_offset, backing_size, VB_STORAGE_VOL_FORMAT_DEFAULT, error);
  }
  def->format = VB_STORAGE_VOL_FORMAT_QCOW2;
  if (version != 2 && version != 3)
    return bad_header (error, def, "version %u", version);
  if (len < 72)
    return bad_header (error, def, "truncated");
  def->capacity = be64 (buf + 24);
  g_free (def->compat);
  def->compat = g_strdup (version == 2 ? "0.10" : "1.1");
  {
    guint64 ext_start = 72, ext_end;
    VbStorageVolFormat backing_format;
    if (version == 3) {
      if (len < 104)
        return bad_header (error, def, "truncated");
      def->lazy_refcounts = (be64 (buf + 80) & QCOW2_COMPAT_LAZY_REFCOUNTS) != 0;
      def->extended_l2 = (be64 (buf + 72) & QCOW2_INCOMPAT_EXTL2) != 0;
      ext_start = be32 (buf + 100);
    }
    def->cluster_size = be32 (buf + 20) < 64 ? G_GUINT64_CONSTANT (1) << be32 (buf + 20) : 0;
    ext_end = backing_offset != 0 ? backing_offset : len;
    backing_format = qcow2_backing_format (buf, len, ext_start, ext_end);
    return set_backing (def, buf, len, backing_offset, backing_size, backing_format, error);
  }
}

static gboolean
probe_qed (const guint8 *buf, gsize len, VbStorageVolDef *def, GError **error)
{
  guint64 features;

  def->format = VB_STORAGE_VOL_FORMAT_QED;
  if (len < 64)
    return bad_header (error, def, "truncated");
  features = le64 (buf + 16);
  def->capacity = le64 (buf + 48);
  if (!(features & QED_F_BACKING_FILE))
    return TRUE;
  return set_backing (def, buf, len, le32 (buf + 56), le32 (buf + 60),
                      (features & QED_F_BACKING_FORMAT_NO_PROBE) ? VB_STORAGE_VOL_FORMAT_RAW
                                                                 : VB_STORAGE_VOL_FORMAT_DEFAULT,
                      error);
}

gboolean
vb_storage_probe_header (const guint8 *buf, gsize len, guint64 file_size, VbStorageVolDef *def, GError **error)
{
  def->format = VB_STORAGE_VOL_FORMAT_RAW;
  def->capacity = file_size;
  def->has_capacity = TRUE;

  if (len >= 8 && memcmp (buf, "QFI\xfb", 4) == 0)
    return probe_qcow (buf, len, def, error);
  if (len >= 8 && memcmp (buf, "QED\0", 4) == 0)
    return probe_qed (buf, len, def, error);
  if (len >= 4 && memcmp (buf, "KDMV", 4) == 0) {
    def->format = VB_STORAGE_VOL_FORMAT_VMDK;
    if (len < 20)
      return bad_header (error, def, "truncated");
    if (le64 (buf + 12) > G_MAXUINT64 / 512)
      return bad_header (error, def, "capacity of %" G_GUINT64_FORMAT " sectors", le64 (buf + 12));
    def->capacity = le64 (buf + 12) * 512;
    return TRUE;
  }
  if (len >= 0x178 && le32 (buf + 0x40) == 0xbeda107fu) {
    def->format = VB_STORAGE_VOL_FORMAT_VDI;
    def->capacity = le64 (buf + 0x170);
    return TRUE;
  }
  if (len >= 56 && memcmp (buf, "conectix", 8) == 0) {
    def->format = VB_STORAGE_VOL_FORMAT_VPC;
    def->capacity = be64 (buf + 48);
    return TRUE;
  }
  if (len >= 6 && memcmp (buf, "LUKS\xba\xbe", 6) == 0) {
    /* The payload's size needs the key; the file's is what is known. */
    def->format = VB_STORAGE_VOL_FORMAT_LUKS;
    return TRUE;
  }
  if (len >= ISO_MAGIC_OFFSET + 5 && memcmp (buf + ISO_MAGIC_OFFSET, "CD001", 5) == 0) {
    def->format = VB_STORAGE_VOL_FORMAT_ISO;
    return TRUE;
  }
  return TRUE;
}

static void
set_timestamp (VbStorageTimestamp *ts, const struct timespec *t)
{
  ts->set = TRUE;
  ts->sec = (guint64) t->tv_sec;
  ts->nsec = (guint) t->tv_nsec;
}

gboolean
vb_storage_probe_path (const char *path, VbStorageVolDef *def, GError **error)
{
  int fd = open (path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  struct stat st;
  g_autofree guint8 *buf = NULL;
  gssize got = 0;
  guint64 size;
  gboolean ok = TRUE;

  if (fd < 0) {
    int saved = errno;
    g_set_error (error, VB_ERROR, saved == ENOENT ? VB_ERROR_NOT_FOUND : VB_ERROR_IO, "cannot open volume '%s': %s",
                 path, g_strerror (saved));
    return FALSE;
  }
  if (fstat (fd, &st) < 0) {
    int saved = errno;
    close (fd);
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot stat volume '%s': %s", path, g_strerror (saved));
    return FALSE;
  }

  def->perms.mode = st.st_mode & 07777;
  def->perms.owner = st.st_uid;
  def->perms.group = st.st_gid;
  set_timestamp (&def->timestamps.atime, &st.st_atim);
  set_timestamp (&def->timestamps.mtime, &st.st_mtim);
  set_timestamp (&def->timestamps.ctime, &st.st_ctim);
  def->allocation = (guint64) st.st_blocks * 512;
  def->has_allocation = TRUE;

  if (S_ISDIR (st.st_mode)) {
    close (fd);
    def->type = VB_STORAGE_VOL_DIR;
    def->format = VB_STORAGE_VOL_FORMAT_DIR;
    def->capacity = def->allocation;
    def->has_capacity = TRUE;
    return TRUE;
  }
  if (S_ISREG (st.st_mode)) {
    def->type = VB_STORAGE_VOL_FILE;
    size = (guint64) st.st_size;
  } else if (S_ISBLK (st.st_mode)) {
    def->type = VB_STORAGE_VOL_BLOCK;
    if (ioctl (fd, BLKGETSIZE64, &size) < 0)
      size = 0;
    def->allocation = size;
  } else {
    close (fd);
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "'%s' is neither a file, a block device nor a directory", path);
    return FALSE;
  }
  def->physical = size;
  def->has_physical = TRUE;

  buf = g_malloc (VB_STORAGE_PROBE_HEADER_MAX);
  while (got < VB_STORAGE_PROBE_HEADER_MAX) {
    gssize n = read (fd, buf + got, VB_STORAGE_PROBE_HEADER_MAX - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int saved = errno;
      close (fd);
      g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot read volume '%s': %s", path, g_strerror (saved));
      return FALSE;
    }
    if (n == 0)
      break;
    got += n;
  }
  close (fd);

  ok = vb_storage_probe_header (buf, (gsize) got, size, def, error);
  if (!ok)
    g_prefix_error (error, "volume '%s': ", path);
  return ok;
}
