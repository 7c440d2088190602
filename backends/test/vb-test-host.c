/* Host queries of the test backend: the answers libvirt's test driver gives
 * for test:///default (its fixed node: 2 NUMA cells of 8 CPUs, an i686 host
 * CPU with only the pae/nonpae features, the "testSecurity" model), plus
 * plausible values for the queries that driver leaves unsupported (memory
 * statistics and KSM parameters, CPU comparison). */
#include "vb-test-private.h"

#include <string.h>

#include "vb-capabilities.h"
#include "vb-error.h"
#include "vb-xml.h"

/* Hypervisor version: "TEST 0.0.2" in virsh version. */
#define TEST_VERSION 2

/* The node: what virsh nodeinfo shows for test:///default. */
#define NODE_MEMORY_KIB G_GUINT64_CONSTANT (3145728)
#define NODE_CPUS 16
#define NODE_CELLS 2

/* The test driver's CPU map: 8 CPUs present, 0, 2 and 4 online. */
static const gboolean node_cpu_online[] = { TRUE, FALSE, TRUE, FALSE, TRUE, FALSE, FALSE, FALSE };

/* Per NUMA cell: memory and free memory in KiB (capabilities, freecell). */
static const guint64 cell_memory_kib[NODE_CELLS] = { 2097152, 4194304 };
static const guint64 cell_free_kib[NODE_CELLS] = { 2048, 4096 };

/* The host CPU the test driver reports. */
static const char host_cpu_arch[] = "i686";
static const char *const host_cpu_features[] = { "pae", "nonpae", NULL };

/* libvirt's virConnectCompareCPUFlags and virCPUCompareResult. */
enum {
  COMPARE_FAIL_INCOMPATIBLE = 1 << 0,
  COMPARE_VALIDATE_XML = 1 << 1,
};
enum {
  CPU_COMPARE_INCOMPATIBLE = 0,
  CPU_COMPARE_IDENTICAL = 1,
  CPU_COMPARE_SUPERSET = 2,
};
/* virConnectBaselineCPUFlags: the test driver takes EXPAND_FEATURES only. */
enum {
  BASELINE_EXPAND_FEATURES = 1 << 0,
};

/* x86 CPU models, oldest first, as libvirt's CPU map names them. */
static const char *const x86_models[] = {
  "486", "pentium", "pentium2", "pentium3", "pentiumpro", "coreduo", "n270", "core2duo", "qemu32", "kvm32",
  "cpu64-rhel5", "cpu64-rhel6", "qemu64", "kvm64", "Conroe", "Penryn", "Nehalem", "Nehalem-IBRS", "Westmere",
  "Westmere-IBRS", "SandyBridge", "SandyBridge-IBRS", "IvyBridge", "IvyBridge-IBRS", "Haswell-noTSX",
  "Haswell-noTSX-IBRS", "Haswell", "Haswell-IBRS", "Broadwell-noTSX", "Broadwell-noTSX-IBRS", "Broadwell",
  "Broadwell-IBRS", "Skylake-Client", "Skylake-Client-IBRS", "Skylake-Client-noTSX-IBRS", "Skylake-Server",
  "Skylake-Server-IBRS", "Skylake-Server-noTSX-IBRS", "Cascadelake-Server", "Cascadelake-Server-noTSX",
  "Icelake-Client", "Icelake-Client-noTSX", "Icelake-Server", "Icelake-Server-noTSX", "Cooperlake", "Snowridge",
  "athlon", "phenom", "Opteron_G1", "Opteron_G2", "Opteron_G3", "Opteron_G4", "Opteron_G5", "EPYC", "EPYC-IBPB",
  "EPYC-Rome", "EPYC-Milan", "Dhyana", NULL,
};

static const char *const ppc64_models[] = {
  "POWER6", "POWER7", "POWER8", "POWER9", "POWER10", "POWERPC_e5500", "POWERPC_e6500", NULL,
};

