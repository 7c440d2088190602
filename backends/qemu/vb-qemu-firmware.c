/* UEFI firmware selection from QEMU's firmware descriptors; see
 * vb-qemu-firmware.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include <json-glib/json-glib.h>

#include "vb-qemu-firmware.h"
#include "vb-error.h"

void
vb_qemu_firmware_free (VbQemuFirmware *fw)
{
  if (fw == NULL)
    return;
  g_free (fw->descriptor);
  g_free (fw->description);
  g_free (fw->code);
  g_free (fw->vars);
  g_strfreev (fw->machines);
  g_free (fw);
}

GStrv
vb_qemu_firmware_default_dirs (gboolean system)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();

  if (!system) {
    g_autofree char *user = g_build_filename (g_get_user_config_dir (), "qemu", "firmware", NULL);
    g_strv_builder_add (b, user);
  }
  g_strv_builder_add (b, "/etc/qemu/firmware");
  g_strv_builder_add (b, "/usr/share/qemu/firmware");
  return g_strv_builder_end (b);
}

static gboolean
array_has_string (JsonArray *array, const char *value)
{
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++) {
    JsonNode *n = json_array_get_element (array, i);
    if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING &&
        g_strcmp0 (json_node_get_string (n), value) == 0)
      return TRUE;
  }
  return FALSE;
}

static JsonArray *
member_array (JsonObject *o, const char *name)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, name) : NULL;
  return n != NULL && JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;
}

static JsonObject *
member_object (JsonObject *o, const char *name)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, name) : NULL;
  return n != NULL && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

static const char *
member_string (JsonObject *o, const char *name)
{
  JsonNode *n = o != NULL ? json_object_get_member (o, name) : NULL;
  return n != NULL && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING
           ? json_node_get_string (n)
           : NULL;
}

/* An image of the mapping: its file name when it is a raw image (the only
 * format the command line gives pflash). */
static const char *
raw_image (JsonObject *mapping, const char *name)
{
  JsonObject *image = member_object (mapping, name);
  const char *format = member_string (image, "format");
  const char *filename = member_string (image, "filename");

  if (filename == NULL || !g_path_is_absolute (filename) || (format != NULL && !g_str_equal (format, "raw")))
    return NULL;
  return filename;
}

static VbQemuFirmware *
parse_descriptor (const char *path, const char *arch)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(VbQemuFirmware) fw = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *root, *mapping;
  JsonArray *targets, *features;
  const char *mode, *code, *vars;

  if (!json_parser_load_from_file (parser, path, &error)) {
    g_debug ("firmware descriptor %s: %s", path, error->message);
    return NULL;
  }
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))) {
    g_debug ("firmware descriptor %s: not a JSON object", path);
    return NULL;
  }
  root = json_node_get_object (json_parser_get_root (parser));
  if (!array_has_string (member_array (root, "interface-types"), "uefi"))
    return NULL;
  mapping = member_object (root, "mapping");
  if (g_strcmp0 (member_string (mapping, "device"), "flash") != 0) {
    g_debug ("firmware descriptor %s: not loaded as flash, skipped", path);
    return NULL;
  }
  /* Split images (code read-only, a template for each guest's variables):
   * what every distribution ships for x86. */
  mode = member_string (mapping, "mode");
  code = raw_image (mapping, "executable");
  vars = raw_image (mapping, "nvram-template");
  if ((mode != NULL && !g_str_equal (mode, "split")) || code == NULL || vars == NULL) {
    g_debug ("firmware descriptor %s: not a split raw image with an NVRAM template, skipped", path);
    return NULL;
  }
  fw = g_new0 (VbQemuFirmware, 1);
  targets = member_array (root, "targets");
  for (guint i = 0; targets != NULL && i < json_array_get_length (targets); i++) {
    JsonNode *t = json_array_get_element (targets, i);
    JsonObject *target = JSON_NODE_HOLDS_OBJECT (t) ? json_node_get_object (t) : NULL;
    JsonArray *machines = member_array (target, "machines");
    g_autoptr(GStrvBuilder) b = NULL;

    if (g_strcmp0 (member_string (target, "architecture"), arch) != 0 || machines == NULL)
      continue;
    b = g_strv_builder_new ();
    for (guint j = 0; j < json_array_get_length (machines); j++) {
      JsonNode *m = json_array_get_element (machines, j);
      if (JSON_NODE_HOLDS_VALUE (m) && json_node_get_value_type (m) == G_TYPE_STRING)
        g_strv_builder_add (b, json_node_get_string (m));
    }
    fw->machines = g_strv_builder_end (b);
    break;
  }
  if (fw->machines == NULL)
    return NULL;
  features = member_array (root, "features");
  fw->secure_boot = array_has_string (features, "secure-boot");
  fw->enrolled_keys = array_has_string (features, "enrolled-keys");
  fw->requires_smm = array_has_string (features, "requires-smm");
  fw->descriptor = g_strdup (path);
  fw->description = g_strdup (member_string (root, "description"));
  fw->code = g_strdup (code);
  fw->vars = g_strdup (vars);
  return g_steal_pointer (&fw);
}

