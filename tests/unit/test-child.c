/* service/vb-child.c: what virtbusd spawns stays GLib's to reap; what is
 * orphaned below it (it is a child subreaper) is reaped by it. */
#include <stdlib.h>
#include <string.h>

#include "vb-child.h"

/* Our children (any state), from /proc. */
static GArray *
children (void)
{
  g_autoptr(GDir) tasks = g_dir_open ("/proc/self/task", 0, NULL);
  GArray *pids = g_array_new (FALSE, FALSE, sizeof (GPid));
  const char *tid;

  g_assert_nonnull (tasks);
  while ((tid = g_dir_read_name (tasks)) != NULL) {
    g_autofree char *path = g_build_filename ("/proc/self/task", tid, "children", NULL);
    g_autofree char *text = NULL;
    g_auto(GStrv) words = NULL;

    if (!g_file_get_contents (path, &text, NULL, NULL))
      continue;
    words = g_strsplit (g_strstrip (text), " ", -1);
    for (guint i = 0; words[i] != NULL; i++) {
      GPid pid = atoi (words[i]);
      if (pid > 0)
        g_array_append_val (pids, pid);
    }
  }
  return pids;
}

static void
on_waited (GObject *source, GAsyncResult *result, gpointer user_data)
{
  gboolean *done = user_data;

  g_assert_true (g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL));
  *done = TRUE;
}

static GSubprocess *
spawn_tracked (const char *script)
{
  g_autoptr(GError) error = NULL;
  GSubprocess *proc = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, "/bin/sh", "-c", script, NULL);

  g_assert_no_error (error);
  vb_child_track (proc);
  return proc;
}

/* A tracked child keeps its exit status: the orphan reaper, however often
 * it runs while the child dies, never reaps it in GLib's place. */
static void
test_tracked_not_stolen (void)
{
  for (int round = 0; round < 5; round++) {
    g_autoptr(GSubprocess) proc = spawn_tracked ("exit 7");
    gint64 until = g_get_monotonic_time () + 200 * G_TIME_SPAN_MILLISECOND;
    gboolean done = FALSE;

    /* GLib's worker thread reaps it meanwhile; the main context is not
     * iterated, so the tracking entry stays. */
    while (g_get_monotonic_time () < until)
      vb_child_reap_orphans ();
    g_subprocess_wait_async (proc, NULL, on_waited, &done);
    while (!done)
      g_main_context_iteration (NULL, TRUE);
    g_assert_true (g_subprocess_get_if_exited (proc));
    g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 7);
  }
}

/* What a tracked child leaves behind when it exits (a process that already
 * died, one still running) is reaped: no zombie stays. */
static void
test_orphans_reaped (void)
{
  g_autoptr(GSubprocess) proc = spawn_tracked ("true & sleep 0.3 & exit 3");
  gint64 deadline;
  gboolean done = FALSE;

  g_subprocess_wait_async (proc, NULL, on_waited, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 3);

  /* The orphans are ours (a subreaper's) now; nothing else reaps them. */
  deadline = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;
  for (;;) {
    g_autoptr(GArray) left = children ();

    if (left->len == 0)
      break;
    if (g_get_monotonic_time () > deadline) {
      g_autoptr(GString) what = g_string_new (NULL);
      for (guint i = 0; i < left->len; i++) {
        char state = '?';
        GPid pid = g_array_index (left, GPid, i);
        vb_child_proc_stat (pid, &state, NULL, NULL);
        g_string_append_printf (what, " %d (%c)", (int) pid, state);
      }
      g_error ("children left behind:%s", what->str);
    }
    g_main_context_iteration (NULL, FALSE);
    g_usleep (10000);
  }
}

static void
test_proc_stat (void)
{
  char state = 0;
  int session = 0;
  guint64 start = 0;

  g_assert_true (vb_child_proc_stat (getpid (), &state, &session, &start));
  g_assert_cmpint (state, ==, 'R');
  g_assert_cmpint (session, ==, getsid (0));
  g_assert_cmpuint (start, >, 0);
  g_assert_false (vb_child_proc_stat (0x3fffffff, &state, NULL, NULL));
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;

  g_test_init (&argc, &argv, NULL);
  g_assert_true (vb_child_become_subreaper (&error));
  g_test_add_func ("/child/proc-stat", test_proc_stat);
  g_test_add_func ("/child/tracked-not-stolen", test_tracked_not_stolen);
  g_test_add_func ("/child/orphans-reaped", test_orphans_reaped);
  return g_test_run ();
}