/* Architectures whose CPU driver takes any model name (an empty list). */
static const char *const any_model_arches[] = { "s390x", "armv7l", "aarch64", NULL };

static gboolean
is_x86 (const char *arch)
{
  return g_strcmp0 (arch, "x86_64") == 0 || g_strcmp0 (arch, "i686") == 0;
}

/* ---- simple queries ---- */

static char *
get_hostname (VbBackend *backend, GError **error)
{
  /* The test driver reports the real host's name. */
  return g_strdup (g_get_host_name ());
}

static guint64
get_version (VbBackend *backend)
{
  return TEST_VERSION;
}

static char *
get_domain_capabilities (VbBackend *backend, const char *emulator, const char *arch, const char *machine,
                         const char *virttype, guint flags, GError **error)
{
  g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
               "GetDomainCapabilities is not supported by the test:///default connection "
               "(libvirt's test driver has no domain capabilities)");
  return NULL;
}

static char *
get_sysinfo (VbBackend *backend, guint flags, GError **error)
{
  g_autoptr(VbXmlWriter) w = NULL;

  if (!vb_check_flags (flags, 0, "GetSysinfo", error))
    return NULL;
  w = vb_xml_writer_new ();
  vb_xml_writer_start (w, "sysinfo", "type", "smbios", NULL);
  vb_xml_writer_start (w, "bios", NULL);
  vb_xml_writer_element (w, "entry", "LENOVO", "name", "vendor", NULL);
  vb_xml_writer_element (w, "entry", "G4ETA1WW (2.61 )", "name", "version", NULL);
  vb_xml_writer_element (w, "entry", "05/07/2014", "name", "date", NULL);
  vb_xml_writer_element (w, "entry", "2.61", "name", "release", NULL);
  vb_xml_writer_end (w);
  vb_xml_writer_end (w);
  return vb_xml_writer_finish (g_steal_pointer (&w));
}

static char **
get_cpu_model_names (VbBackend *backend, const char *arch, guint flags, GError **error)
{
  if (!vb_check_flags (flags, 0, "GetCPUModelNames", error))
    return NULL;
  if (is_x86 (arch))
    return g_strdupv ((char **) x86_models);
  if (g_strcmp0 (arch, "ppc64") == 0 || g_strcmp0 (arch, "ppc64le") == 0)
    return g_strdupv ((char **) ppc64_models);
  if (arch != NULL && g_strv_contains (any_model_arches, arch))
    return g_new0 (char *, 1); /* every model name is accepted */
  g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "cannot find architecture %s", arch ? arch : "");
  return NULL;
}

/* ---- node ---- */

static GVariant *
node_get_cpu_map (VbBackend *backend, guint flags, GError **error)
{
  GVariantBuilder b;

  if (!vb_check_flags (flags, 0, "NodeGetCPUMap", error))
    return NULL;
  g_variant_builder_init (&b, G_VARIANT_TYPE ("ab"));
  for (guint i = 0; i < G_N_ELEMENTS (node_cpu_online); i++)
    g_variant_builder_add (&b, "b", node_cpu_online[i]);
  return g_variant_builder_end (&b);
}

static GVariant *
node_get_cpu_stats (VbBackend *backend, int cpu, guint flags, GError **error)
{
  GVariantBuilder b;

  if (!vb_check_flags (flags, 0, "NodeGetCPUStats", error))
    return NULL;
  /* -1 is VIR_NODE_CPU_STATS_ALL_CPUS; the test driver answers the same
   * fixed numbers for every CPU. */
  if (cpu < -1) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "invalid CPU number %d", cpu);
    return NULL;
  }
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{st}"));
  g_variant_builder_add (&b, "{st}", "user", G_GUINT64_CONSTANT (9797400000));
  g_variant_builder_add (&b, "{st}", "kernel", G_GUINT64_CONSTANT (34678723400000));
  g_variant_builder_add (&b, "{st}", "idle", G_GUINT64_CONSTANT (87264900000));
  g_variant_builder_add (&b, "{st}", "iowait", G_GUINT64_CONSTANT (763600000));
  return g_variant_builder_end (&b);
}

