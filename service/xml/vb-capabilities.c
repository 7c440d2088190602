#define G_LOG_DOMAIN "virtbus-xml"

#include "vb-capabilities.h"

#include <string.h>

#include "vb-xml.h"

/* ---- <capabilities>: lifetime ---- */

static void
caps_cpu_free (gpointer p)
{
  VbCapsCpu *cpu = p;
  g_free (cpu->siblings);
  g_free (cpu);
}

static void
cell_free (gpointer p)
{
  VbCapsCell *cell = p;
  g_array_unref (cell->pages);
  g_array_unref (cell->distances);
  g_ptr_array_unref (cell->cpus);
  g_free (cell);
}

static void
baselabel_free (gpointer p)
{
  VbCapsBaseLabel *bl = p;
  g_free (bl->type);
  g_free (bl->label);
  g_free (bl);
}

static void
secmodel_free (gpointer p)
{
  VbCapsSecModel *sm = p;
  g_free (sm->model);
  g_free (sm->doi);
  g_ptr_array_unref (sm->baselabels);
  g_free (sm);
}

static void
machine_free (gpointer p)
{
  VbCapsMachine *m = p;
  g_free (m->name);
  g_free (m->canonical);
  g_free (m);
}

static void
guest_domain_free (gpointer p)
{
  VbCapsGuestDomain *d = p;
  g_free (d->type);
  g_free (d->emulator);
  g_ptr_array_unref (d->machines);
  g_free (d);
}

static void
guest_feature_free (gpointer p)
{
  VbCapsGuestFeature *f = p;
  g_free (f->name);
  g_free (f);
}

static void
guest_free (gpointer p)
{
  VbCapsGuest *g = p;
  g_free (g->os_type);
  g_free (g->arch);
  g_free (g->emulator);
  g_free (g->loader);
  g_ptr_array_unref (g->machines);
  g_ptr_array_unref (g->domains);
  g_ptr_array_unref (g->features);
  g_free (g);
}

VbCapabilities *
vb_capabilities_new (const char *host_arch)
{
  VbCapabilities *caps = g_new0 (VbCapabilities, 1);
  VbCapsHost *host = &caps->host;

  host->cpu_arch = g_strdup (host_arch);
  host->cpu_flags = g_ptr_array_new_with_free_func (g_free);
  host->cpu_features = g_ptr_array_new_with_free_func (g_free);
  host->cpu_pages = g_array_new (FALSE, FALSE, sizeof (guint));
  host->uri_transports = g_ptr_array_new_with_free_func (g_free);
  host->cells = g_ptr_array_new_with_free_func (cell_free);
  host->secmodels = g_ptr_array_new_with_free_func (secmodel_free);
  caps->guests = g_ptr_array_new_with_free_func (guest_free);
  return caps;
}

void
vb_capabilities_free (VbCapabilities *caps)
{
  VbCapsHost *host;

  if (caps == NULL)
    return;
  host = &caps->host;
  g_free (host->cpu_arch);
  g_free (host->cpu_model);
  g_free (host->cpu_vendor);
  g_ptr_array_unref (host->cpu_flags);
  g_ptr_array_unref (host->cpu_features);
  g_array_unref (host->cpu_pages);
  g_ptr_array_unref (host->uri_transports);
  g_ptr_array_unref (host->cells);
  g_ptr_array_unref (host->secmodels);
  g_ptr_array_unref (caps->guests);
  g_free (caps);
}

/* ---- <capabilities>: builders ---- */

void
vb_capabilities_add_host_cpu_flag (VbCapabilities *caps, const char *flag)
{
  static const char *const known[] = { "pae", "nonpae", "vmx", "svm", NULL };
  g_return_if_fail (g_strv_contains (known, flag));
  g_ptr_array_add (caps->host.cpu_flags, g_strdup (flag));
}

void
vb_capabilities_add_host_cpu_feature (VbCapabilities *caps, const char *name)
{
  g_return_if_fail (name != NULL && name[0] != '\0');
  g_ptr_array_add (caps->host.cpu_features, g_strdup (name));
}

void
vb_capabilities_add_host_pages (VbCapabilities *caps, guint size_kib)
{
  g_array_append_val (caps->host.cpu_pages, size_kib);
}

