/* x86 CPU models: what each of QEMU's named models has, which one the host's
 * CPU is closest to, and the answers built on that: the host CPU of
 * <capabilities>, host-model (domain capabilities and guests started with
 * <cpu mode='host-model'>), whether a model is usable, Connect.CompareCPU
 * and Connect.BaselineCPU.
 *
 * What a model has comes from QEMU itself (a static expansion of every
 * model, run once per emulator by the capability probe and kept with it);
 * what the host has comes from /proc/cpuinfo. Feature names are QEMU's
 * inside and libvirt's spelling in XML (lahf_lm, pclmuldq, …); input takes
 * either. */
#pragma once

#include <gio/gio.h>

#include "vb-domain-def.h"

G_BEGIN_DECLS

typedef struct _VbQemuCpuData VbQemuCpuData;

/* Filled while probing (not shared yet): set_transcript takes the QMP
 * replies to vb_qemu_cpu_probe_script(), kept zlib-compressed (~0.9 MB of
 * JSON in ~20 KB) and parsed on first use; FALSE with @error when they
 * cannot be compressed. get_packed gives them compressed (a new
 * reference, NULL when none) with their uncompressed length in @size, as
 * set_packed takes them back (the disk cache). */
VbQemuCpuData *vb_qemu_cpu_data_new (void);
gboolean vb_qemu_cpu_data_set_transcript (VbQemuCpuData *data, const char *transcript, GError **error);
void vb_qemu_cpu_data_set_packed (VbQemuCpuData *data, GBytes *packed, gsize size);
GBytes *vb_qemu_cpu_data_get_packed (VbQemuCpuData *data, gsize *size);
VbQemuCpuData *vb_qemu_cpu_data_ref (VbQemuCpuData *data);
void vb_qemu_cpu_data_unref (VbQemuCpuData *data);
/* Marks models TCG cannot run as QEMU listed them (query-cpu-definitions'
 * unavailable-features); called while probing. */
void vb_qemu_cpu_data_set_tcg_unusable (VbQemuCpuData *data, const char *model);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbQemuCpuData, vb_qemu_cpu_data_unref)

/* The probe's QMP commands for @models (QEMU's names), each expanded, then
 * "max"; ends with a quit whose id is VB_QEMU_CPU_PROBE_END. */
#define VB_QEMU_CPU_PROBE_END "cpu-models-done"
char *vb_qemu_cpu_probe_script (GPtrArray *models);

/* A CPU as model + features, in libvirt's feature names (sorted). */
typedef struct {
  char *model;
  char *vendor;      /* Intel, AMD, …; NULL when unknown */
  GPtrArray *require; /* char *: features on top of the model */
  GPtrArray *disable; /* char *: features of the model taken away */
} VbQemuCpuModelDef;

void vb_qemu_cpu_model_def_free (VbQemuCpuModelDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbQemuCpuModelDef, vb_qemu_cpu_model_def_free)

/* The host's own CPU: the largest named model all of whose features it
 * has, and its other features. */
VbQemuCpuModelDef *vb_qemu_cpu_host (VbQemuCpuData *data, GError **error);
/* host-model for KVM (@kvm) or TCG guests: the host's features a guest can
 * be given, as the model they are closest to. */
VbQemuCpuModelDef *vb_qemu_cpu_host_model (VbQemuCpuData *data, gboolean kvm, GError **error);
/* "yes", "no" or "unknown": can a KVM (@kvm) or TCG guest run @model with
 * all its features on this host. */
const char *vb_qemu_cpu_model_usable (VbQemuCpuData *data, const char *model, gboolean kvm);
/* libvirt's name of a CPUID vendor string (GenuineIntel → Intel, …);
 * NULL for NULL or "". */
const char *vb_qemu_cpu_vendor_name (const char *cpuid_vendor);
/* The host CPU's vendor as libvirt names it, or NULL. */
const char *vb_qemu_cpu_host_vendor (VbQemuCpuData *data);
/* Its vendor as libvirt names it (Intel, AMD, …), or "unknown". */
const char *vb_qemu_cpu_model_vendor (VbQemuCpuData *data, const char *model);

/* Connect.CompareCPU: virCPUCompareResult (0 incompatible, 1 identical,
 * 2 superset) or -1 with @error. */
int vb_qemu_cpu_compare (VbQemuCpuData *data, const char *xml, guint flags, GError **error);
/* Connect.BaselineCPU: a guest <cpu> every given host CPU can run. */
char *vb_qemu_cpu_baseline (VbQemuCpuData *data, const char *const *xml_cpus, guint flags, GError **error);

/* At start: <cpu mode='host-model'> of @def becomes the model and features
 * it stands for on this host (mode='custom' match='exact' check='full',
 * as the live XML shows it), its own <feature>s applied on top. Other
 * modes are left alone. */
gboolean vb_qemu_cpu_expand_host_model (VbQemuCpuData *data, VbDomainDef *def, GError **error);

G_END_DECLS
