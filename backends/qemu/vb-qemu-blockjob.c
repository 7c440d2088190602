/* Block jobs of running QEMU domains: BlockPull, BlockRebase, BlockCommit,
 * BlockCopy, BlockJobAbort, BlockJobSetSpeed, GetBlockJobInfo and the
 * BlockJob signal (libvirt's virDomainBlockJobType and status codes).
 *
 * One job per disk, QEMU's own (block-stream, block-commit, drive-mirror),
 * with the id "vbjob-<alias>"; QEMU finalizes it by itself and says so with
 * BLOCK_JOB_READY / COMPLETED / CANCELLED, but keeps the concluded job (no
 * auto-dismiss) until it is handled here and dismissed: a daemon that was
 * away when a job ended still learns from QEMU how it ended (its "error")
 * and finishes it as it would have (definitions, images, the signal).
 * When a job changed what the disk is made of (a pull or commit finished,
 * a copy or an active commit pivoted), the disk's live definition is read
 * back from QEMU (query-block: the top image and its backing chain) and,
 * for a pull or commit whose disk is the same in the persistent
 * definition, that follows too (as libvirt; a copy changes the live
 * definition only).
 *
 * A pivot moves the disk onto another block node, so the node commands on
 * the disk use is tracked here (vb_qemu_disk_root_node) and kept in the
 * runtime state file with the jobs, for a daemon that restarts meanwhile:
 * that one finds the jobs again and asks QEMU which are still running. */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "vb-invocation.h" /* vb_task_get_caller_creds */
#include "vb-qemu-hotplug.h"
#include "vb-qemu-process.h"
#include "vb-task.h"

/* virDomainBlockJobType, virConnectDomainEventBlockJobStatus */
enum { JOB_PULL = 1, JOB_COPY = 2, JOB_COMMIT = 3, JOB_ACTIVE_COMMIT = 4 };
enum { ST_COMPLETED = 0, ST_FAILED = 1, ST_CANCELED = 2, ST_READY = 3 };
/* The flags of each call. */
enum { ABORT_ASYNC = 1 << 0, ABORT_PIVOT = 1 << 1 };
enum { PULL_BANDWIDTH_BYTES = 1 << 6 };
enum { REBASE_SHALLOW = 1 << 0, REBASE_REUSE_EXT = 1 << 1, REBASE_COPY_RAW = 1 << 2, REBASE_COPY = 1 << 3,
       REBASE_RELATIVE = 1 << 4, REBASE_COPY_DEV = 1 << 5, REBASE_BANDWIDTH_BYTES = 1 << 6 };
enum { COMMIT_SHALLOW = 1 << 0, COMMIT_DELETE = 1 << 1, COMMIT_ACTIVE = 1 << 2, COMMIT_RELATIVE = 1 << 3,
       COMMIT_BANDWIDTH_BYTES = 1 << 4 };
enum { COPY_SHALLOW = 1 << 0, COPY_REUSE_EXT = 1 << 1, COPY_TRANSIENT_JOB = 1 << 2,
       COPY_SYNCHRONOUS_WRITES = 1 << 3 };
enum { SPEED_BANDWIDTH_BYTES = 1 << 0 };
enum { INFO_BANDWIDTH_BYTES = 1 << 0 };

#define MIB (1024 * 1024)

typedef struct {
  char *disk;          /* target dev */
  char *alias;
  char *id;            /* QEMU's job id */
  int type;
  gboolean started;    /* QEMU accepted the command */
  gboolean ready;
  gboolean pivoting;   /* block-job-complete sent */
  gboolean aborting;   /* block-job-cancel sent */
  guint64 bandwidth;   /* bytes/s, 0 = unlimited */
  char *orig_src;      /* the disk's image when the job began */
  char *old_root;      /* its root node then */
  char *created;       /* a copy's destination QEMU created (removed unless pivoted) */
  char **delete;       /* COMMIT_DELETE: images removed once committed */
  GPtrArray *waiters;  /* GTask [void]: BlockJobAbort without ASYNC */
  gboolean merge;      /* a snapshot's overlay merged down (vb_qemu_disk_merge): pivots once ready */
  GTask *merged;       /* [void] the merge's caller; NULL for a job found again after a restart */
} Job;

struct _VbQemuBlockJobs {
  GHashTable *jobs;  /* alias → Job */
  GHashTable *roots; /* alias → root node name, where it is not "<alias>-fmt" */
  guint gen;         /* numbers copies' node names */
};

static void
job_free (gpointer data)
{
  Job *job = data;

  g_free (job->disk);
  g_free (job->alias);
  g_free (job->id);
  g_free (job->orig_src);
  g_free (job->old_root);
  g_free (job->created);
  g_strfreev (job->delete);
  g_ptr_array_unref (job->waiters);
  g_clear_object (&job->merged);
  g_free (job);
}

static Job *
job_new (const char *disk, const char *alias, int type)
{
  Job *job = g_new0 (Job, 1);

  job->disk = g_strdup (disk);
  job->alias = g_strdup (alias);
  job->id = g_strdup_printf ("vbjob-%s", alias);
  job->type = type;
  job->waiters = g_ptr_array_new_with_free_func (g_object_unref);
  return job;
}

static VbQemuBlockJobs *
jobs_of (VbObj *dom)
{
  VbQemuDom *d = vb_qemu_dom (dom);

  if (d->blockjobs == NULL) {
    d->blockjobs = g_new0 (VbQemuBlockJobs, 1);
    d->blockjobs->jobs = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, job_free);
    d->blockjobs->roots = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  }
  return d->blockjobs;
}

static Job *
job_by_id (VbObj *dom, const char *id)
{
  VbQemuBlockJobs *bj = vb_qemu_dom (dom)->blockjobs;
  GHashTableIter iter;
  Job *job;

  if (bj == NULL || id == NULL)
    return NULL;
  g_hash_table_iter_init (&iter, bj->jobs);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &job))
    if (strcmp (job->id, id) == 0)
      return job;
  return NULL;
}

char *
vb_qemu_disk_root_node (VbObj *dom, const VbDomainDiskDef *disk)
{
  VbQemuBlockJobs *bj = vb_qemu_dom (dom)->blockjobs;
  const char *root = bj != NULL ? g_hash_table_lookup (bj->roots, disk->info.alias) : NULL;

  return root != NULL ? g_strdup (root) : g_strdup_printf ("%s-fmt", disk->info.alias);
}

void
vb_qemu_disk_root_reset (VbObj *dom, const char *alias)
{
  VbQemuBlockJobs *bj = vb_qemu_dom (dom)->blockjobs;

  if (bj != NULL && alias != NULL)
    g_hash_table_remove (bj->roots, alias);
}

static void
emit_job (VbObj *dom, Job *job, int status)
{
  vb_backend_emit_domain_signal (VB_BACKEND (vb_qemu_dom (dom)->backend), dom, "BlockJob",
                                 g_variant_new ("(sii)", job->disk, job->type, status));
}

/* Runs @command (taking @args) and calls @callback with a GTask: [void], or
 * with @value the JsonNode QEMU returned. */
static void
qmp_then (VbObj *dom, const char *command, JsonObject *args, gboolean value, GAsyncReadyCallback callback,
          gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (dom, NULL, callback, user_data);
  g_autoptr(JsonObject) owned = args;

  if (value)
    vb_qemu_process_qmp (dom, command, owned, task);
  else
    vb_qemu_process_qmp_void (dom, command, owned, task);
}

static JsonObject *
args_with (const char *member, const char *value)
{
  JsonObject *o = json_object_new ();

  json_object_set_string_member (o, member, value);
  return o;
}

/* A count QEMU reports, 0 when it does not. */
static guint64
ju64 (JsonObject *o, const char *member)
{
  guint64 v = 0;

  vb_qmp_member_u64 (o, member, &v);
  return v;
}

/* ------------------------------------------------------------------ */
/* The chain of a running disk, as QEMU has it                          */

typedef struct {
  char *filename;
  char *format;
  char *backing_name; /* the backing file name as written in this image, NULL at the bottom */
} Layer;

static void
layer_free (gpointer data)
{
  Layer *l = data;

  g_free (l->filename);
  g_free (l->format);
  g_free (l->backing_name);
  g_free (l);
}

/* The image file of a node's "filename": QEMU writes "json:{…}" instead of
 * a path when a node's options differ from what its image header says (a
 * backing file changed by a job, named relatively): the path is then the
 * "filename" of its protocol child ("file"). */
static char *
plain_filename (const char *filename)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonNode *root;
  JsonObject *o;

  if (filename == NULL || !g_str_has_prefix (filename, "json:"))
    return g_strdup (filename);
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, filename + 5, -1, NULL) || (root = json_parser_get_root (parser)) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  o = json_node_get_object (root);
  for (guint depth = 0; o != NULL && depth < 8; depth++) {
    JsonNode *file = json_object_get_member (o, "file");
    if (file != NULL && JSON_NODE_HOLDS_VALUE (file) && json_node_get_value_type (file) == G_TYPE_STRING)
      return NULL; /* a node name, not a path */
    if (file == NULL || !JSON_NODE_HOLDS_OBJECT (file))
      return g_strdup (vb_qmp_member_str (o, "filename"));
    o = json_node_get_object (file);
  }
  return NULL;
}

/* Layers of the disk @alias in a query-block reply, top first; NULL when
 * QEMU has no medium for it. @root: the device's root node. */