void
vb_capabilities_add_migration_transport (VbCapabilities *caps, const char *transport)
{
  caps->host.has_migration = TRUE;
  g_ptr_array_add (caps->host.uri_transports, g_strdup (transport));
}

VbCapsCell *
vb_capabilities_add_cell (VbCapabilities *caps, guint id, guint64 memory_kib)
{
  VbCapsCell *cell = g_new0 (VbCapsCell, 1);

  cell->id = id;
  cell->memory_kib = memory_kib;
  cell->pages = g_array_new (FALSE, FALSE, sizeof (VbCapsPages));
  cell->distances = g_array_new (FALSE, FALSE, sizeof (VbCapsDistance));
  cell->cpus = g_ptr_array_new_with_free_func (caps_cpu_free);
  g_ptr_array_add (caps->host.cells, cell);
  return cell;
}

void
vb_caps_cell_add_pages (VbCapsCell *cell, guint size_kib, guint64 count)
{
  VbCapsPages pages = { size_kib, count };
  g_array_append_val (cell->pages, pages);
}

void
vb_caps_cell_add_distance (VbCapsCell *cell, guint node, guint value)
{
  VbCapsDistance d = { node, value };
  g_array_append_val (cell->distances, d);
}

void
vb_caps_cell_add_cpu (VbCapsCell *cell, guint id, guint socket_id, guint die_id, guint core_id, const char *siblings)
{
  VbCapsCpu *cpu = g_new0 (VbCapsCpu, 1);

  cpu->id = id;
  cpu->has_topology = siblings != NULL;
  cpu->socket_id = socket_id;
  cpu->die_id = die_id;
  cpu->core_id = core_id;
  cpu->siblings = g_strdup (siblings);
  g_ptr_array_add (cell->cpus, cpu);
}

VbCapsSecModel *
vb_capabilities_add_secmodel (VbCapabilities *caps, const char *model, const char *doi)
{
  VbCapsSecModel *sm = g_new0 (VbCapsSecModel, 1);

  sm->model = g_strdup (model);
  sm->doi = g_strdup (doi ? doi : "");
  sm->baselabels = g_ptr_array_new_with_free_func (baselabel_free);
  g_ptr_array_add (caps->host.secmodels, sm);
  return sm;
}

void
vb_caps_secmodel_add_baselabel (VbCapsSecModel *secmodel, const char *type, const char *label)
{
  VbCapsBaseLabel *bl = g_new0 (VbCapsBaseLabel, 1);
  bl->type = g_strdup (type);
  bl->label = g_strdup (label);
  g_ptr_array_add (secmodel->baselabels, bl);
}

VbCapsGuest *
vb_capabilities_add_guest (VbCapabilities *caps, const char *os_type, const char *arch, guint wordsize,
                           const char *emulator)
{
  VbCapsGuest *g = g_new0 (VbCapsGuest, 1);

  g->os_type = g_strdup (os_type);
  g->arch = g_strdup (arch);
  g->wordsize = wordsize;
  g->emulator = g_strdup (emulator);
  g->machines = g_ptr_array_new_with_free_func (machine_free);
  g->domains = g_ptr_array_new_with_free_func (guest_domain_free);
  g->features = g_ptr_array_new_with_free_func (guest_feature_free);
  g_ptr_array_add (caps->guests, g);
  return g;
}

static VbCapsMachine *
machine_new (const char *name, const char *canonical, guint max_cpus)
{
  VbCapsMachine *m = g_new0 (VbCapsMachine, 1);
  m->name = g_strdup (name);
  m->canonical = g_strdup (canonical);
  m->max_cpus = max_cpus;
  return m;
}

VbCapsMachine *
vb_caps_guest_add_machine (VbCapsGuest *guest, const char *name, const char *canonical, guint max_cpus)
{
  VbCapsMachine *m = machine_new (name, canonical, max_cpus);
  g_ptr_array_add (guest->machines, m);
  return m;
}

VbCapsGuestDomain *
vb_caps_guest_add_domain (VbCapsGuest *guest, const char *type, const char *emulator)
{
  VbCapsGuestDomain *d = g_new0 (VbCapsGuestDomain, 1);
  d->type = g_strdup (type);
  d->emulator = g_strdup (emulator);
  d->machines = g_ptr_array_new_with_free_func (machine_free);
  g_ptr_array_add (guest->domains, d);
  return d;
}