static GVariant *
node_get_memory_stats (VbBackend *backend, int cell, guint flags, GError **error)
{
  GVariantBuilder b;
  guint64 total;
  guint64 free_kib;

  if (!vb_check_flags (flags, 0, "NodeGetMemoryStats", error))
    return NULL;
  /* -1 is VIR_NODE_MEMORY_STATS_ALL_CELLS: the node as nodeinfo and
   * NodeGetFreeMemory describe it. */
  if (cell == -1) {
    total = NODE_MEMORY_KIB;
    free_kib = 3072; /* NodeGetFreeMemory's 3145728 bytes */
  } else if (cell >= 0 && cell < NODE_CELLS) {
    total = cell_memory_kib[cell];
    free_kib = cell_free_kib[cell];
  } else {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "invalid cell number %d: the node has cells 0 to %d",
                 cell, NODE_CELLS - 1);
    return NULL;
  }
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{st}"));
  g_variant_builder_add (&b, "{st}", "total", total);
  g_variant_builder_add (&b, "{st}", "free", free_kib);
  g_variant_builder_add (&b, "{st}", "buffers", (guint64) 0);
  g_variant_builder_add (&b, "{st}", "cached", (guint64) 0);
  return g_variant_builder_end (&b);
}

static gboolean
node_get_free_memory (VbBackend *backend, guint64 *bytes, GError **error)
{
  /* What the test driver answers (virsh freecell: "Total: 3072 KiB"). */
  *bytes = 3145728;
  return TRUE;
}

static GVariant *
node_get_security_model (VbBackend *backend, GError **error)
{
  return g_variant_new ("(ss)", "testSecurity", "");
}

/* ---- KSM memory parameters ---- */

typedef struct {
  const char *name;
  gboolean writable;
  gboolean is_uint; /* "u", else "t" */
  guint64 min;
  guint64 max;
  guint64 initial;
} MemParam;

static const MemParam mem_params[] = {
  { "shm_pages_to_scan", TRUE, TRUE, 1, G_MAXUINT, 100 },
  { "shm_sleep_millisecs", TRUE, TRUE, 1, G_MAXUINT, 20 },
  { "shm_pages_shared", FALSE, FALSE, 0, 0, 0 },
  { "shm_pages_sharing", FALSE, FALSE, 0, 0, 0 },
  { "shm_pages_unshared", FALSE, FALSE, 0, 0, 0 },
  { "shm_pages_volatile", FALSE, FALSE, 0, 0, 0 },
  { "shm_full_scans", FALSE, FALSE, 0, 0, 0 },
  { "shm_merge_across_nodes", TRUE, TRUE, 0, 1, 1 },
};

#define MEM_PARAMS_KEY "vb-test-host-memory-parameters"

/* The current values, one per mem_params entry, kept on the backend. */
static guint64 *
mem_param_values (VbBackend *backend)
{
  guint64 *values = g_object_get_data (G_OBJECT (backend), MEM_PARAMS_KEY);

  if (values == NULL) {
    values = g_new (guint64, G_N_ELEMENTS (mem_params));
    for (guint i = 0; i < G_N_ELEMENTS (mem_params); i++)
      values[i] = mem_params[i].initial;
    g_object_set_data_full (G_OBJECT (backend), MEM_PARAMS_KEY, values, g_free);
  }
  return values;
}

static GVariant *
node_get_memory_parameters (VbBackend *backend, guint flags, GError **error)
{
  guint64 *values = mem_param_values (backend);
  GVariantBuilder b;

  if (!vb_check_flags (flags, 0, "NodeGetMemoryParameters", error))
    return NULL;
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{sv}"));
  for (guint i = 0; i < G_N_ELEMENTS (mem_params); i++)
    g_variant_builder_add (&b, "{sv}", mem_params[i].name,
                           mem_params[i].is_uint ? g_variant_new_uint32 ((guint32) values[i])
                                                 : g_variant_new_uint64 (values[i]));
  return g_variant_builder_end (&b);
}