static GPtrArray *
chain_from_block (JsonNode *reply, const char *alias, char **root)
{
  JsonArray *list = reply != NULL && JSON_NODE_HOLDS_ARRAY (reply) ? json_node_get_array (reply) : NULL;
  JsonObject *inserted = vb_qmp_member_obj (vb_qemu_find_by_qdev (list, alias), "inserted");
  JsonObject *image = vb_qmp_member_obj (inserted, "image");
  GPtrArray *chain;

  if (image == NULL)
    return NULL;
  if (root != NULL)
    *root = g_strdup (vb_qmp_member_str (inserted, "node-name"));
  chain = g_ptr_array_new_with_free_func (layer_free);
  for (guint depth = 0; image != NULL && depth < 200; depth++) {
    Layer *l = g_new0 (Layer, 1);
    l->filename = plain_filename (vb_qmp_member_str (image, "filename"));
    l->format = g_strdup (vb_qmp_member_str (image, "format"));
    l->backing_name = g_strdup (vb_qmp_member_str (image, "backing-filename"));
    g_ptr_array_add (chain, l);
    image = vb_qmp_member_obj (image, "backing-image");
  }
  return chain;
}

void
vb_qemu_disk_number_chain (VbDomainDiskDef *disk)
{
  guint n = disk->backing->len + 1;

  disk->src_index = disk->src_path != NULL ? n : 0;
  for (guint i = 0; i < disk->backing->len; i++)
    ((VbDomainDiskBacking *) g_ptr_array_index (disk->backing, i))->index = n - 1 - i;
}

/* The image "<target>[N]" names (libvirt's notation: N is an index= of the
 * disk's live XML): TRUE when @name has that form; *@path is then the
 * image's path, NULL when the disk has no image with that index. */
static gboolean
indexed_image (const VbDomainDiskDef *disk, const char *name, const char **path)
{
  gsize len = strlen (disk->dst);
  const char *digits = name + len + 1;
  char *end = NULL;
  guint64 idx;

  if (strncmp (name, disk->dst, len) != 0 || name[len] != '[' || !g_ascii_isdigit (*digits))
    return FALSE;
  errno = 0;
  idx = g_ascii_strtoull (digits, &end, 10);
  if (end == NULL || strcmp (end, "]") != 0)
    return FALSE;
  *path = NULL;
  if (errno != 0 || idx == 0 || idx > G_MAXUINT)
    return TRUE;
  if (disk->src_index == idx)
    *path = disk->src_path;
  for (guint i = 0; i < disk->backing->len; i++) {
    const VbDomainDiskBacking *b = g_ptr_array_index (disk->backing, i);
    if (b->index == idx)
      *path = b->path;
  }
  return TRUE;
}

/* Index of @name (a path, the disk's target for the top, or "<target>[N]")
 * in @chain, or -1. */
static int
chain_find (GPtrArray *chain, const VbDomainDiskDef *disk, const char *name)
{
  g_autofree char *canon = NULL;
  const char *path;

  if (name == NULL || *name == '\0')
    return -1;
  if (g_strcmp0 (name, disk->dst) == 0)
    return 0;
  if (indexed_image (disk, name, &path)) {
    if (path == NULL)
      return -1;
    name = path;
  }
  canon = g_canonicalize_filename (name, "/");
  for (guint i = 0; i < chain->len; i++) {
    Layer *l = g_ptr_array_index (chain, i);
    g_autofree char *lc = l->filename != NULL ? g_canonicalize_filename (l->filename, "/") : NULL;
    if (g_strcmp0 (l->filename, name) == 0 || g_strcmp0 (lc, canon) == 0)
      return (int) i;
  }
  return -1;
}

/* The format node of @filename in a query-named-block-nodes reply; fails
 * when there is none or more than one. */
static char *
node_of_file (JsonNode *reply, const char *filename, GError **error)
{
  JsonArray *list = reply != NULL && JSON_NODE_HOLDS_ARRAY (reply) ? json_node_get_array (reply) : NULL;
  const char *found = NULL;
  guint n = 0;

  for (guint i = 0; list != NULL && i < json_array_get_length (list); i++) {
    JsonObject *e = json_array_get_object_element (list, i);
    const char *drv = vb_qmp_member_str (e, "drv");
    g_autofree char *file = plain_filename (vb_qmp_member_str (e, "file"));
    if (e == NULL || g_strcmp0 (file, filename) != 0 || g_strcmp0 (drv, "file") == 0 ||
        g_strcmp0 (drv, "host_device") == 0 || g_strcmp0 (drv, "host_cdrom") == 0)
      continue;
    found = vb_qmp_member_str (e, "node-name");
    n++;
  }
  if (n != 1 || found == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED,
                 n == 0 ? "QEMU has no block node for image '%s'" : "image '%s' is open more than once in QEMU",
                 filename);
    return NULL;
  }
  return g_strdup (found);
}

/* The live definition of @disk after its chain changed: QEMU's top image
 * and backing chain. */
static void
apply_chain (VbObj *dom, VbDomainDiskDef *disk, GPtrArray *chain, const char *root)
{
  VbQemuBlockJobs *bj = jobs_of (dom);
  g_autofree char *fmt_node = g_strdup_printf ("%s-fmt", disk->info.alias);
  Layer *top = g_ptr_array_index (chain, 0);

  if (top->filename != NULL && g_strcmp0 (top->filename, disk->src_path) != 0) {
    struct stat st;
    g_free (disk->src_path);
    disk->src_path = g_strdup (top->filename);
    disk->type = stat (top->filename, &st) == 0 && S_ISBLK (st.st_mode) ? VB_DOMAIN_DISK_TYPE_BLOCK
                                                                          : VB_DOMAIN_DISK_TYPE_FILE;
  }
  if (top->format != NULL && g_strcmp0 (top->format, disk->driver_format) != 0) {
    g_free (disk->driver_format);
    disk->driver_format = g_strdup (top->format);
  }
  g_ptr_array_set_size (disk->backing, 0);
  disk->backing_terminated = FALSE;
  for (guint i = 1; i < chain->len; i++) {
    Layer *l = g_ptr_array_index (chain, i);
    VbDomainDiskBacking *b = g_new0 (VbDomainDiskBacking, 1);
    struct stat st;
    b->type = l->filename && stat (l->filename, &st) == 0 && S_ISBLK (st.st_mode) ? VB_DOMAIN_DISK_TYPE_BLOCK
                                                                                    : VB_DOMAIN_DISK_TYPE_FILE;
    b->format = g_strdup (l->format);
    b->path = g_strdup (l->filename);
    g_ptr_array_add (disk->backing, b);
  }
  vb_qemu_disk_number_chain (disk);
  if (root == NULL || strcmp (root, fmt_node) == 0)
    g_hash_table_remove (bj->roots, disk->info.alias);
  else
    g_hash_table_replace (bj->roots, g_strdup (disk->info.alias), g_strdup (root));
}

/* ------------------------------------------------------------------ */
/* A job's end                                                          */

typedef struct {
  VbObj *dom;
  char *alias;
  int status;
  char *message; /* QEMU's error of a failed job */
} Ending;

static void
ending_free (Ending *e)
{
  g_object_unref (e->dom);
  g_free (e->alias);
  g_free (e->message);
  g_free (e);
}

/* How @job ended, from QEMU's query-block-jobs @entry of the concluded job
 * (a cancelled one has QEMU's "Operation canceled" as its error). */
static Ending *
ending_new (VbObj *dom, Job *job, JsonObject *entry)
{
  Ending *e = g_new0 (Ending, 1);
  const char *err = vb_qmp_member_str (entry, "error");

  e->dom = g_object_ref (dom);
  e->alias = g_strdup (job->alias);
  e->message = g_strdup (err);
  /* An abort the caller asked for ended it, whatever QEMU's error says. */
  e->status = job->aborting && !job->pivoting ? ST_CANCELED : err != NULL ? ST_FAILED : ST_COMPLETED;
  return e;
}

/* Config follows a pull or commit when its disk is the one the job began on. */
static void
follow_in_config (VbObj *dom, Job *job, const VbDomainDiskDef *live)
{
  VbDomainDef *config = dom->persistent ? vb_obj_get_persistent_def (dom) : NULL;
  VbDomainDiskDef *cd = config != NULL && config != dom->def ? vb_domain_def_find_disk_by_target (config, job->disk)
                                                             : NULL;
  g_autoptr(GError) error = NULL;
  gboolean had_chain;

  if (cd == NULL || g_strcmp0 (cd->src_path, job->orig_src) != 0)
    return;
  had_chain = cd->backing->len > 0;
  g_free (cd->src_path);
  cd->src_path = g_strdup (live->src_path);
  cd->type = live->type;
  g_free (cd->driver_format);
  cd->driver_format = g_strdup (live->driver_format);
  /* A chain written in the config stays true to the images. */
  if (had_chain) {
    g_ptr_array_set_size (cd->backing, 0);
    for (guint i = 0; i < live->backing->len; i++) {
      const VbDomainDiskBacking *lb = g_ptr_array_index (live->backing, i);
      VbDomainDiskBacking *b = g_new0 (VbDomainDiskBacking, 1);
      b->type = lb->type;
      b->format = g_strdup (lb->format);
      b->path = g_strdup (lb->path);
      g_ptr_array_add (cd->backing, b);
    }
  }
  if (!vb_qemu_domain_save_config (vb_qemu_dom (dom)->backend, dom, &error))
    g_warning ("domain '%s': the config after the block job on '%s' was not saved: %s", dom->name, job->disk,
               error->message);
}

