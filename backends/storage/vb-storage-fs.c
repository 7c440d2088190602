/* Pools of type fs: a block device (or an image file) holding a file
 * system, mounted on the pool's directory while the pool runs; the rest —
 * volumes as files in that directory — is a dir pool's. mount(8), umount(8),
 * mkfs(8) and blkid(8) run as subprocesses, never blocking the main loop. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "vb-child.h"
#include "vb-storage-private.h"

const char *
vb_storage_fs_device (const VbStoragePoolDef *def)
{
  if (def->source.devices->len == 0)
    return NULL;
  return ((const VbStoragePoolSourceDevice *) g_ptr_array_index (def->source.devices, 0))->path;
}

gboolean
vb_storage_device_path_valid (const char *device)
{
  return device != NULL && device[0] == '/' && strstr (device, "/../") == NULL && !g_str_has_suffix (device, "/..");
}

gboolean
vb_storage_fs_check_def (const VbStoragePoolDef *def, const VbCallerCreds *creds, GError **error)
{
  /* The parser gave an fs pool exactly one device; its path may still be
   * a plain name (the schema allows one). */
  const char *device = vb_storage_fs_device (def);

  if (!vb_storage_device_path_valid (device)) {
    g_set_error (error, VB_ERROR, VB_ERROR_XML,
                 "pool '%s': the source device '%s' is not an absolute path without '..'", def->name, device);
    return FALSE;
  }
  /* Mounting is the host administrator's: a caller who is not root could
   * otherwise mount any device anywhere through us. */
  if (creds != NULL && creds->uid != 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_AUTHORIZED,
                 "only root may define or start storage pools of type fs (they mount file systems)");
    return FALSE;
  }
  return TRUE;
}

/* /proc/self/mountinfo escapes space, tab, newline and backslash as \ooo. */
static char *
unescape_mount_path (const char *field)
{
  GString *out = g_string_new (NULL);

  for (const char *p = field; *p != '\0'; p++) {
    if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' && p[3] <= '7') {
      g_string_append_c (out, (char) ((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0')));
      p += 3;
    } else {
      g_string_append_c (out, *p);
    }
  }
  return g_string_free (out, FALSE);
}

gboolean
vb_storage_fs_is_mounted (const char *target)
{
  g_autofree char *real = realpath (target, NULL);
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;

  if (real == NULL || !g_file_get_contents ("/proc/self/mountinfo", &contents, NULL, NULL))
    return FALSE;
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    g_auto(GStrv) fields = g_strsplit (lines[i], " ", 6);
    g_autofree char *point = NULL;

    if (g_strv_length (fields) < 5)
      continue;
    point = unescape_mount_path (fields[4]);
    if (g_strcmp0 (point, real) == 0)
      return TRUE;
  }
  return FALSE;
}

/* ---- running the tools ---- */

typedef struct {
  char *what;       /* "mount /dev/sdb1 on /srv/pool" */
  gboolean probing; /* blkid: exit 2 (nothing found) is an answer, not a failure */
} Run;

static void
run_free (gpointer p)
{
  Run *run = p;

  g_free (run->what);
  g_free (run);
}

static void
on_tool_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Run *run = g_task_get_task_data (task);
  GSubprocess *proc = G_SUBPROCESS (source);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  GError *error = NULL;

  if (!g_subprocess_communicate_utf8_finish (proc, result, &out, &err, &error)) {
    g_prefix_error (&error, "cannot %s: ", run->what);
    g_task_return_error (task, error);
    return;
  }
  if (run->probing) {
    /* The file system type blkid found, or "" for none. */
    if (g_subprocess_get_if_exited (proc) && g_subprocess_get_exit_status (proc) == 2) {
      g_task_return_pointer (task, g_strdup (""), g_free);
      return;
    }
    if (g_subprocess_get_successful (proc)) {
      g_task_return_pointer (task, g_strdup (out ? g_strstrip (out) : ""), g_free);
      return;
    }
  } else if (g_subprocess_get_successful (proc)) {
    g_task_return_pointer (task, g_strdup (""), g_free);
    return;
  }
  g_task_return_new_error (task, VB_ERROR, VB_ERROR_FAILED, "cannot %s: %s", run->what,
                           err && *g_strstrip (err) ? err : "the tool failed without a message");
}

/* Runs @argv; completes @task (taken) with a string: blkid's answer when
 * @probing, else "". */
static void
run_tool (const char *const *argv, const char *what, gboolean probing, GTask *task)
{
  Run *run = g_new0 (Run, 1);
  g_autoptr(GSubprocess) proc = NULL;
  GError *error = NULL;

  run->what = g_strdup (what);
  run->probing = probing;
  g_task_set_task_data (task, run, run_free);
  proc = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  if (proc == NULL) {
    g_prefix_error (&error, "cannot %s: ", what);
    g_task_return_error (task, error);
    g_object_unref (task);
    return;
  }
  vb_child_track (proc);
  g_subprocess_communicate_utf8_async (proc, NULL, NULL, on_tool_done, task);
}

gboolean
vb_storage_fs_finish (GAsyncResult *result, GError **error)
{
  g_autofree char *out = g_task_propagate_pointer (G_TASK (result), error);

  return out != NULL;
}