/* An unsigned value of any integer D-Bus type, or FALSE. */
static gboolean
variant_to_u64 (GVariant *value, guint64 *out)
{
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
    *out = g_variant_get_uint32 (value);
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT64))
    *out = g_variant_get_uint64 (value);
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT32) && g_variant_get_int32 (value) >= 0)
    *out = (guint64) g_variant_get_int32 (value);
  else if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT64) && g_variant_get_int64 (value) >= 0)
    *out = (guint64) g_variant_get_int64 (value);
  else
    return FALSE;
  return TRUE;
}

static gboolean
node_set_memory_parameters (VbBackend *backend, GVariant *params, guint flags, GError **error)
{
  guint64 *values = mem_param_values (backend);
  guint64 pending[G_N_ELEMENTS (mem_params)];
  GVariantIter iter;
  const char *name;
  GVariant *value;

  if (!vb_check_flags (flags, 0, "NodeSetMemoryParameters", error))
    return FALSE;
  memcpy (pending, values, sizeof pending);
  /* Everything is checked before anything changes. */
  g_variant_iter_init (&iter, params);
  while (g_variant_iter_loop (&iter, "{&sv}", &name, &value)) {
    const MemParam *param = NULL;
    guint idx = 0;
    guint64 v;

    for (guint i = 0; i < G_N_ELEMENTS (mem_params) && param == NULL; i++)
      if (g_strcmp0 (mem_params[i].name, name) == 0) {
        param = &mem_params[i];
        idx = i;
      }
    if (param == NULL) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "unknown memory parameter '%s'", name);
      g_variant_unref (value);
      return FALSE;
    }
    if (!param->writable) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "memory parameter '%s' is read-only", name);
      g_variant_unref (value);
      return FALSE;
    }
    if (!variant_to_u64 (value, &v)) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG,
                   "memory parameter '%s' must be an unsigned integer, not '%s'", name,
                   g_variant_get_type_string (value));
      g_variant_unref (value);
      return FALSE;
    }
    if (v < param->min || v > param->max) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG,
                   "value %" G_GUINT64_FORMAT " of memory parameter '%s' is out of range (%" G_GUINT64_FORMAT
                   "-%" G_GUINT64_FORMAT ")", v, name, param->min, param->max);
      g_variant_unref (value);
      return FALSE;
    }
    pending[idx] = v;
  }
  memcpy (values, pending, sizeof pending);
  return TRUE;
}

/* ---- CPU definitions ---- */

typedef struct {
  char *mode;   /* NULL: custom */
  char *arch;
  char *model;
  char *vendor;
  GPtrArray *required;  /* char *: features the CPU needs */
  GPtrArray *forbidden; /* char *: features it must not have */
} CpuDef;

static void
cpu_def_free (CpuDef *cpu)
{
  g_free (cpu->mode);
  g_free (cpu->arch);
  g_free (cpu->model);
  g_free (cpu->vendor);
  g_ptr_array_unref (cpu->required);
  g_ptr_array_unref (cpu->forbidden);
  g_free (cpu);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CpuDef, cpu_def_free)