static void
finish_job (VbObj *dom, Job *job, int status, const char *message)
{
  VbQemuBlockJobs *bj = jobs_of (dom);
  gboolean pivoted = status == ST_COMPLETED && job->pivoting;
  gboolean merge_recovered = FALSE;

  if (pivoted && job->old_root != NULL) {
    g_autofree char *fmt_node = g_strdup_printf ("%s-fmt", job->alias);
    g_autofree char *file_node = g_strdup_printf ("%s-file", job->alias);
    /* The images the disk left; nodes QEMU made itself go on their own. */
    vb_qemu_process_qmp_fire (dom, "blockdev-del", args_with ("node-name", job->old_root));
    if (strcmp (job->old_root, fmt_node) == 0)
      vb_qemu_process_qmp_fire (dom, "blockdev-del", args_with ("node-name", file_node));
  }
  if (status == ST_COMPLETED && (job->type != JOB_ACTIVE_COMMIT || pivoted)) {
    for (guint i = 0; job->delete != NULL && job->delete[i] != NULL; i++)
      if (g_unlink (job->delete[i]) != 0 && errno != ENOENT)
        g_warning ("domain '%s': cannot delete committed image '%s': %s", dom->name, job->delete[i],
                   g_strerror (errno));
  }
  if (job->created != NULL && !pivoted && g_unlink (job->created) != 0 && errno != ENOENT)
    g_warning ("domain '%s': cannot remove the copy '%s': %s", dom->name, job->created, g_strerror (errno));
  /* Concluded, and handled: QEMU may forget it (and take the id again). */
  vb_qemu_process_qmp_fire (dom, "job-dismiss", args_with ("id", job->id));
  emit_job (dom, job, status);
  for (guint i = 0; i < job->waiters->len; i++) {
    GTask *t = g_ptr_array_index (job->waiters, i);
    if (status == ST_FAILED)
      g_task_return_new_error (t, VB_ERROR, VB_ERROR_FAILED, "block job on disk '%s' failed%s%s",
                               job->disk, message ? ": " : "", message ? message : "");
    else if (job->pivoting && status != ST_COMPLETED)
      g_task_return_new_error (t, VB_ERROR, VB_ERROR_FAILED, "the pivot of disk '%s' did not happen",
                               job->disk);
    else
      g_task_return_boolean (t, TRUE);
  }
  if (job->merged != NULL) {
    if (status == ST_COMPLETED && (job->type != JOB_ACTIVE_COMMIT || pivoted))
      g_task_return_boolean (job->merged, TRUE);
    else
      g_task_return_new_error (job->merged, VB_ERROR, VB_ERROR_FAILED, "the commit on disk '%s' %s%s%s", job->disk,
                               status == ST_FAILED ? "failed" : job->pivoting ? "did not pivot" : "was cancelled",
                               message ? ": " : "", message ? message : "");
    g_clear_object (&job->merged);
  } else {
    merge_recovered = job->merge;
  }
  g_hash_table_remove (bj->jobs, job->alias);
  vb_qemu_process_save_state (dom, NULL);
  /* A merge whose caller is gone with the daemon before: the snapshot's
   * deletion is finished from what is on disk now. */
  if (merge_recovered)
    vb_qemu_snapshot_merge_ended (dom);
}

static void
on_ending_block (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Ending *e = user_data;
  VbObj *dom = e->dom;
  VbQemuBlockJobs *bj = vb_qemu_dom (dom)->blockjobs;
  Job *job = bj != NULL ? g_hash_table_lookup (bj->jobs, e->alias) : NULL;
  g_autoptr(JsonNode) reply = g_task_propagate_pointer (G_TASK (result), NULL);
  VbDomainDiskDef *disk;

  if (job != NULL && dom->active && (disk = vb_domain_def_find_disk_by_target (dom->def, job->disk)) != NULL) {
    g_autofree char *root = NULL;
    g_autoptr(GPtrArray) chain = chain_from_block (reply, disk->info.alias, &root);
    if (chain != NULL && chain->len > 0) {
      apply_chain (dom, disk, chain, root);
      if (job->type != JOB_COPY)
        follow_in_config (dom, job, disk);
    }
  }
  if (job != NULL)
    finish_job (dom, job, e->status, e->message);
  ending_free (e);
}

/* QEMU ended @job with @status: what the disk is made of may have changed. */
static void
job_ended (VbObj *dom, Job *job, int status, const char *message)
{
  Ending *e;

  if (status != ST_COMPLETED || (job->aborting && !job->pivoting) ||
      ((job->type == JOB_COPY || job->type == JOB_ACTIVE_COMMIT) && !job->pivoting)) {
    finish_job (dom, job, status, message);
    return;
  }
  e = g_new0 (Ending, 1);
  e->dom = g_object_ref (dom);
  e->alias = g_strdup (job->alias);
  e->status = status;
  e->message = g_strdup (message);
  qmp_then (dom, "query-block", NULL, TRUE, on_ending_block, e);
}

static void
on_merge_pivot_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  VbObj *dom = VB_OBJ (source);
  g_autofree char *alias = user_data;
  VbQemuBlockJobs *bj = vb_qemu_dom (dom)->blockjobs;
  Job *job = bj != NULL ? g_hash_table_lookup (bj->jobs, alias) : NULL;
  g_autoptr(GError) error = NULL;

  if (g_task_propagate_boolean (G_TASK (result), &error) || job == NULL || !dom->active)
    return;
  /* QEMU would not pivot: the merge ends, on the images it had. */
  g_warning ("domain '%s': the commit on disk '%s' cannot pivot: %s", dom->name, job->disk, error->message);
  job->pivoting = FALSE;
  job->aborting = TRUE;
  vb_qemu_process_save_state (dom, NULL);
  vb_qemu_process_qmp_fire (dom, "block-job-cancel", args_with ("device", job->id));
}

/* A merge's active commit pivots as soon as it is ready: nobody else may. */
static void
merge_pivot (VbObj *dom, Job *job)
{
  if (!job->merge || job->type != JOB_ACTIVE_COMMIT || !job->ready || job->pivoting || job->aborting)
    return;
  job->pivoting = TRUE;
  vb_qemu_process_save_state (dom, NULL);
  qmp_then (dom, "block-job-complete", args_with ("device", job->id), FALSE, on_merge_pivot_sent,
            g_strdup (job->alias));
}

static gboolean
blockjob_event (VbObj *dom, const char *name, JsonObject *data)
{
  Job *job;

  if (!g_str_has_prefix (name, "BLOCK_JOB_") || (job = job_by_id (dom, vb_qmp_member_str (data, "device"))) == NULL)
    return FALSE;
  if (strcmp (name, "BLOCK_JOB_READY") == 0) {
    if (!job->ready) {
      job->ready = TRUE;
      vb_qemu_process_save_state (dom, NULL);
      emit_job (dom, job, ST_READY);
    }
    merge_pivot (dom, job);
  } else if (strcmp (name, "BLOCK_JOB_COMPLETED") == 0) {
    const char *err = vb_qmp_member_str (data, "error");
    /* A ready mirror that is cancelled completes, on the old image. */
    job_ended (dom, job, err != NULL ? ST_FAILED : job->aborting && !job->pivoting ? ST_CANCELED : ST_COMPLETED,
               err);
  } else if (strcmp (name, "BLOCK_JOB_CANCELLED") == 0) {
    job_ended (dom, job, ST_CANCELED, NULL);
  } else if (strcmp (name, "BLOCK_JOB_ERROR") == 0) {
    g_debug ("domain '%s': block job on '%s': I/O error (%s, %s)", dom->name, job->disk,
             vb_qmp_member_str (data, "operation"), vb_qmp_member_str (data, "action"));
  }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Starting a job                                                       */

typedef struct {
  VbObj *dom;
  GTask *task;      /* the call's */
  char *disk;       /* target */
  char *alias;
  int type;
  guint flags;
  guint64 speed;    /* bytes/s */
  char *base, *top; /* as given */
  /* BlockCopy / BlockRebase COPY */
  VbDomainDiskDef *dest;
  gboolean shallow, reuse, sync_writes;
  guint64 granularity, buf_size;
  /* from QEMU */
  JsonNode *block;
  char *command;
  JsonObject *args;
  char **delete;
  /* vb_qemu_disk_merge */
  gboolean merge;
  GTask *merged;
} Start;

static void
start_free (Start *s)
{
  g_object_unref (s->dom);
  g_object_unref (s->task);
  g_free (s->disk);
  g_free (s->alias);
  g_free (s->base);
  g_free (s->top);
  if (s->dest != NULL)
    vb_domain_disk_def_free (s->dest);
  if (s->block != NULL)
    json_node_unref (s->block);
  g_free (s->command);
  if (s->args != NULL)
    json_object_unref (s->args);
  g_strfreev (s->delete);
  g_clear_object (&s->merged);
  g_free (s);
}

static gboolean
to_bytes (guint64 bandwidth, gboolean in_bytes, guint64 *out, GError **error)
{
  if (!in_bytes && bandwidth > (guint64) (G_MAXINT64 / MIB)) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "bandwidth must be less than %" G_GUINT64_FORMAT " MiB/s",
                 (guint64) (G_MAXINT64 / MIB));
    return FALSE;
  }
  if (in_bytes && bandwidth > G_MAXINT64) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "bandwidth must be less than %" G_GINT64_FORMAT " bytes/s",
                 G_MAXINT64);
    return FALSE;
  }
  *out = in_bytes ? bandwidth : bandwidth * MIB;
  return TRUE;
}

