/* TPM emulators (<tpm><backend type='emulator'>). A running guest with one
 * has a swtpm of its own: the daemon starts it right before QEMU, its
 * control channel on a socket the daemon bound (so QEMU connects at once),
 * and it ends with QEMU (--terminate). The TPM's state — its NVRAM: the
 * endorsement key, what the guest stored — stays across starts in
 * <lib>/swtpm/<uuid>/tpm2 (tpm1.2), where libvirt keeps it too; swtpm_setup
 * makes it at the first start. Undefine removes it unless asked to keep it
 * (VIR_DOMAIN_UNDEFINE_KEEP_TPM). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vb-qemu-private.h"
#include "vb-state-dir.h"

/* The descriptor swtpm gets its control channel's listening socket on. */
#define SWTPM_CTRL_FD 3

const VbDomainTpmDef *
vb_qemu_tpm_emulator (const VbDomainDef *def)
{
  for (guint i = 0; def != NULL && i < def->tpms->len; i++) {
    const VbDomainTpmDef *tpm = g_ptr_array_index (def->tpms, i);
    if (tpm->backend == VB_DOMAIN_TPM_BACKEND_EMULATOR)
      return tpm;
  }
  return NULL;
}

gboolean
vb_qemu_tpm_is_v2 (const VbDomainTpmDef *tpm)
{
  return tpm->version == NULL || g_str_equal (tpm->version, "2.0");
}

/* <lib>/swtpm/<uuid>: everything of the domain's TPMs. */
static char *
uuid_dir (VbQemuBackend *self, const char *uuid)
{
  const VbStateDirs *dirs = vb_backend_get_state_dirs (VB_BACKEND (self));
  return g_build_filename (dirs->lib_dir, "swtpm", uuid, NULL);
}

char *
vb_qemu_tpm_state_dir (VbQemuBackend *self, const VbDomainDef *def)
{
  const VbDomainTpmDef *tpm = vb_qemu_tpm_emulator (def);
  g_autofree char *dir = uuid_dir (self, def->uuid);

  return g_build_filename (dir, tpm != NULL && !vb_qemu_tpm_is_v2 (tpm) ? "tpm1.2" : "tpm2", NULL);
}

/* The file swtpm keeps the TPM's permanent state in: there once set up. */
static char *
permall_path (const char *state_dir, const VbDomainTpmDef *tpm)
{
  return g_build_filename (state_dir, vb_qemu_tpm_is_v2 (tpm) ? "tpm2-00.permall" : "tpm-00.permall", NULL);
}

static char *
find_tool (const char *name, GError **error)
{
  char *path = g_find_program_in_path (name);

  if (path == NULL)
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                 "<tpm><backend type='emulator'> needs %s, which is not installed (Debian packages swtpm and "
                 "swtpm-tools)", name);
  return path;
}

/* The state directories belong to the QEMU user in system mode (swtpm runs
 * as that user). */
static gboolean
make_dir (VbQemuBackend *self, const char *path, GError **error)
{
  if (g_mkdir_with_parents (path, 0700) < 0) {
    int saved = errno;
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot create %s: %s", path, g_strerror (saved));
    return FALSE;
  }
  if (self->qemu_user != NULL && chown (path, self->qemu_uid, self->qemu_gid) < 0) {
    int saved = errno;
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot hand %s to user %s: %s", path, self->qemu_user,
                 g_strerror (saved));
    return FALSE;
  }
  return TRUE;
}

typedef struct {
  char *state_dir;
  char *name;
} Setup;

static void
setup_free (gpointer p)
{
  Setup *s = p;

  g_free (s->state_dir);
  g_free (s->name);
  g_free (s);
}