VbCapsMachine *
vb_caps_guest_domain_add_machine (VbCapsGuestDomain *domain, const char *name, const char *canonical,
                                  guint max_cpus)
{
  VbCapsMachine *m = machine_new (name, canonical, max_cpus);
  g_ptr_array_add (domain->machines, m);
  return m;
}

/* The schema's guest features: these are plain flags ... */
static const char *const plain_feature_names[] = { "pae", "nonpae", "ia64_be", "cpuselection", "deviceboot", NULL };
/* ... and these always carry toggle and default. */
static const char *const toggle_feature_names[] = { "acpi", "apic", "disksnapshot", "hap", NULL };

static void
add_guest_feature (VbCapsGuest *guest, const char *name, gboolean has_toggle, gboolean toggle, gboolean default_on)
{
  VbCapsGuestFeature *f = g_new0 (VbCapsGuestFeature, 1);

  f->name = g_strdup (name);
  f->has_toggle = has_toggle;
  f->toggle = toggle;
  f->default_on = default_on;
  g_ptr_array_add (guest->features, f);
}

void
vb_caps_guest_add_feature (VbCapsGuest *guest, const char *name)
{
  g_return_if_fail (g_strv_contains (plain_feature_names, name));
  add_guest_feature (guest, name, FALSE, FALSE, FALSE);
}

void
vb_caps_guest_add_feature_toggle (VbCapsGuest *guest, const char *name, gboolean toggle, gboolean default_on)
{
  g_return_if_fail (g_strv_contains (toggle_feature_names, name));
  add_guest_feature (guest, name, TRUE, toggle, default_on);
}

const VbCapsGuest *
vb_capabilities_find_guest (const VbCapabilities *caps, const char *os_type, const char *arch,
                            const char *domain_type)
{
  for (guint i = 0; i < caps->guests->len; i++) {
    const VbCapsGuest *g = g_ptr_array_index (caps->guests, i);
    if ((os_type && g_strcmp0 (g->os_type, os_type) != 0) || (arch && g_strcmp0 (g->arch, arch) != 0))
      continue;
    if (domain_type == NULL)
      return g;
    for (guint j = 0; j < g->domains->len; j++) {
      const VbCapsGuestDomain *d = g_ptr_array_index (g->domains, j);
      if (g_strcmp0 (d->type, domain_type) == 0)
        return g;
    }
  }
  return NULL;
}

/* ---- <capabilities>: formatting ---- */

static void
format_machines (VbXmlWriter *w, GPtrArray *machines)
{
  for (guint i = 0; i < machines->len; i++) {
    const VbCapsMachine *m = g_ptr_array_index (machines, i);
    char max[16];
    g_snprintf (max, sizeof max, "%u", m->max_cpus);
    vb_xml_writer_element (w, "machine", m->name, "canonical", m->canonical, "maxCpus", m->max_cpus ? max : NULL,
                           "deprecated", m->deprecated ? "yes" : NULL, NULL);
  }
}

static void
format_host_cpu (VbXmlWriter *w, const VbCapsHost *host)
{
  char buf[4][16];

  vb_xml_writer_start (w, "cpu", NULL);
  vb_xml_writer_element (w, "arch", host->cpu_arch, NULL);
  if (host->cpu_flags->len > 0) {
    vb_xml_writer_start (w, "features", NULL);
    for (guint i = 0; i < host->cpu_flags->len; i++)
      vb_xml_writer_empty (w, g_ptr_array_index (host->cpu_flags, i), NULL);
    vb_xml_writer_end (w);
  }
  vb_xml_writer_element (w, "model", host->cpu_model, NULL);
  vb_xml_writer_element (w, "vendor", host->cpu_vendor, NULL);
  if (host->has_cpu_topology) {
    g_snprintf (buf[0], sizeof buf[0], "%u", host->cpu_sockets);
    g_snprintf (buf[1], sizeof buf[1], "%u", host->cpu_dies);
    g_snprintf (buf[2], sizeof buf[2], "%u", host->cpu_cores);
    g_snprintf (buf[3], sizeof buf[3], "%u", host->cpu_threads);
    vb_xml_writer_empty (w, "topology", "sockets", buf[0], "dies", host->cpu_dies ? buf[1] : NULL, "cores", buf[2],
                         "threads", buf[3], NULL);
  }
  for (guint i = 0; i < host->cpu_features->len; i++)
    vb_xml_writer_empty (w, "feature", "name", (const char *) g_ptr_array_index (host->cpu_features, i), NULL);
  for (guint i = 0; i < host->cpu_pages->len; i++) {
    g_snprintf (buf[0], sizeof buf[0], "%u", g_array_index (host->cpu_pages, guint, i));
    vb_xml_writer_empty (w, "pages", "unit", "KiB", "size", buf[0], NULL);
  }
  vb_xml_writer_end (w);
}