/* Disk @name (a target or a path) of running @dom, or NULL with the call
 * failed. */
static VbDomainDiskDef *
running_disk (VbObj *dom, const char *name, GTask *task)
{
  VbDomainDiskDef *disk;

  if (!dom->active) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running", dom->name);
    return NULL;
  }
  disk = name != NULL && *name != '\0' ? vb_domain_def_find_disk (dom->def, name) : NULL;
  if (disk == NULL) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_INVALID_ARG, "domain '%s' has no disk '%s'", dom->name,
                             name ? name : "");
    return NULL;
  }
  return disk;
}

/* The disk a job may run on, or NULL with the call failed. */
static VbDomainDiskDef *
job_disk (VbObj *dom, const char *name, GTask *task)
{
  VbDomainDiskDef *disk;

  if ((disk = running_disk (dom, name, task)) == NULL)
    return NULL;
  if (disk->src_path == NULL || disk->info.alias == NULL || disk->device == VB_DOMAIN_DISK_DEVICE_CDROM ||
      disk->device == VB_DOMAIN_DISK_DEVICE_FLOPPY || disk->readonly) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                             "disk '%s' is not a writable disk with an image: block jobs need one", disk->dst);
    return NULL;
  }
  if (vb_qemu_dom (dom)->blockjobs != NULL && g_hash_table_contains (jobs_of (dom)->jobs, disk->info.alias)) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                             "disk '%s' already has a block job running", disk->dst);
    return NULL;
  }
  return disk;
}

static Start *
start_new (VbObj *dom, const VbDomainDiskDef *disk, int type, guint flags, guint64 speed, GTask *task)
{
  Start *s = g_new0 (Start, 1);

  s->dom = g_object_ref (dom);
  s->task = g_object_ref (task);
  s->disk = g_strdup (disk->dst);
  s->alias = g_strdup (disk->info.alias);
  s->type = type;
  s->flags = flags;
  s->speed = speed;
  return s;
}

static void
on_job_command (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Start *s = user_data;
  VbQemuBlockJobs *bj = vb_qemu_dom (s->dom)->blockjobs;
  Job *job = bj != NULL ? g_hash_table_lookup (bj->jobs, s->alias) : NULL;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    if (job != NULL && !job->started)
      g_hash_table_remove (bj->jobs, s->alias);
    g_task_return_error (s->task, error);
  } else {
    if (job != NULL && !job->started) {
      job->started = TRUE;
      vb_qemu_process_save_state (s->dom, NULL);
    }
    g_task_return_boolean (s->task, TRUE);
  }
  start_free (s);
}

/* Registers the job (its events may come before QEMU's answer) and sends
 * the command. */
static void
run_job (Start *s)
{
  VbObj *dom = s->dom;
  VbDomainDiskDef *disk = vb_domain_def_find_disk_by_target (dom->def, s->disk);
  Job *job;

  if (!dom->active || disk == NULL) {
    g_task_return_new_error (s->task, VB_ERROR, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running",
                             dom->name);
    start_free (s);
    return;
  }
  if (g_hash_table_contains (jobs_of (dom)->jobs, s->alias)) {
    g_task_return_new_error (s->task, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                             "disk '%s' already has a block job running", s->disk);
    start_free (s);
    return;
  }
  job = job_new (s->disk, s->alias, s->type);
  job->bandwidth = s->speed;
  job->orig_src = g_strdup (disk->src_path);
  job->old_root = vb_qemu_disk_root_node (dom, disk);
  job->delete = g_steal_pointer (&s->delete);
  job->merge = s->merge;
  job->merged = g_steal_pointer (&s->merged);
  if (s->dest != NULL && !s->reuse)
    job->created = g_strdup (s->dest->src_path);
  json_object_set_string_member (s->args, "job-id", job->id);
  json_object_set_string_member (s->args, "device", job->old_root);
  json_object_set_boolean_member (s->args, "auto-dismiss", FALSE);
  if (s->speed > 0)
    json_object_set_int_member (s->args, "speed", (gint64) s->speed);
  g_hash_table_insert (jobs_of (dom)->jobs, job->alias, job);
  qmp_then (dom, s->command, json_object_ref (s->args), FALSE, on_job_command, s);
}

/* The caller may remove @path (it could write it and its directory). */
static gboolean
may_delete (GTask *task, const char *path, GError **error)
{
  const VbCallerCreds *creds = vb_task_get_caller_creds (task);
  g_autofree char *dir = g_path_get_dirname (path);

  return creds == NULL ||
         (vb_path_policy_check (creds, path, R_OK | W_OK, 0, error) &&
          vb_path_policy_check (creds, dir, W_OK, 0, error));
}

