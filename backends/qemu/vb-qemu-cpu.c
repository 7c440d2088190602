/* x86 CPU models from QEMU's own definitions; see vb-qemu-cpu.h.
 *
 * A feature set is a GHashTable of interned QEMU feature names (direct
 * hash). Only "compared" features take part in matching: QEMU's models
 * also set things no host CPU flag shows (the "hypervisor" bit, VMX
 * capability MSRs, IA32_ARCH_CAPABILITIES bits), which would make every
 * model look foreign to every host. */
#include "vb-qemu-cpu.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "vb-error.h"
#include "vb-xml.h"

/* libvirt's virConnectCompareCPUFlags, virCPUCompareResult and
 * virConnectBaselineCPUFlags. */
enum {
  COMPARE_FAIL_INCOMPATIBLE = 1 << 0,
  COMPARE_VALIDATE_XML = 1 << 1,
};
enum {
  CPU_INCOMPATIBLE = 0,
  CPU_IDENTICAL = 1,
  CPU_SUPERSET = 2,
};
enum {
  BASELINE_EXPAND_FEATURES = 1 << 0,
  BASELINE_MIGRATABLE = 1 << 1,
};

typedef struct {
  const char *name; /* interned */
  char *vendor;     /* libvirt's name */
  GHashTable *features;
  gboolean named; /* a name libvirt knows: no "-vN" version, not max/host/base */
} Model;

struct _VbQemuCpuData {
  gatomicrefcount ref;
  GMutex lock; /* the lazy parse */
  GBytes *packed;     /* the transcript, zlib-compressed (~1/40 of its size) */
  gsize packed_size;  /* the transcript's own length */
  GHashTable *tcg_unusable; /* interned model name → itself */
  gboolean parsed;
  char *parse_error;
  GHashTable *models;     /* interned name → Model */
  GPtrArray *named;       /* Model, in name order */
  GHashTable *known;      /* normalised name → interned QEMU name */
  GHashTable *tcg_max;    /* what TCG can give a guest */
  char *host_vendor;      /* libvirt's name, or NULL */
  GHashTable *host;       /* what the host's CPU has */
};

/* ---- names ---- */

/* QEMU's name → libvirt's where they differ (beyond case). */
static const struct {
  const char *qemu, *libvirt;
} libvirt_names[] = {
  { "pclmulqdq", "pclmuldq" },     { "lahf-lm", "lahf_lm" },         { "cmp-legacy", "cmp_legacy" },
  { "nodeid-msr", "nodeid_msr" },   { "perfctr-core", "perfctr_core" }, { "perfctr-nb", "perfctr_nb" },
  { "tsc-adjust", "tsc_adjust" },   { "fxsr-opt", "fxsr_opt" },       { "ds-cpl", "ds_cpl" },
};

/* Other spellings of QEMU's features (libvirt's, the kernel's). */
static const struct {
  const char *alias, *qemu;
} aliases[] = {
  { "pclmuldq", "pclmulqdq" },         { "sse3", "pni" },         { "tsc_deadline_timer", "tsc-deadline" },
  { "nonstop_tsc", "invtsc" },         { "xd", "nx" },            { "i64", "lm" },
  { "ffxsr", "fxsr-opt" },             { "sse4_1", "sse4.1" },    { "sse4_2", "sse4.2" },
  { "md_clear", "md-clear" },          { "arch_capabilities", "arch-capabilities" },
};

/* Set by QEMU's models but shown by no host CPU flag. */
static const char *const not_compared[] = {
  "hypervisor", "rdctl-no", "ibrs-all", "skip-l1dfl-vmentry", "ssb-no", "mds-no", "pschange-mc-no", "tsx-ctrl",
  "taa-no", "sbdr-ssdp-no", "fbsdp-no", "psdp-no", "fb-clear", "rrsba", "bhi-no", "gds-no", "rfds-no", "rsba",
  "pbrsb-no", "spec-ctrl", "ssbd", "virt-ssbd", "amd-ssbd", "amd-stibp", "stibp", "ibpb", "ibrs", "amd-no-ssb",
  "core-capability", "split-lock-detect", "full-width-write", "pdcm", "xtpr", "x2apic", "tsc-deadline",
};

/* Not kept across migration (libvirt's migratable='no'). */
static const char *const unmigratable[] = { "invtsc", NULL };

static char *
normalise (const char *name)
{
  GString *s = g_string_new (NULL);

  for (const char *p = name; *p != '\0'; p++)
    if (*p != '-' && *p != '_' && *p != '.')
      g_string_append_c (s, g_ascii_tolower (*p));
  return g_string_free (s, FALSE);
}

static gboolean
compared (const char *feature)
{
  if (g_str_has_prefix (feature, "vmx-") || g_str_has_prefix (feature, "kvm"))
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (not_compared); i++)
    if (strcmp (feature, not_compared[i]) == 0)
      return FALSE;
  return TRUE;
}

static const char *
libvirt_name (const char *qemu)
{
  for (guint i = 0; i < G_N_ELEMENTS (libvirt_names); i++)
    if (strcmp (libvirt_names[i].qemu, qemu) == 0)
      return libvirt_names[i].libvirt;
  return qemu;
}