static CpuDef *
cpu_def_parse (const char *xml, GError **error)
{
  g_autoptr(xmlDoc) doc = vb_xml_parse (xml, -1, "cpu", error);
  g_autoptr(CpuDef) cpu = NULL;
  xmlNode *root;
  xmlNode *feature = NULL;

  if (doc == NULL)
    return NULL;
  root = xmlDocGetRootElement (doc);
  cpu = g_new0 (CpuDef, 1);
  cpu->required = g_ptr_array_new_with_free_func (g_free);
  cpu->forbidden = g_ptr_array_new_with_free_func (g_free);
  cpu->mode = vb_xml_prop (root, "mode");
  cpu->arch = vb_xml_child_text (root, "arch");
  cpu->model = vb_xml_child_text (root, "model");
  cpu->vendor = vb_xml_child_text (root, "vendor");
  while ((feature = vb_xml_next (root, feature, "feature")) != NULL) {
    g_autofree char *name = vb_xml_prop (feature, "name");
    g_autofree char *policy = vb_xml_prop (feature, "policy");

    if (name == NULL || *name == '\0') {
      g_set_error (error, VB_ERROR, VB_ERROR_XML, "a CPU <feature> has no name");
      return NULL;
    }
    /* Host CPU descriptions list features without a policy: required. */
    if (policy == NULL || g_strcmp0 (policy, "require") == 0 || g_strcmp0 (policy, "force") == 0)
      g_ptr_array_add (cpu->required, g_steal_pointer (&name));
    else if (g_strcmp0 (policy, "forbid") == 0)
      g_ptr_array_add (cpu->forbidden, g_steal_pointer (&name));
    else if (g_strcmp0 (policy, "disable") != 0 && g_strcmp0 (policy, "optional") != 0) {
      g_set_error (error, VB_ERROR, VB_ERROR_XML, "invalid CPU feature policy '%s'", policy);
      return NULL;
    }
  }
  return g_steal_pointer (&cpu);
}

static gboolean
array_has (GPtrArray *array, const char *s)
{
  for (guint i = 0; i < array->len; i++)
    if (g_strcmp0 (g_ptr_array_index (array, i), s) == 0)
      return TRUE;
  return FALSE;
}

/* How the host CPU relates to @cpu; *reason says why when incompatible. */
static int
compare_with_host (const CpuDef *cpu, char **reason)
{
  guint provided = 0;

  if (g_strcmp0 (cpu->mode, "host-passthrough") == 0 || g_strcmp0 (cpu->mode, "host-model") == 0 ||
      g_strcmp0 (cpu->mode, "maximum") == 0)
    return CPU_COMPARE_IDENTICAL; /* the host's own CPU by definition */
  if (cpu->arch != NULL && g_strcmp0 (cpu->arch, host_cpu_arch) != 0) {
    *reason = g_strdup_printf ("CPU arch %s does not match host arch %s", cpu->arch, host_cpu_arch);
    return CPU_COMPARE_INCOMPATIBLE;
  }
  /* The test host CPU has neither vendor nor model, so it can provide
   * neither (libvirt treats such a host CPU as unknown). */
  if (cpu->vendor != NULL) {
    *reason = g_strdup_printf ("host CPU vendor does not match required CPU vendor %s", cpu->vendor);
    return CPU_COMPARE_INCOMPATIBLE;
  }
  if (cpu->model != NULL) {
    *reason = g_strdup_printf ("host CPU does not provide CPU model %s", cpu->model);
    return CPU_COMPARE_INCOMPATIBLE;
  }
  for (guint i = 0; i < cpu->required->len; i++) {
    const char *name = g_ptr_array_index (cpu->required, i);
    if (!g_strv_contains (host_cpu_features, name)) {
      *reason = g_strdup_printf ("host CPU does not provide required feature: %s", name);
      return CPU_COMPARE_INCOMPATIBLE;
    }
    provided++;
  }
  for (guint i = 0; i < cpu->forbidden->len; i++) {
    const char *name = g_ptr_array_index (cpu->forbidden, i);
    if (g_strv_contains (host_cpu_features, name)) {
      *reason = g_strdup_printf ("host CPU provides forbidden feature: %s", name);
      return CPU_COMPARE_INCOMPATIBLE;
    }
  }
  /* Duplicates aside, every host feature listed means identical. */
  for (guint i = 0; host_cpu_features[i] != NULL; i++)
    if (!array_has (cpu->required, host_cpu_features[i]))
      return CPU_COMPARE_SUPERSET;
  return CPU_COMPARE_IDENTICAL;
}

