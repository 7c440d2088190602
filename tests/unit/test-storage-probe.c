/* Tests for the image header probe of local storage
 * (backends/storage/vb-storage-probe.c): formats, sizes and backing files
 * from crafted headers, and hostile headers refused without reading past
 * what was read. */
#include <glib/gstdio.h>
#include <string.h>

#include "vb-error.h"
#include "vb-storage-probe.h"

static void
put_be32 (guint8 *p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

static void
put_be64 (guint8 *p, guint64 v)
{
  put_be32 (p, v >> 32);
  put_be32 (p + 4, (guint32) v);
}

static void
put_le32 (guint8 *p, guint32 v)
{
  p[0] = v;
  p[1] = v >> 8;
  p[2] = v >> 16;
  p[3] = v >> 24;
}

static void
put_le64 (guint8 *p, guint64 v)
{
  put_le32 (p, (guint32) v);
  put_le32 (p + 4, v >> 32);
}

static VbStorageVolDef *
probe (const guint8 *buf, gsize len, guint64 file_size, GError **error)
{
  VbStorageVolDef *def = vb_storage_vol_def_new ();

  if (!vb_storage_probe_header (buf, len, file_size, def, error)) {
    vb_storage_vol_def_free (def);
    return NULL;
  }
  return def;
}

/* A qcow2 v3 header of @size bytes of disk, with a backing file @backing
 * (NULL: none) of format @backing_fmt (NULL: no extension). */
static guint8 *
qcow2_v3 (guint64 size, const char *backing, const char *backing_fmt, gsize *len)
{
  guint8 *buf = g_malloc0 (4096);
  guint32 ext = 104;

  memcpy (buf, "QFI\xfb", 4);
  put_be32 (buf + 4, 3);
  put_be32 (buf + 20, 16);
  put_be64 (buf + 24, size);
  put_be64 (buf + 80, 1); /* lazy refcounts */
  put_be32 (buf + 100, 104);
  if (backing_fmt != NULL) {
    put_be32 (buf + ext, 0xE2792ACA);
    put_be32 (buf + ext + 4, strlen (backing_fmt));
    memcpy (buf + ext + 8, backing_fmt, strlen (backing_fmt));
    ext += 8 + (strlen (backing_fmt) + 7) / 8 * 8;
  }
  put_be32 (buf + ext, 0); /* end of extensions */
  if (backing != NULL) {
    put_be64 (buf + 8, 512);
    put_be32 (buf + 16, strlen (backing));
    memcpy (buf + 512, backing, strlen (backing));
  }
  *len = 4096;
  return buf;
}

static void
test_raw_and_iso (void)
{
  g_autofree guint8 *buf = g_malloc0 (40000);
  g_autoptr(GError) error = NULL;
  g_autoptr(VbStorageVolDef) raw = probe (buf, 512, 12345, &error);
  g_autoptr(VbStorageVolDef) iso = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (raw->format, ==, VB_STORAGE_VOL_FORMAT_RAW);
  g_assert_cmpuint (raw->capacity, ==, 12345);
  g_assert_null (raw->backing_store);

  memcpy (buf + 32769, "CD001", 5);
  iso = probe (buf, 40000, 40000, &error);
  g_assert_no_error (error);
  g_assert_cmpint (iso->format, ==, VB_STORAGE_VOL_FORMAT_ISO);
  g_assert_cmpuint (iso->capacity, ==, 40000);
}

static void
test_qcow2 (void)
{
  gsize len;
  g_autofree guint8 *plain = qcow2_v3 (G_GUINT64_CONSTANT (10) << 30, NULL, NULL, &len);
  g_autofree guint8 *backed = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(VbStorageVolDef) a = probe (plain, len, 200000, &error);
  g_autoptr(VbStorageVolDef) b = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (a->format, ==, VB_STORAGE_VOL_FORMAT_QCOW2);
  g_assert_cmpuint (a->capacity, ==, G_GUINT64_CONSTANT (10) << 30);
  g_assert_cmpstr (a->compat, ==, "1.1");
  g_assert_true (a->lazy_refcounts);
  g_assert_cmpuint (a->cluster_size, ==, 65536);
  g_assert_null (a->backing_store);

  backed = qcow2_v3 (1 << 20, "/images/base.img", "raw", &len);
  b = probe (backed, len, 200000, &error);
  g_assert_no_error (error);
  g_assert_nonnull (b->backing_store);
  g_assert_cmpstr (b->backing_store->path, ==, "/images/base.img");
  g_assert_cmpint (b->backing_store->format, ==, VB_STORAGE_VOL_FORMAT_RAW);
}

static void
test_qcow2_v2_and_qcow1 (void)
{
  guint8 buf[512] = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(VbStorageVolDef) v2 = NULL;
  g_autoptr(VbStorageVolDef) v1 = NULL;

  memcpy (buf, "QFI\xfb", 4);
  put_be32 (buf + 4, 2);
  put_be64 (buf + 24, 4096);
  put_be64 (buf + 8, 200);
  put_be32 (buf + 16, 4);
  memcpy (buf + 200, "base", 4);
  v2 = probe (buf, sizeof buf, 512, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (v2->compat, ==, "0.10");
  g_assert_cmpstr (v2->backing_store->path, ==, "base");
  g_assert_cmpint (v2->backing_store->format, ==, VB_STORAGE_VOL_FORMAT_DEFAULT);

  put_be32 (buf + 4, 1);
  v1 = probe (buf, sizeof buf, 512, &error);
  g_assert_no_error (error);
  g_assert_cmpint (v1->format, ==, VB_STORAGE_VOL_FORMAT_QCOW);
  g_assert_cmpuint (v1->capacity, ==, 4096);
}

static void
test_hostile_headers (void)
{
  guint8 buf[512] = { 0 };
  g_autoptr(GError) error = NULL;
  gsize len;
  g_autofree guint8 *big = NULL;

  memcpy (buf, "QFI\xfb", 4);
  put_be32 (buf + 4, 3);
  put_be32 (buf + 100, 104);
  /* Backing name past what was read. */
  put_be64 (buf + 8, G_MAXUINT64 - 2);
  put_be32 (buf + 16, 10);
  g_assert_null (probe (buf, sizeof buf, 512, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "past the header"));
  g_clear_error (&error);
  /* Longer than the format allows. */
  put_be64 (buf + 8, 200);
  put_be32 (buf + 16, 5000);
  g_assert_null (probe (buf, sizeof buf, 512, &error));
  g_assert_nonnull (strstr (error->message, "5000 bytes"));
  g_clear_error (&error);
  /* A NUL inside the name. */
  put_be32 (buf + 16, 8);
  memcpy (buf + 200, "ab\0cdefg", 8);
  g_assert_null (probe (buf, sizeof buf, 512, &error));
  g_assert_nonnull (strstr (error->message, "not a valid string"));
  g_clear_error (&error);
  /* Unknown version, truncated header. */
  put_be32 (buf + 4, 7);
  g_assert_null (probe (buf, sizeof buf, 512, &error));
  g_assert_nonnull (strstr (error->message, "version 7"));
  g_clear_error (&error);
  put_be32 (buf + 4, 3);
  g_assert_null (probe (buf, 60, 60, &error));
  g_assert_nonnull (strstr (error->message, "truncated"));
  g_clear_error (&error);
  /* Extensions whose lengths run off the end are not followed. */
  big = qcow2_v3 (1 << 20, "b", NULL, &len);
  put_be32 (big + 104, 0xE2792ACA);
  put_be32 (big + 108, 0xfffffff0);
  {
    g_autoptr(VbStorageVolDef) def = probe (big, len, len, &error);
    g_assert_no_error (error);
    g_assert_cmpint (def->backing_store->format, ==, VB_STORAGE_VOL_FORMAT_DEFAULT);
  }
}

static void
test_other_formats (void)
{
  guint8 buf[1024] = { 0 };
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(VbStorageVolDef) def = NULL;
    memcpy (buf, "QED\0", 4);
    put_le64 (buf + 16, 1); /* has a backing file */
    put_le64 (buf + 48, 104857600);
    put_le32 (buf + 56, 64);
    put_le32 (buf + 60, 7);
    memcpy (buf + 64, "x.qcow2", 7);
    def = probe (buf, sizeof buf, 4096, &error);
    g_assert_no_error (error);
    g_assert_cmpint (def->format, ==, VB_STORAGE_VOL_FORMAT_QED);
    g_assert_cmpuint (def->capacity, ==, 104857600);
    g_assert_cmpstr (def->backing_store->path, ==, "x.qcow2");
  }
  {
    g_autoptr(VbStorageVolDef) def = NULL;
    memset (buf, 0, sizeof buf);
    memcpy (buf, "KDMV", 4);
    put_le64 (buf + 12, 204800);
    def = probe (buf, sizeof buf, 4096, &error);
    g_assert_no_error (error);
    g_assert_cmpint (def->format, ==, VB_STORAGE_VOL_FORMAT_VMDK);
    g_assert_cmpuint (def->capacity, ==, 104857600);
    /* A sector count that overflows bytes. */
    put_le64 (buf + 12, G_MAXUINT64 / 256);
    g_assert_null (probe (buf, sizeof buf, 4096, &error));
    g_clear_error (&error);
  }
  {
    g_autoptr(VbStorageVolDef) def = NULL;
    memset (buf, 0, sizeof buf);
    put_le32 (buf + 0x40, 0xbeda107f);
    put_le64 (buf + 0x170, 104857600);
    def = probe (buf, sizeof buf, 4096, &error);
    g_assert_no_error (error);
    g_assert_cmpint (def->format, ==, VB_STORAGE_VOL_FORMAT_VDI);
    g_assert_cmpuint (def->capacity, ==, 104857600);
  }
  {
    g_autoptr(VbStorageVolDef) def = NULL;
    memset (buf, 0, sizeof buf);
    memcpy (buf, "conectix", 8);
    put_be64 (buf + 48, 104865792);
    def = probe (buf, sizeof buf, 4096, &error);
    g_assert_no_error (error);
    g_assert_cmpint (def->format, ==, VB_STORAGE_VOL_FORMAT_VPC);
    g_assert_cmpuint (def->capacity, ==, 104865792);
  }
  {
    g_autoptr(VbStorageVolDef) def = NULL;
    memset (buf, 0, sizeof buf);
    memcpy (buf, "LUKS\xba\xbe", 6);
    def = probe (buf, sizeof buf, 8192, &error);
    g_assert_no_error (error);
    g_assert_cmpint (def->format, ==, VB_STORAGE_VOL_FORMAT_LUKS);
    g_assert_cmpuint (def->capacity, ==, 8192);
  }
}

static void
test_probe_path (void)
{
  g_autofree char *dir = g_dir_make_tmp ("vb-probe-XXXXXX", NULL);
  g_autofree char *file = g_build_filename (dir, "f.img", NULL);
  g_autofree char *missing = g_build_filename (dir, "nope", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(VbStorageVolDef) def = vb_storage_vol_def_new ();
  g_autoptr(VbStorageVolDef) ddef = vb_storage_vol_def_new ();
  g_autoptr(VbStorageVolDef) mdef = vb_storage_vol_def_new ();

  g_assert_true (g_file_set_contents (file, "hello", 5, NULL));
  g_assert_true (vb_storage_probe_path (file, def, &error));
  g_assert_cmpint (def->type, ==, VB_STORAGE_VOL_FILE);
  g_assert_cmpint (def->format, ==, VB_STORAGE_VOL_FORMAT_RAW);
  g_assert_cmpuint (def->capacity, ==, 5);
  g_assert_cmpuint (def->physical, ==, 5);
  g_assert_true (def->timestamps.mtime.set);
  g_assert_true (vb_storage_probe_path (dir, ddef, &error));
  g_assert_cmpint (ddef->type, ==, VB_STORAGE_VOL_DIR);
  g_assert_false (vb_storage_probe_path (missing, mdef, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_NOT_FOUND);
  g_unlink (file);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/storage-probe/raw-and-iso", test_raw_and_iso);
  g_test_add_func ("/storage-probe/qcow2", test_qcow2);
  g_test_add_func ("/storage-probe/qcow2-v2-and-qcow1", test_qcow2_v2_and_qcow1);
  g_test_add_func ("/storage-probe/hostile-headers", test_hostile_headers);
  g_test_add_func ("/storage-probe/other-formats", test_other_formats);
  g_test_add_func ("/storage-probe/path", test_probe_path);
  return g_test_run ();
}