/* QEMU's (interned) name of @name in any spelling, or NULL. */
static const char *
lookup_feature (VbQemuCpuData *data, const char *name)
{
  g_autofree char *key = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (aliases); i++)
    if (g_ascii_strcasecmp (aliases[i].alias, name) == 0)
      name = aliases[i].qemu;
  key = normalise (name);
  return g_hash_table_lookup (data->known, key);
}

const char *
vb_qemu_cpu_vendor_name (const char *cpuid_vendor)
{
  if (cpuid_vendor == NULL || *cpuid_vendor == '\0')
    return NULL;
  if (strcmp (cpuid_vendor, "GenuineIntel") == 0)
    return "Intel";
  if (strcmp (cpuid_vendor, "AuthenticAMD") == 0)
    return "AMD";
  if (strcmp (cpuid_vendor, "HygonGenuine") == 0)
    return "Hygon";
  if (strcmp (cpuid_vendor, "CentaurHauls") == 0 || strcmp (cpuid_vendor, "  Shanghai  ") == 0)
    return "Zhaoxin";
  return cpuid_vendor;
}

/* ---- the data ---- */

static void
model_free (gpointer p)
{
  Model *m = p;

  g_free (m->vendor);
  g_hash_table_unref (m->features);
  g_free (m);
}

static GHashTable *
set_new (void)
{
  return g_hash_table_new (g_direct_hash, g_direct_equal);
}

static void
set_add (GHashTable *set, const char *interned)
{
  g_hash_table_add (set, (gpointer) interned);
}

static gboolean
set_has (GHashTable *set, const char *interned)
{
  return g_hash_table_contains (set, interned);
}

VbQemuCpuData *
vb_qemu_cpu_data_new (void)
{
  VbQemuCpuData *data = g_new0 (VbQemuCpuData, 1);

  g_atomic_ref_count_init (&data->ref);
  g_mutex_init (&data->lock);
  data->tcg_unusable = set_new ();
  return data;
}

/* @data through a zlib (de)compressor until it finishes, into a buffer of
 * @initial bytes to start with; NULL with @error if it fails or the output
 * would exceed @limit bytes. */
static GByteArray *
zlib_run (GConverter *conv, const guint8 *data, gsize len, gsize initial, gsize limit, GError **error)
{
  g_autoptr(GByteArray) out = g_byte_array_sized_new (initial);
  gsize in = 0;

  for (;;) {
    const gsize chunk = 64 * 1024;
    guint old = out->len;
    gsize bytes_read = 0, written = 0;
    GConverterResult r;

    if (old > limit) {
      g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "more than %" G_GSIZE_FORMAT " bytes", limit);
      return NULL;
    }
    g_byte_array_set_size (out, old + chunk);
    r = g_converter_convert (conv, data + in, len - in, out->data + old, chunk, G_CONVERTER_INPUT_AT_END,
                             &bytes_read, &written, error);
    g_byte_array_set_size (out, old + written);
    if (r == G_CONVERTER_ERROR)
      return NULL;
    in += bytes_read;
    if (r == G_CONVERTER_FINISHED)
      return g_steal_pointer (&out);
  }
}

gboolean
vb_qemu_cpu_data_set_transcript (VbQemuCpuData *data, const char *transcript, GError **error)
{
  g_autoptr(GZlibCompressor) conv = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_ZLIB, 6);
  gsize len = strlen (transcript);
  GByteArray *out = zlib_run (G_CONVERTER (conv), (const guint8 *) transcript, len, len / 16, len + 1024, error);

  if (out == NULL) {
    g_prefix_error (error, "cannot compress QEMU's CPU model descriptions: ");
    return FALSE;
  }
  vb_qemu_cpu_data_set_packed (data, g_byte_array_free_to_bytes (out), len);
  return TRUE;
}

void
vb_qemu_cpu_data_set_packed (VbQemuCpuData *data, GBytes *packed, gsize size)
{
  g_clear_pointer (&data->packed, g_bytes_unref);
  data->packed = packed;
  data->packed_size = size;
}

GBytes *
vb_qemu_cpu_data_get_packed (VbQemuCpuData *data, gsize *size)
{
  GBytes *packed;

  g_mutex_lock (&data->lock);
  packed = data->packed ? g_bytes_ref (data->packed) : NULL;
  *size = data->packed_size;
  g_mutex_unlock (&data->lock);
  return packed;
}

/* The transcript back, NUL-terminated; NULL with @error when the packed
 * bytes are not what was packed (a damaged cache file). */
static char *
unpack_transcript (VbQemuCpuData *data, GError **error)
{
  g_autoptr(GZlibDecompressor) conv = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_ZLIB);
  g_autoptr(GError) local = NULL;
  GByteArray *out;
  gsize len;
  const guint8 *bytes;

  if (data->packed == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "no description from QEMU");
    return NULL;
  }
  bytes = g_bytes_get_data (data->packed, &len);
  /* Sized for all of it: one allocation, given back whole when freed. */
  out = zlib_run (G_CONVERTER (conv), bytes, len, data->packed_size + 64 * 1024 + 1, data->packed_size, &local);
  if (out != NULL && out->len != data->packed_size) {
    g_set_error (&local, VB_ERROR, VB_ERROR_FAILED, "%u bytes instead of %" G_GSIZE_FORMAT, out->len,
                 data->packed_size);
    g_clear_pointer (&out, g_byte_array_unref);
  }
  if (out == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "the stored description is damaged (%s)", local->message);
    return NULL;
  }
  g_byte_array_append (out, (const guint8 *) "", 1);
  return (char *) g_byte_array_free (out, FALSE);
}