static void
format_cell (VbXmlWriter *w, const VbCapsCell *cell)
{
  char buf[5][32];

  g_snprintf (buf[0], sizeof buf[0], "%u", cell->id);
  vb_xml_writer_start (w, "cell", "id", buf[0], NULL);
  if (cell->memory_kib > 0) {
    g_snprintf (buf[0], sizeof buf[0], "%" G_GUINT64_FORMAT, cell->memory_kib);
    vb_xml_writer_element (w, "memory", buf[0], "unit", "KiB", NULL);
  }
  for (guint i = 0; i < cell->pages->len; i++) {
    const VbCapsPages *p = &g_array_index (cell->pages, VbCapsPages, i);
    g_snprintf (buf[0], sizeof buf[0], "%u", p->size_kib);
    g_snprintf (buf[1], sizeof buf[1], "%" G_GUINT64_FORMAT, p->count);
    vb_xml_writer_element (w, "pages", buf[1], "unit", "KiB", "size", buf[0], NULL);
  }
  if (cell->distances->len > 0) {
    vb_xml_writer_start (w, "distances", NULL);
    for (guint i = 0; i < cell->distances->len; i++) {
      const VbCapsDistance *d = &g_array_index (cell->distances, VbCapsDistance, i);
      g_snprintf (buf[0], sizeof buf[0], "%u", d->node);
      g_snprintf (buf[1], sizeof buf[1], "%u", d->value);
      vb_xml_writer_empty (w, "sibling", "id", buf[0], "value", buf[1], NULL);
    }
    vb_xml_writer_end (w);
  }
  if (cell->cpus->len > 0) {
    g_snprintf (buf[0], sizeof buf[0], "%u", cell->cpus->len);
    vb_xml_writer_start (w, "cpus", "num", buf[0], NULL);
    for (guint i = 0; i < cell->cpus->len; i++) {
      const VbCapsCpu *cpu = g_ptr_array_index (cell->cpus, i);
      g_snprintf (buf[0], sizeof buf[0], "%u", cpu->id);
      if (!cpu->has_topology) {
        vb_xml_writer_empty (w, "cpu", "id", buf[0], NULL);
        continue;
      }
      g_snprintf (buf[1], sizeof buf[1], "%u", cpu->socket_id);
      g_snprintf (buf[2], sizeof buf[2], "%u", cpu->die_id);
      g_snprintf (buf[3], sizeof buf[3], "%u", cpu->core_id);
      vb_xml_writer_empty (w, "cpu", "id", buf[0], "socket_id", buf[1], "die_id", buf[2], "core_id", buf[3],
                           "siblings", cpu->siblings, NULL);
    }
    vb_xml_writer_end (w);
  }
  vb_xml_writer_end (w);
}

