/* Host capabilities (<capabilities>, libvirt's capability.rng) and domain
 * capabilities (<domainCapabilities>, domaincaps.rng): builders and
 * formatters only. These documents flow from the daemon to clients, never
 * the other way, so there is no parser.
 *
 * Builders take copies of the strings they are given. The structs are
 * public so a backend may also fill or adjust fields directly.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* ---- <capabilities> ---- */

typedef struct {
  guint id;
  gboolean has_topology;
  guint socket_id;
  guint die_id;
  guint core_id;
  char *siblings; /* cpuset, e.g. "0,4" */
} VbCapsCpu;

typedef struct {
  guint size_kib;
  guint64 count;
} VbCapsPages;

typedef struct {
  guint node;
  guint value;
} VbCapsDistance;

typedef struct {
  guint id;
  guint64 memory_kib; /* 0 when unknown */
  GArray *pages;      /* VbCapsPages */
  GArray *distances;  /* VbCapsDistance */
  GPtrArray *cpus;    /* VbCapsCpu */
} VbCapsCell;

typedef struct {
  char *type;  /* "kvm", "qemu" */
  char *label;
} VbCapsBaseLabel;

typedef struct {
  char *model;
  char *doi;
  GPtrArray *baselabels; /* VbCapsBaseLabel */
} VbCapsSecModel;

typedef struct {
  char *name;
  char *canonical; /* for aliases such as "pc" */
  guint max_cpus;  /* 0 when unknown */
  gboolean deprecated;
} VbCapsMachine;

typedef struct {
  char *type;     /* qemu, kvm, test, … */
  char *emulator; /* when it differs from the arch's */
  GPtrArray *machines; /* VbCapsMachine, when they differ from the arch's */
} VbCapsGuestDomain;

typedef struct {
  char *name; /* pae, nonpae, ia64_be, acpi, apic, cpuselection, deviceboot, disksnapshot, hap */
  gboolean has_toggle;
  gboolean toggle;     /* can the domain XML change it */
  gboolean default_on;
} VbCapsGuestFeature;

typedef struct {
  char *os_type; /* hvm, xen, linux, exe */
  char *arch;
  guint wordsize;
  char *emulator;
  char *loader;
  GPtrArray *machines; /* VbCapsMachine */
  GPtrArray *domains;  /* VbCapsGuestDomain; the schema wants at least one */
  GPtrArray *features; /* VbCapsGuestFeature */
} VbCapsGuest;

typedef enum {
  VB_CAPS_TRISTATE_ABSENT,
  VB_CAPS_TRISTATE_YES,
  VB_CAPS_TRISTATE_NO,
} VbCapsTristate;

typedef struct {
  char uuid[37]; /* empty when unknown */

  char *cpu_arch;
  char *cpu_model;
  char *cpu_vendor;
  gboolean has_cpu_topology;
  guint cpu_sockets, cpu_dies, cpu_cores, cpu_threads;
  GPtrArray *cpu_flags;    /* char *: pae, nonpae, vmx, svm (<features>) */
  GPtrArray *cpu_features; /* char *: <feature name='…'/> */
  GArray *cpu_pages;       /* guint: supported page sizes in KiB */

  gboolean has_power_management;
  gboolean suspend_mem, suspend_disk, suspend_hybrid;
  VbCapsTristate iommu;
  gboolean has_migration;
  gboolean migration_live;
  GPtrArray *uri_transports; /* char *: tcp, rdma, … */

  GPtrArray *cells;     /* VbCapsCell; the schema wants at least one when any */
  GPtrArray *secmodels; /* VbCapsSecModel */
} VbCapsHost;

typedef struct {
  VbCapsHost host;
  GPtrArray *guests; /* VbCapsGuest */
} VbCapabilities;

VbCapabilities *vb_capabilities_new (const char *host_arch);
void vb_capabilities_free (VbCapabilities *caps);
char *vb_capabilities_format (const VbCapabilities *caps);

void vb_capabilities_add_host_cpu_flag (VbCapabilities *caps, const char *flag);
void vb_capabilities_add_host_cpu_feature (VbCapabilities *caps, const char *name);
void vb_capabilities_add_host_pages (VbCapabilities *caps, guint size_kib);
void vb_capabilities_add_migration_transport (VbCapabilities *caps, const char *transport);
VbCapsCell *vb_capabilities_add_cell (VbCapabilities *caps, guint id, guint64 memory_kib);
void vb_caps_cell_add_pages (VbCapsCell *cell, guint size_kib, guint64 count);
void vb_caps_cell_add_distance (VbCapsCell *cell, guint node, guint value);
/* @siblings NULL: no topology attributes. */
void vb_caps_cell_add_cpu (VbCapsCell *cell, guint id, guint socket_id, guint die_id, guint core_id,
                           const char *siblings);
VbCapsSecModel *vb_capabilities_add_secmodel (VbCapabilities *caps, const char *model, const char *doi);
void vb_caps_secmodel_add_baselabel (VbCapsSecModel *secmodel, const char *type, const char *label);

VbCapsGuest *vb_capabilities_add_guest (VbCapabilities *caps, const char *os_type, const char *arch, guint wordsize,
                                        const char *emulator);
VbCapsMachine *vb_caps_guest_add_machine (VbCapsGuest *guest, const char *name, const char *canonical,
                                          guint max_cpus);
VbCapsGuestDomain *vb_caps_guest_add_domain (VbCapsGuest *guest, const char *type, const char *emulator);
VbCapsMachine *vb_caps_guest_domain_add_machine (VbCapsGuestDomain *domain, const char *name,
                                                 const char *canonical, guint max_cpus);