VbQemuCpuData *
vb_qemu_cpu_data_ref (VbQemuCpuData *data)
{
  g_atomic_ref_count_inc (&data->ref);
  return data;
}

void
vb_qemu_cpu_data_unref (VbQemuCpuData *data)
{
  if (data == NULL || !g_atomic_ref_count_dec (&data->ref))
    return;
  g_clear_pointer (&data->packed, g_bytes_unref);
  g_hash_table_unref (data->tcg_unusable);
  g_free (data->parse_error);
  g_clear_pointer (&data->models, g_hash_table_unref);
  g_clear_pointer (&data->named, g_ptr_array_unref);
  g_clear_pointer (&data->known, g_hash_table_unref);
  g_clear_pointer (&data->tcg_max, g_hash_table_unref);
  g_clear_pointer (&data->host, g_hash_table_unref);
  g_free (data->host_vendor);
  g_mutex_clear (&data->lock);
  g_free (data);
}

void
vb_qemu_cpu_data_set_tcg_unusable (VbQemuCpuData *data, const char *model)
{
  set_add (data->tcg_unusable, g_intern_string (model));
}

char *
vb_qemu_cpu_probe_script (GPtrArray *models)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i <= models->len; i++) {
    const char *name = i < models->len ? g_ptr_array_index (models, i) : "max";

    /* QEMU's names are plain; anything else would need quoting. */
    if (g_str_equal (name, "host") || (i < models->len && g_str_equal (name, "max")) || *name == '\0'
        || strspn (name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != strlen (name))
      continue;
    g_string_append_printf (s,
                            "{\"execute\":\"query-cpu-model-expansion\",\"arguments\":{\"type\":\"static\","
                            "\"model\":{\"name\":\"%s\"}},\"id\":\"m:%s\"}\n",
                            name, name);
  }
  g_string_append (s, "{\"execute\":\"quit\",\"id\":\"" VB_QEMU_CPU_PROBE_END "\"}\n");
  return g_string_free (s, FALSE);
}