static int
compare_cpu (VbBackend *backend, const char *xml, guint flags, GError **error)
{
  g_autoptr(CpuDef) cpu = NULL;
  g_autofree char *reason = NULL;
  int result;

  if (!vb_check_flags (flags, COMPARE_FAIL_INCOMPATIBLE | COMPARE_VALIDATE_XML, "CompareCPU", error))
    return -1;
  cpu = cpu_def_parse (xml, error);
  if (cpu == NULL)
    return -1;
  result = compare_with_host (cpu, &reason);
  if (result == CPU_COMPARE_INCOMPATIBLE && (flags & COMPARE_FAIL_INCOMPATIBLE)) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "the CPU is incompatible with host CPU: %s",
                 reason);
    return -1;
  }
  return result;
}

static int
model_index (const char *const *models, const char *model)
{
  for (int i = 0; models[i] != NULL; i++)
    if (g_strcmp0 (models[i], model) == 0)
      return i;
  return -1;
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

static char *
baseline_cpu (VbBackend *backend, const char *const *xml_cpus, guint flags, GError **error)
{
  g_autoptr(GPtrArray) cpus = g_ptr_array_new_with_free_func ((GDestroyNotify) cpu_def_free);
  g_autoptr(GPtrArray) features = g_ptr_array_new ();
  g_autoptr(VbXmlWriter) w = NULL;
  const CpuDef *first;
  const char *model;
  gboolean same_model = TRUE;

  if (!vb_check_flags (flags, BASELINE_EXPAND_FEATURES, "BaselineCPU", error))
    return NULL;
  if (xml_cpus == NULL || xml_cpus[0] == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "no CPU definitions to compute a baseline of");
    return NULL;
  }
  for (guint i = 0; xml_cpus[i] != NULL; i++) {
    CpuDef *cpu = cpu_def_parse (xml_cpus[i], error);
    if (cpu == NULL)
      return NULL;
    g_ptr_array_add (cpus, cpu);
    /* Baselines are computed from host CPU descriptions. */
    if (cpu->mode != NULL) {
      g_set_error (error, VB_ERROR, VB_ERROR_XML, "attribute mode is only allowed for guest CPU");
      return NULL;
    }
    if (cpu->model == NULL) {
      g_set_error (error, VB_ERROR, VB_ERROR_XML, "missing CPU model name");
      return NULL;
    }
    if (cpu->arch == NULL) {
      g_set_error (error, VB_ERROR, VB_ERROR_XML, "missing CPU architecture");
      return NULL;
    }
    if (is_x86 (cpu->arch) && model_index (x86_models, cpu->model) < 0) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "unknown CPU model %s", cpu->model);
      return NULL;
    }
  }

  first = g_ptr_array_index (cpus, 0);
  model = first->model;
  for (guint i = 1; i < cpus->len; i++) {
    const CpuDef *cpu = g_ptr_array_index (cpus, i);
    if (g_strcmp0 (cpu->arch, first->arch) != 0) {
      g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "CPUs are incompatible: architectures %s and %s",
                   first->arch, cpu->arch);
      return NULL;
    }
    if (g_strcmp0 (cpu->vendor, first->vendor) != 0) {
      g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "CPU vendors do not match: %s and %s",
                   first->vendor ? first->vendor : "(none)", cpu->vendor ? cpu->vendor : "(none)");
      return NULL;
    }
    if (g_strcmp0 (cpu->model, model) != 0) {
      same_model = FALSE;
      /* The older of two known models runs wherever the newer one does. */
      if (is_x86 (cpu->arch) && model_index (x86_models, cpu->model) < model_index (x86_models, model))
        model = cpu->model;
    }
  }
  /* The features every CPU has. */
  for (guint f = 0; f < first->required->len; f++) {
    const char *name = g_ptr_array_index (first->required, f);
    gboolean everywhere = !array_has (features, name);
    for (guint i = 1; i < cpus->len && everywhere; i++)
      everywhere = array_has (((CpuDef *) g_ptr_array_index (cpus, i))->required, name);
    if (everywhere)
      g_ptr_array_add (features, (gpointer) name);
  }
  g_ptr_array_sort (features, compare_strings);

  w = vb_xml_writer_new ();
  vb_xml_writer_start (w, "cpu", "mode", "custom", "match", "exact", NULL);
  vb_xml_writer_element (w, "model", model, "fallback", same_model ? "forbid" : "allow", NULL);
  vb_xml_writer_element (w, "vendor", first->vendor, NULL);
  for (guint i = 0; i < features->len; i++)
    vb_xml_writer_empty (w, "feature", "policy", "require", "name", (const char *) g_ptr_array_index (features, i),
                         NULL);
  vb_xml_writer_end (w);
  return vb_xml_writer_finish (g_steal_pointer (&w));
}

