/* Turning a domain definition into a QEMU command line (modern syntax:
 * -blockdev, -device, -netdev; never through a shell), and checking first
 * that everything in the definition is something this backend can do. */
#pragma once

#include "vb-domain-def.h"
#include "vb-qemu-caps.h"

G_BEGIN_DECLS

typedef struct {
  const char *emulator;     /* resolved QEMU binary */
  const char *run_dir;      /* per-domain runtime dir: sockets, pidfile */
  const char *log_dir;      /* per-domain logs (serial log files) */
  const char *qmp_socket;   /* unix socket path for -qmp (server, nowait) */
  const char *pidfile;      /* for -pidfile */
  const char *nvram_path;   /* writable OVMF vars for this domain, or NULL */
  gboolean system;          /* system instance: -sandbox on, -runas is NOT used (we drop privileges ourselves) */
  gboolean daemonize;       /* add -daemonize so QEMU outlives virtbusd */
} VbQemuCommandContext;

/* The console socket path of serial/console @index in @run_dir (what
 * org.virtbus.Domain.OpenConsole connects to). */
char *vb_qemu_console_socket_path (const char *run_dir, guint index);

/* Fills every missing device <alias> of @def with the QEMU id the command
 * line uses ("virtio-disk0", "net0", "serial0", ...); aliases already set
 * (user "ua-*" ones, or those of a live definition) are kept. The backend
 * calls it on the live definition before vb_qemu_build_command() (which
 * applies it to its own copy), so both agree. Added by the command slice. */
void vb_qemu_domain_assign_aliases (VbDomainDef *def);

/* Fails with VB_ERROR_XML/VB_ERROR_NOT_SUPPORTED naming the first element or
 * value the QEMU backend does not support, or a clear error when the
 * definition needs what the host lacks (type='kvm' without /dev/kvm, a
 * machine type or CPU model QEMU does not know). */
gboolean vb_qemu_domain_validate (const VbDomainDef *def, const VbQemuCaps *caps, GError **error);

/* The full argv (argv[0] = emulator), or NULL with an error. */
GStrv vb_qemu_build_command (const VbDomainDef *def, const VbQemuCaps *caps, const VbQemuCommandContext *ctx,
                             GError **error);

G_END_DECLS