/* Pull and commit: where base and top are in the chain. */
static void
on_nodes_for_chain_job (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Start *s = user_data;
  g_autoptr(JsonNode) nodes = NULL;
  g_autoptr(GPtrArray) chain = NULL;
  VbDomainDiskDef *disk;
  GError *error = NULL;
  int top = 0, base = -1;

  nodes = g_task_propagate_pointer (G_TASK (result), &error);
  disk = s->dom->active ? vb_domain_def_find_disk_by_target (s->dom->def, s->disk) : NULL;
  if (nodes == NULL || disk == NULL) {
    if (error == NULL)
      g_set_error (&error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running", s->dom->name);
    goto fail;
  }
  chain = chain_from_block (s->block, s->alias, NULL);
  if (chain == NULL || chain->len == 0) {
    g_set_error (&error, VB_ERROR, VB_ERROR_FAILED, "QEMU has no image for disk '%s'", s->disk);
    goto fail;
  }

  if (s->type == JOB_PULL) {
    /* block-stream: everything below the top, down to @base, into the top. */
    if (s->base != NULL && *s->base != '\0') {
      base = chain_find (chain, disk, s->base);
      if (base <= 0) {
        g_set_error (&error, VB_ERROR, VB_ERROR_INVALID_ARG,
                     base == 0 ? "the base of a pull cannot be the top image of disk '%s'"
                               : "image '%s' is not in the backing chain of disk '%s'",
                     base == 0 ? s->disk : s->base, s->disk);
        goto fail;
      }
    }
    if (chain->len < 2 || base == 1) {
      g_set_error (&error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "disk '%s' has no backing image to pull from%s",
                   s->disk, base == 1 ? " above the base" : "");
      goto fail;
    }
    s->command = g_strdup ("block-stream");
    s->args = json_object_new ();
    if (base > 0) {
      g_autofree char *node = node_of_file (nodes, ((Layer *) g_ptr_array_index (chain, base))->filename, &error);
      if (node == NULL)
        goto fail;
      json_object_set_string_member (s->args, "base-node", node);
      if (s->flags & REBASE_RELATIVE) {
        const char *name = ((Layer *) g_ptr_array_index (chain, base - 1))->backing_name;
        if (name == NULL || g_path_is_absolute (name)) {
          g_set_error (&error, VB_ERROR, VB_ERROR_INVALID_ARG,
                       "the base '%s' is named by an absolute path in the image above it: a relative "
                       "backing name cannot be kept", s->base);
          goto fail;
        }
        json_object_set_string_member (s->args, "backing-file", name);
      }
    } else if (s->flags & REBASE_RELATIVE) {
      g_set_error (&error, VB_ERROR, VB_ERROR_INVALID_ARG, "a relative backing name needs a base");
      goto fail;
    }
    run_job (g_steal_pointer (&s));
    return;
  }

  /* block-commit: @top and what is between it and @base into @base. */
  if (s->top != NULL && *s->top != '\0') {
    top = chain_find (chain, disk, s->top);
    if (top < 0) {
      g_set_error (&error, VB_ERROR, VB_ERROR_INVALID_ARG, "image '%s' is not in the backing chain of disk '%s'",
                   s->top, s->disk);
      goto fail;
    }
  }
  if (top == 0 && !(s->flags & COMMIT_ACTIVE)) {
    g_set_error (&error, VB_ERROR, VB_ERROR_INVALID_ARG,
                 "the top image of disk '%s' is its active layer: committing it needs the ACTIVE flag", s->disk);
    goto fail;
  }
  if (top > 0 && (s->flags & COMMIT_ACTIVE)) {
    g_set_error (&error, VB_ERROR, VB_ERROR_INVALID_ARG,
                 "the ACTIVE flag is for committing the active layer, and '%s' is not the top of disk '%s'",
                 s->top, s->disk);
    goto fail;
  }
  if ((guint) top + 1 >= chain->len) {
    g_set_error (&error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "image '%s' of disk '%s' has no backing image",
                 ((Layer *) g_ptr_array_index (chain, top))->filename, s->disk);
    goto fail;
  }
  if (s->flags & COMMIT_SHALLOW) {
    base = top + 1;
    if (s->base != NULL && *s->base != '\0' && chain_find (chain, disk, s->base) != base) {
      g_set_error (&error, VB_ERROR, VB_ERROR_INVALID_ARG, "a shallow commit goes into the image right below "
                   "the top, not into '%s'", s->base);
      goto fail;
    }
  } else if (s->base != NULL && *s->base != '\0') {
    base = chain_find (chain, disk, s->base);
    if (base < 0) {
      g_set_error (&error, VB_ERROR, VB_ERROR_INVALID_ARG, "image '%s' is not in the backing chain of disk '%s'",
                   s->base, s->disk);
      goto fail;
    }
    if (base <= top) {
      g_set_error (&error, VB_ERROR, VB_ERROR_INVALID_ARG, "the base '%s' is not below the top in disk '%s'",
                   s->base, s->disk);
      goto fail;
    }
  } else {
    base = (int) chain->len - 1;
  }
  s->command = g_strdup ("block-commit");
  s->args = json_object_new ();
  {
    g_autofree char *base_node = node_of_file (nodes, ((Layer *) g_ptr_array_index (chain, base))->filename,
                                               &error);
    if (base_node == NULL)
      goto fail;
    json_object_set_string_member (s->args, "base-node", base_node);
  }
  if (top > 0) {
    g_autofree char *top_node = node_of_file (nodes, ((Layer *) g_ptr_array_index (chain, top))->filename, &error);
    if (top_node == NULL)
      goto fail;
    json_object_set_string_member (s->args, "top-node", top_node);
  }
  if (s->flags & COMMIT_RELATIVE) {
    const char *name = top > 0 ? ((Layer *) g_ptr_array_index (chain, base - 1))->backing_name : NULL;
    if (top == 0) {
      /* The active layer goes away: nothing above the base to rewrite. */
    } else if (name == NULL || g_path_is_absolute (name)) {
      g_set_error (&error, VB_ERROR, VB_ERROR_INVALID_ARG,
                   "the base '%s' is named by an absolute path in the image above it: a relative backing name "
                   "cannot be kept", ((Layer *) g_ptr_array_index (chain, base))->filename);
      goto fail;
    } else {
      json_object_set_string_member (s->args, "backing-file", name);
    }
  }
  if (s->flags & COMMIT_DELETE) {
    GPtrArray *del = g_ptr_array_new ();
    for (int i = top; i < base; i++) {
      const char *f = ((Layer *) g_ptr_array_index (chain, i))->filename;
      if (!may_delete (s->task, f, &error)) {
        g_ptr_array_free (del, TRUE);
        goto fail;
      }
      g_ptr_array_add (del, g_strdup (f));
    }
    g_ptr_array_add (del, NULL);
    s->delete = (char **) g_ptr_array_free (del, FALSE);
  }
  run_job (g_steal_pointer (&s));
  return;

fail:
  g_task_return_error (s->task, error);
  start_free (s);
}

static void
on_block_for_chain_job (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Start *s = user_data;
  GError *error = NULL;
  JsonObject *args;

  s->block = g_task_propagate_pointer (G_TASK (result), &error);
  if (s->block == NULL) {
    g_task_return_error (s->task, error);
    start_free (s);
    return;
  }
  args = json_object_new ();
  json_object_set_boolean_member (args, "flat", TRUE);
  qmp_then (s->dom, "query-named-block-nodes", args, TRUE, on_nodes_for_chain_job, s);
}

static void
start_chain_job (VbObj *dom, const char *name, int type, const char *base, const char *top, guint flags,
                 guint64 speed, GTask *task)
{
  VbDomainDiskDef *disk = job_disk (dom, name, task);
  Start *s;

  if (disk == NULL)
    return;
  s = start_new (dom, disk, type, flags, speed, task);
  s->base = g_strdup (base);
  s->top = g_strdup (top);
  qmp_then (dom, "query-block", NULL, TRUE, on_block_for_chain_job, s);
}

static void
qemu_block_pull (VbBackend *backend, VbObj *dom, const char *disk, guint64 bandwidth, guint flags, GTask *task)
{
  GError *error = NULL;
  guint64 speed;

  CHECK_FLAGS (task, flags, PULL_BANDWIDTH_BYTES, "BlockPull");
  if (!to_bytes (bandwidth, flags & PULL_BANDWIDTH_BYTES, &speed, &error)) {
    g_task_return_error (task, error);
    return;
  }
  start_chain_job (dom, disk, JOB_PULL, NULL, NULL, 0, speed, task);
}

static void start_copy (VbObj *dom, const char *name, VbDomainDiskDef *dest, gboolean shallow, gboolean reuse,
                        gboolean sync_writes, guint64 speed, guint64 granularity, guint64 buf_size, GTask *task);

static void
qemu_block_rebase (VbBackend *backend, VbObj *dom, const char *disk, const char *base, guint64 bandwidth,
                   guint flags, GTask *task)
{
  GError *error = NULL;
  guint64 speed;

  CHECK_FLAGS (task, flags,
               REBASE_SHALLOW | REBASE_REUSE_EXT | REBASE_COPY_RAW | REBASE_COPY | REBASE_RELATIVE |
                 REBASE_COPY_DEV | REBASE_BANDWIDTH_BYTES,
               "BlockRebase");
  if (!to_bytes (bandwidth, flags & REBASE_BANDWIDTH_BYTES, &speed, &error)) {
    g_task_return_error (task, error);
    return;
  }
  if (flags & REBASE_COPY) {
    VbDomainDiskDef *dest;
    const VbDomainDiskDef *src = dom->active ? vb_domain_def_find_disk (dom->def, disk) : NULL;

    if (flags & REBASE_RELATIVE)
      FAIL (task, VB_ERROR_INVALID_ARG, "a relative backing name is for a pull, not for a copy");
    if (base == NULL || *base == '\0')
      FAIL (task, VB_ERROR_INVALID_ARG, "a copy needs a destination path (base)");
    if (!g_path_is_absolute (base))
      FAIL (task, VB_ERROR_INVALID_ARG, "the destination '%s' is not an absolute path", base);
    dest = g_new0 (VbDomainDiskDef, 1);
    dest->backing = g_ptr_array_new ();
    dest->type = flags & REBASE_COPY_DEV ? VB_DOMAIN_DISK_TYPE_BLOCK : VB_DOMAIN_DISK_TYPE_FILE;
    dest->src_path = g_strdup (base);
    dest->driver_format = g_strdup (flags & REBASE_COPY_RAW ? "raw" : src != NULL ? src->driver_format : NULL);
    start_copy (dom, disk, dest, flags & REBASE_SHALLOW, flags & REBASE_REUSE_EXT, FALSE, speed, 0, 0, task);
    return;
  }
  if (flags & (REBASE_SHALLOW | REBASE_REUSE_EXT | REBASE_COPY_RAW | REBASE_COPY_DEV))
    FAIL (task, VB_ERROR_INVALID_ARG, "the SHALLOW, REUSE_EXT, COPY_RAW and COPY_DEV flags need the COPY flag");
  start_chain_job (dom, disk, JOB_PULL, base, NULL, flags & REBASE_RELATIVE, speed, task);
}

static void
qemu_block_commit (VbBackend *backend, VbObj *dom, const char *disk, const char *base, const char *top,
                   guint64 bandwidth, guint flags, GTask *task)
{
  GError *error = NULL;
  guint64 speed;

  CHECK_FLAGS (task, flags,
               COMMIT_SHALLOW | COMMIT_DELETE | COMMIT_ACTIVE | COMMIT_RELATIVE | COMMIT_BANDWIDTH_BYTES,
               "BlockCommit");
  if (!to_bytes (bandwidth, flags & COMMIT_BANDWIDTH_BYTES, &speed, &error)) {
    g_task_return_error (task, error);
    return;
  }
  start_chain_job (dom, disk, flags & COMMIT_ACTIVE ? JOB_ACTIVE_COMMIT : JOB_COMMIT, base, top, flags, speed,
                   task);
}

static void
on_merge_started (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  /* Once QEMU took the job, its end answers (finish_job). */
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_task_return_error (task, error);
}

gboolean
vb_qemu_disk_has_block_job (VbObj *dom, const char *target)
{
  VbQemuBlockJobs *bj = vb_qemu_dom (dom)->blockjobs;
  GHashTableIter iter;
  Job *job;

  if (bj == NULL)
    return FALSE;
  g_hash_table_iter_init (&iter, bj->jobs);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &job))
    if (target == NULL || strcmp (job->disk, target) == 0)
      return TRUE;
  return FALSE;
}

void
vb_qemu_disk_merge (VbObj *dom, const char *target, const char *top, gboolean remove, GTask *task)
{
  VbDomainDiskDef *disk = job_disk (dom, target, task);
  g_autoptr(GTask) start = NULL;
  gboolean active;
  Start *s;

  if (disk == NULL)
    return;
  active = g_strcmp0 (disk->src_path, top) == 0;
  start = g_task_new (dom, NULL, on_merge_started, g_object_ref (task));
  s = start_new (dom, disk, active ? JOB_ACTIVE_COMMIT : JOB_COMMIT,
                 COMMIT_SHALLOW | (active ? COMMIT_ACTIVE : 0) | (remove ? COMMIT_DELETE : 0), 0, start);
  s->top = g_strdup (top);
  s->merge = TRUE;
  s->merged = g_object_ref (task);
  qmp_then (dom, "query-block", NULL, TRUE, on_block_for_chain_job, s);
}

/* ---- copies (drive-mirror) ---- */