static void
format_guest (VbXmlWriter *w, const VbCapsGuest *g)
{
  char buf[16];

  vb_xml_writer_start (w, "guest", NULL);
  vb_xml_writer_element (w, "os_type", g->os_type, NULL);
  vb_xml_writer_start (w, "arch", "name", g->arch, NULL);
  g_snprintf (buf, sizeof buf, "%u", g->wordsize);
  vb_xml_writer_element (w, "wordsize", buf, NULL);
  vb_xml_writer_element (w, "emulator", g->emulator, NULL);
  vb_xml_writer_element (w, "loader", g->loader, NULL);
  format_machines (w, g->machines);
  for (guint i = 0; i < g->domains->len; i++) {
    const VbCapsGuestDomain *d = g_ptr_array_index (g->domains, i);
    if (d->emulator == NULL && d->machines->len == 0) {
      vb_xml_writer_empty (w, "domain", "type", d->type, NULL);
      continue;
    }
    vb_xml_writer_start (w, "domain", "type", d->type, NULL);
    vb_xml_writer_element (w, "emulator", d->emulator, NULL);
    format_machines (w, d->machines);
    vb_xml_writer_end (w);
  }
  vb_xml_writer_end (w);
  if (g->features->len > 0) {
    vb_xml_writer_start (w, "features", NULL);
    for (guint i = 0; i < g->features->len; i++) {
      const VbCapsGuestFeature *f = g_ptr_array_index (g->features, i);
      if (f->has_toggle)
        vb_xml_writer_empty (w, f->name, "default", f->default_on ? "on" : "off", "toggle", f->toggle ? "yes" : "no",
                             NULL);
      else
        vb_xml_writer_empty (w, f->name, NULL);
    }
    vb_xml_writer_end (w);
  }
  vb_xml_writer_end (w);
}

char *
vb_capabilities_format (const VbCapabilities *caps)
{
  g_autoptr(VbXmlWriter) w = vb_xml_writer_new ();
  const VbCapsHost *host;
  char buf[16];

  g_return_val_if_fail (caps != NULL, NULL);
  host = &caps->host;

  vb_xml_writer_start (w, "capabilities", NULL);
  vb_xml_writer_start (w, "host", NULL);
  if (host->uuid[0] != '\0')
    vb_xml_writer_element (w, "uuid", host->uuid, NULL);
  format_host_cpu (w, host);
  if (host->has_power_management) {
    vb_xml_writer_start (w, "power_management", NULL);
    if (host->suspend_mem)
      vb_xml_writer_empty (w, "suspend_mem", NULL);
    if (host->suspend_disk)
      vb_xml_writer_empty (w, "suspend_disk", NULL);
    if (host->suspend_hybrid)
      vb_xml_writer_empty (w, "suspend_hybrid", NULL);
    vb_xml_writer_end (w);
  }
  if (host->iommu != VB_CAPS_TRISTATE_ABSENT)
    vb_xml_writer_empty (w, "iommu", "support", host->iommu == VB_CAPS_TRISTATE_YES ? "yes" : "no", NULL);
  if (host->has_migration) {
    vb_xml_writer_start (w, "migration_features", NULL);
    if (host->migration_live)
      vb_xml_writer_empty (w, "live", NULL);
    if (host->uri_transports->len > 0) {
      vb_xml_writer_start (w, "uri_transports", NULL);
      for (guint i = 0; i < host->uri_transports->len; i++)
        vb_xml_writer_element (w, "uri_transport", g_ptr_array_index (host->uri_transports, i), NULL);
      vb_xml_writer_end (w);
    }
    vb_xml_writer_end (w);
  }
  if (host->cells->len > 0) {
    vb_xml_writer_start (w, "topology", NULL);
    g_snprintf (buf, sizeof buf, "%u", host->cells->len);
    vb_xml_writer_start (w, "cells", "num", buf, NULL);
    for (guint i = 0; i < host->cells->len; i++)
      format_cell (w, g_ptr_array_index (host->cells, i));
    vb_xml_writer_end (w);
    vb_xml_writer_end (w);
  }
  for (guint i = 0; i < host->secmodels->len; i++) {
    const VbCapsSecModel *sm = g_ptr_array_index (host->secmodels, i);
    vb_xml_writer_start (w, "secmodel", NULL);
    vb_xml_writer_element (w, "model", sm->model, NULL);
    vb_xml_writer_element (w, "doi", sm->doi, NULL);
    for (guint j = 0; j < sm->baselabels->len; j++) {
      const VbCapsBaseLabel *bl = g_ptr_array_index (sm->baselabels, j);
      vb_xml_writer_element (w, "baselabel", bl->label, "type", bl->type, NULL);
    }
    vb_xml_writer_end (w);
  }
  vb_xml_writer_end (w);

  for (guint i = 0; i < caps->guests->len; i++)
    format_guest (w, g_ptr_array_index (caps->guests, i));
  vb_xml_writer_end (w);
  return vb_xml_writer_finish (g_steal_pointer (&w));
}