/* A model name without QEMU's version suffix ("-v2"). */
static gboolean
is_named (const char *name)
{
  const char *v = strrchr (name, '-');

  if (g_str_equal (name, "max") || g_str_equal (name, "host") || g_str_equal (name, "base"))
    return FALSE;
  if (v == NULL || v[1] != 'v' || v[2] == '\0')
    return TRUE;
  for (const char *p = v + 2; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      return TRUE;
  return FALSE;
}

static int
compare_models (gconstpointer a, gconstpointer b)
{
  return strcmp ((*(const Model *const *) a)->name, (*(const Model *const *) b)->name);
}

/* The host's CPU from /proc/cpuinfo: its vendor and its flags in QEMU's
 * names (flags QEMU has no feature for are left out). */
static void
read_host (VbQemuCpuData *data)
{
  g_autofree char *cpuinfo = NULL;
  g_auto(GStrv) lines = NULL;

  data->host = set_new ();
  if (!g_file_get_contents ("/proc/cpuinfo", &cpuinfo, NULL, NULL))
    return;
  lines = g_strsplit (cpuinfo, "\n", -1);
  for (guint i = 0; lines[i] != NULL && *lines[i] != '\0'; i++) {
    char *colon = strchr (lines[i], ':');
    g_autofree char *key = NULL;

    if (colon == NULL)
      continue;
    key = g_strstrip (g_strndup (lines[i], colon - lines[i]));
    if (g_str_equal (key, "vendor_id") && data->host_vendor == NULL) {
      g_autofree char *v = g_strdup (colon + 1);
      data->host_vendor = g_strdup (vb_qemu_cpu_vendor_name (g_strstrip (v)));
    } else if (g_str_equal (key, "flags") && g_hash_table_size (data->host) == 0) {
      g_auto(GStrv) flags = g_strsplit (g_strstrip (colon + 1), " ", -1);

      for (guint f = 0; flags[f] != NULL; f++) {
        const char *name = lookup_feature (data, flags[f]);

        if (name != NULL)
          set_add (data->host, name);
      }
    }
  }
  /* The kernel's "ibrs" on Intel is IA32_SPEC_CTRL, QEMU's spec-ctrl. */
  if (g_strcmp0 (data->host_vendor, "Intel") == 0 && set_has (data->host, g_intern_string ("ibrs")))
    set_add (data->host, g_intern_string ("spec-ctrl"));
}

static gboolean
parse_expansion (VbQemuCpuData *data, const char *line, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *obj, *ret, *model, *props;
  const char *id;
  g_autoptr(GList) members = NULL;
  GHashTable *features;

  if (strstr (line, "\"m:") == NULL || !json_parser_load_from_data (parser, line, -1, NULL)
      || json_parser_get_root (parser) == NULL || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return TRUE;
  obj = json_node_get_object (json_parser_get_root (parser));
  id = json_object_get_string_member_with_default (obj, "id", NULL);
  if (id == NULL || !g_str_has_prefix (id, "m:"))
    return TRUE;
  id += 2;
  if (json_object_has_member (obj, "error"))
    return TRUE; /* a model QEMU cannot expand is left out */
  ret = json_object_get_object_member (obj, "return");
  model = ret != NULL && json_object_has_member (ret, "model") ? json_object_get_object_member (ret, "model") : NULL;
  props = model != NULL && json_object_has_member (model, "props") ? json_object_get_object_member (model, "props")
                                                                     : NULL;
  if (props == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "QEMU's expansion of CPU model %s has no properties", id);
    return FALSE;
  }
  features = set_new ();
  members = json_object_get_members (props);
  for (GList *l = members; l != NULL; l = l->next) {
    JsonNode *node = json_object_get_member (props, l->data);
    const char *name;

    if (JSON_NODE_TYPE (node) != JSON_NODE_VALUE || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
      continue;
    name = g_intern_string (l->data);
    if (!g_hash_table_contains (data->known, name)) {
      char *key = normalise (name);

      /* The first spelling wins: QEMU lists each feature once. */
      if (!g_hash_table_contains (data->known, key))
        g_hash_table_insert (data->known, key, (gpointer) name);
      else
        g_free (key);
    }
    if (json_node_get_boolean (node))
      set_add (features, name);
  }
  if (g_str_equal (id, "max")) {
    g_clear_pointer (&data->tcg_max, g_hash_table_unref);
    data->tcg_max = features;
  } else {
    Model *m = g_new0 (Model, 1);

    m->name = g_intern_string (id);
    m->vendor = g_strdup (vb_qemu_cpu_vendor_name (json_object_get_string_member_with_default (props, "vendor", NULL)));
    m->features = features;
    m->named = is_named (id);
    g_hash_table_replace (data->models, (gpointer) m->name, m);
  }
  return TRUE;
}

static gboolean
ensure_parsed (VbQemuCpuData *data, GError **error)
{
  g_autoptr(GError) local = NULL;
  GHashTableIter iter;
  gpointer value;

  g_mutex_lock (&data->lock);
  if (!data->parsed) {
    g_autofree char *transcript = unpack_transcript (data, &local);
    char *line = transcript, *next;

    data->models = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, model_free);
    data->named = g_ptr_array_new ();
    data->known = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    /* A line at a time, in place: the ~0.9 MB are not copied again. */
    for (; line != NULL && local == NULL; line = next) {
      next = strchr (line, '\n');
      if (next != NULL)
        *next++ = '\0';
      parse_expansion (data, line, &local);
    }
    g_clear_pointer (&transcript, g_free);
    if (local == NULL && (data->tcg_max == NULL || g_hash_table_size (data->models) == 0))
      local = g_error_new (VB_ERROR, VB_ERROR_FAILED, "QEMU described no CPU models");
    if (local != NULL)
      data->parse_error = g_strdup (local->message);
    g_hash_table_iter_init (&iter, data->models);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      if (((Model *) value)->named)
        g_ptr_array_add (data->named, value);
    g_ptr_array_sort (data->named, compare_models);
    read_host (data);
    data->parsed = TRUE;
  }
  g_mutex_unlock (&data->lock);
  if (data->parse_error != NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "cannot tell CPU models apart: %s", data->parse_error);
    return FALSE;
  }
  return TRUE;
}

/* ---- matching ---- */

/* |a \ b| over the compared features. */
static guint
count_missing (GHashTable *a, GHashTable *b)
{
  GHashTableIter iter;
  gpointer key;
  guint n = 0;

  g_hash_table_iter_init (&iter, a);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (compared (key) && !set_has (b, key))
      n++;
  return n;
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Libvirt's names of the compared features in @a but not in @b, sorted. */
static GPtrArray *
difference (GHashTable *a, GHashTable *b)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, a);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (compared (key) && (b == NULL || !set_has (b, key)))
      g_ptr_array_add (out, g_strdup (libvirt_name (key)));
  g_ptr_array_sort (out, compare_strings);
  return out;
}

/* The named model closest to @features: of the vendor's models when it
 * has any (@vendor NULL: any model), one that needs no feature taken away
 * when @subset, else the one with the fewest features added and taken away
 * together; ties go to the model with more features. */
static Model *
closest_model (VbQemuCpuData *data, GHashTable *features, const char *vendor, gboolean subset)
{
  for (int pass = 0; pass < 2; pass++) {
    Model *best = NULL;
    guint best_cost = G_MAXUINT, best_size = 0;

    for (guint i = 0; i < data->named->len; i++) {
      Model *m = g_ptr_array_index (data->named, i);
      guint missing, extra, size;

      if (pass == 0 && vendor != NULL && g_strcmp0 (m->vendor, vendor) != 0)
        continue;
      missing = count_missing (m->features, features);
      if (subset && missing > 0)
        continue;
      extra = count_missing (features, m->features);
      size = g_hash_table_size (m->features);
      if (missing + extra < best_cost || (missing + extra == best_cost && size > best_size)) {
        best = m;
        best_cost = missing + extra;
        best_size = size;
      }
    }
    if (best != NULL || vendor == NULL)
      return best;
  }
  return NULL;
}