/* Takes @dest. */
static void
start_copy (VbObj *dom, const char *name, VbDomainDiskDef *dest, gboolean shallow, gboolean reuse,
            gboolean sync_writes, guint64 speed, guint64 granularity, guint64 buf_size, GTask *task)
{
  VbDomainDiskDef *disk = job_disk (dom, name, task);
  VbQemuBlockJobs *bj;
  GError *error = NULL;
  Start *s;
  struct stat st;
  gboolean exists;

  if (disk == NULL) {
    vb_domain_disk_def_free (dest);
    return;
  }
  s = start_new (dom, disk, JOB_COPY, 0, speed, task);
  s->dest = dest;
  if (dest->src_path == NULL || !g_path_is_absolute (dest->src_path)) {
    g_set_error (&error, VB_ERROR, VB_ERROR_INVALID_ARG, "the destination needs an absolute path");
    goto fail;
  }
  if (dest->type != VB_DOMAIN_DISK_TYPE_FILE && dest->type != VB_DOMAIN_DISK_TYPE_BLOCK) {
    g_set_error (&error, VB_ERROR, VB_ERROR_INVALID_ARG, "a copy goes to a file or a block device");
    goto fail;
  }
  if (dest->driver_format == NULL)
    dest->driver_format = g_strdup (disk->driver_format ? disk->driver_format : "raw");
  if (g_strcmp0 (dest->src_path, disk->src_path) == 0) {
    g_set_error (&error, VB_ERROR, VB_ERROR_INVALID_ARG, "disk '%s' cannot be copied onto its own image",
                 disk->dst);
    goto fail;
  }
  exists = stat (dest->src_path, &st) == 0;
  if (reuse && !exists) {
    g_set_error (&error, VB_ERROR, VB_ERROR_INVALID_ARG, "the destination '%s' does not exist (REUSE_EXT)",
                 dest->src_path);
    goto fail;
  }
  if (!reuse && exists) {
    g_set_error (&error, VB_ERROR, VB_ERROR_INVALID_ARG,
                 "the destination '%s' exists: pass REUSE_EXT to copy into it", dest->src_path);
    goto fail;
  }
  if (dest->type == VB_DOMAIN_DISK_TYPE_BLOCK && !reuse) {
    g_set_error (&error, VB_ERROR, VB_ERROR_INVALID_ARG, "a copy to a block device needs REUSE_EXT");
    goto fail;
  }
  if (exists && (dest->type == VB_DOMAIN_DISK_TYPE_BLOCK) != S_ISBLK (st.st_mode)) {
    g_set_error (&error, VB_ERROR, VB_ERROR_INVALID_ARG, "the destination '%s' is %sa block device",
                 dest->src_path, S_ISBLK (st.st_mode) ? "" : "not ");
    goto fail;
  }
  {
    const VbCallerCreds *creds = vb_task_get_caller_creds (task);
    VbDomainDeviceDef dev = { .type = VB_DOMAIN_DEVICE_DISK, .data.disk = dest };
    if (creds != NULL &&
        !vb_path_policy_check (creds, dest->src_path, R_OK | W_OK, reuse ? 0 : VB_PATH_POLICY_MAY_CREATE, &error))
      goto fail;
    if (reuse && !vb_qemu_hotplug_grant_device_access (dom, &dev, &error))
      goto fail;
  }
  bj = jobs_of (dom);
  s->command = g_strdup ("drive-mirror");
  s->args = json_object_new ();
  s->reuse = reuse;
  json_object_set_string_member (s->args, "target", dest->src_path);
  json_object_set_string_member (s->args, "format", dest->driver_format);
  {
    g_autofree char *node = g_strdup_printf ("%s-copy%u", disk->info.alias, ++bj->gen);
    json_object_set_string_member (s->args, "node-name", node);
  }
  json_object_set_string_member (s->args, "sync", shallow ? "top" : "full");
  json_object_set_string_member (s->args, "mode", reuse ? "existing" : "absolute-paths");
  if (granularity > 0)
    json_object_set_int_member (s->args, "granularity", (gint64) granularity);
  if (buf_size > 0)
    json_object_set_int_member (s->args, "buf-size", (gint64) buf_size);
  if (sync_writes)
    json_object_set_string_member (s->args, "copy-mode", "write-blocking");
  run_job (s);
  return;

fail:
  g_task_return_error (task, error);
  start_free (s);
}

static gboolean
param_u64 (GVariant *value, const char *name, guint64 *out, GError **error)
{
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT64))
    *out = g_variant_get_uint64 (value);
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
    *out = g_variant_get_uint32 (value);
  else {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "parameter '%s' must be an unsigned integer ('t' or 'u')",
                 name);
    return FALSE;
  }
  return TRUE;
}

static void
qemu_block_copy (VbBackend *backend, VbObj *dom, const char *disk, const char *destxml, GVariant *params,
                 guint flags, GTask *task)
{
  g_autoptr(VbDomainDiskDef) dest = NULL;
  GError *error = NULL;
  guint64 speed = 0, granularity = 0, buf_size = 0;
  GVariantIter iter;
  const char *key;
  GVariant *value;

  CHECK_FLAGS (task, flags, COPY_SHALLOW | COPY_REUSE_EXT | COPY_TRANSIENT_JOB | COPY_SYNCHRONOUS_WRITES,
               "BlockCopy");
  if (params != NULL) {
    g_variant_iter_init (&iter, params);
    while (g_variant_iter_loop (&iter, "{&sv}", &key, &value)) {
      guint64 *field = strcmp (key, "bandwidth") == 0 ? &speed : strcmp (key, "granularity") == 0 ? &granularity
                     : strcmp (key, "buf-size") == 0 ? &buf_size : NULL;
      if (field == NULL) {
        g_variant_unref (value);
        FAIL (task, VB_ERROR_INVALID_ARG, "unknown block copy parameter '%s' (bandwidth, granularity, buf-size)",
              key);
      }
      if (!param_u64 (value, key, field, &error)) {
        g_variant_unref (value);
        g_task_return_error (task, error);
        return;
      }
    }
  }
  if (speed > G_MAXINT64 || buf_size > G_MAXINT64)
    FAIL (task, VB_ERROR_INVALID_ARG, "bandwidth and buf-size must be less than %" G_GINT64_FORMAT, G_MAXINT64);
  if (granularity != 0 && (granularity < 512 || granularity > 64 * MIB || (granularity & (granularity - 1)) != 0))
    FAIL (task, VB_ERROR_INVALID_ARG, "granularity must be a power of two between 512 and 64 MiB");
  if ((dest = vb_domain_disk_source_parse (destxml, &error)) == NULL) {
    g_task_return_error (task, error);
    return;
  }
  if (dest->backing->len > 0)
    FAIL (task, VB_ERROR_INVALID_ARG, "the destination's backing chain is the source's (SHALLOW): give none");
  start_copy (dom, disk, g_steal_pointer (&dest), flags & COPY_SHALLOW, flags & COPY_REUSE_EXT,
              flags & COPY_SYNCHRONOUS_WRITES, speed, granularity, buf_size, task);
}

/* ------------------------------------------------------------------ */
/* Abort / pivot, speed, info                                           */

static Job *
lookup_job (VbObj *dom, const char *name, GTask *task)
{
  VbDomainDiskDef *disk;
  Job *job;

  if ((disk = running_disk (dom, name, task)) == NULL)
    return NULL;
  job = vb_qemu_dom (dom)->blockjobs != NULL && disk->info.alias != NULL
          ? g_hash_table_lookup (jobs_of (dom)->jobs, disk->info.alias) : NULL;
  if (job == NULL || !job->started) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_OPERATION_INVALID, "disk '%s' has no block job running",
                             disk->dst);
    return NULL;
  }
  return job;
}

/* A call on a running job, while QEMU answers. */
typedef struct {
  VbObj *dom;
  GTask *task;
  char *alias;
  guint flags;   /* the call's */
  guint64 speed; /* BlockJobSetSpeed: bytes/s */
} JobCall;

static JobCall *
job_call_new (VbObj *dom, GTask *task, const char *alias, guint flags)
{
  JobCall *c = g_new0 (JobCall, 1);

  c->dom = g_object_ref (dom);
  c->task = g_object_ref (task);
  c->alias = g_strdup (alias);
  c->flags = flags;
  return c;
}

static void
job_call_free (JobCall *c)
{
  g_object_unref (c->dom);
  g_object_unref (c->task);
  g_free (c->alias);
  g_free (c);
}

/* The job the call is about, if it still runs. */
static Job *
job_call_job (JobCall *c)
{
  VbQemuBlockJobs *bj = vb_qemu_dom (c->dom)->blockjobs;

  return bj != NULL ? g_hash_table_lookup (bj->jobs, c->alias) : NULL;
}

static void
on_abort_sent (GObject *source, GAsyncResult *result, gpointer user_data)
{
  JobCall *c = user_data;
  Job *job = job_call_job (c);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    if (job != NULL) {
      if (c->flags & ABORT_PIVOT)
        job->pivoting = FALSE;
      else
        job->aborting = FALSE;
    }
    g_task_return_error (c->task, error);
  } else if (!(c->flags & ABORT_ASYNC) && job != NULL) {
    /* Answered when QEMU says the job ended (finish_job). */
    g_ptr_array_add (job->waiters, g_object_ref (c->task));
  } else {
    g_task_return_boolean (c->task, TRUE);
  }
  job_call_free (c);
}