/* ---- <domainCapabilities> ---- */

static void
enum_free (gpointer p)
{
  VbDomainCapsEnum *e = p;
  g_free (e->name);
  g_ptr_array_unref (e->values);
  g_free (e);
}

static void
feature_init (VbDomainCapsFeature *f)
{
  f->present = FALSE;
  f->supported = FALSE;
  f->enums = g_ptr_array_new_with_free_func (enum_free);
}

static void
cpu_model_free (gpointer p)
{
  VbDomainCapsCpuModel *m = p;
  g_free (m->name);
  g_free (m->usable);
  g_free (m->vendor);
  g_free (m);
}

static void
cpu_feature_free (gpointer p)
{
  VbDomainCapsCpuFeature *f = p;
  g_free (f->name);
  g_free (f->policy);
  g_free (f);
}

VbDomainCaps *
vb_domain_caps_new (const char *path, const char *domain_type, const char *machine, const char *arch)
{
  VbDomainCaps *caps = g_new0 (VbDomainCaps, 1);

  caps->path = g_strdup (path);
  caps->domain_type = g_strdup (domain_type);
  caps->machine = g_strdup (machine);
  caps->arch = g_strdup (arch);
  feature_init (&caps->iothreads);
  feature_init (&caps->os);
  feature_init (&caps->loader);
  caps->loader_values = g_ptr_array_new_with_free_func (g_free);
  feature_init (&caps->cpu_host_passthrough);
  feature_init (&caps->cpu_maximum);
  caps->cpu_host_model_features = g_ptr_array_new_with_free_func (cpu_feature_free);
  caps->cpu_custom_models = g_ptr_array_new_with_free_func (cpu_model_free);
  feature_init (&caps->memory_backing);
  for (int i = 0; i < VB_DOMAIN_CAPS_DEVICE_LAST; i++)
    feature_init (&caps->devices[i]);
  for (int i = 0; i < VB_DOMAIN_CAPS_FEATURE_LAST; i++)
    feature_init (&caps->features[i]);
  return caps;
}

void
vb_domain_caps_free (VbDomainCaps *caps)
{
  if (caps == NULL)
    return;
  g_free (caps->path);
  g_free (caps->domain_type);
  g_free (caps->machine);
  g_free (caps->arch);
  g_ptr_array_unref (caps->iothreads.enums);
  g_ptr_array_unref (caps->os.enums);
  g_ptr_array_unref (caps->loader.enums);
  g_ptr_array_unref (caps->loader_values);
  g_ptr_array_unref (caps->cpu_host_passthrough.enums);
  g_ptr_array_unref (caps->cpu_maximum.enums);
  g_free (caps->cpu_host_model);
  g_free (caps->cpu_host_model_fallback);
  g_free (caps->cpu_host_model_vendor);
  g_ptr_array_unref (caps->cpu_host_model_features);
  g_ptr_array_unref (caps->cpu_custom_models);
  g_ptr_array_unref (caps->memory_backing.enums);
  for (int i = 0; i < VB_DOMAIN_CAPS_DEVICE_LAST; i++)
    g_ptr_array_unref (caps->devices[i].enums);
  for (int i = 0; i < VB_DOMAIN_CAPS_FEATURE_LAST; i++)
    g_ptr_array_unref (caps->features[i].enums);
  g_free (caps);
}

void
vb_domain_caps_feature_set (VbDomainCapsFeature *feature, gboolean supported)
{
  feature->present = TRUE;
  feature->supported = supported;
}

void
vb_domain_caps_enum_add_value (VbDomainCapsEnum *e, const char *value)
{
  g_ptr_array_add (e->values, g_strdup (value));
}

VbDomainCapsEnum *
vb_domain_caps_feature_add_enum (VbDomainCapsFeature *feature, const char *name, ...)
{
  VbDomainCapsEnum *e = g_new0 (VbDomainCapsEnum, 1);
  const char *value;
  va_list ap;

  e->name = g_strdup (name);
  e->values = g_ptr_array_new_with_free_func (g_free);
  va_start (ap, name);
  while ((value = va_arg (ap, const char *)) != NULL)
    vb_domain_caps_enum_add_value (e, value);
  va_end (ap);
  g_ptr_array_add (feature->enums, e);
  vb_domain_caps_feature_set (feature, TRUE);
  return e;
}