static VbQemuCpuModelDef *
model_def_new (Model *m, GHashTable *features, const char *vendor)
{
  VbQemuCpuModelDef *def = g_new0 (VbQemuCpuModelDef, 1);

  def->model = g_strdup (m->name);
  def->vendor = g_strdup (vendor);
  def->require = difference (features, m->features);
  def->disable = difference (m->features, features);
  return def;
}

void
vb_qemu_cpu_model_def_free (VbQemuCpuModelDef *def)
{
  if (def == NULL)
    return;
  g_free (def->model);
  g_free (def->vendor);
  g_ptr_array_unref (def->require);
  g_ptr_array_unref (def->disable);
  g_free (def);
}

VbQemuCpuModelDef *
vb_qemu_cpu_host (VbQemuCpuData *data, GError **error)
{
  Model *m;

  if (!ensure_parsed (data, error))
    return NULL;
  m = closest_model (data, data->host, data->host_vendor, TRUE);
  if (m == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "no CPU model of QEMU fits the host's CPU");
    return NULL;
  }
  return model_def_new (m, data->host, data->host_vendor);
}

/* What a guest of the given kind can have of the host's CPU: under KVM,
 * the host's features (KVM virtualises them; QEMU leaves out, with a
 * warning, what this kernel's KVM cannot); under TCG those TCG emulates. */
static GHashTable *
guest_features (VbQemuCpuData *data, gboolean kvm)
{
  GHashTable *set = set_new ();
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, data->host);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (kvm || set_has (data->tcg_max, key))
      set_add (set, key);
  return set;
}

VbQemuCpuModelDef *
vb_qemu_cpu_host_model (VbQemuCpuData *data, gboolean kvm, GError **error)
{
  g_autoptr(GHashTable) features = NULL;
  Model *m;

  if (!ensure_parsed (data, error))
    return NULL;
  features = guest_features (data, kvm);
  VbQemuCpuModelDef *def;

  m = closest_model (data, features, data->host_vendor, FALSE);
  if (m == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "QEMU has no CPU models");
    return NULL;
  }
  def = model_def_new (m, features, data->host_vendor);
  if (!kvm) {
    GHashTableIter iter;
    gpointer key;
    gboolean added = FALSE;

    /* Under TCG also what the model has but TCG cannot give, compared or
     * not (QEMU would warn and leave it out). VMX's own capabilities go
     * with vmx. */
    g_hash_table_iter_init (&iter, m->features);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      if (!set_has (data->tcg_max, key) && !g_str_has_prefix (key, "vmx-")
          && !g_ptr_array_find_with_equal_func (def->disable, libvirt_name (key), g_str_equal, NULL)) {
        g_ptr_array_add (def->disable, g_strdup (libvirt_name (key)));
        added = TRUE;
      }
    if (added)
      g_ptr_array_sort (def->disable, compare_strings);
  }
  return def;
}

const char *
vb_qemu_cpu_model_usable (VbQemuCpuData *data, const char *model, gboolean kvm)
{
  Model *m;

  if (!kvm)
    return set_has (data->tcg_unusable, g_intern_string (model)) ? "no" : "yes";
  if (!ensure_parsed (data, NULL))
    return "unknown";
  m = g_hash_table_lookup (data->models, g_intern_string (model));
  if (m == NULL)
    return "unknown";
  return count_missing (m->features, data->host) == 0 ? "yes" : "no";
}

const char *
vb_qemu_cpu_host_vendor (VbQemuCpuData *data)
{
  return ensure_parsed (data, NULL) ? data->host_vendor : NULL;
}

const char *
vb_qemu_cpu_model_vendor (VbQemuCpuData *data, const char *model)
{
  Model *m;

  if (!ensure_parsed (data, NULL))
    return "unknown";
  m = g_hash_table_lookup (data->models, g_intern_string (model));
  return m != NULL && m->vendor != NULL ? m->vendor : "unknown";
}

/* ---- <cpu> documents ---- */

typedef struct {
  gboolean guest; /* mode or match given: a guest's CPU, else a host's */
  VbDomainCpuMode mode;
  VbDomainCpuMatch match;
  char *arch;
  char *vendor;
  Model *model;
  GHashTable *require; /* the model's features and those required */
  GHashTable *forbid;
  GHashTable *listed; /* every feature named in the document */
} Cpu;

static void
cpu_free (Cpu *cpu)
{
  g_free (cpu->arch);
  g_free (cpu->vendor);
  g_hash_table_unref (cpu->require);
  g_hash_table_unref (cpu->forbid);
  g_hash_table_unref (cpu->listed);
  g_free (cpu);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Cpu, cpu_free)

static const char *const mode_names[] = { "custom", "host-model", "host-passthrough", "maximum", NULL };
static const char *const match_names[] = { "", "minimum", "exact", "strict", NULL };
static const char *const policy_names[] = { "force", "require", "optional", "disable", "forbid", NULL };

static gboolean
is_x86 (const char *arch)
{
  return g_strcmp0 (arch, "x86_64") == 0 || g_strcmp0 (arch, "i686") == 0;
}

