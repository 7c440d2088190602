/* virtbusctl: a virsh-like command-line client of virtbusd, built only on
 * libvirtbus-1.0.
 *
 * Exit codes (also in virtbusctl(1)):
 *   0 success
 *   1 the daemon refused or failed the operation
 *   2 usage error (unknown command, missing or bad argument)
 *   3 no such object (domain, network, pool, volume, …)
 *   4 cannot connect (bad URI, no daemon, ssh failed)
 *   5 not authorized
 *   6 not available on this connection (e.g. console, migrate)
 */
#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "virtbus.h"

enum {
  EXIT_OK = 0,
  EXIT_FAILED = 1,
  EXIT_USAGE = 2,
  EXIT_NOT_FOUND = 3,
  EXIT_CONNECT = 4,
  EXIT_DENIED = 5,
  EXIT_UNAVAILABLE = 6,
};

typedef struct {
  const char *uri;
  gboolean json;
  VirtbusClient *client;
} Ctx;

typedef struct {
  GStrv argv; /* the positional arguments left after options were taken */
  GHashTable *opts; /* "--name" → GPtrArray of every value given, in order ("" for switches) */
} Args;

typedef int (*CmdFunc) (Ctx *ctx, Args *args);

typedef struct {
  const char *name;
  CmdFunc func;
  const char *usage;
  const char *help;
  const char *value_opts; /* options taking a value, space separated */
} Cmd;

/* ---- messages and exit codes ---- */

static int
exit_code_for (const GError *error)
{
  if (error->domain != VIRTBUS_ERROR)
    return EXIT_FAILED;
  switch (error->code) {
  case VIRTBUS_ERROR_NOT_AUTHORIZED:
  case VIRTBUS_ERROR_AUTH_CANCELLED:
    return EXIT_DENIED;
  case VIRTBUS_ERROR_NOT_SUPPORTED:
    return EXIT_UNAVAILABLE;
  case VIRTBUS_ERROR_NOT_FOUND:
    return EXIT_NOT_FOUND;
  case VIRTBUS_ERROR_NO_SERVICE:
  case VIRTBUS_ERROR_INVALID_URI:
  case VIRTBUS_ERROR_DISCONNECTED:
    return EXIT_CONNECT;
  default:
    return EXIT_FAILED;
  }
}

static int
fail (GError *error)
{
  int code = exit_code_for (error);

  g_printerr (_("error: %s\n"), error->message);
  g_error_free (error);
  return code;
}

G_GNUC_PRINTF (2, 3) static int
failf (int code, const char *format, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, format);
  msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_printerr (_("error: %s\n"), msg);
  return code;
}

/* Lets queued D-Bus signals (InterfacesAdded, PropertiesChanged) reach the
 * library's lists after a blocking call. */
static void
pump (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* ---- output: aligned tables, key/value blocks, or JSON ---- */

typedef struct {
  GPtrArray *headers; /* char* */
  GPtrArray *keys;    /* char*, JSON member names */
  GPtrArray *rows;    /* GPtrArray of char* */
} Table;

static Table *
table_new (const char *first_header, ...)
{
  Table *t = g_new0 (Table, 1);
  va_list ap;

  t->headers = g_ptr_array_new_with_free_func (g_free);
  t->keys = g_ptr_array_new_with_free_func (g_free);
  t->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  va_start (ap, first_header);
  for (const char *h = first_header; h != NULL; h = va_arg (ap, const char *)) {
    const char *key = va_arg (ap, const char *);
    g_ptr_array_add (t->headers, g_strdup (h));
    g_ptr_array_add (t->keys, g_strdup (key));
  }
  va_end (ap);
  return t;
}

static void
table_free (Table *t)
{
  g_ptr_array_unref (t->headers);
  g_ptr_array_unref (t->keys);
  g_ptr_array_unref (t->rows);
  g_free (t);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Table, table_free)

static void
table_add (Table *t, ...)
{
  GPtrArray *row = g_ptr_array_new_with_free_func (g_free);
  va_list ap;

  va_start (ap, t);
  for (guint i = 0; i < t->headers->len; i++) {
    const char *cell = va_arg (ap, const char *);
    g_ptr_array_add (row, g_strdup (cell != NULL ? cell : ""));
  }
  va_end (ap);
  g_ptr_array_add (t->rows, row);
}

static void
print_json (JsonNode *node)
{
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_pretty (gen, TRUE);
  json_generator_set_root (gen, node);
  text = json_generator_to_data (gen, NULL);
  g_print ("%s\n", text);
}

/* A JSON member named @key, whose last character may give the value's
 * type: '#' a number, '?' a boolean ("yes"/"no"); otherwise a string,
 * whatever it looks like (a domain named "2024" or "yes" stays a string).
 * "-", a cell's "nothing", is null. */
static void
add_json_member (JsonBuilder *b, const char *key, const char *value)
{
  gsize len = strlen (key);
  char type = len > 1 && (key[len - 1] == '#' || key[len - 1] == '?') ? key[len - 1] : '\0';
  g_autofree char *name = g_strndup (key, type ? len - 1 : len);

  json_builder_set_member_name (b, name);
  if (g_str_equal (value, "-")) {
    json_builder_add_null_value (b);
    return;
  }
  if (type == '?' && (g_str_equal (value, "yes") || g_str_equal (value, "no"))) {
    json_builder_add_boolean_value (b, g_str_equal (value, "yes"));
    return;
  }
  if (type == '#' && value[0] != '\0') {
    char *end = NULL;
    gint64 n;
    guint64 u;

    errno = 0;
    n = g_ascii_strtoll (value, &end, 10);
    if (errno == 0 && end != value && *end == '\0') {
      json_builder_add_int_value (b, n);
      return;
    }
    /* Beyond gint64 (a u64 near its maximum): as a JSON number still. */
    errno = 0;
    u = g_ascii_strtoull (value, &end, 10);
    if (errno == 0 && end != value && *end == '\0' && g_ascii_isdigit (value[0])) {
      json_builder_add_double_value (b, (double) u);
      return;
    }
  }
  json_builder_add_string_value (b, value);
}

static void
table_print (Ctx *ctx, Table *t)
{
  g_autofree gsize *widths = NULL;

  if (ctx->json) {
    g_autoptr(JsonBuilder) b = json_builder_new ();
    g_autoptr(JsonNode) root = NULL;

    json_builder_begin_array (b);
    for (guint r = 0; r < t->rows->len; r++) {
      GPtrArray *row = g_ptr_array_index (t->rows, r);
      json_builder_begin_object (b);
      for (guint c = 0; c < t->keys->len; c++)
        add_json_member (b, g_ptr_array_index (t->keys, c), g_ptr_array_index (row, c));
      json_builder_end_object (b);
    }
    json_builder_end_array (b);
    root = json_builder_get_root (b);
    print_json (root);
    return;
  }

  widths = g_new0 (gsize, t->headers->len);
  for (guint c = 0; c < t->headers->len; c++)
    widths[c] = g_utf8_strlen (g_ptr_array_index (t->headers, c), -1);
  for (guint r = 0; r < t->rows->len; r++) {
    GPtrArray *row = g_ptr_array_index (t->rows, r);
    for (guint c = 0; c < row->len; c++)
      widths[c] = MAX (widths[c], (gsize) g_utf8_strlen (g_ptr_array_index (row, c), -1));
  }
  {
    g_autoptr(GString) line = g_string_new (" ");
    gsize total = 1;
    for (guint c = 0; c < t->headers->len; c++) {
      const char *h = g_ptr_array_index (t->headers, c);
      g_string_append (line, h);
      if (c + 1 < t->headers->len)
        for (gsize i = g_utf8_strlen (h, -1); i < widths[c] + 3; i++)
          g_string_append_c (line, ' ');
      total += widths[c] + (c + 1 < t->headers->len ? 3 : 0);
    }
    g_print ("%s\n", line->str);
    for (gsize i = 0; i < total + 1; i++)
      g_print ("-");
    g_print ("\n");
  }
  for (guint r = 0; r < t->rows->len; r++) {
    GPtrArray *row = g_ptr_array_index (t->rows, r);
    g_autoptr(GString) line = g_string_new (" ");
    for (guint c = 0; c < row->len; c++) {
      const char *cell = g_ptr_array_index (row, c);
      g_string_append (line, cell);
      if (c + 1 < row->len)
        for (gsize i = g_utf8_strlen (cell, -1); i < widths[c] + 3; i++)
          g_string_append_c (line, ' ');
    }
    g_print ("%s\n", line->str);
  }
  g_print ("\n");
}

/* A "Key:   value" block, or one JSON object. */
typedef struct {
  GPtrArray *labels, *keys, *values;
} Info;

static Info *
info_new (void)
{
  Info *i = g_new0 (Info, 1);

  i->labels = g_ptr_array_new_with_free_func (g_free);
  i->keys = g_ptr_array_new_with_free_func (g_free);
  i->values = g_ptr_array_new_with_free_func (g_free);
  return i;
}

static void
info_free (Info *i)
{
  g_ptr_array_unref (i->labels);
  g_ptr_array_unref (i->keys);
  g_ptr_array_unref (i->values);
  g_free (i);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Info, info_free)

static void
info_add (Info *i, const char *label, const char *key, const char *value)
{
  g_ptr_array_add (i->labels, g_strdup (label));
  g_ptr_array_add (i->keys, g_strdup (key));
  g_ptr_array_add (i->values, g_strdup (value != NULL ? value : "-"));
}

static void
info_print (Ctx *ctx, Info *info)
{
  gsize width = 0;

  if (ctx->json) {
    g_autoptr(JsonBuilder) b = json_builder_new ();
    g_autoptr(JsonNode) root = NULL;

    json_builder_begin_object (b);
    for (guint n = 0; n < info->keys->len; n++)
      add_json_member (b, g_ptr_array_index (info->keys, n), g_ptr_array_index (info->values, n));
    json_builder_end_object (b);
    root = json_builder_get_root (b);
    print_json (root);
    return;
  }
  for (guint n = 0; n < info->labels->len; n++)
    width = MAX (width, (gsize) g_utf8_strlen (g_ptr_array_index (info->labels, n), -1) + 1);
  for (guint n = 0; n < info->labels->len; n++) {
    g_autofree char *label = g_strconcat (g_ptr_array_index (info->labels, n), ":", NULL);
    g_print ("%-*s %s\n", (int) width + 1, label, (const char *) g_ptr_array_index (info->values, n));
  }
}

/* Success messages ("Domain 'x' started") are for people; --json prints
 * {"result": "ok", …} instead so scripts can parse every command. */
G_GNUC_PRINTF (2, 3) static void
done (Ctx *ctx, const char *format, ...)
{
  g_autofree char *msg = NULL;
  va_list ap;

  va_start (ap, format);
  msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  if (ctx->json) {
    g_autoptr(JsonBuilder) b = json_builder_new ();
    g_autoptr(JsonNode) root = NULL;
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "result");
    json_builder_add_string_value (b, "ok");
    json_builder_set_member_name (b, "message");
    json_builder_add_string_value (b, msg);
    json_builder_end_object (b);
    root = json_builder_get_root (b);
    print_json (root);
  } else {
    g_print ("%s\n\n", msg);
  }
}


/* Fills the "%s" of a translated message template without printf, so
 * templates passed around as data need no format checking. */
static char *
subst (const char *template, const char *first, const char *second)
{
  g_autoptr(GString) out = g_string_new (NULL);
  const char *values[] = { first, second };
  guint used = 0;

  for (const char *p = template; *p != '\0'; p++) {
    if (p[0] == '%' && p[1] == 's' && used < G_N_ELEMENTS (values)) {
      g_string_append (out, values[used] != NULL ? values[used] : "");
      used++;
      p++;
    } else {
      g_string_append_c (out, *p);
    }
  }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
done_with (Ctx *ctx, const char *template, const char *first, const char *second)
{
  g_autofree char *msg = subst (template, first, second);

  done (ctx, "%s", msg);
}

static void
print_text (Ctx *ctx, const char *key, const char *text)
{
  if (ctx->json) {
    g_autoptr(JsonBuilder) b = json_builder_new ();
    g_autoptr(JsonNode) root = NULL;
    json_builder_begin_object (b);
    json_builder_set_member_name (b, key);
    json_builder_add_string_value (b, text);
    json_builder_end_object (b);
    root = json_builder_get_root (b);
    print_json (root);
  } else {
    g_print ("%s%s", text, g_str_has_suffix (text, "\n") ? "" : "\n");
  }
}

/* ---- arguments ---- */

static gboolean
opt (Args *a, const char *name)
{
  return g_hash_table_contains (a->opts, name);
}

/* A switch and the bit of a call's flags it sets. */
typedef struct {
  const char *opt;
  guint flag;
} OptFlag;

static guint
opt_flags (Args *a, const OptFlag *table, gsize n)
{
  guint flags = 0;

  for (gsize i = 0; i < n; i++)
    if (g_hash_table_contains (a->opts, table[i].opt))
      flags |= table[i].flag;
  return flags;
}

/* Every value of an option that may be given more than once (NULL when
 * it was not). */
static GPtrArray *
opt_values (Args *a, const char *name)
{
  return g_hash_table_lookup (a->opts, name);
}

/* The value of an option, the last one when it was given more than once. */
static const char *
opt_value (Args *a, const char *name)
{
  GPtrArray *values = opt_values (a, name);

  return values != NULL ? g_ptr_array_index (values, values->len - 1) : NULL;
}

static guint
nargs (Args *a)
{
  return g_strv_length (a->argv);
}

static const char *
arg (Args *a, guint n)
{
  return n < nargs (a) ? a->argv[n] : NULL;
}

static int
need_args (const Cmd *cmd, Args *a, guint min, guint max)
{
  if (nargs (a) < min || nargs (a) > max) {
    g_printerr (_("error: wrong number of arguments\nusage: virtbusctl %s %s\n"), cmd->name, cmd->usage);
    return EXIT_USAGE;
  }
  return EXIT_OK;
}

static char *
read_file (const char *path, GError **error)
{
  char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, error))
    return NULL;
  return contents;
}

static const char *
yesno (gboolean b)
{
  return b ? "yes" : "no";
}

/* ---- lookups ---- */

static VirtbusObject *
find_object (Ctx *ctx, GType kind, const char *id, const char *what, int *code)
{
  VirtbusObject *obj;

  pump ();
  obj = virtbus_client_find (ctx->client, kind, id);
  if (obj == NULL && kind == VIRTBUS_TYPE_DOMAIN && id[0] != '\0' && strspn (id, "0123456789") == strlen (id)) {
    /* A number is a running domain's ID, as in virsh. */
    GListModel *m = virtbus_client_get_domains (ctx->client);
    for (guint i = 0; i < g_list_model_get_n_items (m) && obj == NULL; i++) {
      g_autoptr(VirtbusDomain) d = g_list_model_get_item (m, i);
      if (virtbus_object_get_active (VIRTBUS_OBJECT (d)) &&
          virtbus_domain_get_id (d) == (guint) g_ascii_strtoull (id, NULL, 10))
        obj = VIRTBUS_OBJECT (d);
    }
  }
  if (obj == NULL)
    *code = failf (EXIT_NOT_FOUND, _("failed to get %s '%s': no such object on this connection"), what, id);
  return obj;
}

