/* Shared directories (<filesystem type='mount'><driver type='virtiofs'/>):
 * a virtiofsd per directory, started by the daemon right before QEMU on a
 * socket the daemon bound (QEMU's vhost-user-fs device connects at once);
 * it ends when QEMU goes. virtiofsd sandboxes itself (namespaces), so it
 * runs as root: virtiofs needs a virtbusd running as root. */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "vb-qemu-private.h"

/* The descriptor virtiofsd gets its listening socket on. */
#define VIRTIOFSD_SOCKET_FD 3

char *
vb_qemu_virtiofsd_path (void)
{
  /* Debian 12 ships QEMU's own (C) virtiofsd in qemu-system-common; the
   * Rust one, where installed, lives in /usr/libexec. */
  static const char *const candidates[] = { "/usr/libexec/virtiofsd", "/usr/lib/qemu/virtiofsd" };

  for (gsize i = 0; i < G_N_ELEMENTS (candidates); i++)
    if (g_file_test (candidates[i], G_FILE_TEST_IS_EXECUTABLE))
      return g_strdup (candidates[i]);
  return g_find_program_in_path ("virtiofsd");
}

int
vb_qemu_virtiofs_spawn (VbQemuBackend *self, VbObj *dom, guint index, const char *socket_path, int log_fd,
                        GError **error)
{
  const VbDomainDef *def = dom->def;
  const VbDomainFsDef *fs = g_ptr_array_index (def->filesystems, index);
  g_autofree char *virtiofsd = vb_qemu_virtiofsd_path ();
  g_autofree char *fd_arg = g_strdup_printf ("--fd=%d", VIRTIOFSD_SOCKET_FD);
  g_autofree char *source_arg = NULL;

  if (virtiofsd == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                 "<filesystem> '%s' needs virtiofsd, which is not installed (Debian package qemu-system-common)",
                 fs->dst);
    return -1;
  }
  if (geteuid () != 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                 "<filesystem> '%s': virtiofs needs virtbusd to run as root (virtiofsd sandboxes itself with "
                 "namespaces)", fs->dst);
    return -1;
  }
  if (!g_file_test (fs->src_dir, G_FILE_TEST_IS_DIR)) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "<filesystem> '%s': source %s is not a directory", fs->dst,
                 fs->src_dir);
    return -1;
  }
  /* The option parser splits at commas: a source with one cannot be
   * passed (a directory name with a comma is refused, not cut short). */
  if (strchr (fs->src_dir, ',') != NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                 "<filesystem> '%s': virtiofsd cannot share a directory whose path has a comma (%s)", fs->dst,
                 fs->src_dir);
    return -1;
  }
  source_arg = g_strdup_printf ("source=%s", fs->src_dir);
  {
    /* cache=auto: the guest caches what it read for a while (the host
     * may change the files too). */
    const char *argv[] = { virtiofsd, fd_arg, "-o", source_arg, "-o", "cache=auto", "-o", "xattr", NULL };
    return vb_qemu_spawn_helper (self, argv, socket_path, VIRTIOFSD_SOCKET_FD, log_fd, FALSE, error);
  }
}