void
vb_domain_caps_add_loader_value (VbDomainCaps *caps, const char *path)
{
  g_ptr_array_add (caps->loader_values, g_strdup (path));
  vb_domain_caps_feature_set (&caps->loader, TRUE);
}

void
vb_domain_caps_add_host_model_feature (VbDomainCaps *caps, const char *policy, const char *name)
{
  VbDomainCapsCpuFeature *f = g_new0 (VbDomainCapsCpuFeature, 1);
  f->policy = g_strdup (policy);
  f->name = g_strdup (name);
  g_ptr_array_add (caps->cpu_host_model_features, f);
}

void
vb_domain_caps_add_custom_model (VbDomainCaps *caps, const char *name, const char *usable, const char *vendor,
                                 gboolean deprecated)
{
  VbDomainCapsCpuModel *m = g_new0 (VbDomainCapsCpuModel, 1);
  m->name = g_strdup (name);
  m->usable = g_strdup (usable ? usable : "unknown");
  m->vendor = g_strdup (vendor ? vendor : "");
  m->deprecated = deprecated;
  g_ptr_array_add (caps->cpu_custom_models, m);
}

static const char *
yes_no (gboolean b)
{
  return b ? "yes" : "no";
}

static void
format_enums (VbXmlWriter *w, GPtrArray *enums)
{
  for (guint i = 0; i < enums->len; i++) {
    const VbDomainCapsEnum *e = g_ptr_array_index (enums, i);
    vb_xml_writer_start (w, "enum", "name", e->name, NULL);
    for (guint j = 0; j < e->values->len; j++)
      vb_xml_writer_element (w, "value", g_ptr_array_index (e->values, j), NULL);
    vb_xml_writer_end (w);
  }
}

/* <@name supported='…'> with its enums; nothing when not present. */
static void
format_feature (VbXmlWriter *w, const char *name, const VbDomainCapsFeature *f)
{
  if (!f->present)
    return;
  vb_xml_writer_start (w, name, "supported", yes_no (f->supported), NULL);
  format_enums (w, f->enums);
  vb_xml_writer_end (w);
}

static void
format_cpu_mode (VbXmlWriter *w, const char *mode, const VbDomainCapsFeature *f)
{
  vb_xml_writer_start (w, "mode", "name", mode, "supported", yes_no (f->present && f->supported), NULL);
  format_enums (w, f->enums);
  vb_xml_writer_end (w);
}

static void
format_domain_cpu (VbXmlWriter *w, const VbDomainCaps *caps)
{
  vb_xml_writer_start (w, "cpu", NULL);
  format_cpu_mode (w, "host-passthrough", &caps->cpu_host_passthrough);
  format_cpu_mode (w, "maximum", &caps->cpu_maximum);

  vb_xml_writer_start (w, "mode", "name", "host-model", "supported", yes_no (caps->cpu_host_model_supported), NULL);
  /* The schema has vendor and features only after a model. */
  if (caps->cpu_host_model_supported && caps->cpu_host_model != NULL) {
    vb_xml_writer_element (w, "model", caps->cpu_host_model, "fallback", caps->cpu_host_model_fallback, NULL);
    vb_xml_writer_element (w, "vendor", caps->cpu_host_model_vendor, NULL);
    for (guint i = 0; i < caps->cpu_host_model_features->len; i++) {
      const VbDomainCapsCpuFeature *f = g_ptr_array_index (caps->cpu_host_model_features, i);
      vb_xml_writer_empty (w, "feature", "policy", f->policy, "name", f->name, NULL);
    }
  }
  vb_xml_writer_end (w);

  vb_xml_writer_start (w, "mode", "name", "custom", "supported", yes_no (caps->cpu_custom_supported), NULL);
  for (guint i = 0; i < caps->cpu_custom_models->len; i++) {
    const VbDomainCapsCpuModel *m = g_ptr_array_index (caps->cpu_custom_models, i);
    vb_xml_writer_element (w, "model", m->name, "usable", m->usable, "deprecated", m->deprecated ? "yes" : NULL,
                           "vendor", m->vendor, NULL);
  }
  vb_xml_writer_end (w);
  vb_xml_writer_end (w);
}