#define FIND_OR_RETURN(var, type, kind, id, what)                                         \
  int var##_code = EXIT_OK;                                                               \
  type *var = (type *) find_object (ctx, kind, id, what, &var##_code);                    \
  if (var == NULL)                                                                        \
    return var##_code

static char *
name_of (gpointer obj)
{
  return virtbus_object_dup_name (VIRTBUS_OBJECT (obj));
}

/* Calls a method and reports failures; returns the reply or NULL with *code set. */
static GVariant *
call (VirtbusObject *obj, const char *method, GVariant *params, int *code)
{
  GError *error = NULL;
  GVariant *reply = virtbus_object_call_sync (obj, method, params, NULL, &error);

  if (reply == NULL)
    *code = fail (error);
  pump ();
  return reply;
}

static GVariant *
connect_call (Ctx *ctx, const char *method, GVariant *params, int *code)
{
  GError *error = NULL;
  GVariant *reply = virtbus_client_call_sync (ctx->client, method, params, NULL, &error);

  if (reply == NULL)
    *code = fail (error);
  pump ();
  return reply;
}

/* ---- long jobs: a progress bar on a terminal, Ctrl+C aborts ---- */

typedef struct {
  GMainLoop *loop;
  VirtbusObject *dom;      /* asked for GetJobInfo / AbortJob */
  const char *label;
  GVariant *reply;
  GError *error;
  gboolean asking;         /* a GetJobInfo is on its way */
  gboolean drawn;
  gboolean aborting;
} JobRun;

static void
job_bar_clear (JobRun *j)
{
  if (j->drawn)
    g_printerr ("\r\033[K");
  j->drawn = FALSE;
}

static void
on_job_info (GObject *source, GAsyncResult *result, gpointer user_data)
{
  JobRun *j = user_data;
  g_autoptr(GVariant) info = virtbus_object_call_finish (VIRTBUS_OBJECT (source), result, NULL);
  int type = 0;
  guint64 elapsed, remaining_time, total, processed, remaining, mem_total, mem_processed, mem_remaining;
  guint64 file_total, file_processed, file_remaining;
  g_autofree char *done_s = NULL;
  g_autofree char *total_s = NULL;
  char bar[31];
  int percent, filled;

  j->asking = FALSE;
  /* Finished meanwhile, or the daemon cannot tell: no bar. */
  if (info == NULL || j->reply != NULL || j->error != NULL)
    return;
  g_variant_get (info, "((ittttttttttt))", &type, &elapsed, &remaining_time, &total, &processed, &remaining,
                 &mem_total, &mem_processed, &mem_remaining, &file_total, &file_processed, &file_remaining);
  /* Jobs that only know their memory figures (a save into a pipe). */
  if (total == 0) {
    total = mem_total;
    processed = mem_processed;
  }
  /* Type 0: no job (yet) — the call has not reached the point of moving data. */
  if (type == 0 || total == 0)
    return;
  percent = (int) MIN (100, processed * 100 / total);
  filled = percent * 30 / 100;
  memset (bar, '#', filled);
  memset (bar + filled, ' ', 30 - filled);
  bar[30] = '\0';
  done_s = g_format_size_full (processed, G_FORMAT_SIZE_IEC_UNITS);
  total_s = g_format_size_full (total, G_FORMAT_SIZE_IEC_UNITS);
  g_printerr ("\r\033[K%s: [%s] %3d%% %s/%s", j->label, bar, percent, done_s, total_s);
  j->drawn = TRUE;
}

static gboolean
on_job_tick (gpointer user_data)
{
  JobRun *j = user_data;

  if (!j->asking) {
    j->asking = TRUE;
    virtbus_object_call_async (j->dom, "GetJobInfo", NULL, NULL, on_job_info, j);
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_job_interrupt (gpointer user_data)
{
  JobRun *j = user_data;

  /* Like virsh: the first Ctrl+C aborts the job, the call then fails. */
  if (!j->aborting) {
    j->aborting = TRUE;
    job_bar_clear (j);
    g_printerr (_("Aborting the job…\n"));
    virtbus_object_call_async (j->dom, "AbortJob", NULL, NULL, NULL, NULL);
  }
  return G_SOURCE_CONTINUE;
}

static void
on_job_call_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  JobRun *j = user_data;

  if (VIRTBUS_IS_CLIENT (source))
    j->reply = virtbus_client_call_finish (VIRTBUS_CLIENT (source), result, &j->error);
  else if (G_IS_DBUS_PROXY (source)) {
    j->reply = g_dbus_proxy_call_finish (G_DBUS_PROXY (source), result, &j->error);
    if (j->error != NULL)
      g_dbus_error_strip_remote_error (j->error);
  } else
    j->reply = virtbus_object_call_finish (VIRTBUS_OBJECT (source), result, &j->error);
  g_main_loop_quit (j->loop);
}

/* Calls @method on @target (a VirtbusObject, the client for Connect
 * methods, or a GDBusProxy for our own interfaces) and waits for the reply; meanwhile, on a terminal, shows the
 * progress of @dom's job (GetJobInfo, 4 times a second) and turns Ctrl+C
 * into AbortJob. */
static GVariant *
call_job (Ctx *ctx, gpointer target, VirtbusObject *dom, const char *label, const char *method, GVariant *params,
          int *code)
{
  JobRun j = { 0 };
  guint tick = 0, sigint = 0;

  j.loop = g_main_loop_new (NULL, FALSE);
  j.dom = dom;
  j.label = label;
  if (VIRTBUS_IS_CLIENT (target))
    virtbus_client_call_async (VIRTBUS_CLIENT (target), method, params, NULL, on_job_call_done, &j);
  else if (G_IS_DBUS_PROXY (target))
    g_dbus_proxy_call (G_DBUS_PROXY (target), method, params, G_DBUS_CALL_FLAGS_NONE, G_MAXINT, NULL,
                       on_job_call_done, &j);
  else
    virtbus_object_call_async (VIRTBUS_OBJECT (target), method, params, NULL, on_job_call_done, &j);
  if (dom != NULL) {
    sigint = g_unix_signal_add (SIGINT, on_job_interrupt, &j);
    if (!ctx->json && isatty (STDERR_FILENO))
      tick = g_timeout_add (250, on_job_tick, &j);
  }
  g_main_loop_run (j.loop);
  g_clear_handle_id (&tick, g_source_remove);
  g_clear_handle_id (&sigint, g_source_remove);
  /* A GetJobInfo still on its way refers to j: let it land. */
  while (j.asking)
    g_main_context_iteration (NULL, TRUE);
  job_bar_clear (&j);
  g_main_loop_unref (j.loop);
  if (j.reply == NULL)
    *code = fail (j.error);
  pump ();
  return j.reply;
}

static VirtbusObject *
object_from_path_reply (Ctx *ctx, GVariant *reply)
{
  const char *path = NULL;

  g_variant_get (reply, "(&o)", &path);
  pump ();
  return virtbus_client_lookup_object (ctx->client, path);
}

/* ---- domains ---- */

static const char *
domain_state_string (VirtbusDomain *d, GError **error)
{
  VirtbusDomainState st = virtbus_domain_get_state_sync (d, NULL, NULL, error);

  return error != NULL && *error != NULL ? NULL : virtbus_domain_state_to_string (st);
}

static int
cmd_list (Ctx *ctx, Args *a)
{
  GListModel *m = virtbus_client_get_domains (ctx->client);
  gboolean all = opt (a, "--all"), inactive = opt (a, "--inactive");
  g_autoptr(Table) t = table_new ("Id", "id#", "Name", "name", "State", "state", NULL);

  for (guint i = 0; i < g_list_model_get_n_items (m); i++) {
    g_autoptr(VirtbusDomain) d = g_list_model_get_item (m, i);
    gboolean active = virtbus_object_get_active (VIRTBUS_OBJECT (d));
    g_autofree char *name = name_of (d);
    g_autofree char *id = active ? g_strdup_printf ("%u", virtbus_domain_get_id (d)) : g_strdup ("-");
    GError *error = NULL;
    const char *state;

    if ((active && inactive) || (!active && !all && !inactive))
      continue;
    state = domain_state_string (d, &error);
    if (state == NULL)
      return fail (error);
    table_add (t, id, name, state);
  }
  table_print (ctx, t);
  return EXIT_OK;
}

/* Reads the first number in <element …>N</element> of an XML document. */
static char *
xml_number (const char *xml, const char *element)
{
  g_autofree char *pattern = g_strdup_printf ("<%s(\\s[^>]*)?>\\s*(\\d+)\\s*</%s>", element, element);
  g_autoptr(GRegex) re = g_regex_new (pattern, 0, 0, NULL);
  g_autoptr(GMatchInfo) m = NULL;

  if (re == NULL || !g_regex_match (re, xml, 0, &m))
    return NULL;
  return g_match_info_fetch (m, 2);
}

static char *
xml_text (const char *xml, const char *element)
{
  g_autofree char *pattern = g_strdup_printf ("<%s(\\s[^>]*)?>([^<]*)</%s>", element, element);
  g_autoptr(GRegex) re = g_regex_new (pattern, 0, 0, NULL);
  g_autoptr(GMatchInfo) m = NULL;

  if (re == NULL || !g_regex_match (re, xml, 0, &m))
    return NULL;
  return g_match_info_fetch (m, 2);
}

static int
cmd_dominfo (Ctx *ctx, Args *a)
{
  FIND_OR_RETURN (d, VirtbusDomain, VIRTBUS_TYPE_DOMAIN, arg (a, 0), "domain");
  VirtbusObject *o = VIRTBUS_OBJECT (d);
  g_autoptr(Info) info = info_new ();
  g_autofree char *name = name_of (d), *uuid = virtbus_object_dup_uuid (o), *xml = NULL, *id = NULL;
  g_autofree char *vcpus = NULL, *maxmem = NULL, *curmem = NULL;
  g_autoptr(GVariant) ostype = virtbus_object_get_dbus_property (o, "OSType");
  GError *error = NULL;
  const char *state;

  xml = virtbus_object_get_xml_desc_sync (o, 0, NULL, &error);
  if (xml == NULL)
    return fail (error);
  state = domain_state_string (d, &error);
  if (state == NULL)
    return fail (error);
  vcpus = xml_number (xml, "vcpu");
  maxmem = xml_number (xml, "memory");
  curmem = xml_number (xml, "currentMemory");
  id = virtbus_object_get_active (o) ? g_strdup_printf ("%u", virtbus_domain_get_id (d)) : g_strdup ("-");
  info_add (info, _("Id"), "id#", id);
  info_add (info, _("Name"), "name", name);
  info_add (info, _("UUID"), "uuid", uuid);
  info_add (info, _("OS Type"), "os_type", ostype != NULL ? g_variant_get_string (ostype, NULL) : NULL);
  info_add (info, _("State"), "state", state);
  info_add (info, _("CPU(s)"), "vcpus#", vcpus);
  info_add (info, _("Max memory (KiB)"), "max_memory_kib#", maxmem);
  info_add (info, _("Used memory (KiB)"), "used_memory_kib#", curmem != NULL ? curmem : maxmem);
  info_add (info, _("Persistent"), "persistent?", yesno (virtbus_object_get_persistent (o)));
  info_add (info, _("Autostart"), "autostart?", yesno (virtbus_object_get_autostart (o)));
  info_print (ctx, info);
  return EXIT_OK;
}

static int
cmd_domstate (Ctx *ctx, Args *a)
{
  FIND_OR_RETURN (d, VirtbusDomain, VIRTBUS_TYPE_DOMAIN, arg (a, 0), "domain");
  GError *error = NULL;
  int reason = 0;
  VirtbusDomainState st = virtbus_domain_get_state_sync (d, &reason, NULL, &error);

  if (error != NULL)
    return fail (error);
  if (ctx->json) {
    g_autoptr(Info) info = info_new ();
    g_autofree char *r = g_strdup_printf ("%d", reason);
    info_add (info, "State", "state", virtbus_domain_state_to_string (st));
    info_add (info, "Reason", "reason", r);
    info_print (ctx, info);
  } else if (opt (a, "--reason")) {
    g_print ("%s (%d)\n\n", virtbus_domain_state_to_string (st), reason);
  } else {
    g_print ("%s\n\n", virtbus_domain_state_to_string (st));
  }
  return EXIT_OK;
}

/* start, shutdown, … : one method with a (u) or () signature. */
static int
domain_simple (Ctx *ctx, Args *a, const char *method, gboolean takes_flags, guint flags, const char *fmt)
{
  FIND_OR_RETURN (d, VirtbusDomain, VIRTBUS_TYPE_DOMAIN, arg (a, 0), "domain");
  g_autofree char *name = name_of (d);
  g_autoptr(GVariant) reply = NULL;
  int code = EXIT_OK;

  reply = call (VIRTBUS_OBJECT (d), method, takes_flags ? g_variant_new ("(u)", flags) : NULL, &code);
  if (reply == NULL)
    return code;
  done_with (ctx, fmt, name, NULL);
  return EXIT_OK;
}

static int
cmd_start (Ctx *ctx, Args *a)
{
  return domain_simple (ctx, a, "Create", TRUE, 0, _("Domain '%s' started"));
}

static int
cmd_shutdown (Ctx *ctx, Args *a)
{
  return domain_simple (ctx, a, "Shutdown", TRUE, 0, _("Domain '%s' is being shutdown"));
}

static int
cmd_reboot (Ctx *ctx, Args *a)
{
  return domain_simple (ctx, a, "Reboot", TRUE, 0, _("Domain '%s' is being rebooted"));
}

static int
cmd_reset (Ctx *ctx, Args *a)
{
  return domain_simple (ctx, a, "Reset", TRUE, 0, _("Domain '%s' was reset"));
}

static int
cmd_destroy (Ctx *ctx, Args *a)
{
  return domain_simple (ctx, a, "Destroy", TRUE, 0, _("Domain '%s' destroyed"));
}

static int
cmd_suspend (Ctx *ctx, Args *a)
{
  return domain_simple (ctx, a, "Suspend", FALSE, 0, _("Domain '%s' suspended"));
}

static int
cmd_resume (Ctx *ctx, Args *a)
{
  return domain_simple (ctx, a, "Resume", FALSE, 0, _("Domain '%s' resumed"));
}

static int
cmd_managedsave (Ctx *ctx, Args *a)
{
  FIND_OR_RETURN (d, VirtbusDomain, VIRTBUS_TYPE_DOMAIN, arg (a, 0), "domain");
  g_autofree char *name = name_of (d);
  g_autoptr(GVariant) reply = NULL;
  int code = EXIT_OK;

  reply = call_job (ctx, d, VIRTBUS_OBJECT (d), _("Managed save"), "ManagedSave", g_variant_new ("(u)", 0), &code);
  if (reply == NULL)
    return code;
  done (ctx, _("Domain '%s' state saved by virtbus"), name);
  return EXIT_OK;
}

static int
cmd_undefine (Ctx *ctx, Args *a)
{
  return domain_simple (ctx, a, "Undefine", TRUE, 0, _("Domain '%s' has been undefined"));
}

static int
cmd_save (Ctx *ctx, Args *a)
{
  FIND_OR_RETURN (d, VirtbusDomain, VIRTBUS_TYPE_DOMAIN, arg (a, 0), "domain");
  g_autofree char *name = name_of (d);
  g_autoptr(GVariant) reply = NULL;
  int code = EXIT_OK;

  reply = call_job (ctx, d, VIRTBUS_OBJECT (d), _("Save"), "Save", g_variant_new ("(ssu)", arg (a, 1), "", 0),
                    &code);
  if (reply == NULL)
    return code;
  done (ctx, _("Domain '%s' saved to %s"), name, arg (a, 1));
  return EXIT_OK;
}

static int
cmd_restore (Ctx *ctx, Args *a)
{
  g_autoptr(GVariant) reply = NULL;
  int code = EXIT_OK;

  reply = connect_call (ctx, "DomainRestore", g_variant_new ("(ssu)", arg (a, 0), "", 0), &code);
  if (reply == NULL)
    return code;
  done (ctx, _("Domain restored from %s"), arg (a, 0));
  return EXIT_OK;
}

static int
define_like (Ctx *ctx, Args *a, const char *method, GVariant *(*params) (const char *xml), const char *fmt)
{
  GError *error = NULL;
  g_autofree char *xml = read_file (arg (a, 0), &error);
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *name = NULL;
  VirtbusObject *obj;
  int code = EXIT_OK;

  if (xml == NULL)
    return fail (error);
  reply = connect_call (ctx, method, params (xml), &code);
  if (reply == NULL)
    return code;
  obj = object_from_path_reply (ctx, reply);
  name = obj != NULL ? virtbus_object_dup_name (obj) : g_strdup ("?");
  done_with (ctx, fmt, name, arg (a, 0));
  return EXIT_OK;
}

static GVariant *
params_s (const char *xml)
{
  return g_variant_new ("(s)", xml);
}

static GVariant *
params_su (const char *xml)
{
  return g_variant_new ("(su)", xml, 0);
}

static int
cmd_define (Ctx *ctx, Args *a)
{
  return define_like (ctx, a, "DomainDefineXML", params_s, _("Domain '%s' defined from %s"));
}

static int
cmd_create (Ctx *ctx, Args *a)
{
  return define_like (ctx, a, "DomainCreateXML", params_su, _("Domain '%s' created from %s"));
}

enum {
  XML_SECURE = 1 << 0,
  XML_INACTIVE = 1 << 1,
  XML_UPDATE_CPU = 1 << 2,
  XML_MIGRATABLE = 1 << 3,
};

static int
dumpxml (Ctx *ctx, GType kind, const char *id, const char *what, guint flags)
{
  int code = EXIT_OK;
  VirtbusObject *obj = find_object (ctx, kind, id, what, &code);
  g_autofree char *xml = NULL;
  GError *error = NULL;

  if (obj == NULL)
    return code;
  xml = virtbus_object_get_xml_desc_sync (obj, flags, NULL, &error);
  if (xml == NULL)
    return fail (error);
  print_text (ctx, "xml", xml);
  return EXIT_OK;
}

/* ---- domblklist: the disks of a domain's XML ---- */

static void
replace_str (char **slot, const char *value)
{
  g_free (*slot);
  *slot = g_strdup (value);
}

typedef struct {
  Table *table;
  gboolean details;
  int depth;      /* of the element being read */
  int disk_depth; /* of the <disk> being read, 0 outside one */
  char *type, *device, *target, *source;
} DiskList;

static void
disk_list_start (GMarkupParseContext *context, const char *element, const char **names, const char **values,
                 gpointer user_data, GError **error)
{
  DiskList *dl = user_data;

  dl->depth++;
  /* <domain><devices><disk>: depth 3; its own <source>/<target>: depth 4
   * (a <backingStore>'s <source> is deeper). */
  if (dl->depth == 3 && strcmp (element, "disk") == 0 &&
      strcmp (g_markup_parse_context_get_element_stack (context)->next->data, "devices") == 0) {
    dl->disk_depth = dl->depth;
    for (guint i = 0; names[i] != NULL; i++) {
      if (strcmp (names[i], "type") == 0)
        replace_str (&dl->type, values[i]);
      else if (strcmp (names[i], "device") == 0)
        replace_str (&dl->device, values[i]);
    }
  } else if (dl->disk_depth != 0 && dl->depth == dl->disk_depth + 1) {
    for (guint i = 0; names[i] != NULL; i++) {
      if (strcmp (element, "target") == 0 && strcmp (names[i], "dev") == 0)
        replace_str (&dl->target, values[i]);
      else if (strcmp (element, "source") == 0 && dl->source == NULL &&
               (strcmp (names[i], "file") == 0 || strcmp (names[i], "dev") == 0 || strcmp (names[i], "dir") == 0 ||
                strcmp (names[i], "volume") == 0 || strcmp (names[i], "name") == 0))
        replace_str (&dl->source, values[i]);
    }
  }
}

/* Forgets the disk being read. */
static void
disk_list_clear (DiskList *dl)
{
  dl->disk_depth = 0;
  g_clear_pointer (&dl->type, g_free);
  g_clear_pointer (&dl->device, g_free);
  g_clear_pointer (&dl->target, g_free);
  g_clear_pointer (&dl->source, g_free);
}

static void
disk_list_end (GMarkupParseContext *context, const char *element, gpointer user_data, GError **error)
{
  DiskList *dl = user_data;

  if (dl->disk_depth != 0 && dl->depth == dl->disk_depth) {
    const char *source = dl->source != NULL ? dl->source : "-";
    if (dl->details)
      table_add (dl->table, dl->type, dl->device, dl->target, source);
    else
      table_add (dl->table, dl->target, source);
    disk_list_clear (dl);
  }
  dl->depth--;
}

static int
cmd_domblklist (Ctx *ctx, Args *a)
{
  FIND_OR_RETURN (d, VirtbusDomain, VIRTBUS_TYPE_DOMAIN, arg (a, 0), "domain");
  static const GMarkupParser parser = { disk_list_start, disk_list_end, NULL, NULL, NULL };
  DiskList dl = { .details = opt (a, "--details") };
  g_autoptr(GMarkupParseContext) context = NULL;
  g_autoptr(Table) t = NULL;
  g_autofree char *xml = NULL;
  GError *error = NULL;

  xml = virtbus_object_get_xml_desc_sync (VIRTBUS_OBJECT (d), opt (a, "--inactive") ? XML_INACTIVE : 0, NULL,
                                          &error);
  if (xml == NULL)
    return fail (error);
  t = dl.details ? table_new (_("Type"), "type", _("Device"), "device", _("Target"), "target", _("Source"), "source",
                              NULL)
                 : table_new (_("Target"), "target", _("Source"), "source", NULL);
  dl.table = t;
  context = g_markup_parse_context_new (&parser, G_MARKUP_DEFAULT_FLAGS, &dl, NULL);
  if (!g_markup_parse_context_parse (context, xml, -1, &error) || !g_markup_parse_context_end_parse (context, &error)) {
    disk_list_clear (&dl);
    g_prefix_error (&error, _("cannot read the disks of the domain's XML: "));
    return fail (error);
  }
  table_print (ctx, t);
  return EXIT_OK;
}

static int
cmd_dumpxml (Ctx *ctx, Args *a)
{
  guint flags = (opt (a, "--security-info") ? XML_SECURE : 0) | (opt (a, "--inactive") ? XML_INACTIVE : 0) |
                (opt (a, "--update-cpu") ? XML_UPDATE_CPU : 0) | (opt (a, "--migratable") ? XML_MIGRATABLE : 0);

  return dumpxml (ctx, VIRTBUS_TYPE_DOMAIN, arg (a, 0), "domain", flags);
}

static int
run_editor (const char *path, GError **error)
{
  const char *editor = g_getenv ("VISUAL");
  g_autofree char *cmdline = NULL, *quoted = g_shell_quote (path);
  int status = 0;

  if (editor == NULL || editor[0] == '\0')
    editor = g_getenv ("EDITOR");
  if (editor == NULL || editor[0] == '\0')
    editor = "vi";
  /* Through the shell, since $EDITOR may carry arguments ("emacs -nw"). */
  cmdline = g_strdup_printf ("%s %s", editor, quoted);
  status = system (cmdline);
  if (status == -1 || !WIFEXITED (status) || WEXITSTATUS (status) != 0) {
    g_set_error (error, VIRTBUS_ERROR, VIRTBUS_ERROR_FAILED, _("the editor '%s' failed"), editor);
    return FALSE;
  }
  return TRUE;
}

static gboolean
ask_yes_no (const char *question)
{
  char line[64];

  for (;;) {
    g_print ("%s [y,n]: ", question);
    fflush (stdout);
    if (fgets (line, sizeof line, stdin) == NULL)
      return FALSE;
    if (line[0] == 'y' || line[0] == 'Y')
      return TRUE;
    if (line[0] == 'n' || line[0] == 'N')
      return FALSE;
  }
}

static int
cmd_edit (Ctx *ctx, Args *a)
{
  FIND_OR_RETURN (d, VirtbusDomain, VIRTBUS_TYPE_DOMAIN, arg (a, 0), "domain");
  g_autofree char *name = name_of (d), *orig = NULL, *tmp = NULL;
  GError *error = NULL;
  int fd;

  orig = virtbus_object_get_xml_desc_sync (VIRTBUS_OBJECT (d), XML_SECURE | XML_INACTIVE, NULL, &error);
  if (orig == NULL)
    return fail (error);
  fd = g_file_open_tmp ("virtbusctl-XXXXXX.xml", &tmp, &error);
  if (fd < 0)
    return fail (error);
  close (fd);
  if (!g_file_set_contents (tmp, orig, -1, &error)) {
    g_unlink (tmp);
    return fail (error);
  }
  for (;;) {
    g_autofree char *edited = NULL;
    g_autoptr(GVariant) reply = NULL;

    if (!run_editor (tmp, &error) || !g_file_get_contents (tmp, &edited, NULL, &error)) {
      g_unlink (tmp);
      return fail (error);
    }
    if (g_str_equal (edited, orig)) {
      g_unlink (tmp);
      done (ctx, _("Domain '%s' XML configuration not changed."), name);
      return EXIT_OK;
    }
    reply = virtbus_client_call_sync (ctx->client, "DomainDefineXML", g_variant_new ("(s)", edited), NULL, &error);
    if (reply != NULL) {
      g_unlink (tmp);
      pump ();
      done (ctx, _("Domain '%s' XML configuration edited."), name);
      return EXIT_OK;
    }
    g_printerr (_("error: %s\n"), error->message);
    if (exit_code_for (error) != EXIT_FAILED || !ask_yes_no (_("Failed. Try again?"))) {
      int code = exit_code_for (error);
      g_clear_error (&error);
      g_printerr (_("Changes left in %s\n"), tmp);
      return code;
    }
    g_clear_error (&error);
  }
}

enum {
  AFFECT_CURRENT = 0,
  AFFECT_LIVE = 1 << 0,
  AFFECT_CONFIG = 1 << 1,
};

static guint
affect_flags (Args *a)
{
  guint flags = AFFECT_CURRENT;

  if (opt (a, "--live"))
    flags |= AFFECT_LIVE;
  if (opt (a, "--config") || opt (a, "--persistent"))
    flags |= AFFECT_CONFIG;
  return flags;
}

/* "1024", "512M", "2G", "4096KiB" → KiB. */
static gboolean
parse_size_kib (const char *text, guint64 *kib)
{
  char *end = NULL;
  guint64 n = g_ascii_strtoull (text, &end, 10);
  guint64 mult = 1;

  if (end == text)
    return FALSE;
  if (*end == '\0' || g_ascii_strcasecmp (end, "k") == 0 || g_ascii_strcasecmp (end, "kib") == 0)
    mult = 1;
  else if (g_ascii_strcasecmp (end, "m") == 0 || g_ascii_strcasecmp (end, "mib") == 0)
    mult = 1024;
  else if (g_ascii_strcasecmp (end, "g") == 0 || g_ascii_strcasecmp (end, "gib") == 0)
    mult = 1024 * 1024;
  else
    return FALSE;
  *kib = n * mult;
  return TRUE;
}

static int
cmd_setmem (Ctx *ctx, Args *a)
{
  FIND_OR_RETURN (d, VirtbusDomain, VIRTBUS_TYPE_DOMAIN, arg (a, 0), "domain");
  g_autoptr(GVariant) reply = NULL;
  guint64 kib = 0;
  int code = EXIT_OK;

  if (!parse_size_kib (arg (a, 1), &kib))
    return failf (EXIT_USAGE, _("invalid memory size '%s'"), arg (a, 1));
  reply = call (VIRTBUS_OBJECT (d), "SetMemory", g_variant_new ("(tu)", kib, affect_flags (a)), &code);
  if (reply == NULL)
    return code;
  done (ctx, _("Memory of domain '%s' set to %" G_GUINT64_FORMAT " KiB"), arg (a, 0), kib);
  return EXIT_OK;
}

static int
cmd_setvcpus (Ctx *ctx, Args *a)
{
  FIND_OR_RETURN (d, VirtbusDomain, VIRTBUS_TYPE_DOMAIN, arg (a, 0), "domain");
  g_autoptr(GVariant) reply = NULL;
  char *end = NULL;
  guint64 n = g_ascii_strtoull (arg (a, 1), &end, 10);
  guint flags = affect_flags (a) | (opt (a, "--maximum") ? 1 << 2 : 0) | (opt (a, "--guest") ? 1 << 3 : 0);
  int code = EXIT_OK;

  if (end == arg (a, 1) || *end != '\0' || n == 0 || n > G_MAXUINT32)
    return failf (EXIT_USAGE, _("invalid vCPU count '%s'"), arg (a, 1));
  reply = call (VIRTBUS_OBJECT (d), "SetVcpus", g_variant_new ("(uu)", (guint) n, flags), &code);
  if (reply == NULL)
    return code;
  done (ctx, _("vCPUs of domain '%s' set to %u"), arg (a, 0), (guint) n);
  return EXIT_OK;
}

/* Typed parameters (a{sv}) one per line, "name: value". */
static void
print_params (Ctx *ctx, GVariant *dict)
{
  g_autoptr(Info) info = info_new ();
  GVariantIter iter;
  const char *key;
  GVariant *value;

  g_variant_iter_init (&iter, dict);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value)) {
    /* As their D-Bus type says: numbers, booleans ("yes"/"no"), strings. */
    g_autofree char *text = NULL;
    g_autofree char *json_key = NULL;
    const char *type = g_variant_get_type_string (value);

    if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING)) {
      text = g_variant_dup_string (value, NULL);
      json_key = g_strdup (key);
    } else if (g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN)) {
      text = g_strdup (yesno (g_variant_get_boolean (value)));
      json_key = g_strconcat (key, "?", NULL);
    } else if (strchr ("ynqiuxt", type[0]) != NULL && type[1] == '\0') {
      text = type[0] == 'y' ? g_strdup_printf ("%u", g_variant_get_byte (value)) : g_variant_print (value, FALSE);
      json_key = g_strconcat (key, "#", NULL);
    } else {
      text = g_variant_print (value, FALSE);
      json_key = g_strdup (key);
    }
    info_add (info, key, json_key, text);
    g_variant_unref (value);
  }
  info_print (ctx, info);
}