static void
qemu_block_job_abort (VbBackend *backend, VbObj *dom, const char *disk, guint flags, GTask *task)
{
  Job *job;

  CHECK_FLAGS (task, flags, ABORT_ASYNC | ABORT_PIVOT, "BlockJobAbort");
  if ((job = lookup_job (dom, disk, task)) == NULL)
    return;
  if (job->pivoting || job->aborting)
    FAIL (task, VB_ERROR_OPERATION_INVALID, "the block job on disk '%s' is already ending", job->disk);
  if (flags & ABORT_PIVOT) {
    if (job->type != JOB_COPY && job->type != JOB_ACTIVE_COMMIT)
      FAIL (task, VB_ERROR_INVALID_ARG, "only a copy or an active commit can pivot (disk '%s')", job->disk);
    if (!job->ready)
      FAIL (task, VB_ERROR_OPERATION_INVALID, "the block job on disk '%s' is not ready to pivot yet", job->disk);
    job->pivoting = TRUE;
  } else {
    job->aborting = TRUE;
  }
  vb_qemu_process_save_state (dom, NULL);
  qmp_then (dom, (flags & ABORT_PIVOT) ? "block-job-complete" : "block-job-cancel", args_with ("device", job->id),
            FALSE, on_abort_sent, job_call_new (dom, task, job->alias, flags));
}

static void
on_speed_set (GObject *source, GAsyncResult *result, gpointer user_data)
{
  JobCall *c = user_data;
  Job *job = job_call_job (c);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    g_task_return_error (c->task, error);
  } else {
    if (job != NULL) {
      job->bandwidth = c->speed;
      vb_qemu_process_save_state (c->dom, NULL);
    }
    g_task_return_boolean (c->task, TRUE);
  }
  job_call_free (c);
}

static void
qemu_block_job_set_speed (VbBackend *backend, VbObj *dom, const char *disk, guint64 bandwidth, guint flags,
                          GTask *task)
{
  GError *error = NULL;
  JsonObject *args;
  guint64 speed;
  JobCall *c;
  Job *job;

  CHECK_FLAGS (task, flags, SPEED_BANDWIDTH_BYTES, "BlockJobSetSpeed");
  if (!to_bytes (bandwidth, flags & SPEED_BANDWIDTH_BYTES, &speed, &error)) {
    g_task_return_error (task, error);
    return;
  }
  if ((job = lookup_job (dom, disk, task)) == NULL)
    return;
  c = job_call_new (dom, task, job->alias, flags);
  c->speed = speed;
  args = args_with ("device", job->id);
  json_object_set_int_member (args, "speed", (gint64) speed);
  qmp_then (dom, "block-job-set-speed", args, FALSE, on_speed_set, c);
}

static void
on_jobs_for_info (GObject *source, GAsyncResult *result, gpointer user_data)
{
  JobCall *c = user_data;
  Job *job = job_call_job (c);
  g_autoptr(JsonNode) reply = NULL;
  JsonArray *list;
  GError *error = NULL;
  JsonObject *entry = NULL;

  reply = g_task_propagate_pointer (G_TASK (result), &error);
  if (reply == NULL) {
    g_task_return_error (c->task, error);
    job_call_free (c);
    return;
  }
  list = JSON_NODE_HOLDS_ARRAY (reply) ? json_node_get_array (reply) : NULL;
  for (guint i = 0; job != NULL && list != NULL && i < json_array_get_length (list); i++) {
    JsonObject *e = json_array_get_object_element (list, i);
    if (g_strcmp0 (vb_qmp_member_str (e, "device"), job->id) == 0)
      entry = e;
  }
  if (entry == NULL) {
    g_task_return_pointer (c->task, g_variant_ref_sink (g_variant_new ("(ittt)", 0, (guint64) 0, (guint64) 0,
                                                                       (guint64) 0)),
                           (GDestroyNotify) g_variant_unref);
  } else {
    guint64 speed = ju64 (entry, "speed");
    if (!(c->flags & INFO_BANDWIDTH_BYTES))
      speed = speed / MIB + (speed % MIB != 0);
    g_task_return_pointer (c->task, g_variant_ref_sink (g_variant_new ("(ittt)", job->type, speed,
                                                                       ju64 (entry, "offset"), ju64 (entry, "len"))),
                           (GDestroyNotify) g_variant_unref);
  }
  job_call_free (c);
}

static void
qemu_get_block_job_info (VbBackend *backend, VbObj *dom, const char *name, guint flags, GTask *task)
{
  VbDomainDiskDef *disk;

  CHECK_FLAGS (task, flags, INFO_BANDWIDTH_BYTES, "GetBlockJobInfo");
  if ((disk = running_disk (dom, name, task)) == NULL)
    return;
  qmp_then (dom, "query-block-jobs", NULL, TRUE, on_jobs_for_info, job_call_new (dom, task, disk->info.alias, flags));
}

/* ------------------------------------------------------------------ */
/* Life of the domain                                                   */

static void
blockjob_stopped (VbObj *dom, gboolean detached)
{
  VbQemuBlockJobs *bj = vb_qemu_dom (dom)->blockjobs;
  GHashTableIter iter;
  GList *merges = NULL;
  Job *job;

  if (bj == NULL)
    return;
  g_hash_table_iter_init (&iter, bj->jobs);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &job)) {
    for (guint i = 0; i < job->waiters->len; i++)
      g_task_return_new_error (g_ptr_array_index (job->waiters, i), VB_ERROR, VB_ERROR_FAILED,
                               "domain '%s' %s before the block job on disk '%s' ended", dom->name,
                               detached ? "was let go" : "stopped", job->disk);
    g_ptr_array_set_size (job->waiters, 0);
    if (job->merged != NULL) {
      g_object_set_data_full (G_OBJECT (job->merged), "vb-disk", g_strdup (job->disk), g_free);
      merges = g_list_prepend (merges, g_steal_pointer (&job->merged));
    }
    /* A copy QEMU was writing for nobody. */
    if (!detached && job->created != NULL && g_unlink (job->created) != 0 && errno != ENOENT)
      g_warning ("domain '%s': cannot remove the copy '%s': %s", dom->name, job->created, g_strerror (errno));
  }
  g_hash_table_remove_all (bj->jobs);
  g_hash_table_remove_all (bj->roots);
  /* Their callers may start other jobs: not while the table is walked. */
  for (GList *l = merges; l != NULL; l = l->next) {
    g_task_return_new_error (l->data, VB_ERROR, VB_ERROR_FAILED, "domain '%s' %s before the commit on disk '%s' "
                             "ended", dom->name, detached ? "was let go" : "stopped",
                             (const char *) g_object_get_data (l->data, "vb-disk"));
    g_object_unref (l->data);
  }
  g_list_free (merges);
}

static void
blockjob_dom_free (VbQemuDom *d)
{
  if (d->blockjobs == NULL)
    return;
  g_hash_table_unref (d->blockjobs->jobs);
  g_hash_table_unref (d->blockjobs->roots);
  g_clear_pointer (&d->blockjobs, g_free);
}

static void
blockjob_save_state (VbObj *dom, JsonBuilder *b)
{
  VbQemuBlockJobs *bj = vb_qemu_dom (dom)->blockjobs;
  GHashTableIter iter;
  gpointer key, value;

  if (bj == NULL || (g_hash_table_size (bj->jobs) == 0 && g_hash_table_size (bj->roots) == 0))
    return;
  json_builder_set_member_name (b, "block-jobs");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "gen");
  json_builder_add_int_value (b, bj->gen);
  json_builder_set_member_name (b, "roots");
  json_builder_begin_object (b);
  g_hash_table_iter_init (&iter, bj->roots);
  while (g_hash_table_iter_next (&iter, &key, &value)) {
    json_builder_set_member_name (b, key);
    json_builder_add_string_value (b, value);
  }
  json_builder_end_object (b);
  json_builder_set_member_name (b, "jobs");
  json_builder_begin_array (b);
  g_hash_table_iter_init (&iter, bj->jobs);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    Job *job = value;
    if (!job->started)
      continue;
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "disk");
    json_builder_add_string_value (b, job->disk);
    json_builder_set_member_name (b, "alias");
    json_builder_add_string_value (b, job->alias);
    json_builder_set_member_name (b, "type");
    json_builder_add_int_value (b, job->type);
    json_builder_set_member_name (b, "ready");
    json_builder_add_boolean_value (b, job->ready);
    json_builder_set_member_name (b, "pivoting");
    json_builder_add_boolean_value (b, job->pivoting);
    json_builder_set_member_name (b, "aborting");
    json_builder_add_boolean_value (b, job->aborting);
    json_builder_set_member_name (b, "bandwidth");
    json_builder_add_int_value (b, (gint64) job->bandwidth);
    json_builder_set_member_name (b, "orig-src");
    json_builder_add_string_value (b, job->orig_src);
    json_builder_set_member_name (b, "old-root");
    json_builder_add_string_value (b, job->old_root);
    if (job->merge) {
      json_builder_set_member_name (b, "merge");
      json_builder_add_boolean_value (b, TRUE);
    }
    if (job->created != NULL) {
      json_builder_set_member_name (b, "created");
      json_builder_add_string_value (b, job->created);
    }
    if (job->delete != NULL) {
      json_builder_set_member_name (b, "delete");
      json_builder_begin_array (b);
      for (guint i = 0; job->delete[i] != NULL; i++)
        json_builder_add_string_value (b, job->delete[i]);
      json_builder_end_array (b);
    }
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
}