/* ---- capabilities ---- */

/* What virsh -c test:///default capabilities shows. */
static char *
get_capabilities (VbBackend *backend, GError **error)
{
  static const guint page_sizes[] = { 4, 8, 2048, 1048576 };
  static const char *const os_types[] = { "hvm", "xen" };
  g_autoptr(VbCapabilities) caps = vb_capabilities_new (host_cpu_arch);

  for (guint i = 0; host_cpu_features[i] != NULL; i++)
    vb_capabilities_add_host_cpu_flag (caps, host_cpu_features[i]);
  for (guint i = 0; i < G_N_ELEMENTS (page_sizes); i++)
    vb_capabilities_add_host_pages (caps, page_sizes[i]);
  caps->host.has_power_management = TRUE;
  caps->host.iommu = VB_CAPS_TRISTATE_NO;

  /* Two cells of 8 CPUs, one socket each; cell 0 uses 4 KiB base pages,
   * cell 1 8 KiB ones (the test driver's quirk). */
  for (guint c = 0; c < NODE_CELLS; c++) {
    VbCapsCell *cell = vb_capabilities_add_cell (caps, c, cell_memory_kib[c]);
    guint base_page = c == 0 ? 4 : 8;

    vb_caps_cell_add_pages (cell, base_page, cell_memory_kib[c] / base_page);
    vb_caps_cell_add_pages (cell, 2048, 0);
    vb_caps_cell_add_pages (cell, 1048576, 0);
    for (guint i = 0; i < NODE_CPUS / NODE_CELLS; i++) {
      guint id = c * (NODE_CPUS / NODE_CELLS) + i;
      g_autofree char *siblings = g_strdup_printf ("%u", id);
      vb_caps_cell_add_cpu (cell, id, c, 0, i, siblings);
    }
  }
  vb_capabilities_add_secmodel (caps, "testSecurity", "");

  for (guint i = 0; i < G_N_ELEMENTS (os_types); i++) {
    VbCapsGuest *guest = vb_capabilities_add_guest (caps, os_types[i], "i686", 32, "/usr/bin/test-hv");
    vb_caps_guest_add_domain (guest, "test", NULL);
    for (guint f = 0; host_cpu_features[f] != NULL; f++)
      vb_caps_guest_add_feature (guest, host_cpu_features[f]);
  }
  return vb_capabilities_format (caps);
}

void
vb_test_host_class_init (VbBackendClass *klass)
{
  klass->get_hostname = get_hostname;
  klass->get_version = get_version;
  klass->get_capabilities = get_capabilities;
  klass->get_domain_capabilities = get_domain_capabilities;
  klass->get_sysinfo = get_sysinfo;
  klass->get_cpu_model_names = get_cpu_model_names;
  klass->baseline_cpu = baseline_cpu;
  klass->compare_cpu = compare_cpu;
  klass->node_get_cpu_map = node_get_cpu_map;
  klass->node_get_cpu_stats = node_get_cpu_stats;
  klass->node_get_memory_stats = node_get_memory_stats;
  klass->node_get_memory_parameters = node_get_memory_parameters;
  klass->node_set_memory_parameters = node_set_memory_parameters;
  klass->node_get_security_model = node_get_security_model;
  klass->node_get_free_memory = node_get_free_memory;
}