/* ---- NIC bandwidth ---- */

/* "AVERAGE[,PEAK[,BURST[,FLOOR]]]" (virsh's order; empty fields and a
 * trailing part may be left out, 0 lifts the direction) into @b as
 * @direction's parameters; FLOOR only inbound. */
static gboolean
add_rates (GVariantBuilder *b, const char *direction, const char *text)
{
  static const char *const fields[] = { "average", "peak", "burst", "floor" };
  g_auto(GStrv) parts = g_strsplit (text, ",", -1);
  guint max = g_str_equal (direction, "inbound") ? 4 : 3;

  if (g_strv_length (parts) == 0 || g_strv_length (parts) > max || *parts[0] == '\0') {
    failf (EXIT_USAGE, _("invalid --%s '%s' (AVERAGE[,PEAK[,BURST%s]])"), direction, text,
           max == 4 ? "[,FLOOR]" : "");
    return FALSE;
  }
  for (guint i = 0; parts[i] != NULL; i++) {
    g_autofree char *name = g_strdup_printf ("%s.%s", direction, fields[i]);
    guint64 v;

    if (*parts[i] == '\0')
      continue;
    if (!g_ascii_string_to_unsigned (parts[i], 10, 0, G_MAXUINT32, &v, NULL)) {
      failf (EXIT_USAGE, _("invalid %s '%s' (kilobytes/s, or KiB for the burst)"), name, parts[i]);
      return FALSE;
    }
    g_variant_builder_add (b, "{sv}", name, g_variant_new_uint32 ((guint32) v));
  }
  return TRUE;
}

static int
cmd_domiftune (Ctx *ctx, Args *a)
{
  FIND_OR_RETURN (d, VirtbusDomain, VIRTBUS_TYPE_DOMAIN, arg (a, 0), "domain");
  const char *in = opt_value (a, "--inbound");
  const char *out = opt_value (a, "--outbound");
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) dict = NULL;
  int code = EXIT_OK;

  if (in != NULL || out != NULL) {
    GVariantBuilder b;

    g_variant_builder_init (&b, G_VARIANT_TYPE ("a{sv}"));
    if ((in != NULL && !add_rates (&b, "inbound", in)) || (out != NULL && !add_rates (&b, "outbound", out))) {
      g_variant_builder_clear (&b);
      return EXIT_USAGE;
    }
    reply = call (VIRTBUS_OBJECT (d), "SetInterfaceParameters",
                  g_variant_new ("(sa{sv}u)", arg (a, 1), &b, affect_flags (a)), &code);
    if (reply == NULL)
      return code;
    done (ctx, _("bandwidth of interface '%s' of domain '%s' set"), arg (a, 1), arg (a, 0));
    return EXIT_OK;
  }
  reply = call (VIRTBUS_OBJECT (d), "GetInterfaceParameters", g_variant_new ("(su)", arg (a, 1), affect_flags (a)),
                &code);
  if (reply == NULL)
    return code;
  dict = g_variant_get_child_value (reply, 0);
  print_params (ctx, dict);
  return EXIT_OK;
}

/* ---- IOThreads ---- */

/* "0-2,5" of a CPU map (ab). */
static char *
cpumap_to_list (GVariant *map)
{
  GString *s = g_string_new (NULL);
  gsize n = g_variant_n_children (map);

  for (gsize i = 0; i < n;) {
    gboolean on;
    gsize j = i;

    g_variant_get_child (map, i, "b", &on);
    if (!on) {
      i++;
      continue;
    }
    for (;;) {
      gboolean next = FALSE;
      if (j + 1 < n)
        g_variant_get_child (map, j + 1, "b", &next);
      if (!next)
        break;
      j++;
    }
    g_string_append_printf (s, "%s%" G_GSIZE_FORMAT, s->len ? "," : "", i);
    if (j > i)
      g_string_append_printf (s, "-%" G_GSIZE_FORMAT, j);
    i = j + 1;
  }
  return g_string_free (s, FALSE);
}

/* A CPU list as virsh takes it ("0-2,5", "0-7,^3", "r" for none is not
 * one) into a map of @n_cpus; FALSE when malformed or beyond the host. */
static gboolean
cpulist_parse (const char *text, guint n_cpus, gboolean *map)
{
  g_auto(GStrv) items = g_strsplit (text, ",", -1);
  gboolean any = FALSE;

  memset (map, 0, n_cpus * sizeof *map);
  for (guint i = 0; items[i] != NULL; i++) {
    const char *p = items[i];
    gboolean exclude = *p == '^';
    guint64 lo, hi;
    char *end;

    if (exclude)
      p++;
    if (!g_ascii_isdigit (*p))
      return FALSE;
    lo = hi = g_ascii_strtoull (p, &end, 10);
    if (*end == '-' && !exclude) {
      if (!g_ascii_isdigit (end[1]))
        return FALSE;
      hi = g_ascii_strtoull (end + 1, &end, 10);
    }
    if (*end != '\0' || lo > hi || hi >= n_cpus)
      return FALSE;
    for (guint64 c = lo; c <= hi; c++)
      map[c] = !exclude;
    any |= !exclude;
  }
  return any;
}

static int
cmd_iothreadinfo (Ctx *ctx, Args *a)
{
  FIND_OR_RETURN (d, VirtbusDomain, VIRTBUS_TYPE_DOMAIN, arg (a, 0), "domain");
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) list = NULL;
  g_autoptr(Table) t = table_new (_("IOThread ID"), "id#", _("CPU Affinity"), "cpus", NULL);
  int code = EXIT_OK;

  reply = call (VIRTBUS_OBJECT (d), "GetIOThreadInfo", g_variant_new ("(u)", affect_flags (a)), &code);
  if (reply == NULL)
    return code;
  list = g_variant_get_child_value (reply, 0);
  for (gsize i = 0; i < g_variant_n_children (list); i++) {
    g_autoptr(GVariant) map = NULL;
    g_autofree char *id = NULL, *cpus = NULL;
    guint32 n;

    g_variant_get_child (list, i, "(u@ab)", &n, &map);
    id = g_strdup_printf ("%u", n);
    cpus = cpumap_to_list (map);
    table_add (t, id, cpus);
  }
  table_print (ctx, t);
  return EXIT_OK;
}

/* An IOThread id argument (1 and up). */
static gboolean
iothread_id_arg (const char *text, guint *id)
{
  char *end = NULL;
  guint64 n = g_ascii_strtoull (text, &end, 10);

  if (!g_ascii_isdigit (text[0]) || *end != '\0' || n == 0 || n > G_MAXINT)
    return FALSE;
  *id = (guint) n;
  return TRUE;
}

static int
iothread_op (Ctx *ctx, Args *a, gboolean add)
{
  FIND_OR_RETURN (d, VirtbusDomain, VIRTBUS_TYPE_DOMAIN, arg (a, 0), "domain");
  g_autoptr(GVariant) reply = NULL;
  int code = EXIT_OK;
  guint id;

  if (!iothread_id_arg (arg (a, 1), &id))
    return failf (EXIT_USAGE, _("invalid IOThread id '%s' (1 and up)"), arg (a, 1));
  reply = call (VIRTBUS_OBJECT (d), add ? "AddIOThread" : "DelIOThread", g_variant_new ("(uu)", id, affect_flags (a)),
                &code);
  if (reply == NULL)
    return code;
  if (add)
    done (ctx, _("IOThread %u added to domain '%s'"), id, arg (a, 0));
  else
    done (ctx, _("IOThread %u removed from domain '%s'"), id, arg (a, 0));
  return EXIT_OK;
}

static int
cmd_iothreadadd (Ctx *ctx, Args *a)
{
  return iothread_op (ctx, a, TRUE);
}

static int
cmd_iothreaddel (Ctx *ctx, Args *a)
{
  return iothread_op (ctx, a, FALSE);
}

static int
cmd_iothreadpin (Ctx *ctx, Args *a)
{
  FIND_OR_RETURN (d, VirtbusDomain, VIRTBUS_TYPE_DOMAIN, arg (a, 0), "domain");
  g_autoptr(GVariant) host = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autofree gboolean *map = NULL;
  GVariantBuilder b;
  int code = EXIT_OK;
  gsize n_cpus;
  guint id;

  if (!iothread_id_arg (arg (a, 1), &id))
    return failf (EXIT_USAGE, _("invalid IOThread id '%s' (1 and up)"), arg (a, 1));
  /* The map has one entry per host CPU. */
  host = connect_call (ctx, "NodeGetCPUMap", g_variant_new ("(u)", 0), &code);
  if (host == NULL)
    return code;
  {
    g_autoptr(GVariant) cpus = g_variant_get_child_value (host, 0);
    n_cpus = g_variant_n_children (cpus);
  }
  map = g_new0 (gboolean, MAX (n_cpus, 1));
  if (!cpulist_parse (arg (a, 2), (guint) n_cpus, map))
    return failf (EXIT_USAGE, _("invalid CPU list '%s' (the host has CPUs 0 to %" G_GSIZE_FORMAT ")"), arg (a, 2),
                  n_cpus - 1);
  g_variant_builder_init (&b, G_VARIANT_TYPE ("ab"));
  for (gsize i = 0; i < n_cpus; i++)
    g_variant_builder_add (&b, "b", map[i]);
  reply = call (VIRTBUS_OBJECT (d), "PinIOThread", g_variant_new ("(uabu)", id, &b, affect_flags (a)), &code);
  if (reply == NULL)
    return code;
  done (ctx, _("IOThread %u of domain '%s' pinned to CPUs %s"), id, arg (a, 0), arg (a, 2));
  return EXIT_OK;
}

static int
device_op (Ctx *ctx, Args *a, const char *method, const char *fmt)
{
  FIND_OR_RETURN (d, VirtbusDomain, VIRTBUS_TYPE_DOMAIN, arg (a, 0), "domain");
  GError *error = NULL;
  g_autofree char *xml = read_file (arg (a, 1), &error);
  g_autoptr(GVariant) reply = NULL;
  int code = EXIT_OK;

  if (xml == NULL)
    return fail (error);
  reply = call (VIRTBUS_OBJECT (d), method, g_variant_new ("(su)", xml, affect_flags (a)), &code);
  if (reply == NULL)
    return code;
  done (ctx, "%s", fmt);
  return EXIT_OK;
}

static int
cmd_attach_device (Ctx *ctx, Args *a)
{
  return device_op (ctx, a, "AttachDevice", _("Device attached successfully"));
}

static int
cmd_detach_device (Ctx *ctx, Args *a)
{
  return device_op (ctx, a, "DetachDevice", _("Device detached successfully"));
}

static int
cmd_autostart (Ctx *ctx, Args *a);

static char *
variant_to_text (GVariant *v)
{
  if (g_variant_is_of_type (v, G_VARIANT_TYPE_STRING))
    return g_variant_dup_string (v, NULL);
  return g_variant_print (v, FALSE);
}

static void
stats_to_json (JsonBuilder *b, GVariant *stats)
{
  GVariantIter iter;
  const char *key;
  GVariant *value;

  json_builder_begin_object (b);
  g_variant_iter_init (&iter, stats);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value)) {
    json_builder_set_member_name (b, key);
    json_builder_add_value (b, json_gvariant_serialize (value));
    g_variant_unref (value);
  }
  json_builder_end_object (b);
}

static void
print_stats (const char *name, GVariant *stats)
{
  GVariantIter iter;
  const char *key;
  GVariant *value;

  g_print ("Domain: '%s'\n", name);
  g_variant_iter_init (&iter, stats);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value)) {
    g_autofree char *text = variant_to_text (value);
    g_print ("  %s=%s\n", key, text);
    g_variant_unref (value);
  }
  g_print ("\n");
}

static int
cmd_domstats (Ctx *ctx, Args *a)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(GPtrArray) doms = g_ptr_array_new_with_free_func (g_object_unref);

  if (nargs (a) == 0) {
    GListModel *m = virtbus_client_get_domains (ctx->client);
    for (guint i = 0; i < g_list_model_get_n_items (m); i++)
      g_ptr_array_add (doms, g_list_model_get_item (m, i));
  }
  for (guint i = 0; i < nargs (a); i++) {
    FIND_OR_RETURN (d, VirtbusDomain, VIRTBUS_TYPE_DOMAIN, arg (a, i), "domain");
    g_ptr_array_add (doms, g_object_ref (d));
  }
  json_builder_begin_object (b);
  for (guint i = 0; i < doms->len; i++) {
    VirtbusObject *d = g_ptr_array_index (doms, i);
    g_autofree char *name = name_of (d);
    g_autoptr(GVariant) reply = NULL;
    g_autoptr(GVariant) stats = NULL;
    int code = EXIT_OK;

    reply = call (d, "GetStats", g_variant_new ("(uu)", 0, 0), &code);
    if (reply == NULL)
      return code;
    stats = g_variant_get_child_value (reply, 0);
    if (ctx->json) {
      json_builder_set_member_name (b, name);
      stats_to_json (b, stats);
    } else {
      print_stats (name, stats);
    }
  }
  json_builder_end_object (b);
  if (ctx->json) {
    g_autoptr(JsonNode) root = json_builder_get_root (b);
    print_json (root);
  }
  return EXIT_OK;
}

static int
cmd_domifaddr (Ctx *ctx, Args *a)
{
  FIND_OR_RETURN (d, VirtbusDomain, VIRTBUS_TYPE_DOMAIN, arg (a, 0), "domain");
  g_autoptr(Table) t = table_new ("Name", "name", "MAC address", "mac", "Protocol", "protocol", "Address",
                                  "address", NULL);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariantIter) ifaces = NULL;
  const char *source = opt_value (a, "--source");
  guint src = 0;
  const char *ifname, *mac;
  GVariantIter *addrs;
  int code = EXIT_OK;

  if (source != NULL) {
    if (g_str_equal (source, "lease"))
      src = 0;
    else if (g_str_equal (source, "agent"))
      src = 1;
    else if (g_str_equal (source, "arp"))
      src = 2;
    else
      return failf (EXIT_USAGE, _("invalid --source '%s' (lease, agent or arp)"), source);
  }
  reply = call (VIRTBUS_OBJECT (d), "InterfaceAddresses", g_variant_new ("(uu)", src, 0), &code);
  if (reply == NULL)
    return code;
  g_variant_get (reply, "(a(ssa(isu)))", &ifaces);
  while (g_variant_iter_next (ifaces, "(&s&sa(isu))", &ifname, &mac, &addrs)) {
    gint32 type;
    const char *addr;
    guint32 prefix;
    while (g_variant_iter_next (addrs, "(i&su)", &type, &addr, &prefix)) {
      g_autofree char *full = g_strdup_printf ("%s/%u", addr, prefix);
      table_add (t, ifname, mac, type == 0 ? "ipv4" : "ipv6", full);
    }
    g_variant_iter_free (addrs);
  }
  table_print (ctx, t);
  return EXIT_OK;
}

static int
cmd_domhostname (Ctx *ctx, Args *a)
{
  FIND_OR_RETURN (d, VirtbusDomain, VIRTBUS_TYPE_DOMAIN, arg (a, 0), "domain");
  g_autoptr(GVariant) reply = NULL;
  const char *source = opt_value (a, "--source");
  const char *name;
  guint flags = 0;
  int code = EXIT_OK;

  if (source != NULL) {
    if (g_str_equal (source, "lease"))
      flags = 1 << 0;
    else if (g_str_equal (source, "agent"))
      flags = 1 << 1;
    else
      return failf (EXIT_USAGE, _("invalid --source '%s' (lease or agent)"), source);
  }
  reply = call (VIRTBUS_OBJECT (d), "GetHostname", g_variant_new ("(u)", flags), &code);
  if (reply == NULL)
    return code;
  g_variant_get (reply, "(&s)", &name);
  print_text (ctx, "hostname", name);
  return EXIT_OK;
}

/* ---- console ---- */

/* Console relay.  Both directions are non-blocking: the guest's UART stalls
 * when nobody reads the console socket, and QEMU stops reading the socket
 * when the guest does not read its tty, so a blocking write towards the
 * guest could leave both sides waiting for each other.  Input waiting for
 * the guest is queued; stdin is not read while the queue is full. */