static void
on_reattach_jobs (GObject *source, GAsyncResult *result, gpointer user_data)
{
  VbObj *dom = user_data;
  VbQemuBlockJobs *bj = vb_qemu_dom (dom)->blockjobs;
  g_autoptr(JsonNode) reply = g_task_propagate_pointer (G_TASK (result), NULL);
  JsonArray *list = reply != NULL && JSON_NODE_HOLDS_ARRAY (reply) ? json_node_get_array (reply) : NULL;
  GHashTableIter iter;
  GList *concluded = NULL;
  Job *job;

  if (bj != NULL && list != NULL && dom->active) {
    g_hash_table_iter_init (&iter, bj->jobs);
    while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &job)) {
      JsonObject *entry = NULL;
      for (guint i = 0; i < json_array_get_length (list); i++) {
        JsonObject *e = json_array_get_object_element (list, i);
        if (g_strcmp0 (vb_qmp_member_str (e, "device"), job->id) == 0)
          entry = e;
      }
      if (entry == NULL) {
        /* Gone without a trace (a QEMU started by a daemon that let QEMU
         * dismiss jobs itself): the disks were read back at the reattach
         * (.running); images a DELETE named stay. */
        g_message ("domain '%s': the block job on disk '%s' ended while the daemon was away", dom->name,
                   job->disk);
        g_hash_table_iter_remove (&iter);
        continue;
      }
      if (g_strcmp0 (vb_qmp_member_str (entry, "status"), "concluded") == 0) {
        /* It ended while nobody listened: finish it now, as its event
         * would have. */
        concluded = g_list_prepend (concluded, ending_new (dom, job, entry));
        continue;
      }
      if (vb_qmp_member_bool (entry, "ready") && !job->ready) {
        job->ready = TRUE;
        emit_job (dom, job, ST_READY);
      }
    }
    vb_qemu_process_save_state (dom, NULL);
    /* A merge that became ready while the daemon was away pivots now. */
    g_hash_table_iter_init (&iter, bj->jobs);
    while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &job))
      merge_pivot (dom, job);
    for (GList *l = concluded; l != NULL; l = l->next) {
      Ending *e = l->data;
      if ((job = g_hash_table_lookup (bj->jobs, e->alias)) != NULL) {
        g_message ("domain '%s': the block job on disk '%s' ended while the daemon was away%s%s", dom->name,
                   job->disk, e->message != NULL ? ": " : "", e->message != NULL ? e->message : "");
        job_ended (dom, job, e->status, e->message);
      }
      ending_free (e);
    }
    g_list_free (concluded);
  }
  g_object_unref (dom);
}

static void
blockjob_reattached (VbObj *dom, JsonObject *state)
{
  JsonObject *o = vb_qmp_member_obj (state, "block-jobs");
  JsonObject *roots = vb_qmp_member_obj (o, "roots");
  JsonNode *jobs_node = o != NULL ? json_object_get_member (o, "jobs") : NULL;
  JsonArray *jobs = jobs_node != NULL && JSON_NODE_HOLDS_ARRAY (jobs_node) ? json_node_get_array (jobs_node) : NULL;
  VbQemuBlockJobs *bj;

  if (o == NULL)
    return;
  bj = jobs_of (dom);
  bj->gen = (guint) ju64 (o, "gen");
  if (roots != NULL) {
    g_autoptr(GList) members = json_object_get_members (roots);
    for (GList *l = members; l != NULL; l = l->next)
      if (vb_qmp_member_str (roots, l->data) != NULL)
        g_hash_table_replace (bj->roots, g_strdup (l->data), g_strdup (vb_qmp_member_str (roots, l->data)));
  }
  for (guint i = 0; jobs != NULL && i < json_array_get_length (jobs); i++) {
    JsonObject *e = json_array_get_object_element (jobs, i);
    JsonNode *del = e != NULL ? json_object_get_member (e, "delete") : NULL;
    Job *job;
    int type = (int) ju64 (e, "type");

    if (vb_qmp_member_str (e, "disk") == NULL || vb_qmp_member_str (e, "alias") == NULL || type < JOB_PULL ||
        type > JOB_ACTIVE_COMMIT || g_hash_table_contains (bj->jobs, vb_qmp_member_str (e, "alias")))
      continue;
    job = job_new (vb_qmp_member_str (e, "disk"), vb_qmp_member_str (e, "alias"), type);
    job->started = TRUE;
    job->ready = vb_qmp_member_bool (e, "ready");
    job->pivoting = vb_qmp_member_bool (e, "pivoting");
    job->aborting = vb_qmp_member_bool (e, "aborting");
    job->bandwidth = ju64 (e, "bandwidth");
    job->orig_src = g_strdup (vb_qmp_member_str (e, "orig-src"));
    job->old_root = g_strdup (vb_qmp_member_str (e, "old-root"));
    job->created = g_strdup (vb_qmp_member_str (e, "created"));
    job->merge = vb_qmp_member_bool (e, "merge");
    if (del != NULL && JSON_NODE_HOLDS_ARRAY (del)) {
      JsonArray *a = json_node_get_array (del);
      GPtrArray *v = g_ptr_array_new ();
      for (guint k = 0; k < json_array_get_length (a); k++)
        if (json_node_get_value_type (json_array_get_element (a, k)) == G_TYPE_STRING)
          g_ptr_array_add (v, g_strdup (json_array_get_string_element (a, k)));
      g_ptr_array_add (v, NULL);
      job->delete = (char **) g_ptr_array_free (v, FALSE);
    }
    g_hash_table_insert (bj->jobs, job->alias, job);
  }
  if (g_hash_table_size (bj->jobs) > 0)
    qmp_then (dom, "query-block-jobs", NULL, TRUE, on_reattach_jobs, g_object_ref (dom));
}

static void
on_block_for_refresh (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  VbObj *dom = g_task_get_source_object (task);
  GError *error = NULL;
  g_autoptr(JsonNode) reply = g_task_propagate_pointer (G_TASK (result), &error);

  if (reply == NULL) {
    g_task_return_error (task, error);
    return;
  }
  VbDomainDef *def = dom->active ? dom->def : NULL;

  for (guint i = 0; def != NULL && i < def->disks->len; i++) {
    VbDomainDiskDef *disk = g_ptr_array_index (def->disks, i);
    g_autofree char *root = NULL;
    g_autoptr(GPtrArray) chain = NULL;

    if (disk->info.alias == NULL || disk->src_path == NULL)
      continue;
    chain = chain_from_block (reply, disk->info.alias, &root);
    if (chain != NULL && chain->len > 0 && ((Layer *) g_ptr_array_index (chain, 0))->filename != NULL)
      apply_chain (dom, disk, chain, root);
  }
  vb_qemu_process_save_state (dom, NULL);
  g_task_return_boolean (task, TRUE);
}

void
vb_qemu_disk_refresh_all (VbObj *dom, GTask *task)
{
  qmp_then (dom, "query-block", NULL, TRUE, on_block_for_refresh, g_object_ref (task));
}

/* The chains QEMU opened from the images' headers go into the live
 * definition (as libvirt shows them), once QEMU runs. */
static void
on_block_at_start (GObject *source, GAsyncResult *result, gpointer user_data)
{
  VbObj *dom = user_data;
  g_autoptr(JsonNode) reply = g_task_propagate_pointer (G_TASK (result), NULL);
  VbDomainDef *def = dom->active ? dom->def : NULL;
  gboolean changed = FALSE;

  for (guint i = 0; reply != NULL && def != NULL && i < def->disks->len; i++) {
    VbDomainDiskDef *disk = g_ptr_array_index (def->disks, i);
    g_autofree char *root = NULL;
    g_autoptr(GPtrArray) chain = NULL;

    if (disk->info.alias == NULL || disk->src_path == NULL || g_strcmp0 (disk->driver_format, "qcow2") != 0)
      continue;
    chain = chain_from_block (reply, disk->info.alias, &root);
    /* Only the chain: the top stays as defined. */
    if (chain == NULL || chain->len == 0 || g_strcmp0 (((Layer *) g_ptr_array_index (chain, 0))->filename,
                                                       disk->src_path) != 0 ||
        (chain->len == 1 && disk->backing->len == 0))
      continue;
    apply_chain (dom, disk, chain, root);
    changed = TRUE;
  }
  if (changed)
    vb_qemu_process_save_state (dom, NULL);
  g_object_unref (dom);
}

static void
blockjob_running (VbObj *dom)
{
  VbDomainDef *def = dom->def;
  gboolean chains = FALSE;

  for (guint i = 0; i < def->disks->len; i++) {
    VbDomainDiskDef *disk = g_ptr_array_index (def->disks, i);
    vb_qemu_disk_number_chain (disk);
    if (disk->src_path != NULL && g_strcmp0 (disk->driver_format, "qcow2") == 0)
      chains = TRUE;
  }
  if (chains)
    qmp_then (dom, "query-block", NULL, TRUE, on_block_at_start, g_object_ref (dom));
}

static void
blockjob_ops_init (VbDomainOpsInterface *iface)
{
  iface->block_pull = qemu_block_pull;
  iface->block_rebase = qemu_block_rebase;
  iface->block_commit = qemu_block_commit;
  iface->block_copy = qemu_block_copy;
  iface->block_job_abort = qemu_block_job_abort;
  iface->block_job_set_speed = qemu_block_job_set_speed;
  iface->get_block_job_info = qemu_get_block_job_info;
}

const VbQemuPart vb_qemu_part_blockjob = {
  .name = "blockjob",
  .ops_init = blockjob_ops_init,
  .running = blockjob_running,
  .stopped = blockjob_stopped,
  .event = blockjob_event,
  .dom_free = blockjob_dom_free,
  .save_state = blockjob_save_state,
  .reattached = blockjob_reattached,
};
