/* Turning a domain definition into a QEMU command line (modern syntax:
 * -blockdev, -device, -netdev; never through a shell), and checking first
 * that everything in the definition is something this backend can do. */
#pragma once

#include <json-glib/json-glib.h>

#include "vb-domain-def.h"
#include "vb-qemu-caps.h"

G_BEGIN_DECLS

/* The most queues a tap (and a macvtap) has: the kernel's limit. */
#define VB_QEMU_NET_MAX_QUEUES 256
/* How many queues (tap descriptors) @net has: <driver queues>, at least 1. */
guint vb_qemu_net_queues (const VbDomainNetDef *net);

typedef struct {
  const char *emulator;     /* resolved QEMU binary */
  const char *run_dir;      /* per-domain runtime dir: sockets, pidfile */
  const char *log_dir;      /* per-domain logs (serial log files) */
  const char *qmp_socket;   /* unix socket path for -qmp (server, nowait) */
  const char *pidfile;      /* for -pidfile */
  const char *nvram_path;   /* writable OVMF vars for this domain, or NULL */
  gboolean system;          /* system instance: -sandbox on, -runas is NOT used (we drop privileges ourselves) */
  int qmp_fd;               /* > 2: the descriptor QEMU inherits the monitor's listening socket as (bound by
                             * the caller at qmp_socket); else QEMU binds qmp_socket itself */
  gboolean incoming;        /* add -incoming defer (restore, incoming migration) */
  /* Per def->nets index: the descriptor number of the interface's tap in
   * QEMU (inherited), or -1; NULL when no interface has one. A multiqueue
   * interface's other queues follow it (<driver queues='N'>: N numbers
   * from this one). */
  const int *tap_fds;
  const char *tpm_socket;   /* the emulated TPM's control socket (swtpm listens), or NULL */
  /* Per def->filesystems index: the socket its virtiofsd listens on; NULL
   * when the domain has no filesystem. */
  const char *const *fs_sockets;
  /* <clock offset='variable'>: the time the guest's RTC starts from is
   * this (seconds since the epoch) plus the adjustment; 0 = now. */
  gint64 now;
  /* <smbios mode='host'>: the host's SMBIOS information (GetSysinfo's),
   * read by the backend before the start; else NULL. */
  const VbSysinfoDef *host_sysinfo;
} VbQemuCommandContext;

/* @def's <clock><timer name=@name>, or NULL. */
const VbDomainTimerDef *vb_qemu_domain_timer (const VbDomainDef *def, VbDomainTimerName name);

/* The console socket path of serial/console @index in @run_dir (what
 * org.virtbus.Domain.OpenConsole connects to). */
char *vb_qemu_console_socket_path (const char *run_dir, guint index);

/* Fills every missing device <alias> of @def with the QEMU id the command
 * line uses ("virtio-disk0", "net0", "serial0", ...); aliases already set
 * (user "ua-*" ones, or those of a live definition) are kept. The backend
 * calls it on the live definition before vb_qemu_build_command() (which
 * applies it to its own copy), so both agree. Added by the command slice. */
void vb_qemu_domain_assign_aliases (VbDomainDef *def);

/* The -blockdev node name of @disk's format layer ("<alias>-fmt"), which
 * QMP block commands address; @disk must have its alias assigned
 * (vb_qemu_domain_assign_aliases). Added by the snapshot part. */
char *vb_qemu_disk_format_node (const VbDomainDiskDef *disk);

/* Whether @net can have @bw (its own <bandwidth>, or one set live): not a
 * user-mode NIC, no floor. NOT_SUPPORTED naming why. */
gboolean vb_qemu_net_bandwidth_check (const VbDomainNetDef *net, const VbBandwidth *bw, GError **error);

/* Fails with VB_ERROR_XML/VB_ERROR_NOT_SUPPORTED naming the first element or
 * value the QEMU backend does not support, or a clear error when the
 * definition needs what the host lacks (type='kvm' without /dev/kvm, a
 * machine type or CPU model QEMU does not know). */
gboolean vb_qemu_domain_validate (const VbDomainDef *def, const VbQemuCaps *caps, GError **error);

/* The full argv (argv[0] = emulator), or NULL with an error. */
GStrv vb_qemu_build_command (const VbDomainDef *def, const VbQemuCaps *caps, const VbQemuCommandContext *ctx,
                             GError **error);

/* For hotplug (vb-qemu-hotplug.c), so the command line and QMP agree:
 * the -blockdev / blockdev-add object of one block node (@filename for a
 * protocol node, @file_node for a format node on top of one); the bus a
 * disk ends up on; whether @machine is a q35 one. */
JsonNode *vb_qemu_blockdev_json (const char *driver, const char *node, const char *filename, const char *file_node,
                                 gboolean readonly, const VbDomainDiskDef *disk);
VbDomainDiskBus vb_qemu_disk_bus (const VbDomainDiskDef *disk, const char *machine);
gboolean vb_qemu_machine_is_q35 (const char *machine);

G_END_DECLS
