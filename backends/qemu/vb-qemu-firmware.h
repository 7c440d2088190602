/* UEFI firmware for <os firmware='efi'>: QEMU's firmware descriptors (the
 * JSON files distributions install under /usr/share/qemu/firmware, one per
 * firmware build, see QEMU's docs/interop/firmware.json) tell which images
 * there are, for which machines, with which features (Secure Boot, keys
 * enrolled, SMM). A definition asking for UEFI gets the first one that fits,
 * its loader and NVRAM template written into it, as libvirt does. */
#pragma once

#include <sys/types.h>

#include "vb-domain-def.h"

G_BEGIN_DECLS

typedef struct {
  char *descriptor;   /* the JSON file it came from */
  char *description;
  char *code;         /* the executable image (mapping.executable) */
  char *vars;         /* the NVRAM template, NULL for a stateless build */
  gboolean secure_boot;
  gboolean enrolled_keys;
  gboolean requires_smm;
  GStrv machines;     /* globs of the machine types it runs on, for the arch */
} VbQemuFirmware;

void vb_qemu_firmware_free (VbQemuFirmware *fw);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbQemuFirmware, vb_qemu_firmware_free)

/* Where descriptors are looked for, the first directory overriding the
 * others for a file of the same name (an empty file hides one): the user's
 * $XDG_CONFIG_HOME/qemu/firmware (sessions only), /etc/qemu/firmware,
 * /usr/share/qemu/firmware. */
GStrv vb_qemu_firmware_default_dirs (gboolean system);

/* The UEFI firmware of the descriptors in @dirs for @arch, in the order
 * they are preferred (by file name across the directories). Descriptors
 * that do not parse, are not UEFI, map no flash device or have no raw
 * image are skipped with a debug message. */
GPtrArray *vb_qemu_firmware_load (const char *const *dirs, const char *arch);

/* Whether @fw runs machine type @machine (canonical name). */
gboolean vb_qemu_firmware_runs_machine (const VbQemuFirmware *fw, const char *machine);

/* For a definition with <os firmware='efi'> and no loader: picks the first
 * of @firmware that runs @machine (the canonical machine type) and has the
 * features the definition asks for (<firmware><feature>, <loader secure>,
 * <smm state='off'/>), and fills in <loader>, <nvram template> and the
 * firmware features; a firmware needing SMM turns <smm> on. A definition
 * with its own loader only gets the template of a descriptor of that image
 * when it names none. Either way a definition without an NVRAM path gets
 * @nvram_dir/<name>_VARS.fd. Fails, saying what was asked for, when no
 * firmware fits. Does nothing without firmware='efi' or a pflash loader. */
gboolean vb_qemu_firmware_fill (VbDomainDef *def, const char *machine, GPtrArray *firmware, const char *nvram_dir,
                                GError **error);

/* The guest's UEFI variables: @path made from @template when it does not
 * exist or @reset asks for a fresh copy (written beside it, then renamed
 * over it: a failure leaves the old one), mode 0600, owned by @uid:@gid
 * when @uid is not -1 (the QEMU user). An existing @path must be a regular
 * file. Blocking: run it in a worker thread. */
gboolean vb_qemu_nvram_make (const char *path, const char *template, gboolean reset, uid_t uid, gid_t gid,
                             GError **error);

G_END_DECLS