GPtrArray *
vb_qemu_firmware_load (const char *const *dirs, const char *arch)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GList) names = NULL;
  GPtrArray *result = g_ptr_array_new_with_free_func ((GDestroyNotify) vb_qemu_firmware_free);

  /* The first directory with a file of a name decides for that name. */
  for (guint i = 0; dirs != NULL && dirs[i] != NULL; i++) {
    g_autoptr(GDir) dir = g_dir_open (dirs[i], 0, NULL);
    const char *entry;

    while (dir != NULL && (entry = g_dir_read_name (dir)) != NULL) {
      if (!g_str_has_suffix (entry, ".json") || g_hash_table_contains (seen, entry))
        continue;
      g_hash_table_insert (seen, g_strdup (entry), g_build_filename (dirs[i], entry, NULL));
    }
  }
  names = g_list_sort (g_hash_table_get_keys (seen), (GCompareFunc) strcmp);
  for (GList *l = names; l != NULL; l = l->next) {
    const char *path = g_hash_table_lookup (seen, l->data);
    GStatBuf st;
    VbQemuFirmware *fw;

    /* An empty file hides the descriptor of that name further down. */
    if (g_stat (path, &st) < 0 || st.st_size == 0 || st.st_size > 64 * 1024)
      continue;
    if ((fw = parse_descriptor (path, arch)) != NULL)
      g_ptr_array_add (result, fw);
  }
  return result;
}