static void
on_setup_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Setup *s = g_task_get_task_data (task);
  GSubprocess *proc = G_SUBPROCESS (source);
  g_autofree char *out = NULL;
  GError *error = NULL;

  if (!g_subprocess_communicate_utf8_finish (proc, result, &out, NULL, &error)) {
    g_prefix_error (&error, "cannot set up the TPM of domain '%s': ", s->name);
    g_task_return_error (task, error);
    return;
  }
  if (!g_subprocess_get_successful (proc)) {
    g_autoptr(GDir) dir = g_dir_open (s->state_dir, 0, NULL);
    const char *entry;

    /* Nothing half made stays: the next start sets it up anew. */
    while (dir != NULL && (entry = g_dir_read_name (dir)) != NULL) {
      g_autofree char *path = g_build_filename (s->state_dir, entry, NULL);
      (void) unlink (path);
    }
    (void) rmdir (s->state_dir);
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_FAILED, "cannot set up the TPM of domain '%s' (swtpm_setup): %s",
                             s->name, out != NULL && *out != '\0' ? g_strstrip (out) : "no message");
    return;
  }
  g_task_return_boolean (task, TRUE);
}

void
vb_qemu_tpm_setup_async (VbQemuBackend *self, VbObj *dom, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (dom, NULL, callback, user_data);
  const VbDomainDef *def = dom->def;
  const VbDomainTpmDef *tpm = vb_qemu_tpm_emulator (def);
  g_autofree char *state_dir = NULL;
  g_autofree char *permall = NULL;
  g_autofree char *tool = NULL;
  g_autofree char *swtpm = NULL;
  g_autofree char *top = NULL;
  g_autofree char *vmid = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GPtrArray) argv = NULL;
  GError *error = NULL;
  Setup *s;

  if (tpm == NULL) {
    g_task_return_boolean (task, TRUE);
    return;
  }
  if ((tool = find_tool ("swtpm_setup", &error)) == NULL || (swtpm = find_tool ("swtpm", &error)) == NULL) {
    g_task_return_error (task, error);
    return;
  }
  state_dir = vb_qemu_tpm_state_dir (self, def);
  permall = permall_path (state_dir, tpm);
  if (g_file_test (permall, G_FILE_TEST_EXISTS)) {
    g_task_return_boolean (task, TRUE);
    return;
  }
  top = uuid_dir (self, def->uuid);
  if (!make_dir (self, top, &error) || !make_dir (self, state_dir, &error)) {
    g_task_return_error (task, error);
    return;
  }
  vmid = g_strdup_printf ("%s:%s", def->name, def->uuid);
  argv = g_ptr_array_new ();
  g_ptr_array_add (argv, tool);
  if (vb_qemu_tpm_is_v2 (tpm))
    g_ptr_array_add (argv, "--tpm2");
  g_ptr_array_add (argv, "--tpm-state");
  g_ptr_array_add (argv, state_dir);
  g_ptr_array_add (argv, "--vmid");
  g_ptr_array_add (argv, vmid);
  /* An endorsement key, no certificates (they would need a local CA the
   * host would have to set up); never overwrite a TPM that exists. */
  g_ptr_array_add (argv, "--createek");
  g_ptr_array_add (argv, "--not-overwrite");
  if (vb_qemu_tpm_is_v2 (tpm)) {
    g_ptr_array_add (argv, "--pcr-banks");
    g_ptr_array_add (argv, "sha256");
  }
  /* The host's or the user's configuration (certificate tools) is not
   * ours to follow: an empty one. */
  g_ptr_array_add (argv, "--config");
  g_ptr_array_add (argv, "/dev/null");
  if (self->qemu_user != NULL) {
    g_ptr_array_add (argv, "--runas");
    g_ptr_array_add (argv, self->qemu_user);
  }
  g_ptr_array_add (argv, NULL);
  proc = g_subprocess_newv ((const char *const *) argv->pdata,
                            G_SUBPROCESS_FLAGS_STDIN_INHERIT | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                              G_SUBPROCESS_FLAGS_STDERR_MERGE,
                            &error);
  if (proc == NULL) {
    g_prefix_error (&error, "cannot run %s: ", tool);
    g_task_return_error (task, error);
    return;
  }
  vb_child_track (proc);
  g_debug ("domain '%s': making the state of its TPM in %s", dom->name, state_dir);
  s = g_new0 (Setup, 1);
  s->state_dir = g_steal_pointer (&state_dir);
  s->name = g_strdup (dom->name);
  g_task_set_task_data (task, s, setup_free);
  g_subprocess_communicate_utf8_async (proc, NULL, NULL, on_setup_done, g_steal_pointer (&task));
}

