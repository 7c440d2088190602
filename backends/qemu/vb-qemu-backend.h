/* VbQemuBackend: the qemu:///session and qemu:///system connections.
 *
 * Domains are real QEMU processes (see README.md in this folder for the
 * process model: QEMU as a child ready at its monitor's greeting, pidfd exit detection, QMP, reattach). */
#pragma once

#include "vb-backend.h"

G_BEGIN_DECLS

#define VB_TYPE_QEMU_BACKEND (vb_qemu_backend_get_type ())
G_DECLARE_FINAL_TYPE (VbQemuBackend, vb_qemu_backend, VB, QEMU_BACKEND, VbBackend)

/* The default unprivileged user QEMU runs as in system mode. */
#define VB_QEMU_DEFAULT_USER "virtbus-qemu"

/* @qemu_user: system mode only; NULL for VB_QEMU_DEFAULT_USER, "" (or
 * "root") to keep QEMU running as root. @emulator: NULL for the default
 * /usr/bin/qemu-system-x86_64 (or $VIRTBUS_QEMU_EMULATOR, for tests). */
VbBackend *vb_qemu_backend_new (gboolean system, const char *root_prefix, const char *qemu_user,
                                const char *emulator);

G_END_DECLS
