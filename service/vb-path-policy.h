/* Which host paths a caller may put into a definition (disk images, CD-ROM
 * images, kernels, initrds, firmware, NVRAM, serial/console log files, …).
 *
 * The system instance runs as root, so a path in a caller's XML must not let
 * the caller reach a file it could not open itself. The rule:
 *
 *  - root (uid 0) and the session instance's own user may name anything
 *    (pass creds = NULL, or creds with uid 0);
 *  - anyone else may name a path only if it is absolute, exists, and the
 *    CALLER could open it with @access (R_OK, R_OK|W_OK) going by its uid,
 *    primary gid and supplementary gids and the mode bits of the file and of
 *    every directory on the way (search permission), both along the path
 *    as written and along its symlink-resolved form;
 *  - a block or character device node only if the caller owns it;
 *  - a file (or directory on the way) carrying a POSIX access ACL only if the
 *    caller owns it (ACLs are not evaluated: refusing is the safe answer);
 *  - with VB_PATH_POLICY_MAY_CREATE a missing file is allowed when the
 *    caller could create it (write+search on the existing parent directory).
 *
 * Backends (the QEMU backend for <disk>, <kernel>, <initrd>, <loader>,
 * <nvram>, <serial><log>, …) call vb_path_policy_check for every such path of
 * an unprivileged caller before using it; service/ gives them the caller's
 * credentials as a plain VbCallerCreds. The check is made on the paths as
 * they are at that moment: backends open the files right after it and must
 * not re-resolve them later on a caller's behalf.
 */
#pragma once

#include <glib.h>
#include <sys/types.h>
#include <unistd.h>

G_BEGIN_DECLS

typedef struct {
  uid_t uid;
  gid_t gid;
  gid_t *groups; /* supplementary groups */
  guint n_groups;
} VbCallerCreds;

typedef enum {
  VB_PATH_POLICY_NONE = 0,
  VB_PATH_POLICY_MAY_CREATE = 1 << 0, /* the file may not exist yet */
} VbPathPolicyFlags;

VbCallerCreds *vb_caller_creds_new (uid_t uid, gid_t gid, const gid_t *groups, guint n_groups);
/* Credentials of process @pid from /proc/<pid>/status (real uid, gid, groups),
 * or NULL with an error. */
VbCallerCreds *vb_caller_creds_new_for_pid (pid_t pid, const char *proc_root, GError **error);
VbCallerCreds *vb_caller_creds_copy (const VbCallerCreds *creds);
void vb_caller_creds_free (VbCallerCreds *creds);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbCallerCreds, vb_caller_creds_free)

/* Whether the caller with @creds (NULL: unrestricted) may name @path for
 * @access (R_OK and/or W_OK) — see the rule above. Fails with
 * VB_ERROR_NOT_AUTHORIZED (or VB_ERROR_INVALID_ARG for a malformed path)
 * and a message naming the path. */
gboolean vb_path_policy_check (const VbCallerCreds *creds, const char *path, int access, VbPathPolicyFlags flags,
                               GError **error);

G_END_DECLS