void
vb_storage_fs_mount_async (const VbStoragePoolDef *def, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, NULL, callback, user_data);
  const char *device = vb_storage_fs_device (def);
  const char *type = def->source.format == VB_STORAGE_POOL_FORMAT_DEFAULT
                       ? "auto"
                       : vb_storage_pool_format_to_string (def->source.format);
  g_autofree char *what = g_strdup_printf ("mount %s on %s", device, def->target_path);
  /* No set-uid programs or device nodes from a pool's file system. */
  const char *argv[] = { "mount", "-t", type, "-o", "nodev,nosuid", "--", device, def->target_path, NULL };
  struct stat st;

  if (stat (device, &st) < 0) {
    int saved = errno;
    g_task_return_new_error (task, VB_ERROR, saved == ENOENT ? VB_ERROR_OPERATION_INVALID : VB_ERROR_IO,
                             "cannot start storage pool '%s': its source device %s: %s", def->name, device,
                             g_strerror (saved));
    g_object_unref (task);
    return;
  }
  if (!S_ISBLK (st.st_mode) && !S_ISREG (st.st_mode)) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                             "cannot start storage pool '%s': its source %s is neither a block device nor an "
                             "image file",
                             def->name, device);
    g_object_unref (task);
    return;
  }
  if (vb_storage_fs_is_mounted (def->target_path)) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                             "cannot start storage pool '%s': something is mounted on %s already", def->name,
                             def->target_path);
    g_object_unref (task);
    return;
  }
  run_tool (argv, what, FALSE, task);
}

void
vb_storage_fs_umount_async (const VbStoragePoolDef *def, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (NULL, NULL, callback, user_data);
  g_autofree char *what = g_strdup_printf ("unmount %s (a guest may still use one of its volumes)",
                                           def->target_path);
  const char *argv[] = { "umount", "--", def->target_path, NULL };

  if (!vb_storage_fs_is_mounted (def->target_path)) {
    g_task_return_pointer (task, g_strdup (""), g_free);
    g_object_unref (task);
    return;
  }
  run_tool (argv, what, FALSE, task);
}

/* ---- building: mkfs ---- */

typedef struct {
  VbStoragePoolDef *def;
} Mkfs;

static void
mkfs_free (gpointer p)
{
  Mkfs *m = p;

  vb_storage_pool_def_free (m->def);
  g_free (m);
}

static void
mkfs_now (GTask *task)
{
  Mkfs *m = g_task_get_task_data (task);
  /* Copies: run_tool replaces the task's data (and frees @m). */
  g_autofree char *device = g_strdup (vb_storage_fs_device (m->def));
  const char *type = vb_storage_pool_format_to_string (m->def->source.format);
  g_autofree char *tool = g_strdup_printf ("mkfs.%s", type);
  g_autofree char *what = g_strdup_printf ("make a %s file system on %s", type, device);
  const char *argv[5] = { tool, NULL };

  /* mke2fs and mkfs.xfs refuse to write over a file system unless forced:
   * here it was asked for (or blkid found none). */
  if (g_str_has_prefix (type, "ext")) {
    argv[1] = "-F";
    argv[2] = "-q";
    argv[3] = device;
  } else if (g_str_equal (type, "xfs")) {
    argv[1] = "-f";
    argv[2] = device;
  } else {
    argv[1] = device;
  }
  run_tool (argv, what, FALSE, task);
}

static void
on_probed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Mkfs *m = g_task_get_task_data (task);
  GError *error = NULL;
  g_autofree char *found = g_task_propagate_pointer (G_TASK (result), &error);

  if (found == NULL) {
    g_task_return_error (task, error);
    return;
  }
  if (*found != '\0') {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                             "cannot build storage pool '%s': %s holds a %s file system already (build with "
                             "overwrite to replace it)",
                             m->def->name, vb_storage_fs_device (m->def), found);
    return;
  }
  mkfs_now (g_steal_pointer (&task));
}

void
vb_storage_fs_mkfs_async (const VbStoragePoolDef *def, gboolean overwrite, GAsyncReadyCallback callback,
                          gpointer user_data)
{
  GTask *task = g_task_new (NULL, NULL, callback, user_data);
  const char *device = vb_storage_fs_device (def);
  Mkfs *m = g_new0 (Mkfs, 1);
  struct stat st;

  m->def = vb_storage_pool_def_copy (def);
  g_task_set_task_data (task, m, mkfs_free);
  if (def->source.format == VB_STORAGE_POOL_FORMAT_DEFAULT || def->source.format == VB_STORAGE_POOL_FORMAT_AUTO) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_INVALID_ARG,
                             "cannot build storage pool '%s': say which file system to make (<source><format "
                             "type='ext4'/>, …)",
                             def->name);
    g_object_unref (task);
    return;
  }
  if (stat (device, &st) < 0 || (!S_ISBLK (st.st_mode) && !S_ISREG (st.st_mode))) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                             "cannot build storage pool '%s': its source %s is neither a block device nor an "
                             "image file",
                             def->name, device);
    g_object_unref (task);
    return;
  }
  if (vb_storage_fs_is_mounted (def->target_path)) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                             "cannot build storage pool '%s': %s is mounted", def->name, def->target_path);
    g_object_unref (task);
    return;
  }
  if (overwrite) {
    mkfs_now (task);
    return;
  }
  {
    /* blkid -p: the device itself, not a cache; exit 2: no file system. */
    g_autofree char *what = g_strdup_printf ("probe %s for a file system", device);
    const char *argv[] = { "blkid", "-p", "-o", "value", "-s", "TYPE", "--", device, NULL };
    GTask *probe = g_task_new (NULL, NULL, on_probed, task);
    run_tool (argv, what, TRUE, probe);
  }
}