#define CONSOLE_ESCAPE 0x1d /* Ctrl+] */
#define CONSOLE_QUEUE_MAX (64 * 1024)

typedef struct {
  GMainLoop *loop;
  GIOStream *stream;
  GByteArray *to_guest; /* read from stdin, not yet accepted by the console */
  GSource *out_source; /* waits for the console to accept more, while to_guest is not empty */
  guint stdin_id;
  guint linger_id;
  guint linger_ms;
  gboolean tty;
  gboolean stdin_done;
  int result;
} Console;

static gboolean on_stdin (int fd, GIOCondition cond, gpointer user_data);

static void
console_quit (Console *c, int result)
{
  if (c->result == EXIT_OK)
    c->result = result;
  g_main_loop_quit (c->loop);
}

static gboolean
on_linger_over (gpointer user_data)
{
  Console *c = user_data;

  c->linger_id = 0;
  console_quit (c, EXIT_OK);
  return G_SOURCE_REMOVE;
}

/* Once stdin (not a terminal) is exhausted and everything it gave was sent,
 * the guest's answer is still relayed until the console has been quiet for
 * linger_ms. */
static void
console_restart_linger (Console *c)
{
  if (!c->stdin_done || c->to_guest->len > 0)
    return;
  g_clear_handle_id (&c->linger_id, g_source_remove);
  c->linger_id = g_timeout_add (c->linger_ms, on_linger_over, c);
}

static void
console_watch_stdin (Console *c)
{
  if (c->stdin_id == 0 && !c->stdin_done)
    c->stdin_id = g_unix_fd_add (STDIN_FILENO, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, c);
}

static gboolean on_console_writable (GObject *stream, gpointer user_data);

static void
console_flush (Console *c)
{
  GPollableOutputStream *out = G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (c->stream));

  while (c->to_guest->len > 0) {
    g_autoptr(GError) error = NULL;
    gssize n = g_pollable_output_stream_write_nonblocking (out, c->to_guest->data, c->to_guest->len, NULL, &error);

    if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
      if (c->out_source == NULL) {
        c->out_source = g_pollable_output_stream_create_source (out, NULL);
        g_source_set_callback (c->out_source, G_SOURCE_FUNC (on_console_writable), c, NULL);
        g_source_attach (c->out_source, NULL);
      }
      return;
    }
    if (n < 0) {
      g_printerr (_("\nerror: cannot write to the console: %s\n"), error->message);
      console_quit (c, EXIT_FAILED);
      return;
    }
    g_byte_array_remove_range (c->to_guest, 0, n);
  }
  if (c->out_source != NULL) {
    g_source_destroy (c->out_source);
    g_clear_pointer (&c->out_source, g_source_unref);
  }
  console_watch_stdin (c);
  console_restart_linger (c);
}

static gboolean
on_console_writable (GObject *stream, gpointer user_data)
{
  /* console_flush destroys this source once the queue is empty (GLib keeps
   * it alive until this dispatch returns). */
  console_flush (user_data);
  return G_SOURCE_CONTINUE;
}

static void
console_stdin_done (Console *c)
{
  c->stdin_done = TRUE;
  g_clear_handle_id (&c->stdin_id, g_source_remove);
  /* A terminal that hangs up ends the session; a pipe or file only ends the
   * input. */
  if (c->tty)
    console_quit (c, EXIT_OK);
  else
    console_restart_linger (c);
}

static gboolean
on_stdin (int fd, GIOCondition cond, gpointer user_data)
{
  Console *c = user_data;
  char buf[4096];
  gssize n;
  char *esc;

  n = read (fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return G_SOURCE_CONTINUE;
  if (n <= 0) {
    c->stdin_id = 0;
    console_stdin_done (c);
    return G_SOURCE_REMOVE;
  }
  esc = memchr (buf, CONSOLE_ESCAPE, n);
  if (esc != NULL) {
    /* What was typed before the escape still goes to the guest, but we do
     * not wait for a stalled guest to take it. */
    g_byte_array_append (c->to_guest, (guint8 *) buf, esc - buf);
    console_flush (c);
    c->stdin_id = 0;
    console_quit (c, EXIT_OK);
    return G_SOURCE_REMOVE;
  }
  g_byte_array_append (c->to_guest, (guint8 *) buf, n);
  console_flush (c);
  if (c->to_guest->len >= CONSOLE_QUEUE_MAX) {
    /* console_flush watches stdin again once the guest caught up. */
    c->stdin_id = 0;
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

/* Writes everything, also to a non-blocking stdout. */
static gboolean
write_all_fd (int fd, const char *data, gsize len)
{
  while (len > 0) {
    gssize n = write (fd, data, len);

    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && errno == EAGAIN) {
      GPollFD pfd = { .fd = fd, .events = G_IO_OUT };
      g_poll (&pfd, 1, -1);
      continue;
    }
    if (n <= 0)
      return FALSE;
    data += n;
    len -= n;
  }
  return TRUE;
}

static gboolean
on_console (GObject *stream, gpointer user_data)
{
  Console *c = user_data;
  g_autoptr(GError) error = NULL;
  char buf[4096];
  gssize n = g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (stream), buf, sizeof buf, NULL,
                                                       &error);

  if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    return G_SOURCE_CONTINUE;
  if (n < 0) {
    g_printerr (_("\nerror: cannot read the console: %s\n"), error->message);
    console_quit (c, EXIT_FAILED);
    return G_SOURCE_REMOVE;
  }
  if (n == 0) {
    /* The domain stopped, or its console went away. */
    g_printerr (_("\nThe console was closed by the domain.\n"));
    console_quit (c, EXIT_OK);
    return G_SOURCE_REMOVE;
  }
  if (!write_all_fd (STDOUT_FILENO, buf, n)) {
    console_quit (c, EXIT_FAILED);
    return G_SOURCE_REMOVE;
  }
  if (c->linger_id != 0)
    console_restart_linger (c);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_console_signal (gpointer user_data)
{
  Console *c = user_data;

  /* Leave through the normal path so the terminal is restored. */
  console_quit (c, EXIT_FAILED);
  return G_SOURCE_CONTINUE;
}

static int
cmd_console (Ctx *ctx, Args *a)
{
  FIND_OR_RETURN (d, VirtbusDomain, VIRTBUS_TYPE_DOMAIN, arg (a, 0), "domain");
  g_autofree char *name = name_of (d);
  GError *error = NULL;
  Console c = { 0 };
  struct termios saved, raw;
  gboolean raw_mode = FALSE;
  g_autoptr(GSource) source = NULL;
  const char *linger = opt_value (a, "--linger");
  guint signal_ids[3];
  const int signals[3] = { SIGHUP, SIGINT, SIGTERM };
  guint64 linger_s = 2;

  if (linger != NULL && !g_ascii_string_to_unsigned (linger, 10, 0, 3600, &linger_s, NULL))
    return failf (EXIT_USAGE, _("invalid --linger '%s' (seconds, 0 to 3600)"), linger);
  if (!virtbus_domain_has_console (d))
    return failf (EXIT_UNAVAILABLE,
                  _("the console of domain '%s' is not available on this connection "
                    "(it does not offer org.virtbus.Domain.OpenConsole; use a qemu:// connection)"),
                  name);
  c.stream = virtbus_domain_open_console_sync (d, 0, NULL, &error);
  if (c.stream == NULL)
    return fail (error);
  c.loop = g_main_loop_new (NULL, FALSE);
  c.to_guest = g_byte_array_new ();
  c.linger_ms = (guint) linger_s * 1000;
  c.tty = isatty (STDIN_FILENO);
  g_printerr (_("Connected to domain '%s'\nEscape character is ^] (Ctrl + ])\n"), name);
  if (c.tty && tcgetattr (STDIN_FILENO, &saved) == 0) {
    raw = saved;
    cfmakeraw (&raw);
    raw_mode = tcsetattr (STDIN_FILENO, TCSAFLUSH, &raw) == 0;
  }
  /* A serial console has no window size, so SIGWINCH needs nothing. */
  for (guint i = 0; i < G_N_ELEMENTS (signals); i++)
    signal_ids[i] = g_unix_signal_add (signals[i], on_console_signal, &c);
  console_watch_stdin (&c);
  source = g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (c.stream)),
                                                  NULL);
  g_source_set_callback (source, G_SOURCE_FUNC (on_console), &c, NULL);
  g_source_attach (source, NULL);
  g_main_loop_run (c.loop);
  g_source_destroy (source);
  g_clear_handle_id (&c.stdin_id, g_source_remove);
  g_clear_handle_id (&c.linger_id, g_source_remove);
  if (c.out_source != NULL) {
    g_source_destroy (c.out_source);
    g_clear_pointer (&c.out_source, g_source_unref);
  }
  for (guint i = 0; i < G_N_ELEMENTS (signals); i++)
    g_source_remove (signal_ids[i]);
  if (raw_mode)
    tcsetattr (STDIN_FILENO, TCSADRAIN, &saved);
  g_printerr ("\n");
  g_io_stream_close (c.stream, NULL, NULL);
  g_object_unref (c.stream);
  g_byte_array_unref (c.to_guest);
  g_main_loop_unref (c.loop);
  return c.result;
}

/* migrate: org.virtbus.Domain.Migrate (virDomainMigrateFlags, VIR_MIGRATE_PARAM_* names). */
static int
cmd_migrate (Ctx *ctx, Args *a)
{
  FIND_OR_RETURN (d, VirtbusDomain, VIRTBUS_TYPE_DOMAIN, arg (a, 0), "domain");
  static const OptFlag flag_opts[] = {
    { "--live", 1 << 0 }, { "--persistent", 1 << 3 }, { "--undefinesource", 1 << 4 },
    { "--suspend", 1 << 5 }, { "--offline", 1 << 10 }, { "--postcopy", 1 << 15 },
  };
  static const struct {
    const char *opt;
    const char *param;
  } string_opts[] = {
    { "--migrateuri", "migrate_uri" }, { "--dname", "destination_name" },
  };
  g_autofree char *name = name_of (d);
  g_autoptr(GDBusInterface) proxy = g_dbus_object_get_interface (virtbus_object_get_dbus_object (VIRTBUS_OBJECT (d)),
                                                                 "org.virtbus.Domain");
  g_autoptr(GVariant) reply = NULL;
  GVariantBuilder params;
  GError *error = NULL;
  guint flags = 0;
  int code = EXIT_OK;
  const char *value;

  if (proxy == NULL)
    return failf (EXIT_UNAVAILABLE,
                  _("migration of domain '%s' is not available on this connection "
                    "(it does not offer org.virtbus.Domain.Migrate; use a qemu:// connection)"),
                  name);
  flags = opt_flags (a, flag_opts, G_N_ELEMENTS (flag_opts));
  g_variant_builder_init (&params, G_VARIANT_TYPE ("a{sv}"));
  for (guint i = 0; i < G_N_ELEMENTS (string_opts); i++)
    if ((value = opt_value (a, string_opts[i].opt)) != NULL)
      g_variant_builder_add (&params, "{sv}", string_opts[i].param, g_variant_new_string (value));
  if ((value = opt_value (a, "--xml")) != NULL) {
    g_autofree char *xml = read_file (value, &error);
    if (xml == NULL) {
      g_variant_builder_clear (&params);
      return fail (error);
    }
    g_variant_builder_add (&params, "{sv}", "destination_xml", g_variant_new_string (xml));
  }
  if ((value = opt_value (a, "--bandwidth")) != NULL) {
    guint64 mib;
    if (!g_ascii_string_to_unsigned (value, 10, 1, G_MAXUINT64, &mib, NULL)) {
      g_variant_builder_clear (&params);
      return failf (EXIT_USAGE, _("invalid --bandwidth '%s' (MiB/s, above 0)"), value);
    }
    g_variant_builder_add (&params, "{sv}", "bandwidth", g_variant_new_uint64 (mib));
  }
  /* Migrations take as long as they take: no D-Bus timeout; progress
   * and Ctrl+C as for save. */
  reply = call_job (ctx, proxy, VIRTBUS_OBJECT (d), _("Migration"), "Migrate",
                    g_variant_new ("(sa{sv}u)", arg (a, 1), &params, flags), &code);
  if (reply == NULL)
    return code;
  done (ctx, _("Domain '%s' migrated to %s"), name, arg (a, 1));
  return EXIT_OK;
}

/* ---- snapshots ---- */

/* Appends @format to @xml with every string argument escaped for XML. */
static void G_GNUC_PRINTF (2, 3)
xml_append (GString *xml, const char *format, ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_markup_vprintf_escaped (format, args);
  va_end (args);
  g_string_append (xml, text);
}

/* virsh's --diskspec: DISK[,snapshot=internal|external|no][,driver=FORMAT]
 * [,stype=file|block][,file=PATH], ",," for a comma in a value; appends
 * its <disk> to @xml. */
static gboolean
append_diskspec (GString *xml, const char *spec)
{
  g_autoptr(GPtrArray) fields = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) cur = g_string_new (NULL);
  const char *snapshot = NULL, *driver = NULL, *stype = NULL, *file = NULL;

  for (const char *p = spec;; p++) {
    if (*p == ',' && p[1] == ',') {
      g_string_append_c (cur, ',');
      p++;
    } else if (*p == ',' || *p == '\0') {
      g_ptr_array_add (fields, g_string_free (g_steal_pointer (&cur), FALSE));
      cur = g_string_new (NULL);
      if (*p == '\0')
        break;
    } else {
      g_string_append_c (cur, *p);
    }
  }
  if (*(const char *) g_ptr_array_index (fields, 0) == '\0') {
    g_printerr (_("error: --diskspec '%s' names no disk\n"), spec);
    return FALSE;
  }
  for (guint i = 1; i < fields->len; i++) {
    const char *f = g_ptr_array_index (fields, i);
    if (g_str_has_prefix (f, "snapshot="))
      snapshot = f + strlen ("snapshot=");
    else if (g_str_has_prefix (f, "driver="))
      driver = f + strlen ("driver=");
    else if (g_str_has_prefix (f, "stype="))
      stype = f + strlen ("stype=");
    else if (g_str_has_prefix (f, "file="))
      file = f + strlen ("file=");
    else {
      g_printerr (_("error: --diskspec '%s': unknown field '%s' (snapshot=, driver=, stype=, file=)\n"), spec, f);
      return FALSE;
    }
  }
  if (stype != NULL && strcmp (stype, "file") != 0 && strcmp (stype, "block") != 0) {
    g_printerr (_("error: --diskspec '%s': stype is file or block\n"), spec);
    return FALSE;
  }
  xml_append (xml, "<disk name='%s'", (const char *) g_ptr_array_index (fields, 0));
  if (snapshot != NULL)
    xml_append (xml, " snapshot='%s'", snapshot);
  if (stype != NULL)
    xml_append (xml, " type='%s'", stype);
  g_string_append (xml, ">");
  if (driver != NULL)
    xml_append (xml, "<driver type='%s'/>", driver);
  if (file != NULL)
    xml_append (xml, "<source %s='%s'/>", g_strcmp0 (stype, "block") == 0 ? "dev" : "file", file);
  g_string_append (xml, "</disk>");
  return TRUE;
}

/* virsh's --memspec: [file=]PATH[,snapshot=external|internal|no], ",,"
 * for a comma in the path; appends its <memory> to @xml. */
static gboolean
append_memspec (GString *xml, const char *spec)
{
  g_autoptr(GString) file = g_string_new (NULL);
  const char *snapshot = NULL;
  const char *p = spec;

  if (g_str_has_prefix (p, "file="))
    p += strlen ("file=");
  for (; *p != '\0'; p++) {
    if (*p == ',' && p[1] == ',') {
      g_string_append_c (file, ',');
      p++;
    } else if (*p == ',') {
      break;
    } else {
      g_string_append_c (file, *p);
    }
  }
  if (*p == ',') {
    p++;
    if (!g_str_has_prefix (p, "snapshot=") || strchr (p, ',') != NULL) {
      g_printerr (_("error: --memspec '%s': unknown field '%s' ([file=]PATH[,snapshot=TYPE])\n"), spec, p);
      return FALSE;
    }
    snapshot = p + strlen ("snapshot=");
  }
  if (snapshot == NULL)
    snapshot = file->len > 0 ? "external" : NULL;
  if (snapshot == NULL) {
    g_printerr (_("error: --memspec '%s' names no file\n"), spec);
    return FALSE;
  }
  xml_append (xml, "<memory snapshot='%s'", snapshot);
  if (file->len > 0)
    xml_append (xml, " file='%s'", file->str);
  g_string_append (xml, "/>");
  return TRUE;
}

static int
cmd_snapshot_create_as (Ctx *ctx, Args *a)
{
  FIND_OR_RETURN (d, VirtbusDomain, VIRTBUS_TYPE_DOMAIN, arg (a, 0), "domain");
  const char *name = arg (a, 1) != NULL ? arg (a, 1) : opt_value (a, "--name");
  const char *desc = opt_value (a, "--description");
  static const OptFlag flag_opts[] = {
    { "--no-metadata", 1 << 2 }, { "--halt", 1 << 3 }, { "--disk-only", 1 << 4 },
    { "--reuse-external", 1 << 5 }, { "--quiesce", 1 << 6 }, { "--live", 1 << 8 },
  };
  GPtrArray *specs = opt_values (a, "--diskspec");
  const char *memspec = opt_value (a, "--memspec");
  g_autoptr(GString) xml = g_string_new ("<domainsnapshot>");
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *created = NULL;
  VirtbusObject *snap;
  int code = EXIT_OK;

  if (name != NULL)
    xml_append (xml, "<name>%s</name>", name);
  if (desc != NULL)
    xml_append (xml, "<description>%s</description>", desc);
  if (memspec != NULL && !append_memspec (xml, memspec))
    return EXIT_USAGE;
  if (specs != NULL) {
    g_string_append (xml, "<disks>");
    for (guint i = 0; i < specs->len; i++)
      if (!append_diskspec (xml, g_ptr_array_index (specs, i)))
        return EXIT_USAGE;
    g_string_append (xml, "</disks>");
  }
  g_string_append (xml, "</domainsnapshot>");
  reply = call (VIRTBUS_OBJECT (d), "SnapshotCreateXML",
                g_variant_new ("(su)", xml->str, opt_flags (a, flag_opts, G_N_ELEMENTS (flag_opts))), &code);
  if (reply == NULL)
    return code;
  snap = object_from_path_reply (ctx, reply);
  created = snap != NULL ? virtbus_object_dup_name (snap) : g_strdup (name);
  done (ctx, _("Domain snapshot %s created"), created);
  return EXIT_OK;
}

static int
cmd_snapshot_list (Ctx *ctx, Args *a)
{
  FIND_OR_RETURN (d, VirtbusDomain, VIRTBUS_TYPE_DOMAIN, arg (a, 0), "domain");
  g_autoptr(Table) t = table_new ("Name", "name", "Creation Time", "creation_time", "State", "state", NULL);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariantIter) iter = NULL;
  const char *path;
  int code = EXIT_OK;

  reply = call (VIRTBUS_OBJECT (d), "ListDomainSnapshots", g_variant_new ("(u)", 0), &code);
  if (reply == NULL)
    return code;
  g_variant_get (reply, "(ao)", &iter);
  while (g_variant_iter_next (iter, "&o", &path)) {
    VirtbusObject *snap = virtbus_client_lookup_object (ctx->client, path);
    g_autofree char *name = NULL, *xml = NULL, *ctime_s = NULL, *state = NULL, *when = NULL;

    if (snap == NULL)
      continue;
    name = virtbus_object_dup_name (snap);
    xml = virtbus_object_get_xml_desc_sync (snap, 0, NULL, NULL);
    if (xml != NULL) {
      ctime_s = xml_number (xml, "creationTime");
      state = xml_text (xml, "state");
    }
    if (ctime_s != NULL) {
      g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (g_ascii_strtoll (ctime_s, NULL, 10));
      when = dt != NULL ? g_date_time_format (dt, "%Y-%m-%d %H:%M:%S %z") : NULL;
    }
    table_add (t, name, when, state);
  }
  table_print (ctx, t);
  return EXIT_OK;
}

static VirtbusObject *
find_snapshot (Ctx *ctx, Args *a, int *code)
{
  int dcode = EXIT_OK;
  VirtbusObject *d = find_object (ctx, VIRTBUS_TYPE_DOMAIN, arg (a, 0), "domain", &dcode);
  g_autoptr(GVariant) reply = NULL;
  VirtbusObject *snap;

  if (d == NULL) {
    *code = dcode;
    return NULL;
  }
  reply = call (d, "SnapshotLookupByName", g_variant_new ("(su)", arg (a, 1), 0), code);
  if (reply == NULL)
    return NULL;
  snap = object_from_path_reply (ctx, reply);
  if (snap == NULL)
    *code = failf (EXIT_NOT_FOUND, _("snapshot '%s' not found"), arg (a, 1));
  return snap;
}