/* A plain feature: pae, nonpae, ia64_be, cpuselection, deviceboot. */
void vb_caps_guest_add_feature (VbCapsGuest *guest, const char *name);
/* A feature with toggle/default (<acpi default='on' toggle='yes'/>): acpi,
 * apic, disksnapshot, hap. */
void vb_caps_guest_add_feature_toggle (VbCapsGuest *guest, const char *name, gboolean toggle, gboolean default_on);

/* The guest for @os_type/@arch offering @domain_type (any when NULL). */
const VbCapsGuest *vb_capabilities_find_guest (const VbCapabilities *caps, const char *os_type, const char *arch,
                                               const char *domain_type);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbCapabilities, vb_capabilities_free)

/* ---- <domainCapabilities> ---- */

typedef struct {
  char *name;
  GPtrArray *values; /* char * */
} VbDomainCapsEnum;

/* An element with supported='yes|no' and <enum> children. */
typedef struct {
  gboolean present;
  gboolean supported;
  GPtrArray *enums; /* VbDomainCapsEnum */
} VbDomainCapsFeature;

typedef enum {
  VB_DOMAIN_CAPS_DEVICE_DISK,
  VB_DOMAIN_CAPS_DEVICE_GRAPHICS,
  VB_DOMAIN_CAPS_DEVICE_VIDEO,
  VB_DOMAIN_CAPS_DEVICE_HOSTDEV,
  VB_DOMAIN_CAPS_DEVICE_RNG,
  VB_DOMAIN_CAPS_DEVICE_FILESYSTEM,
  VB_DOMAIN_CAPS_DEVICE_TPM,
  VB_DOMAIN_CAPS_DEVICE_REDIRDEV,
  VB_DOMAIN_CAPS_DEVICE_CHANNEL,
  VB_DOMAIN_CAPS_DEVICE_LAST
} VbDomainCapsDevice;

typedef enum {
  VB_DOMAIN_CAPS_FEATURE_GIC,
  VB_DOMAIN_CAPS_FEATURE_VMCOREINFO,
  VB_DOMAIN_CAPS_FEATURE_GENID,
  VB_DOMAIN_CAPS_FEATURE_BACKING_STORE_INPUT,
  VB_DOMAIN_CAPS_FEATURE_BACKUP,
  VB_DOMAIN_CAPS_FEATURE_S390_PV,
  VB_DOMAIN_CAPS_FEATURE_SEV,
  VB_DOMAIN_CAPS_FEATURE_HYPERV,
  VB_DOMAIN_CAPS_FEATURE_LAST
} VbDomainCapsFeatureId;

typedef struct {
  char *name;
  char *usable; /* yes, no, unknown */
  char *vendor;
  gboolean deprecated;
} VbDomainCapsCpuModel;

typedef struct {
  char *name;
  char *policy; /* require, disable, … */
} VbDomainCapsCpuFeature;

typedef struct {
  char *path;
  char *domain_type;
  char *machine; /* may be NULL */
  char *arch;
  guint vcpu_max; /* 0 when unknown */
  VbDomainCapsFeature iothreads; /* supported only, no enums */
  VbDomainCapsFeature os;
  VbDomainCapsFeature loader; /* inside <os> */
  GPtrArray *loader_values;   /* char *: firmware paths */

  gboolean has_cpu; /* then all four modes are written */
  VbDomainCapsFeature cpu_host_passthrough;
  VbDomainCapsFeature cpu_maximum;
  gboolean cpu_host_model_supported;
  char *cpu_host_model;          /* may be NULL */
  char *cpu_host_model_fallback; /* allow, forbid; may be NULL */
  char *cpu_host_model_vendor;
  GPtrArray *cpu_host_model_features; /* VbDomainCapsCpuFeature */
  gboolean cpu_custom_supported;
  GPtrArray *cpu_custom_models; /* VbDomainCapsCpuModel */

  VbDomainCapsFeature memory_backing;
  VbDomainCapsFeature devices[VB_DOMAIN_CAPS_DEVICE_LAST];
  /* vmcoreinfo, genid, backingStoreInput, backup, s390-pv and sev carry
   * no enums. */
  VbDomainCapsFeature features[VB_DOMAIN_CAPS_FEATURE_LAST];
  gboolean has_sev_details;
  guint sev_cbitpos, sev_reduced_phys_bits, sev_max_guests, sev_max_es_guests;
} VbDomainCaps;

VbDomainCaps *vb_domain_caps_new (const char *path, const char *domain_type, const char *machine, const char *arch);
void vb_domain_caps_free (VbDomainCaps *caps);
char *vb_domain_caps_format (const VbDomainCaps *caps);

/* Marks @feature present with the given support. */
void vb_domain_caps_feature_set (VbDomainCapsFeature *feature, gboolean supported);
/* Adds <enum name='@name'> with the NULL-terminated values; marks @feature
 * present and supported. */
VbDomainCapsEnum *vb_domain_caps_feature_add_enum (VbDomainCapsFeature *feature, const char *name, ...)
  G_GNUC_NULL_TERMINATED;
void vb_domain_caps_enum_add_value (VbDomainCapsEnum *e, const char *value);
void vb_domain_caps_add_loader_value (VbDomainCaps *caps, const char *path);
void vb_domain_caps_add_host_model_feature (VbDomainCaps *caps, const char *policy, const char *name);
void vb_domain_caps_add_custom_model (VbDomainCaps *caps, const char *name, const char *usable, const char *vendor,
                                      gboolean deprecated);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbDomainCaps, vb_domain_caps_free)

G_END_DECLS