static Cpu *
cpu_parse (VbQemuCpuData *data, const char *xml, gboolean host_only, gboolean validate, GError **error)
{
  static const char *const extras[] = { "features", "topology", "microcode", "counter", "pages", "cache", "numa", "maxphysaddr",
                                        "signature", NULL };
  g_autoptr(xmlDoc) doc = NULL;
  g_autoptr(Cpu) cpu = NULL;
  xmlNode *root, *node = NULL;
  g_autofree char *model = NULL;
  int has_mode, has_match, v;

  if (xml == NULL || *xml == '\0') {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "no CPU definition given");
    return NULL;
  }
  doc = vb_xml_parse (xml, -1, "cpu", error);
  if (doc == NULL)
    return NULL;
  root = xmlDocGetRootElement (doc);
  cpu = g_new0 (Cpu, 1);
  cpu->require = set_new ();
  cpu->forbid = set_new ();
  cpu->listed = set_new ();
  /* As libvirt reads a <cpu>: with an <arch>, the host's; else a guest's. */
  cpu->arch = vb_xml_child_text (root, "arch");
  cpu->guest = cpu->arch == NULL;
  if (host_only && cpu->guest) {
    g_set_error (error, VB_ERROR, VB_ERROR_XML, "missing CPU architecture (<arch>): a host CPU's definition is needed");
    return NULL;
  }
  if ((has_mode = vb_xml_prop_enum (root, "mode", mode_names, (int *) &cpu->mode, error)) < 0
      || (has_match = vb_xml_prop_enum (root, "match", match_names, (int *) &cpu->match, error)) < 0)
    return NULL;
  if (!cpu->guest && (has_mode > 0 || has_match > 0)) {
    g_set_error (error, VB_ERROR, VB_ERROR_XML, "attributes mode and match are only allowed for a guest's CPU");
    return NULL;
  }
  if ((node = vb_xml_child (root, "model")) != NULL) {
    model = vb_xml_text (node);
    g_free (vb_xml_prop (node, "fallback"));
    g_free (vb_xml_prop (node, "vendor_id"));
  }
  cpu->vendor = vb_xml_child_text (root, "vendor");
  /* Parts of a CPU's description that do not change what it has. */
  for (xmlNode *n = root->children; n != NULL; n = n->next)
    if (n->type == XML_ELEMENT_NODE && g_strv_contains (extras, (const char *) n->name))
      vb_xml_mark_subtree (n);

  if (cpu->arch != NULL && !is_x86 (cpu->arch)) {
    /* Nothing to look up: compare says incompatible, baseline refuses. */
  } else if (model != NULL) {
    cpu->model = g_hash_table_lookup (data->models, g_intern_string (model));
    if (cpu->model == NULL) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "unknown CPU model %s (Connect.GetCPUModelNames lists them)",
                   model);
      return NULL;
    }
  }
  if (cpu->model != NULL) {
    GHashTableIter iter;
    gpointer key;

    g_hash_table_iter_init (&iter, cpu->model->features);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      set_add (cpu->require, key);
  }
  for (node = NULL; (node = vb_xml_next (root, node, "feature")) != NULL;) {
    g_autofree char *fname = vb_xml_prop_required (node, "name", error);
    VbDomainCpuFeaturePolicy policy = VB_DOMAIN_CPU_FEATURE_REQUIRE;
    const char *name;

    if (fname == NULL)
      return NULL;
    if ((v = vb_xml_prop_enum (node, "policy", policy_names, (int *) &policy, error)) < 0)
      return NULL;
    if (v > 0 && !cpu->guest) {
      g_set_error (error, VB_ERROR, VB_ERROR_XML, "feature %s: a host CPU's features have no policy", fname);
      return NULL;
    }
    if (!is_x86 (cpu->arch ? cpu->arch : "x86_64"))
      continue;
    name = lookup_feature (data, fname);
    if (name == NULL) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "unknown CPU feature %s", fname);
      return NULL;
    }
    if (set_has (cpu->listed, name)) {
      g_set_error (error, VB_ERROR, VB_ERROR_XML, "CPU feature %s is listed twice", fname);
      return NULL;
    }
    set_add (cpu->listed, name);
    switch (policy) {
    case VB_DOMAIN_CPU_FEATURE_FORCE:
    case VB_DOMAIN_CPU_FEATURE_REQUIRE:
      set_add (cpu->require, name);
      break;
    case VB_DOMAIN_CPU_FEATURE_FORBID:
      set_add (cpu->forbid, name);
      /* fall through */
    case VB_DOMAIN_CPU_FEATURE_DISABLE:
      g_hash_table_remove (cpu->require, name);
      break;
    default: /* optional: whatever the host has */
      break;
    }
  }
  if (validate && !vb_xml_check_consumed (root, error))
    return NULL;
  return g_steal_pointer (&cpu);
}

static char *
join (GPtrArray *names)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < names->len; i++)
    g_string_append_printf (s, "%s%s", i > 0 ? ", " : "", (const char *) g_ptr_array_index (names, i));
  return g_string_free (s, FALSE);
}