static int
snapshot_op (Ctx *ctx, Args *a, const char *method, guint flags, const char *fmt)
{
  int code = EXIT_OK;
  VirtbusObject *snap = find_snapshot (ctx, a, &code);
  g_autoptr(GVariant) reply = NULL;

  if (snap == NULL)
    return code;
  reply = call (snap, method, g_variant_new ("(u)", flags), &code);
  if (reply == NULL)
    return code;
  done_with (ctx, fmt, arg (a, 1), NULL);
  return EXIT_OK;
}

static int
cmd_snapshot_revert (Ctx *ctx, Args *a)
{
  static const OptFlag flag_opts[] = { { "--running", 1 << 0 }, { "--paused", 1 << 1 }, { "--force", 1 << 2 } };

  return snapshot_op (ctx, a, "Revert", opt_flags (a, flag_opts, G_N_ELEMENTS (flag_opts)),
                      _("Domain snapshot %s reverted"));
}

static int
cmd_snapshot_delete (Ctx *ctx, Args *a)
{
  static const OptFlag flag_opts[] = {
    { "--children", 1 << 0 }, { "--metadata", 1 << 1 }, { "--children-only", 1 << 2 },
  };

  return snapshot_op (ctx, a, "Delete", opt_flags (a, flag_opts, G_N_ELEMENTS (flag_opts)),
                      opt (a, "--children-only") ? _("Children of domain snapshot %s deleted")
                                                 : _("Domain snapshot %s deleted"));
}

/* ---- host ---- */

/* A Connect method that answers one XML document: prints it. */
static int
print_connect_xml (Ctx *ctx, const char *method, GVariant *params)
{
  g_autoptr(GVariant) reply = NULL;
  const char *xml;
  int code = EXIT_OK;

  reply = connect_call (ctx, method, params, &code);
  if (reply == NULL)
    return code;
  g_variant_get (reply, "(&s)", &xml);
  print_text (ctx, "xml", xml);
  return EXIT_OK;
}

static int
cmd_capabilities (Ctx *ctx, Args *a)
{
  return print_connect_xml (ctx, "GetCapabilities", NULL);
}

static int
cmd_nodeinfo (Ctx *ctx, Args *a)
{
  g_autoptr(GVariant) caps = NULL, mem = NULL;
  g_autoptr(Info) info = info_new ();
  g_autofree char *arch = NULL, *model = NULL, *total = NULL, *cpus = NULL, *cells = NULL;
  const char *xml;
  guint64 value;
  const char *key;
  GVariantIter iter;
  int code = EXIT_OK;

  caps = connect_call (ctx, "GetCapabilities", NULL, &code);
  if (caps == NULL)
    return code;
  g_variant_get (caps, "(&s)", &xml);
  arch = xml_text (xml, "arch");
  model = xml_text (xml, "model");
  {
    g_autoptr(GRegex) re = g_regex_new ("<cpus num=['\"](\\d+)['\"]", 0, 0, NULL);
    g_autoptr(GMatchInfo) m = NULL;
    guint n = 0;
    g_regex_match (re, xml, 0, &m);
    while (g_match_info_matches (m)) {
      g_autofree char *num = g_match_info_fetch (m, 1);
      n += (guint) g_ascii_strtoull (num, NULL, 10);
      g_match_info_next (m, NULL);
    }
    cpus = n > 0 ? g_strdup_printf ("%u", n) : NULL;
  }
  {
    g_autoptr(GRegex) re = g_regex_new ("<cells num=['\"](\\d+)['\"]", 0, 0, NULL);
    g_autoptr(GMatchInfo) m = NULL;
    if (g_regex_match (re, xml, 0, &m))
      cells = g_match_info_fetch (m, 1);
  }
  mem = virtbus_client_call_sync (ctx->client, "NodeGetMemoryStats", g_variant_new ("(iu)", -1, 0), NULL, NULL);
  if (mem != NULL) {
    g_autoptr(GVariant) dict = g_variant_get_child_value (mem, 0);
    g_variant_iter_init (&iter, dict);
    while (g_variant_iter_next (&iter, "{&st}", &key, &value))
      if (g_str_equal (key, "total"))
        total = g_strdup_printf ("%" G_GUINT64_FORMAT, value);
  }
  info_add (info, _("CPU model"), "cpu_model", arch);
  info_add (info, _("CPU(s)"), "cpus#", cpus);
  info_add (info, _("CPU model name"), "cpu_model_name", model);
  info_add (info, _("NUMA cell(s)"), "numa_cells#", cells);
  info_add (info, _("Memory size (KiB)"), "memory_kib#", total);
  info_print (ctx, info);
  return EXIT_OK;
}

static int
cmd_hostname (Ctx *ctx, Args *a)
{
  g_autofree char *host = virtbus_client_dup_hostname (ctx->client);

  print_text (ctx, "hostname", host != NULL ? host : "");
  return EXIT_OK;
}

static char *
format_version (guint64 v)
{
  return g_strdup_printf ("%u.%u.%u", (guint) (v / 1000000), (guint) (v / 1000 % 1000), (guint) (v % 1000));
}

static int
cmd_sysinfo (Ctx *ctx, Args *a)
{
  return print_connect_xml (ctx, "GetSysinfo", g_variant_new ("(u)", 0));
}

static int
cmd_domcapabilities (Ctx *ctx, Args *a)
{
  const char *emulator = opt_value (a, "--emulator"), *arch = opt_value (a, "--arch");
  const char *machine = opt_value (a, "--machine"), *virttype = opt_value (a, "--virttype");

  return print_connect_xml (ctx, "GetDomainCapabilities",
                            g_variant_new ("(ssssu)", emulator ? emulator : "", arch ? arch : "",
                                           machine ? machine : "", virttype ? virttype : "", 0));
}

static int
cmd_cpu_models (Ctx *ctx, Args *a)
{
  g_autoptr(GVariant) reply = NULL;
  g_autofree const char **names = NULL;
  int code = EXIT_OK;

  reply = connect_call (ctx, "GetCPUModelNames", g_variant_new ("(su)", arg (a, 0), 0), &code);
  if (reply == NULL)
    return code;
  g_variant_get (reply, "(^a&s)", &names);
  if (ctx->json) {
    g_autoptr(JsonBuilder) b = json_builder_new ();
    g_autoptr(JsonNode) root = NULL;

    json_builder_begin_array (b);
    for (guint i = 0; names[i] != NULL; i++)
      json_builder_add_string_value (b, names[i]);
    json_builder_end_array (b);
    root = json_builder_get_root (b);
    print_json (root);
  } else {
    for (guint i = 0; names[i] != NULL; i++)
      g_print ("%s\n", names[i]);
  }
  return EXIT_OK;
}

/* The <cpu> elements of a file, as virsh finds them: a <cpu> document,
 * or the first <cpu> of a domain's or capabilities' XML (their host CPU),
 * or several <cpu> elements one after another (cpu-baseline). */
static GPtrArray *
cpu_elements (const char *xml, gboolean all)
{
  GPtrArray *found = g_ptr_array_new_with_free_func (g_free);
  const char *p = xml;

  while ((p = strstr (p, "<cpu")) != NULL) {
    const char *start = p, *end;
    char next = p[4];

    p += 4;
    if (next != '>' && next != '/' && !g_ascii_isspace (next))
      continue; /* <cpus>, <cputune> */
    end = strchr (p, '>');
    if (end == NULL)
      break;
    if (end[-1] == '/') {
      end++;
    } else {
      end = strstr (end, "</cpu>");
      if (end == NULL)
        break;
      end += strlen ("</cpu>");
    }
    g_ptr_array_add (found, g_strndup (start, end - start));
    p = end;
    if (!all)
      break;
  }
  return found;
}

static int
cmd_cpu_compare (Ctx *ctx, Args *a)
{
  static const OptFlag flags[] = { { "--error", 1 << 0 }, { "--validate", 1 << 1 } };
  static const char *const results[] = { "incompatible", "identical", "superset" };
  GError *error = NULL;
  g_autofree char *xml = read_file (arg (a, 0), &error);
  g_autoptr(GPtrArray) cpus = NULL;
  g_autoptr(GVariant) reply = NULL;
  int code = EXIT_OK, result;

  if (xml == NULL)
    return fail (error);
  cpus = cpu_elements (xml, FALSE);
  if (cpus->len == 0)
    return failf (EXIT_FAILED, _("%s has no <cpu> element"), arg (a, 0));
  reply = connect_call (ctx, "CompareCPU",
                        g_variant_new ("(su)", (const char *) g_ptr_array_index (cpus, 0),
                                       opt_flags (a, flags, G_N_ELEMENTS (flags))),
                        &code);
  if (reply == NULL)
    return code;
  g_variant_get (reply, "(i)", &result);
  if (result < 0 || result > 2)
    return failf (EXIT_FAILED, _("unexpected comparison result %d"), result);
  if (ctx->json) {
    print_text (ctx, "result", results[result]);
  } else if (result == 0) {
    g_print (_("CPU described in %s is incompatible with the host CPU\n"), arg (a, 0));
    return EXIT_FAILED;
  } else if (result == 1) {
    g_print (_("CPU described in %s is identical to the host CPU\n"), arg (a, 0));
  } else {
    g_print (_("The host CPU is a superset of the CPU described in %s\n"), arg (a, 0));
  }
  return result == 0 ? EXIT_FAILED : EXIT_OK;
}

static int
cmd_cpu_baseline (Ctx *ctx, Args *a)
{
  static const OptFlag flags[] = { { "--features", 1 << 0 }, { "--migratable", 1 << 1 } };
  GError *error = NULL;
  g_autofree char *xml = read_file (arg (a, 0), &error);
  g_autoptr(GPtrArray) cpus = NULL;

  if (xml == NULL)
    return fail (error);
  cpus = cpu_elements (xml, TRUE);
  if (cpus->len == 0)
    return failf (EXIT_FAILED, _("%s has no <cpu> element"), arg (a, 0));
  g_ptr_array_add (cpus, NULL);
  return print_connect_xml (ctx, "BaselineCPU",
                            g_variant_new ("(^asu)", (char **) cpus->pdata,
                                           opt_flags (a, flags, G_N_ELEMENTS (flags))));
}

static int
cmd_nodecpumap (Ctx *ctx, Args *a)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) map = NULL;
  g_autoptr(Info) info = info_new ();
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *present = NULL, *online = NULL;
  guint n_online = 0;
  gsize n;
  int code = EXIT_OK;

  reply = connect_call (ctx, "NodeGetCPUMap", g_variant_new ("(u)", 0), &code);
  if (reply == NULL)
    return code;
  map = g_variant_get_child_value (reply, 0);
  n = g_variant_n_children (map);
  for (gsize i = 0; i < n; i++) {
    gboolean on;
    g_variant_get_child (map, i, "b", &on);
    n_online += on ? 1 : 0;
    g_string_append_c (text, on ? 'y' : '-');
  }
  present = g_strdup_printf ("%" G_GSIZE_FORMAT, n);
  online = g_strdup_printf ("%u", n_online);
  info_add (info, _("CPUs present"), "present#", present);
  info_add (info, _("CPUs online"), "online#", online);
  info_add (info, _("CPU map"), "map", text->str);
  info_print (ctx, info);
  return EXIT_OK;
}

/* A D-Bus "a{st}" reply's fields, each with a label and a unit. */
static int
print_node_stats (Ctx *ctx, GVariant *reply, const char *const *keys, const char *const *labels, const char *unit)
{
  g_autoptr(GVariant) dict = g_variant_get_child_value (reply, 0);
  g_autoptr(Info) info = info_new ();

  for (guint i = 0; keys[i] != NULL; i++) {
    guint64 value;
    if (g_variant_lookup (dict, keys[i], "t", &value)) {
      g_autofree char *text = ctx->json ? g_strdup_printf ("%" G_GUINT64_FORMAT, value)
                                        : g_strdup_printf ("%" G_GUINT64_FORMAT "%s", value, unit);
      g_autofree char *key = g_strconcat (keys[i], "#", NULL);
      info_add (info, _(labels[i]), key, text);
    }
  }
  info_print (ctx, info);
  return EXIT_OK;
}

/* The value of option @name as an int from @min to @max (@fallback when
 * not given); FALSE after saying what is wrong. */
static gboolean
opt_int (Args *a, const char *name, gint64 min, gint64 max, gint64 fallback, gint64 *out)
{
  const char *text = opt_value (a, name);
  char *end = NULL;

  *out = fallback;
  if (text == NULL)
    return TRUE;
  *out = g_ascii_strtoll (text, &end, 10);
  if (end == text || *end != '\0' || *out < min || *out > max) {
    g_printerr (_("error: invalid value '%s' for %s\n"), text, name);
    return FALSE;
  }
  return TRUE;
}

/* NodeGetCPUStats / NodeGetMemoryStats for the host (-1) or for the CPU
 * or cell @option names. */
static int
node_stats (Ctx *ctx, Args *a, const char *option, const char *method, const char *const *keys,
            const char *const *labels, const char *unit)
{
  g_autoptr(GVariant) reply = NULL;
  gint64 which;
  int code = EXIT_OK;

  if (!opt_int (a, option, 0, G_MAXINT32, -1, &which))
    return EXIT_USAGE;
  reply = connect_call (ctx, method, g_variant_new ("(iu)", (gint32) which, 0), &code);
  if (reply == NULL)
    return code;
  return print_node_stats (ctx, reply, keys, labels, unit);
}

static int
cmd_nodecpustats (Ctx *ctx, Args *a)
{
  static const char *const keys[] = { "user", "kernel", "idle", "iowait", NULL };
  static const char *const labels[] = { N_("user"), N_("system"), N_("idle"), N_("iowait"), NULL };

  return node_stats (ctx, a, "--cpu", "NodeGetCPUStats", keys, labels, " ns");
}

static int
cmd_nodememstats (Ctx *ctx, Args *a)
{
  static const char *const keys[] = { "total", "free", "buffers", "cached", NULL };
  static const char *const labels[] = { N_("total"), N_("free"), N_("buffers"), N_("cached"), NULL };

  return node_stats (ctx, a, "--cell", "NodeGetMemoryStats", keys, labels, " KiB");
}

static int
cmd_node_memory_tune (Ctx *ctx, Args *a)
{
  static const char *const settable[] = { "shm-pages-to-scan", "shm-sleep-millisecs", "shm-merge-across-nodes" };
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) dict = NULL;
  GVariantBuilder b;
  gboolean any = FALSE;
  int code = EXIT_OK;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{sv}"));
  for (guint i = 0; i < G_N_ELEMENTS (settable); i++) {
    g_autofree char *option = g_strconcat ("--", settable[i], NULL);
    g_autofree char *param = g_strdelimit (g_strdup (settable[i]), "-", '_');
    gint64 v;

    if (!opt_int (a, option, 0, G_MAXUINT32, -1, &v)) {
      g_variant_builder_clear (&b);
      return EXIT_USAGE;
    }
    if (v >= 0) {
      g_variant_builder_add (&b, "{sv}", param, g_variant_new_uint32 ((guint32) v));
      any = TRUE;
    }
  }
  if (any) {
    reply = connect_call (ctx, "NodeSetMemoryParameters", g_variant_new ("(a{sv}u)", &b, 0), &code);
    if (reply == NULL)
      return code;
    done (ctx, _("memory parameters of the host set"));
    return EXIT_OK;
  }
  g_variant_builder_clear (&b);
  reply = connect_call (ctx, "NodeGetMemoryParameters", g_variant_new ("(u)", 0), &code);
  if (reply == NULL)
    return code;
  dict = g_variant_get_child_value (reply, 0);
  print_params (ctx, dict);
  return EXIT_OK;
}

static int
cmd_version (Ctx *ctx, Args *a)
{
  g_autoptr(Info) info = info_new ();
  g_autofree char *api = format_version (virtbus_client_get_lib_version (ctx->client));
  g_autofree char *hv = format_version (virtbus_client_get_version (ctx->client));
  const char *driver = g_str_has_suffix (virtbus_client_get_connect_path (ctx->client), "/QEMU") ? "QEMU" : "Test";
  g_autofree char *api_s = g_strdup_printf ("%s %s", driver, api);
  g_autofree char *hv_s = g_strdup_printf ("%s %s", driver, hv);

  info_add (info, _("Compiled against library"), "client_version", "virtbus " PACKAGE_VERSION);
  info_add (info, _("Using API"), "api", api_s);
  info_add (info, _("Running hypervisor"), "hypervisor", hv_s);
  info_print (ctx, info);
  return EXIT_OK;
}

/* ---- the simple-object families: net-, pool-, iface-, nodedev- ---- */

static int
list_objects (Ctx *ctx, Args *a, GListModel *m, gboolean has_autostart)
{
  gboolean all = opt (a, "--all"), inactive = opt (a, "--inactive");
  g_autoptr(Table) t = NULL;

  if (has_autostart)
    t = table_new ("Name", "name", "State", "state", "Autostart", "autostart?", "Persistent", "persistent?", NULL);
  else
    t = table_new ("Name", "name", "State", "state", "MAC Address", "mac", NULL);
  for (guint i = 0; i < g_list_model_get_n_items (m); i++) {
    g_autoptr(VirtbusObject) o = g_list_model_get_item (m, i);
    gboolean active = virtbus_object_get_active (o);
    g_autofree char *name = virtbus_object_dup_name (o);

    if ((active && inactive) || (!active && !all && !inactive))
      continue;
    if (has_autostart) {
      table_add (t, name, active ? "active" : "inactive", yesno (virtbus_object_get_autostart (o)),
                 yesno (virtbus_object_get_persistent (o)));
    } else {
      g_autoptr(GVariant) mac = virtbus_object_get_dbus_property (o, "MAC");
      table_add (t, name, active ? "active" : "inactive", mac != NULL ? g_variant_get_string (mac, NULL) : "");
    }
  }
  table_print (ctx, t);
  return EXIT_OK;
}

static int
object_simple (Ctx *ctx, GType kind, const char *what, const char *id, const char *method, GVariant *params,
               const char *fmt)
{
  int code = EXIT_OK;
  VirtbusObject *o = find_object (ctx, kind, id, what, &code);
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *name = NULL;

  if (o == NULL) {
    if (params != NULL)
      g_variant_unref (g_variant_ref_sink (params));
    return code;
  }
  name = virtbus_object_dup_name (o);
  reply = call (o, method, params, &code);
  if (reply == NULL)
    return code;
  done_with (ctx, fmt, name, NULL);
  return EXIT_OK;
}

static int
object_autostart (Ctx *ctx, Args *a, GType kind, const char *what, const char *label)
{
  int code = EXIT_OK;
  VirtbusObject *o = find_object (ctx, kind, arg (a, 0), what, &code);
  gboolean enable = !opt (a, "--disable");
  g_autofree char *name = NULL;
  GError *error = NULL;

  if (o == NULL)
    return code;
  name = virtbus_object_dup_name (o);
  if (!virtbus_object_set_autostart_sync (o, enable, NULL, &error))
    return fail (error);
  pump ();
  done_with (ctx, enable ? _("%s '%s' marked as autostarted") : _("%s '%s' unmarked as autostarted"), label, name);
  return EXIT_OK;
}

static int
cmd_autostart (Ctx *ctx, Args *a)
{
  return object_autostart (ctx, a, VIRTBUS_TYPE_DOMAIN, "domain", _("Domain"));
}

static int
cmd_net_list (Ctx *ctx, Args *a)
{
  return list_objects (ctx, a, virtbus_client_get_networks (ctx->client), TRUE);
}

static int
cmd_net_info (Ctx *ctx, Args *a)
{
  FIND_OR_RETURN (n, VirtbusObject, VIRTBUS_TYPE_NETWORK, arg (a, 0), "network");
  g_autoptr(Info) info = info_new ();
  g_autofree char *name = virtbus_object_dup_name (n), *uuid = virtbus_object_dup_uuid (n), *xml = NULL;
  g_autofree char *bridge = NULL;

  xml = virtbus_object_get_xml_desc_sync (n, 0, NULL, NULL);
  if (xml != NULL) {
    g_autoptr(GRegex) re = g_regex_new ("<bridge[^>]*\\sname=['\"]([^'\"]+)['\"]", 0, 0, NULL);
    g_autoptr(GMatchInfo) m = NULL;
    if (g_regex_match (re, xml, 0, &m))
      bridge = g_match_info_fetch (m, 1);
  }
  info_add (info, _("Name"), "name", name);
  info_add (info, _("UUID"), "uuid", uuid);
  info_add (info, _("Active"), "active?", yesno (virtbus_object_get_active (n)));
  info_add (info, _("Persistent"), "persistent?", yesno (virtbus_object_get_persistent (n)));
  info_add (info, _("Autostart"), "autostart?", yesno (virtbus_object_get_autostart (n)));
  info_add (info, _("Bridge"), "bridge", bridge);
  info_print (ctx, info);
  return EXIT_OK;
}