gboolean
vb_qemu_tpm_setup_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

int
vb_qemu_tpm_spawn (VbQemuBackend *self, VbObj *dom, const char *socket_path, GError **error)
{
  const VbDomainDef *def = dom->def;
  const VbDomainTpmDef *tpm = vb_qemu_tpm_emulator (def);
  const VbStateDirs *dirs = vb_backend_get_state_dirs (VB_BACKEND (self));
  g_autofree char *swtpm = find_tool ("swtpm", error);
  g_autofree char *state_dir = NULL;
  g_autofree char *state_arg = NULL;
  g_autofree char *log_arg = NULL;
  g_autofree char *ctrl_arg = g_strdup_printf ("type=unixio,fd=%d", SWTPM_CTRL_FD);

  if (swtpm == NULL)
    return -1;
  g_return_val_if_fail (tpm != NULL, -1);
  state_dir = vb_qemu_tpm_state_dir (self, def);
  state_arg = g_strdup_printf ("dir=%s,mode=0600", state_dir);
  log_arg = g_strdup_printf ("file=%s/%s-swtpm.log", dirs->log_dir, def->name);
  {
    /* --terminate: it goes when QEMU closes the control channel. A TPM
     * 1.2 is swtpm's default (no --tpm2). It runs as the QEMU user. */
    const char *argv[] = { swtpm,   "socket",  "--tpmstate", state_arg, "--ctrl", ctrl_arg, "--terminate",
                           "--log", log_arg,   vb_qemu_tpm_is_v2 (tpm) ? "--tpm2" : NULL, NULL };
    return vb_qemu_spawn_helper (self, argv, socket_path, SWTPM_CTRL_FD, -1, TRUE, error);
  }
}

gboolean
vb_qemu_tpm_remove_state (VbQemuBackend *self, const char *uuid, GError **error)
{
  g_autofree char *top = NULL;

  /* A uuid is a single path component: never a way out of <lib>/swtpm. */
  if (uuid == NULL || *uuid == '\0' || strchr (uuid, '/') != NULL || g_str_equal (uuid, ".") ||
      g_str_equal (uuid, ".."))
    return TRUE;
  top = uuid_dir (self, uuid);
  g_autoptr(GDir) dir = NULL;
  const char *entry;

  if (!g_file_test (top, G_FILE_TEST_IS_DIR))
    return TRUE;
  dir = g_dir_open (top, 0, error);
  if (dir == NULL)
    return FALSE;
  while ((entry = g_dir_read_name (dir)) != NULL) {
    g_autofree char *sub = g_build_filename (top, entry, NULL);
    g_autoptr(GDir) inner = g_dir_open (sub, 0, NULL);
    const char *file;

    while (inner != NULL && (file = g_dir_read_name (inner)) != NULL) {
      g_autofree char *path = g_build_filename (sub, file, NULL);
      if (unlink (path) < 0 && errno != ENOENT) {
        int saved = errno;
        g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot remove %s: %s", path, g_strerror (saved));
        return FALSE;
      }
    }
    if ((inner != NULL ? rmdir (sub) : unlink (sub)) < 0 && errno != ENOENT) {
      int saved = errno;
      g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot remove %s: %s", sub, g_strerror (saved));
      return FALSE;
    }
  }
  if (rmdir (top) < 0 && errno != ENOENT) {
    int saved = errno;
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot remove %s: %s", top, g_strerror (saved));
    return FALSE;
  }
  return TRUE;
}