int
vb_qemu_cpu_compare (VbQemuCpuData *data, const char *xml, guint flags, GError **error)
{
  g_autoptr(Cpu) cpu = NULL;
  g_autofree char *reason = NULL;
  int result = CPU_IDENTICAL;

  if (!vb_check_flags (flags, COMPARE_FAIL_INCOMPATIBLE | COMPARE_VALIDATE_XML, "CompareCPU", error))
    return -1;
  if (!ensure_parsed (data, error))
    return -1;
  cpu = cpu_parse (data, xml, FALSE, (flags & COMPARE_VALIDATE_XML) != 0, error);
  if (cpu == NULL)
    return -1;

  if (cpu->guest && cpu->mode != VB_DOMAIN_CPU_MODE_CUSTOM) {
    /* host-model, host-passthrough, maximum: the host's own CPU. */
    return CPU_IDENTICAL;
  }
  if (cpu->arch != NULL && !is_x86 (cpu->arch)) {
    reason = g_strdup_printf ("CPU arch %s does not match host arch x86_64", cpu->arch);
  } else if (cpu->vendor != NULL && g_strcmp0 (vb_qemu_cpu_vendor_name (cpu->vendor), data->host_vendor) != 0) {
    reason = g_strdup_printf ("host CPU vendor %s does not match required CPU vendor %s",
                              data->host_vendor ? data->host_vendor : "(unknown)", cpu->vendor);
  } else if (cpu->model == NULL && g_hash_table_size (cpu->listed) == 0 && cpu->guest) {
    g_set_error (error, VB_ERROR, VB_ERROR_XML, "the CPU definition names neither a model nor features");
    return -1;
  } else {
    g_autoptr(GPtrArray) missing = difference (cpu->require, data->host);
    g_autoptr(GHashTable) forbidden_there = set_new ();
    g_autoptr(GPtrArray) forbidden = NULL;
    GHashTableIter iter;
    gpointer key;

    g_hash_table_iter_init (&iter, cpu->forbid);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      if (set_has (data->host, key))
        set_add (forbidden_there, key);
    forbidden = difference (forbidden_there, NULL);
    if (missing->len > 0) {
      g_autofree char *list = join (missing);

      reason = g_strdup_printf ("host CPU does not provide required feature%s: %s", missing->len > 1 ? "s" : "",
                                list);
    } else if (forbidden->len > 0) {
      g_autofree char *list = join (forbidden);

      reason = g_strdup_printf ("host CPU provides forbidden feature%s: %s", forbidden->len > 1 ? "s" : "", list);
    } else if (count_missing (data->host, cpu->require) > 0) {
      if (cpu->match == VB_DOMAIN_CPU_MATCH_STRICT) {
        g_autoptr(GPtrArray) extra = difference (data->host, cpu->require);
        g_autofree char *list = join (extra);

        reason = g_strdup_printf ("host CPU provides features the strict CPU definition does not have: %s", list);
      } else {
        result = CPU_SUPERSET;
      }
    }
  }
  if (reason != NULL) {
    if (flags & COMPARE_FAIL_INCOMPATIBLE) {
      g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "the CPU is incompatible with host CPU: %s",
                   reason);
      return -1;
    }
    return CPU_INCOMPATIBLE;
  }
  return result;
}

char *
vb_qemu_cpu_baseline (VbQemuCpuData *data, const char *const *xml_cpus, guint flags, GError **error)
{
  g_autoptr(GPtrArray) cpus = g_ptr_array_new_with_free_func ((GDestroyNotify) cpu_free);
  g_autoptr(GHashTable) common = NULL;
  g_autoptr(VbXmlWriter) w = NULL;
  g_autoptr(GPtrArray) features = NULL;
  const char *vendor = NULL;
  Model *model;

  if (!vb_check_flags (flags, BASELINE_EXPAND_FEATURES | BASELINE_MIGRATABLE, "BaselineCPU", error))
    return NULL;
  if (xml_cpus == NULL || xml_cpus[0] == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "no CPU definitions to compute a baseline of");
    return NULL;
  }
  if (!ensure_parsed (data, error))
    return NULL;
  for (guint i = 0; xml_cpus[i] != NULL; i++) {
    Cpu *cpu = cpu_parse (data, xml_cpus[i], TRUE, FALSE, error);

    if (cpu == NULL) {
      g_prefix_error (error, "CPU %u: ", i + 1);
      return NULL;
    }
    g_ptr_array_add (cpus, cpu);
    if (cpu->arch != NULL && !is_x86 (cpu->arch)) {
      g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "CPU %u: architecture %s is not x86", i + 1,
                   cpu->arch);
      return NULL;
    }
    if (cpu->model == NULL && g_hash_table_size (cpu->listed) == 0) {
      g_set_error (error, VB_ERROR, VB_ERROR_XML, "CPU %u: neither a model nor features", i + 1);
      return NULL;
    }
    if (i == 0) {
      vendor = cpu->vendor;
    } else if (g_strcmp0 (vb_qemu_cpu_vendor_name (vendor), vb_qemu_cpu_vendor_name (cpu->vendor)) != 0) {
      g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "CPU vendors do not match: %s and %s",
                   vendor ? vendor : "(none)", cpu->vendor ? cpu->vendor : "(none)");
      return NULL;
    }
  }
  /* What every one of them has. */
  common = set_new ();
  {
    GHashTableIter iter;
    gpointer key;
    const Cpu *first = g_ptr_array_index (cpus, 0);

    g_hash_table_iter_init (&iter, first->require);
    while (g_hash_table_iter_next (&iter, &key, NULL)) {
      gboolean everywhere = TRUE;

      for (guint i = 1; i < cpus->len && everywhere; i++)
        everywhere = set_has (((Cpu *) g_ptr_array_index (cpus, i))->require, key);
      if (flags & BASELINE_MIGRATABLE)
        everywhere &= !g_strv_contains (unmigratable, key);
      if (everywhere)
        set_add (common, key);
    }
  }
  model = closest_model (data, common, vb_qemu_cpu_vendor_name (vendor), TRUE);
  if (model == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                 "no CPU model of QEMU has only features all these CPUs share");
    return NULL;
  }
  if (flags & BASELINE_EXPAND_FEATURES) {
    /* Every feature the guest gets, the model's own included. */
    features = difference (common, NULL);
  } else {
    features = difference (common, model->features);
  }

  w = vb_xml_writer_new ();
  vb_xml_writer_start (w, "cpu", "mode", "custom", "match", "exact", NULL);
  vb_xml_writer_element (w, "model", model->name, "fallback", "forbid", NULL);
  vb_xml_writer_element (w, "vendor", vendor ? vb_qemu_cpu_vendor_name (vendor) : NULL, NULL);
  for (guint i = 0; i < features->len; i++)
    vb_xml_writer_empty (w, "feature", "policy", "require", "name", (const char *) g_ptr_array_index (features, i),
                         NULL);
  vb_xml_writer_end (w);
  return vb_xml_writer_finish (g_steal_pointer (&w));
}