static int
cmd_net_dumpxml (Ctx *ctx, Args *a)
{
  return dumpxml (ctx, VIRTBUS_TYPE_NETWORK, arg (a, 0), "network", opt (a, "--inactive") ? 1 : 0);
}

static int
cmd_net_define (Ctx *ctx, Args *a)
{
  return define_like (ctx, a, "NetworkDefineXML", params_s, _("Network %s defined from %s"));
}

static int
cmd_net_create (Ctx *ctx, Args *a)
{
  return define_like (ctx, a, "NetworkCreateXML", params_s, _("Network %s created from %s"));
}

static int
cmd_net_undefine (Ctx *ctx, Args *a)
{
  return object_simple (ctx, VIRTBUS_TYPE_NETWORK, "network", arg (a, 0), "Undefine", NULL,
                        _("Network %s has been undefined"));
}

static int
cmd_net_start (Ctx *ctx, Args *a)
{
  return object_simple (ctx, VIRTBUS_TYPE_NETWORK, "network", arg (a, 0), "Create", NULL, _("Network %s started"));
}

static int
cmd_net_destroy (Ctx *ctx, Args *a)
{
  return object_simple (ctx, VIRTBUS_TYPE_NETWORK, "network", arg (a, 0), "Destroy", NULL,
                        _("Network %s destroyed"));
}

static int
cmd_net_dhcp_leases (Ctx *ctx, Args *a)
{
  FIND_OR_RETURN (n, VirtbusObject, VIRTBUS_TYPE_NETWORK, arg (a, 0), "network");
  g_autoptr(Table) t = table_new ("Expiry Time", "expiry", "MAC address", "mac", "Protocol", "protocol",
                                  "IP address", "address", "Hostname", "hostname", "Client ID or DUID", "clientid",
                                  NULL);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariantIter) leases = NULL;
  const char *mac = opt_value (a, "--mac");
  const char *iface, *lmac, *iaid, *ip, *hostname, *clientid;
  gint64 expiry;
  gint32 type;
  guint32 prefix;
  int code = EXIT_OK;

  reply = call (n, "GetDHCPLeases", g_variant_new ("(su)", mac ? mac : "", 0), &code);
  if (reply == NULL)
    return code;
  g_variant_get (reply, "(a(sxisssuss))", &leases);
  while (g_variant_iter_next (leases, "(&sxi&s&s&su&s&s)", &iface, &expiry, &type, &lmac, &iaid, &ip, &prefix,
                              &hostname, &clientid)) {
    g_autofree char *when = NULL;
    g_autofree char *full = g_strdup_printf ("%s/%u", ip, prefix);

    if (expiry == 0) {
      when = g_strdup (_("never"));
    } else {
      g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (expiry);
      when = dt ? g_date_time_format (dt, "%Y-%m-%d %H:%M:%S") : g_strdup_printf ("%" G_GINT64_FORMAT, expiry);
    }
    table_add (t, when, *lmac ? lmac : "-", type == 0 ? "ipv4" : "ipv6", full, *hostname ? hostname : "-",
               *clientid ? clientid : "-");
  }
  table_print (ctx, t);
  return EXIT_OK;
}

static int
cmd_net_autostart (Ctx *ctx, Args *a)
{
  return object_autostart (ctx, a, VIRTBUS_TYPE_NETWORK, "network", _("Network"));
}

static int
cmd_pool_list (Ctx *ctx, Args *a)
{
  return list_objects (ctx, a, virtbus_client_get_storage_pools (ctx->client), TRUE);
}

static char *
human_size (guint64 bytes)
{
  return g_format_size_full (bytes, G_FORMAT_SIZE_IEC_UNITS);
}

static const char *const pool_states[] = { "inactive", "building", "running", "degraded", "inaccessible" };

static int
cmd_pool_info (Ctx *ctx, Args *a)
{
  FIND_OR_RETURN (p, VirtbusObject, VIRTBUS_TYPE_STORAGE_POOL, arg (a, 0), "pool");
  g_autoptr(Info) info = info_new ();
  g_autofree char *name = virtbus_object_dup_name (p), *uuid = virtbus_object_dup_uuid (p);
  g_autoptr(GVariant) reply = NULL;
  gint32 state;
  guint64 cap, alloc, avail;
  int code = EXIT_OK;

  reply = call (p, "GetInfo", NULL, &code);
  if (reply == NULL)
    return code;
  g_variant_get (reply, "((ittt))", &state, &cap, &alloc, &avail);
  info_add (info, _("Name"), "name", name);
  info_add (info, _("UUID"), "uuid", uuid);
  info_add (info, _("State"), "state",
            state >= 0 && state < (int) G_N_ELEMENTS (pool_states) ? pool_states[state] : "unknown");
  info_add (info, _("Persistent"), "persistent?", yesno (virtbus_object_get_persistent (p)));
  info_add (info, _("Autostart"), "autostart?", yesno (virtbus_object_get_autostart (p)));
  if (ctx->json) {
    g_autofree char *c = g_strdup_printf ("%" G_GUINT64_FORMAT, cap);
    g_autofree char *al = g_strdup_printf ("%" G_GUINT64_FORMAT, alloc);
    g_autofree char *av = g_strdup_printf ("%" G_GUINT64_FORMAT, avail);
    info_add (info, "Capacity", "capacity#", c);
    info_add (info, "Allocation", "allocation#", al);
    info_add (info, "Available", "available#", av);
  } else if (state == 2 || state == 3) {
    g_autofree char *c = human_size (cap), *al = human_size (alloc), *av = human_size (avail);
    info_add (info, _("Capacity"), "capacity", c);
    info_add (info, _("Allocation"), "allocation", al);
    info_add (info, _("Available"), "available", av);
  }
  info_print (ctx, info);
  return EXIT_OK;
}

static int
cmd_pool_dumpxml (Ctx *ctx, Args *a)
{
  return dumpxml (ctx, VIRTBUS_TYPE_STORAGE_POOL, arg (a, 0), "pool", opt (a, "--inactive") ? 1 : 0);
}

static int
cmd_pool_define (Ctx *ctx, Args *a)
{
  return define_like (ctx, a, "StoragePoolDefineXML", params_su, _("Pool %s defined from %s"));
}

static int
cmd_pool_create (Ctx *ctx, Args *a)
{
  return define_like (ctx, a, "StoragePoolCreateXML", params_su, _("Pool %s created from %s"));
}

static int
cmd_pool_undefine (Ctx *ctx, Args *a)
{
  return object_simple (ctx, VIRTBUS_TYPE_STORAGE_POOL, "pool", arg (a, 0), "Undefine", NULL,
                        _("Pool %s has been undefined"));
}

static int
cmd_pool_start (Ctx *ctx, Args *a)
{
  /* virStoragePoolCreateFlags: WITH_BUILD, WITH_BUILD_OVERWRITE, WITH_BUILD_NO_OVERWRITE */
  static const OptFlag flag_opts[] = { { "--build", 1 << 0 }, { "--overwrite", 1 << 1 }, { "--no-overwrite", 1 << 2 } };
  guint flags = opt_flags (a, flag_opts, G_N_ELEMENTS (flag_opts));

  return object_simple (ctx, VIRTBUS_TYPE_STORAGE_POOL, "pool", arg (a, 0), "Create", g_variant_new ("(u)", flags),
                        _("Pool %s started"));
}

static int
cmd_pool_build (Ctx *ctx, Args *a)
{
  /* virStoragePoolBuildFlags */
  static const OptFlag flag_opts[] = { { "--no-overwrite", 1 << 2 }, { "--overwrite", 1 << 3 } };
  guint flags = opt_flags (a, flag_opts, G_N_ELEMENTS (flag_opts));

  return object_simple (ctx, VIRTBUS_TYPE_STORAGE_POOL, "pool", arg (a, 0), "Build", g_variant_new ("(u)", flags),
                        _("Pool %s built"));
}

static int
cmd_pool_delete (Ctx *ctx, Args *a)
{
  return object_simple (ctx, VIRTBUS_TYPE_STORAGE_POOL, "pool", arg (a, 0), "Delete", g_variant_new ("(u)", 0),
                        _("Pool %s deleted"));
}

static int
cmd_pool_destroy (Ctx *ctx, Args *a)
{
  return object_simple (ctx, VIRTBUS_TYPE_STORAGE_POOL, "pool", arg (a, 0), "Destroy", NULL,
                        _("Pool %s destroyed"));
}

static int
cmd_pool_refresh (Ctx *ctx, Args *a)
{
  return object_simple (ctx, VIRTBUS_TYPE_STORAGE_POOL, "pool", arg (a, 0), "Refresh", g_variant_new ("(u)", 0),
                        _("Pool %s refreshed"));
}

static int
cmd_pool_autostart (Ctx *ctx, Args *a)
{
  return object_autostart (ctx, a, VIRTBUS_TYPE_STORAGE_POOL, "pool", _("Pool"));
}

/* A volume by path or key, or by name with --pool (or a POOL argument). */
static VirtbusObject *
find_volume (Ctx *ctx, const char *vol, const char *pool_id, int *code)
{
  VirtbusObject *pool, *found;
  g_autoptr(GVariant) reply = NULL;

  if (pool_id == NULL)
    return find_object (ctx, VIRTBUS_TYPE_STORAGE_VOL, vol, "vol", code);
  pool = find_object (ctx, VIRTBUS_TYPE_STORAGE_POOL, pool_id, "pool", code);
  if (pool == NULL)
    return NULL;
  reply = call (pool, "StorageVolLookupByName", g_variant_new ("(s)", vol), code);
  if (reply == NULL)
    return NULL;
  found = object_from_path_reply (ctx, reply);
  if (found == NULL)
    *code = failf (EXIT_NOT_FOUND, _("failed to get vol '%s'"), vol);
  return found;
}

static int
cmd_vol_list (Ctx *ctx, Args *a)
{
  FIND_OR_RETURN (p, VirtbusObject, VIRTBUS_TYPE_STORAGE_POOL, arg (a, 0), "pool");
  g_autoptr(Table) t = table_new ("Name", "name", "Path", "path", NULL);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariantIter) iter = NULL;
  const char *path;
  int code = EXIT_OK;

  reply = call (p, "ListStorageVolumes", g_variant_new ("(u)", 0), &code);
  if (reply == NULL)
    return code;
  g_variant_get (reply, "(ao)", &iter);
  while (g_variant_iter_next (iter, "&o", &path)) {
    VirtbusObject *v = virtbus_client_lookup_object (ctx->client, path);
    g_autofree char *name = NULL, *vpath = NULL;
    if (v == NULL)
      continue;
    name = virtbus_object_dup_name (v);
    vpath = virtbus_storage_vol_dup_path (VIRTBUS_STORAGE_VOL (v));
    table_add (t, name, vpath);
  }
  table_print (ctx, t);
  return EXIT_OK;
}

static const char *const vol_types[] = { "file", "block", "dir", "network", "netdir", "ploop" };

static int
cmd_vol_info (Ctx *ctx, Args *a)
{
  int code = EXIT_OK;
  VirtbusObject *v = find_volume (ctx, arg (a, 0), opt_value (a, "--pool"), &code);
  g_autoptr(Info) info = info_new ();
  g_autoptr(GVariant) reply = NULL;
  g_autofree char *name = NULL, *path = NULL;
  gint32 type;
  guint64 cap, alloc;

  if (v == NULL)
    return code;
  reply = call (v, "GetInfo", g_variant_new ("(u)", 0), &code);
  if (reply == NULL)
    return code;
  g_variant_get (reply, "((itt))", &type, &cap, &alloc);
  name = virtbus_object_dup_name (v);
  path = virtbus_storage_vol_dup_path (VIRTBUS_STORAGE_VOL (v));
  info_add (info, _("Name"), "name", name);
  info_add (info, _("Path"), "path", path);
  info_add (info, _("Type"), "type", type >= 0 && type < (int) G_N_ELEMENTS (vol_types) ? vol_types[type] : "unknown");
  if (ctx->json) {
    g_autofree char *c = g_strdup_printf ("%" G_GUINT64_FORMAT, cap);
    g_autofree char *al = g_strdup_printf ("%" G_GUINT64_FORMAT, alloc);
    info_add (info, "Capacity", "capacity#", c);
    info_add (info, "Allocation", "allocation#", al);
  } else {
    g_autofree char *c = human_size (cap), *al = human_size (alloc);
    info_add (info, _("Capacity"), "capacity", c);
    info_add (info, _("Allocation"), "allocation", al);
  }
  info_print (ctx, info);
  return EXIT_OK;
}

static int
cmd_vol_dumpxml (Ctx *ctx, Args *a)
{
  int code = EXIT_OK;
  VirtbusObject *v = find_volume (ctx, arg (a, 0), opt_value (a, "--pool"), &code);
  g_autofree char *xml = NULL;
  GError *error = NULL;

  if (v == NULL)
    return code;
  xml = virtbus_object_get_xml_desc_sync (v, 0, NULL, &error);
  if (xml == NULL)
    return fail (error);
  print_text (ctx, "xml", xml);
  return EXIT_OK;
}

static int
cmd_vol_delete (Ctx *ctx, Args *a)
{
  int code = EXIT_OK;
  VirtbusObject *v = find_volume (ctx, arg (a, 0), opt_value (a, "--pool"), &code);
  g_autoptr(GVariant) reply = NULL;

  if (v == NULL)
    return code;
  reply = call (v, "Delete", g_variant_new ("(u)", 0), &code);
  if (reply == NULL)
    return code;
  done (ctx, _("Vol %s deleted"), arg (a, 0));
  return EXIT_OK;
}

/* "10G", "512M", "4096" (bytes), "1T" → bytes. */
static gboolean
parse_size_bytes (const char *text, guint64 *bytes)
{
  char *end = NULL;
  guint64 n = g_ascii_strtoull (text, &end, 10);
  const char *units = "bkmgtpe";
  const char *u;

  if (end == text)
    return FALSE;
  if (*end == '\0') {
    *bytes = n;
    return TRUE;
  }
  u = strchr (units, g_ascii_tolower (*end));
  if (u == NULL || (end[1] != '\0' && g_ascii_strcasecmp (end + 1, "ib") != 0 && g_ascii_strcasecmp (end + 1, "b") != 0))
    return FALSE;
  *bytes = n;
  for (const char *p = units; p < u; p++)
    *bytes *= 1024;
  return TRUE;
}

static int
cmd_vol_create_as (Ctx *ctx, Args *a)
{
  FIND_OR_RETURN (p, VirtbusObject, VIRTBUS_TYPE_STORAGE_POOL, arg (a, 0), "pool");
  const char *format = opt_value (a, "--format");
  const char *allocation = opt_value (a, "--allocation");
  const char *backing_arg = opt_value (a, "--backing-vol");
  const char *backing_format = opt_value (a, "--backing-vol-format");
  g_autofree char *backing = NULL;
  g_autoptr(GString) xml = g_string_new (NULL);
  g_autoptr(GVariant) reply = NULL;
  guint64 cap = 0, alloc = 0;
  int code = EXIT_OK;

  if (!parse_size_bytes (arg (a, 2), &cap))
    return failf (EXIT_USAGE, _("invalid capacity '%s'"), arg (a, 2));
  if (allocation != NULL && !parse_size_bytes (allocation, &alloc))
    return failf (EXIT_USAGE, _("invalid allocation '%s'"), allocation);
  if (backing_format != NULL && backing_arg == NULL)
    return failf (EXIT_USAGE, _("--backing-vol-format needs --backing-vol"));
  /* The backing volume: a path, or a volume of the pool by name or key. */
  if (backing_arg != NULL) {
    if (g_path_is_absolute (backing_arg)) {
      backing = g_strdup (backing_arg);
    } else {
      VirtbusObject *bv = find_volume (ctx, backing_arg, arg (a, 0), &code);
      if (bv == NULL)
        return code;
      backing = virtbus_storage_vol_dup_path (VIRTBUS_STORAGE_VOL (bv));
    }
  }
  xml_append (xml, "<volume><name>%s</name><capacity unit='bytes'>%" G_GUINT64_FORMAT "</capacity>", arg (a, 1),
              cap);
  if (allocation != NULL)
    xml_append (xml, "<allocation unit='bytes'>%" G_GUINT64_FORMAT "</allocation>", alloc);
  if (format != NULL)
    xml_append (xml, "<target><format type='%s'/></target>", format);
  if (backing != NULL) {
    xml_append (xml, "<backingStore><path>%s</path>", backing);
    if (backing_format != NULL)
      xml_append (xml, "<format type='%s'/>", backing_format);
    g_string_append (xml, "</backingStore>");
  }
  g_string_append (xml, "</volume>");
  reply = call (p, "StorageVolCreateXML",
                g_variant_new ("(su)", xml->str, opt (a, "--prealloc-metadata") ? 1 << 0 : 0), &code);
  if (reply == NULL)
    return code;
  done (ctx, _("Vol %s created"), arg (a, 1));
  return EXIT_OK;
}

/* The pool that lists volume @v. */
static VirtbusObject *
pool_of_volume (Ctx *ctx, VirtbusObject *v)
{
  GListModel *pools = virtbus_client_get_storage_pools (ctx->client);
  const char *vpath = virtbus_object_get_object_path (v);

  for (guint i = 0; i < g_list_model_get_n_items (pools); i++) {
    VirtbusObject *pool = g_list_model_get_item (pools, i);
    g_autoptr(GVariant) reply = NULL;
    g_autoptr(GVariantIter) iter = NULL;
    const char *path;

    g_object_unref (pool); /* the list holds it */
    if (!virtbus_object_get_active (pool))
      continue;
    reply = virtbus_object_call_sync (pool, "ListStorageVolumes", g_variant_new ("(u)", 0), NULL, NULL);
    if (reply == NULL)
      continue;
    g_variant_get (reply, "(ao)", &iter);
    while (g_variant_iter_next (iter, "&o", &path))
      if (g_strcmp0 (path, vpath) == 0)
        return pool;
  }
  return NULL;
}

static int
cmd_vol_clone (Ctx *ctx, Args *a)
{
  int code = EXIT_OK;
  VirtbusObject *v = find_volume (ctx, arg (a, 0), opt_value (a, "--pool"), &code);
  VirtbusObject *pool;
  g_autofree char *xml = NULL;
  g_autofree char *key = NULL;
  g_autoptr(GVariant) reply = NULL;

  if (v == NULL)
    return code;
  /* virsh's vol-clone: into the pool of the original, its format and size. */
  if (opt_value (a, "--pool") != NULL)
    pool = find_object (ctx, VIRTBUS_TYPE_STORAGE_POOL, opt_value (a, "--pool"), "pool", &code);
  else
    pool = pool_of_volume (ctx, v);
  if (pool == NULL)
    return failf (EXIT_FAILURE, _("the pool of volume '%s' is not known"), arg (a, 0));
  key = virtbus_storage_vol_dup_key (VIRTBUS_STORAGE_VOL (v));
  xml = g_markup_printf_escaped ("<volume><name>%s</name><capacity>0</capacity></volume>", arg (a, 1));
  reply = call (pool, "StorageVolCreateXMLFrom",
                g_variant_new ("(ssu)", xml, key, opt (a, "--reflink") ? 1 << 1 : 0), &code);
  if (reply == NULL)
    return code;
  done (ctx, _("Vol %s cloned from %s"), arg (a, 1), arg (a, 0));
  return EXIT_OK;
}