char *
vb_domain_caps_format (const VbDomainCaps *caps)
{
  static const char *const device_names[VB_DOMAIN_CAPS_DEVICE_LAST] = {
    "disk", "graphics", "video", "hostdev", "rng", "filesystem", "tpm", "redirdev", "channel",
  };
  static const char *const feature_names[VB_DOMAIN_CAPS_FEATURE_LAST] = {
    "gic", "vmcoreinfo", "genid", "backingStoreInput", "backup", "s390-pv", "sev", "hyperv",
  };
  g_autoptr(VbXmlWriter) w = vb_xml_writer_new ();
  gboolean any;
  char buf[16];

  g_return_val_if_fail (caps != NULL, NULL);

  vb_xml_writer_start (w, "domainCapabilities", NULL);
  vb_xml_writer_element (w, "path", caps->path, NULL);
  vb_xml_writer_element (w, "domain", caps->domain_type, NULL);
  vb_xml_writer_element (w, "machine", caps->machine, NULL);
  vb_xml_writer_element (w, "arch", caps->arch, NULL);
  if (caps->vcpu_max > 0) {
    g_snprintf (buf, sizeof buf, "%u", caps->vcpu_max);
    vb_xml_writer_empty (w, "vcpu", "max", buf, NULL);
  }
  if (caps->iothreads.present)
    vb_xml_writer_empty (w, "iothreads", "supported", yes_no (caps->iothreads.supported), NULL);

  if (caps->os.present) {
    vb_xml_writer_start (w, "os", "supported", yes_no (caps->os.supported), NULL);
    format_enums (w, caps->os.enums);
    if (caps->loader.present) {
      vb_xml_writer_start (w, "loader", "supported", yes_no (caps->loader.supported), NULL);
      for (guint i = 0; i < caps->loader_values->len; i++)
        vb_xml_writer_element (w, "value", g_ptr_array_index (caps->loader_values, i), NULL);
      format_enums (w, caps->loader.enums);
      vb_xml_writer_end (w);
    }
    vb_xml_writer_end (w);
  }

  if (caps->has_cpu)
    format_domain_cpu (w, caps);

  format_feature (w, "memoryBacking", &caps->memory_backing);

  any = FALSE;
  for (int i = 0; i < VB_DOMAIN_CAPS_DEVICE_LAST; i++)
    any |= caps->devices[i].present;
  if (any) {
    vb_xml_writer_start (w, "devices", NULL);
    for (int i = 0; i < VB_DOMAIN_CAPS_DEVICE_LAST; i++)
      format_feature (w, device_names[i], &caps->devices[i]);
    vb_xml_writer_end (w);
  }

  any = FALSE;
  for (int i = 0; i < VB_DOMAIN_CAPS_FEATURE_LAST; i++)
    any |= caps->features[i].present;
  if (any) {
    vb_xml_writer_start (w, "features", NULL);
    for (int i = 0; i < VB_DOMAIN_CAPS_FEATURE_LAST; i++) {
      const VbDomainCapsFeature *f = &caps->features[i];
      if (!f->present)
        continue;
      if (i == VB_DOMAIN_CAPS_FEATURE_GIC || i == VB_DOMAIN_CAPS_FEATURE_HYPERV) {
        format_feature (w, feature_names[i], f);
      } else if (i == VB_DOMAIN_CAPS_FEATURE_SEV && f->supported && caps->has_sev_details) {
        vb_xml_writer_start (w, "sev", "supported", "yes", NULL);
        vb_xml_writer_element_u64 (w, "cbitpos", caps->sev_cbitpos);
        vb_xml_writer_element_u64 (w, "reducedPhysBits", caps->sev_reduced_phys_bits);
        vb_xml_writer_element_u64 (w, "maxGuests", caps->sev_max_guests);
        vb_xml_writer_element_u64 (w, "maxESGuests", caps->sev_max_es_guests);
        vb_xml_writer_end (w);
      } else {
        /* These carry no enums in the schema. */
        vb_xml_writer_empty (w, feature_names[i], "supported", yes_no (f->supported), NULL);
      }
    }
    vb_xml_writer_end (w);
  }
  vb_xml_writer_end (w);
  return vb_xml_writer_finish (g_steal_pointer (&w));
}