/* ---- host-model at start ---- */

static void
add_feature (VbDomainCpuDef *cpu, VbDomainCpuFeaturePolicy policy, const char *name)
{
  VbDomainCpuFeature *f = g_new0 (VbDomainCpuFeature, 1);

  f->policy = policy;
  f->name = g_strdup (name);
  g_ptr_array_add (cpu->features, f);
}

gboolean
vb_qemu_cpu_expand_host_model (VbQemuCpuData *data, VbDomainDef *def, GError **error)
{
  VbDomainCpuDef *cpu = def->cpu;
  g_autoptr(VbQemuCpuModelDef) host_model = NULL;
  g_autoptr(GPtrArray) own = NULL;
  g_autoptr(GArray) own_policy = NULL;
  gboolean kvm = def->virt_type == VB_DOMAIN_VIRT_KVM;

  if (cpu == NULL || cpu->mode != VB_DOMAIN_CPU_MODE_HOST_MODEL)
    return TRUE;
  host_model = vb_qemu_cpu_host_model (data, kvm, error);
  if (host_model == NULL) {
    g_prefix_error (error, "cannot start with <cpu mode='host-model'>: ");
    return FALSE;
  }
  /* The definition's own features: checked against QEMU's names, and
   * they win over the host model's. */
  own = g_ptr_array_new_with_free_func (g_free);
  own_policy = g_array_new (FALSE, FALSE, sizeof (VbDomainCpuFeaturePolicy));
  for (guint i = 0; i < cpu->features->len; i++) {
    VbDomainCpuFeature *f = g_ptr_array_index (cpu->features, i);

    if (lookup_feature (data, f->name) == NULL) {
      g_set_error (error, VB_ERROR, VB_ERROR_XML, "unknown CPU feature %s", f->name);
      return FALSE;
    }
    g_ptr_array_add (own, g_strdup (f->name));
    g_array_append_val (own_policy, f->policy);
  }
  g_ptr_array_set_size (cpu->features, 0);
  for (guint pass = 0; pass < 2; pass++) {
    GPtrArray *names = pass == 0 ? host_model->require : host_model->disable;

    for (guint i = 0; i < names->len; i++) {
      const char *name = g_ptr_array_index (names, i);
      const char *qemu = lookup_feature (data, name);
      gboolean overridden = FALSE;

      for (guint k = 0; k < own->len && !overridden; k++)
        overridden = lookup_feature (data, g_ptr_array_index (own, k)) == qemu;
      if (!overridden)
        add_feature (cpu, pass == 0 ? VB_DOMAIN_CPU_FEATURE_REQUIRE : VB_DOMAIN_CPU_FEATURE_DISABLE, name);
    }
  }
  for (guint k = 0; k < own->len; k++)
    add_feature (cpu, g_array_index (own_policy, VbDomainCpuFeaturePolicy, k), g_ptr_array_index (own, k));
  cpu->mode = VB_DOMAIN_CPU_MODE_CUSTOM;
  cpu->match = VB_DOMAIN_CPU_MATCH_EXACT;
  cpu->check = VB_DOMAIN_CPU_CHECK_FULL;
  cpu->fallback = VB_DOMAIN_CPU_FALLBACK_FORBID;
  g_free (cpu->model);
  cpu->model = g_strdup (host_model->model);
  g_free (cpu->vendor);
  cpu->vendor = g_strdup (host_model->vendor);
  return TRUE;
}