static int
cmd_vol_resize (Ctx *ctx, Args *a)
{
  /* virStorageVolResizeFlags */
  static const OptFlag flag_opts[] = { { "--allocate", 1 << 0 }, { "--delta", 1 << 1 }, { "--shrink", 1 << 2 } };
  guint flags = opt_flags (a, flag_opts, G_N_ELEMENTS (flag_opts));
  int code = EXIT_OK;
  VirtbusObject *v = find_volume (ctx, arg (a, 0), opt_value (a, "--pool"), &code);
  const char *size = arg (a, 1);
  g_autoptr(GVariant) reply = NULL;
  guint64 bytes;

  if (v == NULL)
    return code;
  /* As virsh: "-1G" with --shrink is a shrink by 1 GiB. */
  if (size[0] == '-') {
    if (!(flags & (1 << 2)))
      return failf (EXIT_USAGE, _("a negative size needs --shrink"));
    size++;
    flags |= 1 << 1;
  }
  if (!parse_size_bytes (size, &bytes))
    return failf (EXIT_USAGE, _("invalid size '%s'"), arg (a, 1));
  reply = call (v, "Resize", g_variant_new ("(tu)", bytes, flags), &code);
  if (reply == NULL)
    return code;
  done (ctx, _("Size of volume '%s' successfully changed to %s"), arg (a, 0), arg (a, 1));
  return EXIT_OK;
}

static int
cmd_vol_wipe (Ctx *ctx, Args *a)
{
  /* virStorageVolWipeAlgorithm, in its order */
  static const char *const algorithms[] = { "zero", "nnsa", "dod", "bsi", "gutmann", "schneier", "pfitzner7",
                                            "pfitzner33", "random", "trim" };
  int code = EXIT_OK;
  VirtbusObject *v = find_volume (ctx, arg (a, 0), opt_value (a, "--pool"), &code);
  const char *name = opt_value (a, "--algorithm");
  g_autoptr(GVariant) reply = NULL;
  guint alg = 0;

  if (v == NULL)
    return code;
  if (name != NULL) {
    for (alg = 0; alg < G_N_ELEMENTS (algorithms) && g_ascii_strcasecmp (name, algorithms[alg]) != 0; alg++)
      ;
    if (alg == G_N_ELEMENTS (algorithms))
      return failf (EXIT_USAGE, _("unknown wiping algorithm '%s'"), name);
  }
  reply = call (v, "Wipe", g_variant_new ("(uu)", alg, 0), &code);
  if (reply == NULL)
    return code;
  done (ctx, _("Vol %s wiped"), arg (a, 0));
  return EXIT_OK;
}

static int
cmd_vol_path (Ctx *ctx, Args *a)
{
  int code = EXIT_OK;
  VirtbusObject *v = find_volume (ctx, arg (a, 0), opt_value (a, "--pool"), &code);
  g_autofree char *path = NULL;

  if (v == NULL)
    return code;
  path = virtbus_storage_vol_dup_path (VIRTBUS_STORAGE_VOL (v));
  print_text (ctx, "path", path);
  return EXIT_OK;
}

static int
cmd_iface_list (Ctx *ctx, Args *a)
{
  return list_objects (ctx, a, virtbus_client_get_interfaces (ctx->client), FALSE);
}

static int
cmd_iface_dumpxml (Ctx *ctx, Args *a)
{
  return dumpxml (ctx, VIRTBUS_TYPE_INTERFACE, arg (a, 0), "interface", opt (a, "--inactive") ? 1 : 0);
}

static GVariant *
params_iface_define (const char *xml)
{
  return g_variant_new ("(su)", xml, 0);
}

static int
cmd_iface_define (Ctx *ctx, Args *a)
{
  return define_like (ctx, a, "InterfaceDefineXML", params_iface_define, _("Interface %s defined from %s"));
}

static int
cmd_iface_undefine (Ctx *ctx, Args *a)
{
  return object_simple (ctx, VIRTBUS_TYPE_INTERFACE, "interface", arg (a, 0), "Undefine", NULL,
                        _("Interface %s undefined"));
}

static int
cmd_iface_start (Ctx *ctx, Args *a)
{
  return object_simple (ctx, VIRTBUS_TYPE_INTERFACE, "interface", arg (a, 0), "Create", g_variant_new ("(u)", 0),
                        _("Interface %s started"));
}

static int
cmd_iface_destroy (Ctx *ctx, Args *a)
{
  return object_simple (ctx, VIRTBUS_TYPE_INTERFACE, "interface", arg (a, 0), "Destroy", g_variant_new ("(u)", 0),
                        _("Interface %s destroyed"));
}

static int
cmd_nodedev_list (Ctx *ctx, Args *a)
{
  GListModel *m = virtbus_client_get_node_devices (ctx->client);
  const char *cap = opt_value (a, "--cap");
  g_autoptr(Table) t = table_new ("Name", "name", "Parent", "parent", NULL);

  for (guint i = 0; i < g_list_model_get_n_items (m); i++) {
    g_autoptr(VirtbusObject) o = g_list_model_get_item (m, i);
    g_autofree char *name = virtbus_object_dup_name (o);
    g_autofree char *parent = virtbus_node_device_dup_parent (VIRTBUS_NODE_DEVICE (o));

    if (cap != NULL) {
      g_autoptr(GVariant) caps = virtbus_object_call_sync (o, "ListCaps", NULL, NULL, NULL);
      g_autofree const char **list = NULL;
      if (caps == NULL)
        continue;
      {
        g_autoptr(GVariant) inner = g_variant_get_child_value (caps, 0);
        list = g_variant_get_strv (inner, NULL);
        if (!g_strv_contains (list, cap))
          continue;
      }
    }
    table_add (t, name, parent);
  }
  table_print (ctx, t);
  return EXIT_OK;
}

static int
cmd_nodedev_dumpxml (Ctx *ctx, Args *a)
{
  return dumpxml (ctx, VIRTBUS_TYPE_NODE_DEVICE, arg (a, 0), "node device", 0);
}

static int
cmd_nodedev_info (Ctx *ctx, Args *a)
{
  FIND_OR_RETURN (n, VirtbusObject, VIRTBUS_TYPE_NODE_DEVICE, arg (a, 0), "node device");
  g_autoptr(Info) info = info_new ();
  g_autofree char *name = virtbus_object_dup_name (n);
  g_autofree char *parent = virtbus_node_device_dup_parent (VIRTBUS_NODE_DEVICE (n));
  g_autoptr(GVariant) caps = NULL;
  g_autofree char *joined = NULL;
  int code = EXIT_OK;

  caps = call (n, "ListCaps", NULL, &code);
  if (caps == NULL)
    return code;
  {
    g_autoptr(GVariant) inner = g_variant_get_child_value (caps, 0);
    g_autofree const char **list = g_variant_get_strv (inner, NULL);
    joined = g_strjoinv (",", (char **) list);
  }
  info_add (info, _("Name"), "name", name);
  info_add (info, _("Parent"), "parent", parent);
  info_add (info, _("Capabilities"), "capabilities", joined);
  info_print (ctx, info);
  return EXIT_OK;
}

static int
cmd_nodedev_create (Ctx *ctx, Args *a)
{
  return define_like (ctx, a, "NodeDeviceCreateXML", params_su, _("Node device %s created from %s"));
}

static int
cmd_nodedev_destroy (Ctx *ctx, Args *a)
{
  return object_simple (ctx, VIRTBUS_TYPE_NODE_DEVICE, "node device", arg (a, 0), "Destroy", NULL,
                        _("Destroyed node device '%s'"));
}

/* PCI devices: to vfio-pci for a guest, back to the host's driver, reset. */
static int
cmd_nodedev_detach (Ctx *ctx, Args *a)
{
  const char *driver = opt_value (a, "--driver");

  return object_simple (ctx, VIRTBUS_TYPE_NODE_DEVICE, "node device", arg (a, 0), "Detach",
                        g_variant_new ("(su)", driver ? driver : "", 0), _("Detached node device '%s'"));
}

static int
cmd_nodedev_reattach (Ctx *ctx, Args *a)
{
  return object_simple (ctx, VIRTBUS_TYPE_NODE_DEVICE, "node device", arg (a, 0), "ReAttach", NULL,
                        _("Reattached node device '%s'"));
}

static int
cmd_nodedev_reset (Ctx *ctx, Args *a)
{
  return object_simple (ctx, VIRTBUS_TYPE_NODE_DEVICE, "node device", arg (a, 0), "Reset", NULL,
                        _("Reset node device '%s'"));
}

/* ---- block jobs ---- */

/* virDomainBlockJobType, virConnectDomainEventBlockJobStatus */
static const char *const block_job_types[] = { N_("none"), N_("pull"), N_("copy"), N_("commit"),
                                               N_("active commit") };
enum { BLOCK_COMPLETED = 0, BLOCK_FAILED = 1, BLOCK_CANCELED = 2, BLOCK_READY = 3 };

typedef struct {
  GMainLoop *loop;
  VirtbusObject *dom;
  const char *disk;     /* as given: a target, or a path (then any disk's job) */
  gboolean until_ready; /* stop at READY (a copy or active commit left mirroring) */
  int status;           /* -1 while running */
  gboolean interrupted;
} BlockWait;

static void
on_block_job (GDBusProxy *proxy, const char *sender, const char *signal, GVariant *params, BlockWait *w)
{
  const char *disk;
  int type, status;

  if (strcmp (signal, "BlockJob") != 0 || !g_variant_is_of_type (params, G_VARIANT_TYPE ("(sii)")))
    return;
  g_variant_get (params, "(&sii)", &disk, &type, &status);
  if (w->disk[0] != '/' && strcmp (disk, w->disk) != 0)
    return;
  if (status == BLOCK_READY && !w->until_ready)
    return;
  w->status = status;
  g_main_loop_quit (w->loop);
}

static gboolean
on_block_interrupt (gpointer data)
{
  BlockWait *w = data;

  /* Ctrl+C: the job is cancelled, and its end still awaited. */
  if (!w->interrupted) {
    w->interrupted = TRUE;
    w->until_ready = FALSE;
    virtbus_object_call_async (w->dom, "BlockJobAbort", g_variant_new ("(su)", w->disk, 1 /* ASYNC */), NULL,
                               NULL, NULL);
  }
  return G_SOURCE_CONTINUE;
}

/* Starts a block job with @method(@params) and, with --wait (or --pivot),
 * waits for its end (or readiness); --pivot then pivots. */
static int
block_job_run (Ctx *ctx, Args *a, const char *method, GVariant *params, gboolean mirror)
{
  g_autoptr(GVariant) owned = g_variant_ref_sink (params);
  FIND_OR_RETURN (d, VirtbusDomain, VIRTBUS_TYPE_DOMAIN, arg (a, 0), "domain");
  VirtbusObject *dom = VIRTBUS_OBJECT (d);
  GDBusProxy *proxy = virtbus_object_get_proxy (dom);
  gboolean pivot = opt (a, "--pivot"), wait = opt (a, "--wait") || pivot;
  BlockWait w = { 0 };
  g_autoptr(GVariant) reply = NULL;
  gulong handler = 0;
  guint sigint = 0;
  int code = EXIT_OK;

  if (pivot && !mirror)
    return failf (EXIT_USAGE, _("--pivot is for a copy or an active commit"));
  w.dom = dom;
  w.disk = arg (a, 1);
  w.status = -1;
  w.until_ready = mirror;
  /* Subscribed before the call: a small job may end before its reply.
   * Ctrl+C is caught from then on too: one pressed while the job starts
   * is handled (the job cancelled) once the loop below runs. */
  if (wait) {
    handler = g_signal_connect (proxy, "g-signal", G_CALLBACK (on_block_job), &w);
    sigint = g_unix_signal_add (SIGINT, on_block_interrupt, &w);
  }
  reply = call (dom, method, owned, &code);
  if (reply == NULL) {
    if (wait)
      g_source_remove (sigint);
    g_clear_signal_handler (&handler, proxy);
    return code;
  }
  if (!wait) {
    done (ctx, _("Block job on disk '%s' started"), arg (a, 1));
    return EXIT_OK;
  }
  w.loop = g_main_loop_new (NULL, FALSE);
  while (w.status < 0)
    g_main_loop_run (w.loop);
  if (w.status == BLOCK_READY && pivot) {
    g_autoptr(GVariant) r2 = NULL;
    w.status = -1;
    w.until_ready = FALSE;
    r2 = call (dom, "BlockJobAbort", g_variant_new ("(su)", arg (a, 1), 2 /* PIVOT */), &code);
    while (r2 != NULL && w.status < 0)
      g_main_loop_run (w.loop);
    if (r2 == NULL) {
      g_source_remove (sigint);
      g_clear_signal_handler (&handler, proxy);
      g_main_loop_unref (w.loop);
      return code;
    }
  }
  g_source_remove (sigint);
  g_clear_signal_handler (&handler, proxy);
  g_main_loop_unref (w.loop);
  switch (w.status) {
  case BLOCK_READY:
    done (ctx, _("Block job on disk '%s' is ready: it mirrors until 'blockjob --pivot' or '--abort'"),
          arg (a, 1));
    return EXIT_OK;
  case BLOCK_COMPLETED:
    done (ctx, pivot ? _("Disk '%s' pivoted") : _("Block job on disk '%s' completed"), arg (a, 1));
    return EXIT_OK;
  case BLOCK_CANCELED:
    return failf (EXIT_FAILED, _("block job on disk '%s' was cancelled"), arg (a, 1));
  default:
    return failf (EXIT_FAILED, _("block job on disk '%s' failed"), arg (a, 1));
  }
}

static gboolean
block_bandwidth (Args *a, guint64 *mib, int *code)
{
  const char *value = opt_value (a, "--bandwidth");

  *mib = 0;
  if (value != NULL && !g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT32, mib, NULL)) {
    *code = failf (EXIT_USAGE, _("invalid --bandwidth '%s' (MiB/s)"), value);
    return FALSE;
  }
  return TRUE;
}

static int
cmd_blockpull (Ctx *ctx, Args *a)
{
  const char *base = opt_value (a, "--base");
  guint64 mib;
  int code = EXIT_OK;

  if (!block_bandwidth (a, &mib, &code))
    return code;
  if (base != NULL)
    return block_job_run (ctx, a, "BlockRebase", g_variant_new ("(sstu)", arg (a, 1), base, mib, 0), FALSE);
  return block_job_run (ctx, a, "BlockPull", g_variant_new ("(stu)", arg (a, 1), mib, 0), FALSE);
}

static int
cmd_blockcommit (Ctx *ctx, Args *a)
{
  const char *base = opt_value (a, "--base"), *top = opt_value (a, "--top");
  gboolean active = opt (a, "--active") || (opt (a, "--pivot") && top == NULL);
  guint flags = (opt (a, "--shallow") ? 1 : 0) | (opt (a, "--delete") ? 2 : 0) | (active ? 4 : 0);
  guint64 mib;
  int code = EXIT_OK;

  if (!block_bandwidth (a, &mib, &code))
    return code;
  return block_job_run (ctx, a, "BlockCommit",
                        g_variant_new ("(ssstu)", arg (a, 1), base ? base : "", top ? top : "", mib, flags),
                        active);
}

static int
cmd_blockcopy (Ctx *ctx, Args *a)
{
  const char *format = opt_value (a, "--format");
  gboolean dev = opt (a, "--blockdev");
  guint flags = (opt (a, "--shallow") ? 1 : 0) | (opt (a, "--reuse-external") ? 2 : 0);
  g_autofree char *path = g_markup_escape_text (arg (a, 2), -1);
  g_autofree char *fmt = format ? g_markup_escape_text (format, -1) : NULL;
  g_autofree char *xml = NULL;
  GVariantBuilder params;
  guint64 mib;
  int code = EXIT_OK;

  if (!block_bandwidth (a, &mib, &code))
    return code;
  xml = g_strdup_printf ("<disk type='%s'>%s%s%s<source %s='%s'/></disk>", dev ? "block" : "file",
                         fmt ? "<driver type='" : "", fmt ? fmt : "", fmt ? "'/>" : "", dev ? "dev" : "file", path);
  g_variant_builder_init (&params, G_VARIANT_TYPE ("a{sv}"));
  if (mib > 0)
    g_variant_builder_add (&params, "{sv}", "bandwidth", g_variant_new_uint64 (mib * 1024 * 1024));
  return block_job_run (ctx, a, "BlockCopy", g_variant_new ("(ssa{sv}u)", arg (a, 1), xml, &params, flags), TRUE);
}

static int
cmd_blockjob (Ctx *ctx, Args *a)
{
  FIND_OR_RETURN (d, VirtbusDomain, VIRTBUS_TYPE_DOMAIN, arg (a, 0), "domain");
  VirtbusObject *dom = VIRTBUS_OBJECT (d);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(Info) info = NULL;
  g_autofree char *progress = NULL, *bw = NULL;
  const char *disk = arg (a, 1);
  guint64 mib, cur, end, bandwidth;
  int code = EXIT_OK, type;

  if (!block_bandwidth (a, &mib, &code))
    return code;
  if (opt (a, "--abort") || opt (a, "--pivot")) {
    guint flags = (opt (a, "--async") ? 1 : 0) | (opt (a, "--pivot") ? 2 : 0);
    reply = call (dom, "BlockJobAbort", g_variant_new ("(su)", disk, flags), &code);
    if (reply == NULL)
      return code;
    done (ctx, opt (a, "--pivot") ? _("Disk '%s' pivoted") : _("Block job on disk '%s' aborted"), disk);
    return EXIT_OK;
  }
  if (opt_value (a, "--bandwidth") != NULL) {
    reply = call (dom, "BlockJobSetSpeed", g_variant_new ("(stu)", disk, mib, 0), &code);
    if (reply == NULL)
      return code;
    done (ctx, _("Bandwidth of the block job on disk '%s' set to %" G_GUINT64_FORMAT " MiB/s"), disk, mib);
    return EXIT_OK;
  }
  reply = call (dom, "GetBlockJobInfo", g_variant_new ("(su)", disk, 1 /* BANDWIDTH_BYTES */), &code);
  if (reply == NULL)
    return code;
  g_variant_get (reply, "((ittt))", &type, &bandwidth, &cur, &end);
  info = info_new ();
  info_add (info, _("Disk"), "disk", disk);
  info_add (info, _("Type"), "type",
            type >= 0 && type < (int) G_N_ELEMENTS (block_job_types) ? _(block_job_types[type]) : "?");
  if (type != 0 && ctx->json) {
    /* Numbers alone: bytes done and to do, bytes/s (0: unlimited). */
    g_autofree char *cur_s = g_strdup_printf ("%" G_GUINT64_FORMAT, cur);
    g_autofree char *end_s = g_strdup_printf ("%" G_GUINT64_FORMAT, end);

    info_add (info, "Current", "current#", cur_s);
    info_add (info, "End", "end#", end_s);
    bw = g_strdup_printf ("%" G_GUINT64_FORMAT, bandwidth);
    info_add (info, "Bandwidth", "bandwidth#", bw);
  } else if (type != 0) {
    progress = g_strdup_printf ("%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " (%.0f %%)", cur, end,
                                end ? 100.0 * cur / end : 0.0);
    bw = bandwidth ? g_strdup_printf ("%" G_GUINT64_FORMAT, bandwidth) : g_strdup (_("unlimited"));
    info_add (info, _("Progress (bytes)"), "progress", progress);
    info_add (info, _("Bandwidth (bytes/s)"), "bandwidth", bw);
  }
  info_print (ctx, info);
  return EXIT_OK;
}

/* ---- the command table ---- */

