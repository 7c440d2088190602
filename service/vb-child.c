#define G_LOG_DOMAIN "virtbus"

#include "vb-child.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib-unix.h>

/* PIDs of the GSubprocesses we spawned and that have not been reaped yet
 * (GLib reaps them: ours must not). Main thread only. */
static GHashTable *spawned;
/* Adopted processes being watched (pid → its pidfd watch), each once. */
static GHashTable *adopted;

gboolean
vb_child_become_subreaper (GError **error)
{
  if (prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
    int saved = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "cannot become a child subreaper: %s",
                 g_strerror (saved));
    return FALSE;
  }
  return TRUE;
}

gboolean
vb_child_proc_stat (GPid pid, char *state, int *session, guint64 *start_time)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *contents = NULL;
  g_auto(GStrv) fields = NULL;
  const char *rest;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return FALSE;
  /* The command name may hold spaces and parentheses: fields start after
   * the last ')'. */
  rest = strrchr (contents, ')');
  if (rest == NULL || rest[1] == '\0')
    return FALSE;
  fields = g_strsplit (rest + 2, " ", -1);
  /* fields[0] is field 3 (state), [3] field 6 (session), [19] field 22. */
  if (g_strv_length (fields) < 20)
    return FALSE;
  if (state)
    *state = fields[0][0];
  if (session)
    *session = atoi (fields[3]);
  if (start_time)
    *start_time = g_ascii_strtoull (fields[19], NULL, 10);
  return TRUE;
}

static void
on_tracked_exit (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GPid pid = GPOINTER_TO_INT (user_data);

  (void) g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  g_hash_table_remove (spawned, GINT_TO_POINTER (pid));
  /* Whatever it left running or dying is ours now. /proc's children lists
   * can miss a task that moves meanwhile (seen once on a loaded machine:
   * both orphans of a shell still zombies 5 s later): look again soon. */
  vb_child_reap_orphans ();
  vb_child_reap_orphans_soon ();
}

void
vb_child_track (GSubprocess *proc)
{
  const char *id = g_subprocess_get_identifier (proc);
  GPid pid;

  /* NULL: it already exited and GLib reaped it. */
  if (id == NULL || (pid = atoi (id)) <= 0)
    return;
  if (spawned == NULL)
    spawned = g_hash_table_new (NULL, NULL);
  g_hash_table_add (spawned, GINT_TO_POINTER (pid));
  g_subprocess_wait_async (proc, NULL, on_tracked_exit, GINT_TO_POINTER (pid));
}

/* Children of worker threads (vb_child_run_sync): taken while one is
 * spawned and recorded, and while the reaper looks. */
static GMutex sync_lock;
static GHashTable *sync_spawned;

gboolean
vb_child_run_sync (GSubprocessLauncher *launcher, const char *const *argv, const char *input,
                   GSubprocess **proc_out, char **out, char **err, GError **error)
{
  GSubprocess *proc;
  const char *id;
  GPid pid = 0;
  gboolean ok;

  g_mutex_lock (&sync_lock);
  proc = g_subprocess_launcher_spawnv (launcher, argv, error);
  if (proc != NULL && (id = g_subprocess_get_identifier (proc)) != NULL && (pid = atoi (id)) > 0) {
    if (sync_spawned == NULL)
      sync_spawned = g_hash_table_new (NULL, NULL);
    g_hash_table_add (sync_spawned, GINT_TO_POINTER (pid));
  }
  g_mutex_unlock (&sync_lock);
  if (proc == NULL)
    return FALSE;
  ok = g_subprocess_communicate_utf8 (proc, input, NULL, out, err, error);
  if (!ok)
    g_subprocess_force_exit (proc);
  g_subprocess_wait (proc, NULL, NULL);
  g_mutex_lock (&sync_lock);
  if (pid > 0)
    g_hash_table_remove (sync_spawned, GINT_TO_POINTER (pid));
  g_mutex_unlock (&sync_lock);
  if (proc_out != NULL)
    *proc_out = proc;
  else
    g_object_unref (proc);
  return ok;
}

static gboolean
on_adopted_exit (int fd, GIOCondition condition, gpointer user_data)
{
  GPid pid = GPOINTER_TO_INT (user_data);
  siginfo_t info = { 0 };

  if (waitid (P_PIDFD, fd, &info, WEXITED | WNOHANG) == 0 && info.si_pid != 0)
    g_debug ("reaped adopted process %d", (int) pid);
  g_hash_table_remove (adopted, GINT_TO_POINTER (pid));
  close (fd);
  return G_SOURCE_REMOVE;
}

void
vb_child_reap_orphans (void)
{
  g_autoptr(GDir) tasks = g_dir_open ("/proc/self/task", 0, NULL);
  const char *tid;

  g_autoptr(GMutexLocker) locker = NULL;

  if (tasks == NULL)
    return;
  /* A worker thread's child is recorded before it can be seen here. */
  locker = g_mutex_locker_new (&sync_lock);
  if (adopted == NULL)
    adopted = g_hash_table_new (NULL, NULL);
  /* Our children are what we spawned through GSubprocess (GLib reaps
   * those), QEMUs (spawned for us to reap), and what was orphaned below
   * us: anything a tunnel or a helper left behind. Zombies are reaped
   * now, the living get a pidfd watch that reaps them when they exit. */
  while ((tid = g_dir_read_name (tasks)) != NULL) {
    g_autofree char *path = g_build_filename ("/proc/self/task", tid, "children", NULL);
    g_autofree char *children = NULL;
    g_auto(GStrv) pids = NULL;

    if (!g_file_get_contents (path, &children, NULL, NULL))
      continue;
    pids = g_strsplit (g_strstrip (children), " ", -1);
    for (guint i = 0; pids[i] != NULL; i++) {
      GPid pid = atoi (pids[i]);
      char state = 0;
      int fd;

      if (pid <= 0 || (spawned != NULL && g_hash_table_contains (spawned, GINT_TO_POINTER (pid))) ||
          (sync_spawned != NULL && g_hash_table_contains (sync_spawned, GINT_TO_POINTER (pid))) ||
          !vb_child_proc_stat (pid, &state, NULL, NULL))
        continue;
      if (state == 'Z') {
        if (waitpid (pid, NULL, WNOHANG) == pid)
          g_debug ("reaped orphaned process %d", (int) pid);
        continue;
      }
      if (g_hash_table_contains (adopted, GINT_TO_POINTER (pid)) || (fd = pidfd_open (pid, 0)) < 0)
        continue;
      g_hash_table_add (adopted, GINT_TO_POINTER (pid));
      g_unix_fd_add (fd, G_IO_IN, on_adopted_exit, GINT_TO_POINTER (pid));
    }
  }
}

static gboolean
on_reap_timeout (gpointer user_data)
{
  vb_child_reap_orphans ();
  return G_SOURCE_REMOVE;
}

void
vb_child_reap_orphans_soon (void)
{
  /* What a process that just died left running may become our child a
   * moment after we looked: look again a few times (bounded). */
  static const guint delays_ms[] = { 20, 100, 500, 2000 };

  for (gsize i = 0; i < G_N_ELEMENTS (delays_ms); i++)
    g_timeout_add (delays_ms[i], on_reap_timeout, NULL);
}