gboolean
vb_qemu_firmware_runs_machine (const VbQemuFirmware *fw, const char *machine)
{
  for (guint i = 0; fw->machines[i] != NULL; i++)
    if (fnmatch (fw->machines[i], machine, 0) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
tristate_allows (VbDomainTristate wanted, gboolean has)
{
  return wanted == VB_DOMAIN_TRISTATE_ABSENT || (wanted == VB_DOMAIN_TRISTATE_YES) == has;
}

static const char *
wanted_str (VbDomainTristate t)
{
  return t == VB_DOMAIN_TRISTATE_YES ? "yes" : "no";
}

gboolean
vb_qemu_firmware_fill (VbDomainDef *def, const char *machine, GPtrArray *firmware, const char *nvram_dir,
                       GError **error)
{
  VbDomainOsDef *os = &def->os;
  const VbQemuFirmware *chosen = NULL;

  if (os->loader_type == VB_DOMAIN_LOADER_TYPE_ROM)
    return TRUE;
  if (os->firmware != VB_DOMAIN_FIRMWARE_EFI && os->loader_type != VB_DOMAIN_LOADER_TYPE_PFLASH)
    return TRUE;
  if (os->fw_enrolled_keys == VB_DOMAIN_TRISTATE_YES && os->fw_secure_boot == VB_DOMAIN_TRISTATE_NO) {
    g_set_error (error, VB_ERROR, VB_ERROR_XML,
                 "<firmware>: keys cannot be enrolled ('enrolled-keys') with Secure Boot turned off");
    return FALSE;
  }

  if (os->loader_path == NULL) {
    for (guint i = 0; firmware != NULL && i < firmware->len && chosen == NULL; i++) {
      const VbQemuFirmware *fw = g_ptr_array_index (firmware, i);

      if (!vb_qemu_firmware_runs_machine (fw, machine) || !tristate_allows (os->fw_secure_boot, fw->secure_boot) ||
          !tristate_allows (os->fw_enrolled_keys, fw->enrolled_keys) ||
          !tristate_allows (os->loader_secure, fw->requires_smm) ||
          (fw->requires_smm && def->features.smm == VB_DOMAIN_TRISTATE_NO))
        continue;
      chosen = fw;
    }
    if (chosen == NULL) {
      g_autoptr(GString) wanted = g_string_new (NULL);

      if (os->fw_secure_boot)
        g_string_append_printf (wanted, ", secure-boot %s", wanted_str (os->fw_secure_boot));
      if (os->fw_enrolled_keys)
        g_string_append_printf (wanted, ", enrolled-keys %s", wanted_str (os->fw_enrolled_keys));
      if (os->loader_secure)
        g_string_append_printf (wanted, ", loader secure %s", wanted_str (os->loader_secure));
      if (def->features.smm == VB_DOMAIN_TRISTATE_NO)
        g_string_append (wanted, ", without SMM");
      g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                   "no UEFI firmware on this host fits <os firmware='efi'> (machine %s%s)%s", machine, wanted->str,
                   firmware == NULL || firmware->len == 0 ? ": none is installed (Debian package ovmf)" : "");
      return FALSE;
    }
    os->has_loader = TRUE;
    os->loader_path = g_strdup (chosen->code);
    os->loader_type = VB_DOMAIN_LOADER_TYPE_PFLASH;
    os->loader_readonly = VB_DOMAIN_TRISTATE_YES;
    os->loader_secure = chosen->requires_smm ? VB_DOMAIN_TRISTATE_YES : VB_DOMAIN_TRISTATE_NO;
    os->fw_secure_boot = chosen->secure_boot ? VB_DOMAIN_TRISTATE_YES : VB_DOMAIN_TRISTATE_NO;
    os->fw_enrolled_keys = chosen->enrolled_keys ? VB_DOMAIN_TRISTATE_YES : VB_DOMAIN_TRISTATE_NO;
    if (chosen->requires_smm) {
      def->has_features = TRUE;
      def->features.smm = VB_DOMAIN_TRISTATE_YES;
    }
    if (os->nvram_template == NULL)
      os->nvram_template = g_strdup (chosen->vars);
  } else {
    if (os->loader_type == VB_DOMAIN_LOADER_TYPE_NONE)
      os->loader_type = VB_DOMAIN_LOADER_TYPE_PFLASH;
    /* A read-write loader holds its variables itself. */
    if (os->loader_readonly == VB_DOMAIN_TRISTATE_NO)
      return TRUE;
    if (os->loader_readonly == VB_DOMAIN_TRISTATE_ABSENT)
      os->loader_readonly = VB_DOMAIN_TRISTATE_YES;
    for (guint i = 0; os->nvram_template == NULL && firmware != NULL && i < firmware->len; i++) {
      const VbQemuFirmware *fw = g_ptr_array_index (firmware, i);
      if (g_str_equal (fw->code, os->loader_path))
        os->nvram_template = g_strdup (fw->vars);
    }
  }
  if (os->nvram_path == NULL && nvram_dir != NULL) {
    g_autofree char *base = g_strdup_printf ("%s_VARS.fd", def->name);
    os->has_nvram = TRUE;
    os->nvram_path = g_build_filename (nvram_dir, base, NULL);
  }
  return TRUE;
}

gboolean
vb_qemu_nvram_make (const char *path, const char *template, gboolean reset, uid_t uid, gid_t gid, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *tmp = NULL;
  g_autofree char *data = NULL;
  gsize len = 0;
  GStatBuf st;
  int fd;

  if (!reset && g_stat (path, &st) == 0) {
    if (!S_ISREG (st.st_mode)) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "the NVRAM %s is not a regular file", path);
      return FALSE;
    }
    return TRUE;
  }
  if (template == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                 "the NVRAM %s does not exist and there is no template to make it from (<nvram template=…>)", path);
    return FALSE;
  }
  /* Templates are a few hundred KiB to 4 MiB. */
  if (g_stat (template, &st) < 0 || !S_ISREG (st.st_mode) || st.st_size > 64 * 1024 * 1024) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "the NVRAM template %s is not a firmware variable store",
                 template);
    return FALSE;
  }
  if (!g_file_get_contents (template, &data, &len, error)) {
    g_prefix_error (error, "cannot read the NVRAM template: ");
    return FALSE;
  }
  if (g_mkdir_with_parents (dir, 0711) < 0) {
    int saved = errno;
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot create %s: %s", dir, g_strerror (saved));
    return FALSE;
  }
  tmp = g_strconcat (path, ".XXXXXX", NULL);
  fd = g_mkstemp_full (tmp, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {
    int saved = errno;
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot create the NVRAM %s: %s", path, g_strerror (saved));
    return FALSE;
  }
  for (gsize done = 0; done < len;) {
    ssize_t n = write (fd, data + done, len - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      int saved = n < 0 ? errno : ENOSPC;
      close (fd);
      (void) unlink (tmp);
      g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot write the NVRAM %s: %s", path, g_strerror (saved));
      return FALSE;
    }
    done += n;
  }
  if ((uid != (uid_t) -1 && fchown (fd, uid, gid) < 0) || fsync (fd) < 0) {
    int saved = errno;
    close (fd);
    (void) unlink (tmp);
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot set up the NVRAM %s: %s", path, g_strerror (saved));
    return FALSE;
  }
  close (fd);
  if (rename (tmp, path) < 0) {
    int saved = errno;
    (void) unlink (tmp);
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot create the NVRAM %s: %s", path, g_strerror (saved));
    return FALSE;
  }
  return TRUE;
}
