/* Child processes: the ones virtbusd spawns and the orphans it adopts. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Makes virtbusd a child subreaper (prctl(2)): processes orphaned below
 * it (what an ssh tunnel or a helper leaves) become its children
 * instead of init's, and vb_child_reap_orphans() reaps them. */
gboolean vb_child_become_subreaper (GError **error);

/* Records @proc, just spawned, as ours: GLib reaps it, the orphan reaper
 * leaves it alone; when it exits the reaper looks for what it orphaned.
 * Every GSubprocess the daemon starts goes through here. */
void vb_child_track (GSubprocess *proc);

/* For worker threads: runs @argv (environment of @launcher) to its end
 * with @input on its stdin (NULL: none), its output in @out and @err (may
 * be NULL). The orphan reaper never takes it: it is recorded before the
 * reaper can see it. FALSE only when it could not be run. */
gboolean vb_child_run_sync (GSubprocessLauncher *launcher, const char *const *argv, const char *input,
                            GSubprocess **proc_out, char **out, char **err, GError **error);

/* Reaps the adopted children that are zombies now and watches (pidfd) the
 * living ones, which are reaped when they exit. */
void vb_child_reap_orphans (void);

/* The same a few times over the next seconds, for a process orphaned
 * slightly after we looked (its parent still exiting). */
void vb_child_reap_orphans_soon (void);

/* Fields of /proc/PID/stat: @state (R, S, Z, …), @session, @start_time
 * (clock ticks after boot); any may be NULL. FALSE if there is no such
 * process. */
gboolean vb_child_proc_stat (GPid pid, char *state, int *session, guint64 *start_time);

G_END_DECLS
