/* What the host and its QEMU binaries can do, probed once (per binary, cached
 * by the binary's path and mtime) rather than per call. */
#pragma once

#include <gio/gio.h>

#include "vb-qemu-cpu.h"

G_BEGIN_DECLS

typedef struct {
  char *name;
  char *alias;       /* "pc" → "pc-i440fx-7.2" */
  gboolean is_default;
  guint max_cpus;
  gboolean deprecated;
} VbQemuMachine;

typedef struct {
  char *emulator;          /* /usr/bin/qemu-system-x86_64 */
  char *arch;              /* x86_64 */
  guint64 version;         /* libvirt encoding: major * 1000000 + minor * 1000 + micro */
  GPtrArray *machines;     /* VbQemuMachine */
  GPtrArray *cpu_models;   /* char *, as QEMU names them */
  gboolean kvm_available;  /* /dev/kvm usable and QEMU built with KVM */
  GPtrArray *devices;      /* char *: device model names QEMU offers (virtio-blk-pci, …) */
  VbQemuCpuData *cpu;      /* what each CPU model has; NULL when QEMU did not say */
  char *ovmf_code;         /* firmware paths found on the host, or NULL */
  char *ovmf_vars;
} VbQemuCaps;

/* Probes @emulator (runs it with -nodefaults -machine none -qmp stdio, or
 * with help options; never through a shell). Asynchronous: a child process. */
void vb_qemu_caps_probe_async (const char *emulator, GCancellable *cancellable, GAsyncReadyCallback callback,
                               gpointer user_data);
VbQemuCaps *vb_qemu_caps_probe_finish (GAsyncResult *result, GError **error);
/* Where probes are kept across restarts (the backend's data directory); NULL,
 * the default, keeps them in memory only. */
void vb_qemu_caps_set_cache_dir (const char *dir);
void vb_qemu_caps_free (VbQemuCaps *caps);

const VbQemuMachine *vb_qemu_caps_find_machine (const VbQemuCaps *caps, const char *name);
/* The machine @name (alias resolved) or, for NULL or "", QEMU's default;
 * NULL when there is none. */
const VbQemuMachine *vb_qemu_caps_machine_or_default (const VbQemuCaps *caps, const char *name);
gboolean vb_qemu_caps_has_device (const VbQemuCaps *caps, const char *device);
/* Added by the caps/command slice: is @model one of caps->cpu_models. */
gboolean vb_qemu_caps_has_cpu_model (const VbQemuCaps *caps, const char *model);

/* <capabilities> and <domainCapabilities> documents for Connect.GetCapabilities
 * and GetDomainCapabilities, built with service/xml/vb-capabilities.h. */
char *vb_qemu_caps_format_capabilities (const VbQemuCaps *caps, GError **error);
/* What the host has besides QEMU, for the domain capabilities. */
typedef struct {
  GPtrArray *firmware; /* the UEFI firmware (VbQemuFirmware, vb-qemu-firmware.h), or NULL */
  gboolean virtiofs;   /* virtiofsd there and usable by this instance */
  gboolean swtpm;      /* swtpm and swtpm_setup there */
} VbQemuHostExtras;

/* @host: NULL for none of it. */
char *vb_qemu_caps_format_domain_capabilities (const VbQemuCaps *caps, const VbQemuHostExtras *host,
                                               const char *machine, const char *virttype, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbQemuCaps, vb_qemu_caps_free)

G_END_DECLS