static const Cmd commands[] = {
  { "list", cmd_list, "[--all] [--inactive]", N_("list domains"), NULL },
  { "dominfo", cmd_dominfo, "DOMAIN", N_("domain information"), NULL },
  { "domstate", cmd_domstate, "DOMAIN [--reason]", N_("domain state"), NULL },
  { "start", cmd_start, "DOMAIN", N_("start a (previously defined) inactive domain"), NULL },
  { "shutdown", cmd_shutdown, "DOMAIN", N_("gracefully shut down a domain"), NULL },
  { "reboot", cmd_reboot, "DOMAIN", N_("reboot a domain"), NULL },
  { "reset", cmd_reset, "DOMAIN", N_("reset a domain"), NULL },
  { "destroy", cmd_destroy, "DOMAIN", N_("stop a domain at once"), NULL },
  { "suspend", cmd_suspend, "DOMAIN", N_("suspend a domain"), NULL },
  { "resume", cmd_resume, "DOMAIN", N_("resume a domain"), NULL },
  { "save", cmd_save, "DOMAIN FILE", N_("save a domain's state to a file"), NULL },
  { "restore", cmd_restore, "FILE", N_("restore a domain from a saved state file"), NULL },
  { "managedsave", cmd_managedsave, "DOMAIN", N_("save a domain's state for the next start"), NULL },
  { "define", cmd_define, "FILE", N_("define (but don't start) a domain from an XML file"), NULL },
  { "undefine", cmd_undefine, "DOMAIN", N_("undefine a domain"), NULL },
  { "create", cmd_create, "FILE", N_("create (start) a transient domain from an XML file"), NULL },
  { "dumpxml", cmd_dumpxml, "DOMAIN [--inactive] [--security-info] [--update-cpu] [--migratable]",
    N_("domain information in XML"), NULL },
  { "edit", cmd_edit, "DOMAIN", N_("edit a domain's XML configuration in $EDITOR"), NULL },
  { "autostart", cmd_autostart, "DOMAIN [--disable]", N_("autostart a domain"), NULL },
  { "setmem", cmd_setmem, "DOMAIN SIZE [--config] [--live] [--current]", N_("change memory allocation (KiB, or with a M/G suffix)"), NULL },
  { "setvcpus", cmd_setvcpus, "DOMAIN COUNT [--config] [--live] [--maximum] [--guest]",
    N_("change the number of virtual CPUs (with --guest: how many of them the guest keeps online)"), NULL },
  { "domiftune", cmd_domiftune,
    "DOMAIN INTERFACE [--inbound AVERAGE[,PEAK[,BURST[,FLOOR]]]] [--outbound AVERAGE[,PEAK[,BURST]]] [--config] "
    "[--live] [--current]",
    N_("show or set the bandwidth of a domain's interface (its host device name or MAC)"), "--inbound --outbound" },
  { "iothreadinfo", cmd_iothreadinfo, "DOMAIN [--config] [--live]", N_("the domain's IOThreads and their CPUs"),
    NULL },
  { "iothreadadd", cmd_iothreadadd, "DOMAIN ID [--config] [--live]", N_("add an IOThread"), NULL },
  { "iothreaddel", cmd_iothreaddel, "DOMAIN ID [--config] [--live]",
    N_("remove an IOThread (no disk or controller may use it)"), NULL },
  { "iothreadpin", cmd_iothreadpin, "DOMAIN ID CPULIST [--config] [--live]",
    N_("pin an IOThread to host CPUs (CPULIST as \"0-2,5\" or \"0-7,^3\")"), NULL },
  { "attach-device", cmd_attach_device, "DOMAIN FILE [--config] [--live] [--persistent]", N_("attach a device from an XML file"), NULL },
  { "detach-device", cmd_detach_device, "DOMAIN FILE [--config] [--live] [--persistent]", N_("detach a device described by an XML file"), NULL },
  { "domstats", cmd_domstats, "[DOMAIN...]", N_("domain statistics"), NULL },
  { "domblklist", cmd_domblklist, "DOMAIN [--inactive] [--details]", N_("list a domain's disks"), NULL },
  { "domifaddr", cmd_domifaddr, "DOMAIN [--source lease|agent|arp]", N_("domain interface addresses"), "--source" },
  { "domhostname", cmd_domhostname, "DOMAIN [--source lease|agent]",
    N_("the guest's host name (from its guest agent, or with --source lease from its DHCP lease)"), "--source" },
  { "console", cmd_console, "DOMAIN [--linger SECONDS]", N_("connect to the domain's serial console (Ctrl+] leaves)"), "--linger" },
  { "migrate", cmd_migrate,
    "DOMAIN DEST [--live] [--persistent] [--undefinesource] [--suspend] [--offline] [--postcopy] "
    "[--migrateuri tcp:HOST[:PORT]] [--dname NAME] [--xml FILE] [--bandwidth MIB]",
    N_("migrate a domain to the virtbusd at DEST (a D-Bus address, ssh://[user@]host[/system] or "
       "qemu+ssh://[user@]host/system)"),
    "--migrateuri --dname --xml --bandwidth" },
  { "blockpull", cmd_blockpull, "DOMAIN DISK [--base PATH] [--bandwidth MIB] [--wait]",
    N_("copy the images below a disk's top into it (down to --base)"), "--base --bandwidth" },
  { "blockcommit", cmd_blockcommit,
    "DOMAIN DISK [--top PATH] [--base PATH] [--active] [--shallow] [--delete] [--bandwidth MIB] [--wait] [--pivot]",
    N_("commit a disk's image (--top, or the active layer with --active) into one below it"),
    "--top --base --bandwidth" },
  { "blockcopy", cmd_blockcopy,
    "DOMAIN DISK DEST [--format FORMAT] [--blockdev] [--shallow] [--reuse-external] [--bandwidth MIB] [--wait] "
    "[--pivot]",
    N_("copy a running disk to DEST, mirroring its writes (then --pivot onto it)"), "--format --bandwidth" },
  { "blockjob", cmd_blockjob, "DOMAIN DISK [--abort] [--async] [--pivot] [--bandwidth MIB]",
    N_("a disk's block job: information, abort, pivot or bandwidth"), "--bandwidth" },
  { "snapshot-create-as", cmd_snapshot_create_as,
    "DOMAIN [NAME] [--description TEXT] [--disk-only] [--memspec SPEC] [--diskspec SPEC]... [--reuse-external] "
    "[--no-metadata] [--halt] [--quiesce] [--live]",
    N_("create a snapshot"), "--name --description --diskspec --memspec" },
  { "snapshot-list", cmd_snapshot_list, "DOMAIN", N_("list a domain's snapshots"), NULL },
  { "snapshot-revert", cmd_snapshot_revert, "DOMAIN SNAPSHOT [--running] [--paused] [--force]",
    N_("revert a domain to a snapshot"), NULL },
  { "snapshot-delete", cmd_snapshot_delete, "DOMAIN SNAPSHOT [--children] [--children-only] [--metadata]",
    N_("delete a snapshot (an external one: its overlays merged down)"), NULL },
  { "capabilities", cmd_capabilities, "", N_("host capabilities in XML"), NULL },
  { "nodeinfo", cmd_nodeinfo, "", N_("host information"), NULL },
  { "sysinfo", cmd_sysinfo, "", N_("the host's SMBIOS information in XML"), NULL },
  { "domcapabilities", cmd_domcapabilities, "[--virttype TYPE] [--machine MACHINE] [--emulator PATH] [--arch ARCH]",
    N_("what domains of a kind can have, in XML"), "--virttype --machine --emulator --arch" },
  { "cpu-models", cmd_cpu_models, "ARCH", N_("the CPU models of an architecture"), NULL },
  { "cpu-compare", cmd_cpu_compare, "FILE [--error] [--validate]",
    N_("compare the CPU described in FILE with the host's"), NULL },
  { "cpu-baseline", cmd_cpu_baseline, "FILE [--features] [--migratable]",
    N_("a CPU every CPU described in FILE can run"), NULL },
  { "nodecpumap", cmd_nodecpumap, "", N_("the host's present and online CPUs"), NULL },
  { "nodecpustats", cmd_nodecpustats, "[--cpu CPU]", N_("CPU times of the host or of one of its CPUs"), "--cpu" },
  { "nodememstats", cmd_nodememstats, "[--cell CELL]", N_("memory of the host or of one of its NUMA cells"),
    "--cell" },
  { "node-memory-tune", cmd_node_memory_tune,
    "[--shm-pages-to-scan N] [--shm-sleep-millisecs MS] [--shm-merge-across-nodes 0|1]",
    N_("the host's kernel same-page merging: show, or set"),
    "--shm-pages-to-scan --shm-sleep-millisecs --shm-merge-across-nodes" },
  { "hostname", cmd_hostname, "", N_("the host's name"), NULL },
  { "version", cmd_version, "", N_("versions of the client and the hypervisor"), NULL },
  { "net-list", cmd_net_list, "[--all] [--inactive]", N_("list networks"), NULL },
  { "net-info", cmd_net_info, "NETWORK", N_("network information"), NULL },
  { "net-dumpxml", cmd_net_dumpxml, "NETWORK [--inactive]", N_("network information in XML"), NULL },
  { "net-define", cmd_net_define, "FILE", N_("define a network from an XML file"), NULL },
  { "net-create", cmd_net_create, "FILE", N_("create (start) a transient network from an XML file"), NULL },
  { "net-undefine", cmd_net_undefine, "NETWORK", N_("undefine a network"), NULL },
  { "net-start", cmd_net_start, "NETWORK", N_("start an inactive network"), NULL },
  { "net-destroy", cmd_net_destroy, "NETWORK", N_("stop a network"), NULL },
  { "net-autostart", cmd_net_autostart, "NETWORK [--disable]", N_("autostart a network"), NULL },
  { "net-dhcp-leases", cmd_net_dhcp_leases, "NETWORK [--mac MAC]", N_("the DHCP leases of a running network"),
    "--mac" },
  { "pool-list", cmd_pool_list, "[--all] [--inactive]", N_("list storage pools"), NULL },
  { "pool-info", cmd_pool_info, "POOL", N_("storage pool information"), NULL },
  { "pool-dumpxml", cmd_pool_dumpxml, "POOL [--inactive]", N_("storage pool information in XML"), NULL },
  { "pool-define", cmd_pool_define, "FILE", N_("define a storage pool from an XML file"), NULL },
  { "pool-create", cmd_pool_create, "FILE", N_("create (start) a transient pool from an XML file"), NULL },
  { "pool-undefine", cmd_pool_undefine, "POOL", N_("undefine a storage pool"), NULL },
  { "pool-start", cmd_pool_start, "POOL [--build] [--overwrite] [--no-overwrite]", N_("start an inactive pool"),
    NULL },
  { "pool-build", cmd_pool_build, "POOL [--overwrite] [--no-overwrite]", N_("build a pool (make its directory)"),
    NULL },
  { "pool-delete", cmd_pool_delete, "POOL", N_("delete a pool's storage (its empty directory)"), NULL },
  { "pool-destroy", cmd_pool_destroy, "POOL", N_("stop a pool"), NULL },
  { "pool-refresh", cmd_pool_refresh, "POOL", N_("refresh a pool's volumes"), NULL },
  { "pool-autostart", cmd_pool_autostart, "POOL [--disable]", N_("autostart a pool"), NULL },
  { "vol-list", cmd_vol_list, "POOL", N_("list the volumes of a pool"), NULL },
  { "vol-info", cmd_vol_info, "VOL [--pool POOL]", N_("storage volume information"), "--pool" },
  { "vol-dumpxml", cmd_vol_dumpxml, "VOL [--pool POOL]", N_("storage volume information in XML"), "--pool" },
  { "vol-create-as", cmd_vol_create_as,
    "POOL NAME CAPACITY [--allocation SIZE] [--format FORMAT] [--backing-vol VOL] [--backing-vol-format FORMAT] "
    "[--prealloc-metadata]",
    N_("create a volume from a set of arguments"), "--allocation --format --backing-vol --backing-vol-format" },
  { "vol-clone", cmd_vol_clone, "VOL NEWNAME [--pool POOL] [--reflink]", N_("clone a volume in its pool"),
    "--pool" },
  { "vol-resize", cmd_vol_resize, "VOL CAPACITY [--pool POOL] [--allocate] [--delta] [--shrink]",
    N_("resize a volume"), "--pool" },
  { "vol-wipe", cmd_vol_wipe, "VOL [--pool POOL] [--algorithm ALGORITHM]", N_("wipe a volume's data"),
    "--pool --algorithm" },
  { "vol-path", cmd_vol_path, "VOL [--pool POOL]", N_("the path of a volume"), "--pool" },
  { "vol-delete", cmd_vol_delete, "VOL [--pool POOL]", N_("delete a volume"), "--pool" },
  { "iface-list", cmd_iface_list, "[--all] [--inactive]", N_("list host interfaces"), NULL },
  { "iface-dumpxml", cmd_iface_dumpxml, "INTERFACE [--inactive]", N_("host interface information in XML"), NULL },
  { "iface-define", cmd_iface_define, "FILE", N_("define a host interface from an XML file"), NULL },
  { "iface-undefine", cmd_iface_undefine, "INTERFACE", N_("undefine a host interface"), NULL },
  { "iface-start", cmd_iface_start, "INTERFACE", N_("start a host interface"), NULL },
  { "iface-destroy", cmd_iface_destroy, "INTERFACE", N_("stop a host interface"), NULL },
  { "nodedev-list", cmd_nodedev_list, "[--cap CAPABILITY]", N_("list host devices"), "--cap" },
  { "nodedev-info", cmd_nodedev_info, "DEVICE", N_("host device information"), NULL },
  { "nodedev-dumpxml", cmd_nodedev_dumpxml, "DEVICE", N_("host device information in XML"), NULL },
  { "nodedev-create", cmd_nodedev_create, "FILE", N_("create a host device from an XML file"), NULL },
  { "nodedev-destroy", cmd_nodedev_destroy, "DEVICE", N_("destroy a host device"), NULL },
  { "nodedev-detach", cmd_nodedev_detach, "DEVICE [--driver vfio]", N_("detach a PCI device for guests (vfio-pci)"),
    "--driver" },
  { "nodedev-reattach", cmd_nodedev_reattach, "DEVICE", N_("give a detached PCI device back to its host driver"),
    NULL },
  { "nodedev-reset", cmd_nodedev_reset, "DEVICE", N_("reset a detached PCI device"), NULL },
};

/* How many positional arguments each command takes, from its usage line:
 * upper-case words are arguments, "[X]" optional, "X..." any number. */
static void
arity (const Cmd *cmd, guint *min, guint *max)
{
  g_auto(GStrv) words = g_strsplit (cmd->usage, " ", -1);

  *min = *max = 0;
  for (guint i = 0; words[i] != NULL; i++) {
    const char *w = words[i];
    gboolean optional = w[0] == '[';
    const char *name = optional ? w + 1 : w;
    if (name[0] == '-' || !g_ascii_isupper (name[0]))
      continue;
    if (i > 0 && g_str_has_prefix (words[i - 1], "[--"))
      continue; /* the value of an option */
    if (strstr (w, "...") != NULL) {
      *max = G_MAXUINT;
      continue;
    }
    (*max)++;
    if (!optional)
      (*min)++;
  }
}

static void
usage (FILE *out)
{
  fprintf (out, _("Usage: virtbusctl [-c URI] [--json] COMMAND [ARGS...]\n\n"
                  "Options:\n"
                  "  -c, --connect URI   connection URI (default: $VIRTBUS_DEFAULT_URI or test:///default);\n"
                  "                      qemu:///system, qemu:///session, test:///default,\n"
                  "                      qemu+ssh://[user@]host[:port]/system[?keyfile=…&no_verify=1]\n"
                  "  --json              machine-readable output\n"
                  "  -i, --interactive   allow polkit to ask for a password\n"
                  "  -h, --help          this help; 'virtbusctl help COMMAND' for one command\n\n"
                  "Commands:\n"));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-20s %s\n", commands[i].name, _(commands[i].help));
  fprintf (out, _("\nExit codes: 0 ok, 1 operation failed, 2 usage error, 3 no such object,\n"
                  "4 cannot connect, 5 not authorized, 6 not available on this connection.\n"));
}

static const Cmd *
lookup_command (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (commands[i].name, name))
      return &commands[i];
  return NULL;
}

static void
add_opt (Args *a, const char *name, const char *value)
{
  GPtrArray *values = g_hash_table_lookup (a->opts, name);

  if (values == NULL) {
    values = g_ptr_array_new_with_free_func (g_free);
    g_hash_table_insert (a->opts, g_strdup (name), values);
  }
  g_ptr_array_add (values, g_strdup (value));
}

/* Splits a command's arguments into options and positional arguments. */
static gboolean
parse_args (const Cmd *cmd, int argc, char **argv, Args *a)
{
  g_autoptr(GStrvBuilder) pos = g_strv_builder_new ();
  g_auto(GStrv) value_opts = g_strsplit (cmd->value_opts != NULL ? cmd->value_opts : "", " ", -1);
  gboolean only_positional = FALSE;

  a->opts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  for (int i = 0; i < argc; i++) {
    const char *w = argv[i];
    if (only_positional || w[0] != '-' || w[1] != '-') {
      g_strv_builder_add (pos, w);
      continue;
    }
    if (g_str_equal (w, "--")) {
      only_positional = TRUE;
      continue;
    }
    {
      const char *eq = strchr (w, '=');
      g_autofree char *name = eq != NULL ? g_strndup (w, eq - w) : g_strdup (w);
      if (g_strv_contains ((const char *const *) value_opts, name)) {
        if (eq == NULL && i + 1 >= argc) {
          g_printerr (_("error: option %s needs a value\n"), name);
          return FALSE;
        }
        add_opt (a, name, eq != NULL ? eq + 1 : argv[++i]);
      } else if (strstr (cmd->usage, name) != NULL && eq == NULL) {
        add_opt (a, name, "");
      } else {
        g_printerr (_("error: command '%s' doesn't support option %s\n"), cmd->name, name);
        return FALSE;
      }
    }
  }
  a->argv = g_strv_builder_end (pos);
  return TRUE;
}

static int
run (Ctx *ctx, const Cmd *cmd, Args *args, gboolean interactive)
{
  GError *error = NULL;
  int code;

  ctx->client = virtbus_client_new_for_uri_sync (ctx->uri, NULL, &error);
  if (ctx->client == NULL) {
    g_printerr (_("error: failed to connect to '%s'\n"), ctx->uri);
    code = fail (error);
    return code == EXIT_FAILED ? EXIT_CONNECT : code;
  }
  virtbus_client_set_interactive_authorization (ctx->client, interactive);
  return cmd->func (ctx, args);
}

int
main (int argc, char **argv)
{
  Ctx ctx = { 0 };
  Args args = { 0 };
  const Cmd *cmd;
  gboolean interactive = FALSE;
  guint min, max;
  int i, code;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  ctx.uri = g_getenv ("VIRTBUS_DEFAULT_URI");
  if (ctx.uri == NULL || ctx.uri[0] == '\0')
    ctx.uri = "test:///default";

  /* Global options come before the command, as with virsh. */
  for (i = 1; i < argc && argv[i][0] == '-'; i++) {
    const char *w = argv[i];
    if (g_str_equal (w, "-c") || g_str_equal (w, "--connect")) {
      if (i + 1 >= argc) {
        g_printerr (_("error: %s needs a URI\n"), w);
        return EXIT_USAGE;
      }
      ctx.uri = argv[++i];
    } else if (g_str_has_prefix (w, "--connect=")) {
      ctx.uri = w + strlen ("--connect=");
    } else if (g_str_equal (w, "--json")) {
      ctx.json = TRUE;
    } else if (g_str_equal (w, "-i") || g_str_equal (w, "--interactive")) {
      interactive = TRUE;
    } else if (g_str_equal (w, "-h") || g_str_equal (w, "--help")) {
      usage (stdout);
      return EXIT_OK;
    } else if (g_str_equal (w, "-v") || g_str_equal (w, "--version")) {
      g_print ("%s\n", PACKAGE_VERSION);
      return EXIT_OK;
    } else {
      g_printerr (_("error: unknown option '%s'\n"), w);
      usage (stderr);
      return EXIT_USAGE;
    }
  }
  if (i >= argc) {
    usage (stderr);
    return EXIT_USAGE;
  }
  if (g_str_equal (argv[i], "help")) {
    if (i + 1 < argc && (cmd = lookup_command (argv[i + 1])) != NULL) {
      g_print ("virtbusctl %s %s\n  %s\n", cmd->name, cmd->usage, _(cmd->help));
      return EXIT_OK;
    }
    usage (stdout);
    return EXIT_OK;
  }
  cmd = lookup_command (argv[i]);
  if (cmd == NULL) {
    g_printerr (_("error: unknown command: '%s'\n"), argv[i]);
    return EXIT_USAGE;
  }
  /* --json and --help may follow the command too. */
  {
    g_autoptr(GPtrArray) rest = g_ptr_array_new ();
    for (int j = i + 1; j < argc; j++) {
      if (g_str_equal (argv[j], "--json"))
        ctx.json = TRUE;
      else if (g_str_equal (argv[j], "--help")) {
        g_print ("virtbusctl %s %s\n  %s\n", cmd->name, cmd->usage, _(cmd->help));
        return EXIT_OK;
      } else
        g_ptr_array_add (rest, argv[j]);
    }
    if (!parse_args (cmd, rest->len, (char **) rest->pdata, &args)) {
      g_clear_pointer (&args.opts, g_hash_table_unref); /* LeakSanitizer */
      return EXIT_USAGE;
    }
  }
  arity (cmd, &min, &max);
  code = need_args (cmd, &args, min, max);
  if (code == EXIT_OK)
    code = run (&ctx, cmd, &args, interactive);
  g_clear_object (&ctx.client);
  g_strfreev (args.argv);
  g_clear_pointer (&args.opts, g_hash_table_unref);
  return code;
}
