#define G_LOG_DOMAIN "virtbus-xml"

#include "vb-domain-def.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdarg.h>
#include <string.h>

#include "vb-error.h"
#include "vb-xml.h"

/* Largest memory size accepted, in KiB: libvirt's limit (2^53 - 1), which
 * also keeps the value exact in a double on the D-Bus side. */
#define MAX_MEMORY_KIB ((G_GUINT64_CONSTANT (1) << 53) - 1)
/* Far above what any hypervisor offers; keeps loops over vCPUs bounded. */
#define MAX_VCPUS 16384
#define MAX_IOTHREADS 16384
#define MAX_IOTHREAD_ID G_MAXINT
/* Largest CPU number accepted in a cpuset string. */
#define MAX_CPUSET_CPU 65535

/* ------------------------------------------------------------------ */
/* Enum tables. Tables of enums whose 0 means "absent" start at value 1. */

static const char *const virt_type_names[] = { "qemu", "kvm", "test", NULL };
static const char *const address_type_names[] = { "pci", "drive", "virtio-serial", "usb", "isa", "ccid", NULL }; /* from 1 */
static const char *const disk_type_names[] = { "file", "block", "dir", "volume", NULL };
static const char *const disk_device_names[] = { "disk", "cdrom", "floppy", "lun", NULL };
static const char *const disk_bus_names[] = { "ide", "fdc", "scsi", "virtio", "usb", "sata", "sd", NULL }; /* from 1 */
static const char *const disk_cache_names[] = { "default", "none", "writethrough", "writeback", "directsync", "unsafe", NULL }; /* from 1 */
static const char *const disk_io_names[] = { "native", "threads", "io_uring", NULL };          /* from 1 */
static const char *const disk_discard_names[] = { "unmap", "ignore", NULL };                    /* from 1 */
static const char *const disk_detect_zeroes_names[] = { "off", "on", "unmap", NULL };           /* from 1 */
static const char *const startup_policy_names[] = { "mandatory", "requisite", "optional", NULL }; /* from 1 */
static const char *const disk_tray_names[] = { "closed", "open", NULL };                        /* from 1 */
static const char *const disk_formats[] = {
  "raw", "dir", "bochs", "cloop", "dmg", "iso", "vpc", "vdi", "fat", "vhd", "ploop", "luks",
  "cow", "qcow", "qcow2", "qed", "vmdk", NULL
};
static const char *const controller_type_names[] = {
  "ide", "fdc", "scsi", "sata", "virtio-serial", "ccid", "usb", "pci", NULL
};
static const char *const controller_models_ide[] = { "piix3", "piix4", "ich6", NULL };
static const char *const controller_models_scsi[] = {
  "auto", "buslogic", "lsilogic", "lsisas1068", "vmpvscsi", "ibmvscsi", "virtio-scsi", "lsisas1078",
  "virtio-transitional", "virtio-non-transitional", "ncr53c90", "dc390", "am53c974", NULL
};
static const char *const controller_models_usb[] = {
  "piix3-uhci", "piix4-uhci", "ehci", "ich9-ehci1", "ich9-uhci1", "ich9-uhci2", "ich9-uhci3",
  "vt82c686b-uhci", "pci-ohci", "nec-xhci", "none", "qusb1", "qusb2", "qemu-xhci", NULL
};
static const char *const controller_models_pci[] = {
  "pci-root", "pcie-root", "pci-bridge", "dmi-to-pci-bridge", "pcie-to-pci-bridge", "pcie-root-port",
  "pcie-switch-upstream-port", "pcie-switch-downstream-port", "pci-expander-bus", "pcie-expander-bus", NULL
};
static const char *const controller_model_names_pci[] = {
  "spapr-pci-host-bridge", "pci-bridge", "i82801b11-bridge", "pcie-pci-bridge", "ioh3420",
  "pcie-root-port", "x3130-upstream", "xio3130-downstream", "pxb", "pxb-pcie", NULL
};
static const char *const controller_models_virtio[] = { "virtio", "virtio-transitional", "virtio-non-transitional", NULL };
static const char *const net_type_names[] = { "user", "network", "bridge", "ethernet", "direct", NULL };
static const char *const net_direct_mode_names[] = { "vepa", "private", "bridge", "passthrough", NULL }; /* from 1 */
static const char *const net_link_names[] = { "up", "down", NULL };                                   /* from 1 */
static const char *const net_driver_names[] = { "qemu", "vhost", NULL };                              /* from 1 */
static const char *const chr_type_names[] = {
  "null", "vc", "pty", "dev", "file", "pipe", "stdio", "tcp", "unix", "spicevmc", NULL
};
static const char *const chr_mode_names[] = { "bind", "connect", NULL };                    /* from 1 */
static const char *const chr_protocol_names[] = { "raw", "telnet", "telnets", "tls", NULL }; /* from 1 */
static const char *const chr_state_names[] = { "connected", "disconnected", NULL };         /* from 1 */
static const char *const serial_target_types[] = {
  "isa-serial", "usb-serial", "pci-serial", "spapr-vio-serial", "system-serial", "sclp-serial", "isa-debug", NULL
};
static const char *const serial_target_models[] = {
  "isa-serial", "usb-serial", "pci-serial", "spapr-vty", "pl011", "16550a", "sclpconsole", "sclplmconsole",
  "isa-debugcon", NULL
};
static const char *const console_target_types[] = { "serial", "virtio", "xen", "lxc", "openvz", "sclp", "sclplm", NULL };
static const char *const channel_target_types[] = { "virtio", NULL };
static const char *const graphics_type_names[] = { "vnc", "spice", NULL };
static const char *const graphics_listen_names[] = { "address", "network", "socket", "none", NULL };
/* SPICE's options: per VbDomainSpiceOption, its element and attribute and
 * the values it takes (value N is names[N - 1]). */
static const struct {
  const char *element, *attribute;
  const char *const names[7];
} spice_options[] = {
  { "image", "compression", { "auto_glz", "auto_lz", "quic", "glz", "lz", "off", NULL } },
  { "jpeg", "compression", { "auto", "never", "always", NULL } },
  { "zlib", "compression", { "auto", "never", "always", NULL } },
  { "playback", "compression", { "on", "off", NULL } },
  { "streaming", "mode", { "filter", "all", "off", NULL } },
  { "clipboard", "copypaste", { "yes", "no", NULL } },
  { "mouse", "mode", { "server", "client", NULL } },
  { "filetransfer", "enable", { "yes", "no", NULL } },
  { "gl", "enable", { "yes", "no", NULL } },
  { NULL, "defaultMode", { "any", "secure", "insecure", NULL } },
};
static const char *const spice_channel_names[] = { "main", "display", "inputs", "cursor", "playback", "record",
                                                   "smartcard", "usbredir", NULL };
G_STATIC_ASSERT (G_N_ELEMENTS (spice_options) == VB_DOMAIN_SPICE_OPTION_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (spice_channel_names) == VB_DOMAIN_SPICE_CHANNEL_LAST + 1);

const char *
vb_domain_spice_option_to_string (VbDomainSpiceOption option, int value)
{
  if (option >= VB_DOMAIN_SPICE_OPTION_LAST || value < 1 || value > 6)
    return NULL;
  return spice_options[option].names[value - 1];
}

const char *
vb_domain_spice_channel_to_string (VbDomainSpiceChannel channel)
{
  return channel < VB_DOMAIN_SPICE_CHANNEL_LAST ? spice_channel_names[channel] : NULL;
}
static const char *const video_model_names[] = { "vga", "cirrus", "vmvga", "qxl", "virtio", "bochs", "ramfb", "none", NULL };
static const char *const input_type_names[] = { "mouse", "tablet", "keyboard", NULL };
static const char *const input_bus_names[] = { "ps2", "usb", "virtio", NULL }; /* from 1 */
static const char *const sound_model_names[] = { "sb16", "es1370", "pcspk", "ac97", "ich6", "ich7", "ich9", "usb", NULL };
static const char *const audio_type_names[] = { "none", "alsa", "oss", "pulseaudio", "sdl", "spice", "file", "dbus", NULL };
static const char *const hostdev_type_names[] = { "pci", "usb", NULL };
static const char *const hostdev_driver_names[] = { "kvm", "vfio", "xen", NULL };
static const char *const memballoon_model_names[] = { "virtio", "virtio-transitional", "virtio-non-transitional", "none", NULL };
static const char *const rng_model_names[] = { "virtio", "virtio-transitional", "virtio-non-transitional", NULL };
static const char *const rng_backend_names[] = { "random", "builtin", NULL };
static const char *const rng_random_sources[] = { "/dev/urandom", "/dev/random", "/dev/hwrng", NULL };
static const char *const watchdog_model_names[] = { "i6300esb", "ib700", "diag288", "itco", NULL };
static const char *const watchdog_action_names[] = { "reset", "shutdown", "poweroff", "pause", "none", "dump", "inject-nmi", NULL }; /* from 1 */
static const char *const panic_model_names[] = { "isa", "pseries", "hyperv", "s390", "pvpanic", NULL };     /* from 1 */
static const char *const fs_driver_names[] = { "path", "handle", "virtiofs", NULL };                         /* from 1 */
static const char *const fs_access_names[] = { "passthrough", "mapped", "squash", NULL };                    /* from 1 */
static const char *const tpm_model_names[] = { "tpm-tis", "tpm-crb", "tpm-spapr", "spapr-tpm-proxy", NULL }; /* from 1 */
static const char *const tpm_backend_names[] = { "passthrough", "emulator", NULL };
static const char *const tpm_versions[] = { "1.2", "2.0", NULL };
static const char *const device_type_names[] = {
  "disk", "controller", "interface", "serial", "parallel", "console", "channel", "graphics", "video",
  "input", "sound", "audio", "hostdev", "memballoon", "rng", "watchdog", "panic", "filesystem", "tpm",
  "redirdev", NULL
};
static const char *const redirdev_bus_names[] = { "usb", NULL };
static const char *const cpu_mode_names[] = { "custom", "host-model", "host-passthrough", "maximum", NULL };
static const char *const cpu_match_names[] = { "minimum", "exact", "strict", NULL };  /* from 1 */
static const char *const cpu_check_names[] = { "none", "partial", "full", NULL };      /* from 1 */
static const char *const cpu_fallback_names[] = { "allow", "forbid", NULL };           /* from 1 */
static const char *const cpu_feature_policy_names[] = { "force", "require", "optional", "disable", "forbid", NULL };
static const char *const numa_mem_access_names[] = { "shared", "private", NULL };      /* from 1 */
static const char *const os_type_names[] = { "hvm", "linux", NULL };
static const char *const boot_dev_names[] = { "fd", "hd", "cdrom", "network", NULL };
static const char *const loader_type_names[] = { "rom", "pflash", NULL };              /* from 1 */
static const char *const firmware_names[] = { "bios", "efi", NULL };                   /* from 1 */
static const char *const smbios_names[] = { "emulate", "host", "sysinfo", NULL };      /* from 1 */
static const char *const ioapic_names[] = { "kvm", "qemu", NULL };                     /* from 1 */
static const char *const gic_names[] = { "2", "3", "host", NULL };                      /* from 2 */
static const char *const clock_offset_names[] = { "utc", "localtime", "timezone", "variable", NULL };
static const char *const clock_basis_names[] = { "utc", "localtime", NULL };
static const char *const timer_names[] = {
  "platform", "pit", "rtc", "hpet", "tsc", "kvmclock", "hypervclock", "armvtimer", NULL
};
static const char *const timer_tickpolicy_names[] = { "delay", "catchup", "merge", "discard", NULL }; /* from 1 */
static const char *const timer_track_names[] = { "boot", "guest", "wall", "realtime", NULL };         /* from 1 */
static const char *const lifecycle_names[] = {
  "destroy", "restart", "rename-restart", "preserve", "coredump-destroy", "coredump-restart", NULL
};
static const char *const lockfailure_names[] = { "poweroff", "restart", "pause", "ignore", NULL }; /* from 1 */
static const char *const seclabel_type_names[] = { "dynamic", "static", "none", NULL };
static const char *const memory_source_names[] = { "file", "anonymous", "memfd", NULL };  /* from 1 */
static const char *const memory_access_names[] = { "shared", "private", NULL };           /* from 1 */
static const char *const memory_allocation_names[] = { "immediate", "ondemand", NULL };   /* from 1 */
static const char *const vcpu_placement_names[] = { "static", "auto", NULL };             /* from 1 */
static const char *const arch_names[] = {
  "aarch64", "alpha", "armv6l", "armv7l", "cris", "i686", "ia64", "lm32", "m68k", "microblaze",
  "microblazeel", "mips", "mipsel", "mips64", "mips64el", "openrisc", "parisc", "parisc64", "ppc",
  "ppc64", "ppc64le", "ppcemb", "riscv32", "riscv64", "s390", "s390x", "sh4", "sh4eb", "sparc",
  "sparc64", "unicore32", "x86_64", "xtensa", "xtensaeb", NULL
};

G_STATIC_ASSERT (G_N_ELEMENTS (virt_type_names) == VB_DOMAIN_VIRT_LAST + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (address_type_names) == VB_DOMAIN_ADDRESS_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (disk_type_names) == VB_DOMAIN_DISK_TYPE_LAST + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (disk_device_names) == VB_DOMAIN_DISK_DEVICE_LAST + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (disk_bus_names) == VB_DOMAIN_DISK_BUS_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (disk_cache_names) == VB_DOMAIN_DISK_CACHE_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (disk_io_names) == VB_DOMAIN_DISK_IO_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (disk_discard_names) == VB_DOMAIN_DISK_DISCARD_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (disk_detect_zeroes_names) == VB_DOMAIN_DISK_DETECT_ZEROES_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (startup_policy_names) == VB_DOMAIN_STARTUP_POLICY_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (disk_tray_names) == VB_DOMAIN_DISK_TRAY_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (controller_type_names) == VB_DOMAIN_CONTROLLER_LAST + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (net_type_names) == VB_DOMAIN_NET_TYPE_LAST + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (net_direct_mode_names) == VB_DOMAIN_NET_DIRECT_MODE_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (net_link_names) == VB_DOMAIN_NET_LINK_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (net_driver_names) == VB_DOMAIN_NET_DRIVER_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (chr_type_names) == VB_DOMAIN_CHR_TYPE_LAST + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (chr_mode_names) == VB_DOMAIN_CHR_MODE_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (chr_protocol_names) == VB_DOMAIN_CHR_PROTOCOL_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (chr_state_names) == VB_DOMAIN_CHR_STATE_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (graphics_type_names) == VB_DOMAIN_GRAPHICS_LAST + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (graphics_listen_names) == VB_DOMAIN_GRAPHICS_LISTEN_LAST + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (video_model_names) == VB_DOMAIN_VIDEO_LAST + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (input_type_names) == VB_DOMAIN_INPUT_LAST + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (input_bus_names) == VB_DOMAIN_INPUT_BUS_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (sound_model_names) == VB_DOMAIN_SOUND_LAST + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (audio_type_names) == VB_DOMAIN_AUDIO_LAST + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (hostdev_type_names) == VB_DOMAIN_HOSTDEV_LAST + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (memballoon_model_names) == VB_DOMAIN_MEMBALLOON_LAST + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (rng_model_names) == VB_DOMAIN_RNG_LAST + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (rng_backend_names) == VB_DOMAIN_RNG_BACKEND_LAST + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (watchdog_model_names) == VB_DOMAIN_WATCHDOG_LAST + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (watchdog_action_names) == VB_DOMAIN_WATCHDOG_ACTION_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (panic_model_names) == VB_DOMAIN_PANIC_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (fs_driver_names) == VB_DOMAIN_FS_DRIVER_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (fs_access_names) == VB_DOMAIN_FS_ACCESS_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (tpm_model_names) == VB_DOMAIN_TPM_MODEL_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (tpm_backend_names) == VB_DOMAIN_TPM_BACKEND_LAST + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (device_type_names) == VB_DOMAIN_DEVICE_LAST + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (cpu_mode_names) == VB_DOMAIN_CPU_MODE_LAST + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (cpu_match_names) == VB_DOMAIN_CPU_MATCH_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (cpu_check_names) == VB_DOMAIN_CPU_CHECK_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (cpu_fallback_names) == VB_DOMAIN_CPU_FALLBACK_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (cpu_feature_policy_names) == VB_DOMAIN_CPU_FEATURE_LAST + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (numa_mem_access_names) == VB_DOMAIN_NUMA_MEM_ACCESS_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (os_type_names) == VB_DOMAIN_OS_LAST + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (boot_dev_names) == VB_DOMAIN_BOOT_LAST + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (loader_type_names) == VB_DOMAIN_LOADER_TYPE_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (firmware_names) == VB_DOMAIN_FIRMWARE_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (smbios_names) == VB_DOMAIN_SMBIOS_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (ioapic_names) == VB_DOMAIN_IOAPIC_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (gic_names) == VB_DOMAIN_GIC_LAST - 1);
G_STATIC_ASSERT (G_N_ELEMENTS (clock_offset_names) == VB_DOMAIN_CLOCK_LAST + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (clock_basis_names) == VB_DOMAIN_CLOCK_BASIS_LAST + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (timer_names) == VB_DOMAIN_TIMER_LAST + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (timer_tickpolicy_names) == VB_DOMAIN_TIMER_TICKPOLICY_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (timer_track_names) == VB_DOMAIN_TIMER_TRACK_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (lifecycle_names) == VB_DOMAIN_LIFECYCLE_LAST + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (lockfailure_names) == VB_DOMAIN_LOCKFAILURE_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (seclabel_type_names) == VB_DOMAIN_SECLABEL_LAST + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (memory_source_names) == VB_DOMAIN_MEMORY_SOURCE_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (memory_access_names) == VB_DOMAIN_MEMORY_ACCESS_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (memory_allocation_names) == VB_DOMAIN_MEMORY_ALLOCATION_LAST);
G_STATIC_ASSERT (G_N_ELEMENTS (vcpu_placement_names) == VB_DOMAIN_VCPU_PLACEMENT_LAST);

/* Name of @value in @table whose first entry is enum value @offset; NULL
 * below @offset (the "absent" values) or out of range. */
static const char *
enum_str (const char *const *table, int offset, int value)
{
  if (value < offset)
    return NULL;
  for (int i = 0; table[i] != NULL; i++)
    if (i == value - offset)
      return table[i];
  return NULL;
}

static int
enum_lookup (const char *const *table, const char *str)
{
  if (str == NULL)
    return -1;
  for (int i = 0; table[i] != NULL; i++)
    if (strcmp (table[i], str) == 0)
      return i;
  return -1;
}

static const char *
tristate_str (VbDomainTristate t, gboolean on_off)
{
  switch (t) {
  case VB_DOMAIN_TRISTATE_YES:
    return on_off ? "on" : "yes";
  case VB_DOMAIN_TRISTATE_NO:
    return on_off ? "off" : "no";
  case VB_DOMAIN_TRISTATE_ABSENT:
  default:
    return NULL;
  }
}

/* ------------------------------------------------------------------ */
/* Parsing helpers                                                      */

static gboolean G_GNUC_PRINTF (2, 3)
invalid (GError **error, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error_literal (error, VB_ERROR, VB_ERROR_XML, msg);
  return FALSE;
}

/* Kinds of strings kept from attributes, with the characters each allows.
 * Control characters are refused everywhere: an attribute value holding a
 * newline would not survive a format/parse round trip. */
typedef enum {
  STR_TEXT,    /* non-empty, any printable text */
  STR_ANY,     /* possibly empty, any printable text */
  STR_PATH,    /* absolute path */
  STR_DEVNAME, /* [a-zA-Z0-9_.\-\\:/]+ */
  STR_ALIAS,   /* [a-zA-Z0-9_.-]+ */
  STR_TOKEN,   /* [a-zA-Z0-9_.+-]+ */
  STR_HOST,    /* DNS name or IP address */
} StrKind;

static gboolean
chars_in (const char *s, const char *extra)
{
  if (*s == '\0')
    return FALSE;
  for (; *s; s++)
    if (!g_ascii_isalnum (*s) && strchr (extra, *s) == NULL)
      return FALSE;
  return TRUE;
}

/* NULL when @s is fine, else what was expected. */
static const char *
check_string (StrKind kind, const char *s)
{
  switch (kind) {
  case STR_ANY:
    return vb_xml_has_control_chars (s, FALSE) ? "text without control characters" : NULL;
  case STR_TEXT:
    return (*s == '\0' || vb_xml_has_control_chars (s, FALSE)) ? "non-empty text without control characters" : NULL;
  case STR_PATH:
    return (s[0] != '/' || s[1] == '\0' || vb_xml_has_control_chars (s, FALSE)) ? "an absolute path" : NULL;
  case STR_DEVNAME:
    return chars_in (s, "_.-\\:/") ? NULL : "a device name ([a-zA-Z0-9_.-\\:/])";
  case STR_ALIAS:
    return chars_in (s, "_.-") ? NULL : "a name of letters, digits, '_', '.' and '-'";
  case STR_TOKEN:
    return chars_in (s, "_.+-") ? NULL : "a name of letters, digits, '_', '.', '+' and '-'";
  case STR_HOST:
    if (chars_in (s, ".-"))
      return NULL;
    if (strchr (s, '%') == NULL && g_hostname_is_ip_address (s))
      return NULL;
    return "a host name or IP address";
  default:
    return "valid";
  }
}

/* Reads attribute @name into *@out (replacing it). Returns FALSE on error. */
static gboolean
attr_str (xmlNode *node, const char *name, StrKind kind, gboolean required, char **out, GError **error)
{
  g_autofree char *value = vb_xml_prop (node, name);
  const char *problem;

  if (value == NULL) {
    if (required)
      return vb_xml_fail (error, node, "missing attribute '%s'", name);
    return TRUE;
  }
  problem = check_string (kind, value);
  if (problem != NULL)
    return vb_xml_fail (error, node, "attribute '%s': '%s' is not %s", name, value, problem);
  g_free (*out);
  *out = g_steal_pointer (&value);
  return TRUE;
}

/* Enum attribute; *out = index + @offset when present. */
static gboolean
attr_enum (xmlNode *node, const char *name, const char *const *values, int offset, gboolean required,
           int *out, GError **error)
{
  int idx = 0;
  int r = vb_xml_prop_enum (node, name, values, &idx, error);
  if (r < 0)
    return FALSE;
  if (r == 0) {
    if (required)
      return vb_xml_fail (error, node, "missing attribute '%s'", name);
    return TRUE;
  }
  *out = idx + offset;
  return TRUE;
}

static gboolean
attr_tristate (xmlNode *node, const char *name, gboolean on_off, VbDomainTristate *out, GError **error)
{
  gboolean b = FALSE;
  int r = vb_xml_prop_bool (node, name, on_off, &b, error);
  if (r < 0)
    return FALSE;
  if (r > 0)
    *out = b ? VB_DOMAIN_TRISTATE_YES : VB_DOMAIN_TRISTATE_NO;
  return TRUE;
}

static gboolean
attr_tristate_required (xmlNode *node, const char *name, gboolean on_off, VbDomainTristate *out, GError **error)
{
  gboolean b = FALSE;
  int r = vb_xml_prop_bool (node, name, on_off, &b, error);
  if (r < 0)
    return FALSE;
  if (r == 0)
    return vb_xml_fail (error, node, "missing attribute '%s'", name);
  *out = b ? VB_DOMAIN_TRISTATE_YES : VB_DOMAIN_TRISTATE_NO;
  return TRUE;
}

/* Unsigned attribute in [@min, @max]; *present tells whether it was there. */
static gboolean
attr_u64 (xmlNode *node, const char *name, guint64 min, guint64 max, gboolean required,
          guint64 *out, gboolean *present, GError **error)
{
  guint64 v = 0;
  int r = vb_xml_prop_u64 (node, name, &v, error);
  if (present)
    *present = r > 0;
  if (r < 0)
    return FALSE;
  if (r == 0) {
    if (required)
      return vb_xml_fail (error, node, "missing attribute '%s'", name);
    return TRUE;
  }
  if (v < min || v > max)
    return vb_xml_fail (error, node, "attribute '%s': %" G_GUINT64_FORMAT " is out of range (%" G_GUINT64_FORMAT
                        "..%" G_GUINT64_FORMAT ")", name, v, min, max);
  *out = v;
  return TRUE;
}

static gboolean
attr_uint (xmlNode *node, const char *name, guint min, guint max, gboolean required,
           guint *out, gboolean *present, GError **error)
{
  guint64 v = *out;
  if (!attr_u64 (node, name, min, max, required, &v, present, error))
    return FALSE;
  *out = (guint) v;
  return TRUE;
}

/* Signed attribute in [@min, @max]. */
static gboolean
attr_int (xmlNode *node, const char *name, int min, int max, int *out, gboolean *present, GError **error)
{
  int v = 0;
  int r = vb_xml_prop_int (node, name, &v, error);
  if (present)
    *present = r > 0;
  if (r < 0)
    return FALSE;
  if (r == 0)
    return TRUE;
  if (v < min || v > max)
    return vb_xml_fail (error, node, "attribute '%s': %d is out of range (%d..%d)", name, v, min, max);
  *out = v;
  return TRUE;
}

/* XML normalises line ends of literal text; a character reference can still
 * smuggle a CR in, which would not survive a round trip. */
static void
normalize_newlines (char *s)
{
  for (; s && *s; s++)
    if (*s == '\r')
      *s = '\n';
}

/* Text of element @node, checked: @multiline allows '\n' and '\t'. */
static gboolean
node_text (xmlNode *node, gboolean multiline, gboolean allow_empty, char **out, GError **error)
{
  g_autofree char *text = vb_xml_text (node);

  normalize_newlines (text);
  if (vb_xml_has_control_chars (text, multiline))
    return vb_xml_fail (error, node, "text contains control characters");
  if (!allow_empty && *text == '\0')
    return vb_xml_fail (error, node, "must not be empty");
  g_free (*out);
  *out = g_steal_pointer (&text);
  return TRUE;
}

/* Optional text child with the given string kind. */
static gboolean
child_str (xmlNode *parent, const char *name, StrKind kind, char **out, GError **error)
{
  xmlNode *child = vb_xml_child (parent, name);
  g_autofree char *text = NULL;
  const char *problem;

  if (child == NULL)
    return TRUE;
  text = vb_xml_text (child);
  problem = check_string (kind, text);
  if (problem != NULL)
    return vb_xml_fail (error, child, "'%s' is not %s", text, problem);
  g_free (*out);
  *out = g_steal_pointer (&text);
  return TRUE;
}

/* Validates a cpuset string ("0-3,^2,8") and returns its highest CPU. */
static gboolean
cpuset_check (const char *s, guint *max_cpu)
{
  const char *p = s;
  guint highest = 0;
  gboolean any = FALSE;

  if (s == NULL || *s == '\0')
    return FALSE;
  while (*p) {
    gboolean negate = FALSE;
    guint64 a = 0, b;
    const char *start;

    if (*p == '^') {
      negate = TRUE;
      p++;
    }
    start = p;
    while (g_ascii_isdigit (*p)) {
      a = a * 10 + (guint64) (*p - '0');
      if (a > MAX_CPUSET_CPU)
        return FALSE;
      p++;
    }
    if (p == start)
      return FALSE;
    b = a;
    if (*p == '-') {
      if (negate)
        return FALSE;
      p++;
      start = p;
      b = 0;
      while (g_ascii_isdigit (*p)) {
        b = b * 10 + (guint64) (*p - '0');
        if (b > MAX_CPUSET_CPU)
          return FALSE;
        p++;
      }
      if (p == start || b < a)
        return FALSE;
    }
    if (!negate) {
      any = TRUE;
      highest = MAX (highest, (guint) b);
    }
    if (*p == ',') {
      p++;
      if (*p == '\0')
        return FALSE;
    } else if (*p != '\0') {
      return FALSE;
    }
  }
  if (!any)
    return FALSE;
  if (max_cpu)
    *max_cpu = highest;
  return TRUE;
}

static gboolean
attr_cpuset (xmlNode *node, const char *name, char **out, guint *max_cpu, GError **error)
{
  g_autofree char *value = vb_xml_prop (node, name);
  if (value == NULL)
    return TRUE;
  if (!cpuset_check (value, max_cpu))
    return vb_xml_fail (error, node, "attribute '%s': '%s' is not a valid CPU set (e.g. '0-3,^2,6', CPUs up to %d)",
                        name, value, MAX_CPUSET_CPU);
  g_free (*out);
  *out = g_steal_pointer (&value);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Formatting helpers                                                   */

/* printf into a string kept alive by @pool (for writer attribute lists). */
static const char * G_GNUC_PRINTF (2, 3)
sp (GPtrArray *pool, const char *fmt, ...)
{
  va_list ap;
  char *s;

  va_start (ap, fmt);
  s = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_ptr_array_add (pool, s);
  return s;
}

static const char *
sp_u (GPtrArray *pool, guint64 v)
{
  return sp (pool, "%" G_GUINT64_FORMAT, v);
}

#define POOL() g_ptr_array_new_with_free_func (g_free)

/* ------------------------------------------------------------------ */
/* MAC addresses and public enum helpers                                */

gboolean
vb_domain_mac_parse (const char *str, char out[18])
{
  guint bytes[6];
  int n = 0;
  const char *p = str;

  if (str == NULL)
    return FALSE;
  for (n = 0; n < 6; n++) {
    if (!g_ascii_isxdigit (p[0]) || !g_ascii_isxdigit (p[1]))
      return FALSE;
    bytes[n] = (guint) (g_ascii_xdigit_value (p[0]) * 16 + g_ascii_xdigit_value (p[1]));
    p += 2;
    if (n < 5) {
      if (*p != ':')
        return FALSE;
      p++;
    }
  }
  if (*p != '\0')
    return FALSE;
  /* A multicast address cannot be a NIC's own address. */
  if (bytes[0] & 1)
    return FALSE;
  g_snprintf (out, 18, "%02x:%02x:%02x:%02x:%02x:%02x",
              bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5]);
  return TRUE;
}

void
vb_domain_mac_generate (char out[18])
{
  /* QEMU's OUI, as libvirt uses for generated addresses. */
  g_snprintf (out, 18, "52:54:00:%02x:%02x:%02x",
              g_random_int_range (0, 256), g_random_int_range (0, 256), g_random_int_range (0, 256));
}

const char *
vb_domain_virt_type_to_string (VbDomainVirtType type)
{
  return enum_str (virt_type_names, 0, type);
}

int
vb_domain_virt_type_from_string (const char *str)
{
  return enum_lookup (virt_type_names, str);
}

const char *
vb_domain_device_type_to_string (VbDomainDeviceType type)
{
  return enum_str (device_type_names, 0, type);
}

int
vb_domain_device_type_from_string (const char *str)
{
  return enum_lookup (device_type_names, str);
}

const char *
vb_domain_disk_device_to_string (VbDomainDiskDevice device)
{
  return enum_str (disk_device_names, 0, device);
}

const char *
vb_domain_disk_bus_to_string (VbDomainDiskBus bus)
{
  return enum_str (disk_bus_names, 1, bus);
}

VbDomainNetType
vb_domain_net_actual_type (const VbDomainNetDef *net)
{
  return net->type == VB_DOMAIN_NET_TYPE_NETWORK && net->src_dev != NULL ? VB_DOMAIN_NET_TYPE_DIRECT : net->type;
}

const char *
vb_domain_net_type_to_string (VbDomainNetType type)
{
  return enum_str (net_type_names, 0, type);
}

const char *
vb_domain_controller_type_to_string (VbDomainControllerType type)
{
  return enum_str (controller_type_names, 0, type);
}

const char *
vb_domain_graphics_type_to_string (VbDomainGraphicsType type)
{
  return enum_str (graphics_type_names, 0, type);
}

const char *
vb_domain_lifecycle_action_to_string (VbDomainLifecycleAction action)
{
  return enum_str (lifecycle_names, 0, action);
}

int
vb_domain_lifecycle_action_from_string (const char *str)
{
  return enum_lookup (lifecycle_names, str);
}

const char *
vb_domain_os_type_to_string (VbDomainOsType type)
{
  return enum_str (os_type_names, 0, type);
}

gboolean
vb_domain_disk_format_is_valid (const char *format)
{
  return enum_lookup (disk_formats, format) >= 0;
}

/* ------------------------------------------------------------------ */
/* Device addresses and info                                            */

static gboolean
usb_port_check (const char *s)
{
  /* Up to four dot-separated decimal hub ports of 1-3 digits: "1.2.3". */
  int parts = 0, digits = 0;
  for (const char *p = s;; p++) {
    if (g_ascii_isdigit (*p)) {
      if (++digits > 3)
        return FALSE;
    } else if (*p == '.' || *p == '\0') {
      if (digits == 0 || ++parts > 4)
        return FALSE;
      digits = 0;
      if (*p == '\0')
        return TRUE;
    } else {
      return FALSE;
    }
  }
}

static gboolean
address_parse (xmlNode *node, VbDomainDeviceAddress *addr, GError **error)
{
  int type = 0;
  guint64 v = 0;
  gboolean present = FALSE;

  if (!attr_enum (node, "type", address_type_names, 1, TRUE, &type, error))
    return FALSE;
  memset (addr, 0, sizeof *addr);
  addr->type = type;
  switch (addr->type) {
  case VB_DOMAIN_ADDRESS_PCI:
    if (!attr_uint (node, "domain", 0, 0xffff, FALSE, &addr->u.pci.domain, NULL, error) ||
        !attr_uint (node, "bus", 0, 0xff, FALSE, &addr->u.pci.bus, NULL, error) ||
        !attr_uint (node, "slot", 0, 0x1f, FALSE, &addr->u.pci.slot, NULL, error) ||
        !attr_uint (node, "function", 0, 7, FALSE, &addr->u.pci.function, NULL, error) ||
        !attr_tristate (node, "multifunction", TRUE, &addr->u.pci.multifunction, error))
      return FALSE;
    break;
  case VB_DOMAIN_ADDRESS_DRIVE:
    if (!attr_uint (node, "controller", 0, 99, FALSE, &addr->u.drive.controller, NULL, error) ||
        !attr_uint (node, "bus", 0, 99, FALSE, &addr->u.drive.bus, NULL, error) ||
        !attr_uint (node, "target", 0, G_MAXUINT, FALSE, &addr->u.drive.target, NULL, error) ||
        !attr_uint (node, "unit", 0, 99999, FALSE, &addr->u.drive.unit, NULL, error))
      return FALSE;
    break;
  case VB_DOMAIN_ADDRESS_VIRTIO_SERIAL:
    /* port 0 means "let the hypervisor pick", as in libvirt. */
    if (!attr_uint (node, "controller", 0, 99, TRUE, &addr->u.virtio_serial.controller, NULL, error) ||
        !attr_uint (node, "bus", 0, 99, FALSE, &addr->u.virtio_serial.bus, NULL, error) ||
        !attr_uint (node, "port", 0, 99, FALSE, &addr->u.virtio_serial.port, NULL, error))
      return FALSE;
    break;
  case VB_DOMAIN_ADDRESS_USB:
    if (!attr_uint (node, "bus", 0, 999, TRUE, &addr->u.usb.bus, NULL, error) ||
        !attr_str (node, "port", STR_TEXT, FALSE, &addr->u.usb.port, error))
      return FALSE;
    if (addr->u.usb.port && !usb_port_check (addr->u.usb.port))
      return vb_xml_fail (error, node, "attribute 'port': '%s' is not a USB port path like '1' or '1.2'",
                          addr->u.usb.port);
    break;
  case VB_DOMAIN_ADDRESS_ISA:
    if (!attr_u64 (node, "iobase", 0, 0xffff, FALSE, &v, &present, error))
      return FALSE;
    addr->u.isa.has_iobase = present;
    addr->u.isa.iobase = (guint) v;
    if (!attr_u64 (node, "irq", 0, 0xf, FALSE, &v, &present, error))
      return FALSE;
    addr->u.isa.has_irq = present;
    addr->u.isa.irq = (guint) v;
    break;
  case VB_DOMAIN_ADDRESS_CCID:
    if (!attr_uint (node, "controller", 0, 99, TRUE, &addr->u.ccid.controller, NULL, error) ||
        !attr_uint (node, "slot", 0, 99, FALSE, &addr->u.ccid.slot, NULL, error))
      return FALSE;
    break;
  case VB_DOMAIN_ADDRESS_NONE:
  case VB_DOMAIN_ADDRESS_LAST:
  default:
    break;
  }
  return TRUE;
}

static void
address_format (VbXmlWriter *w, const VbDomainDeviceAddress *addr)
{
  g_autoptr(GPtrArray) pool = POOL ();
  const char *type = enum_str (address_type_names, 1, addr->type);

  switch (addr->type) {
  case VB_DOMAIN_ADDRESS_PCI:
    vb_xml_writer_empty (w, "address", "type", type,
                         "domain", sp (pool, "0x%04x", addr->u.pci.domain),
                         "bus", sp (pool, "0x%02x", addr->u.pci.bus),
                         "slot", sp (pool, "0x%02x", addr->u.pci.slot),
                         "function", sp (pool, "0x%x", addr->u.pci.function),
                         "multifunction", tristate_str (addr->u.pci.multifunction, TRUE), NULL);
    break;
  case VB_DOMAIN_ADDRESS_DRIVE:
    vb_xml_writer_empty (w, "address", "type", type,
                         "controller", sp_u (pool, addr->u.drive.controller),
                         "bus", sp_u (pool, addr->u.drive.bus),
                         "target", sp_u (pool, addr->u.drive.target),
                         "unit", sp_u (pool, addr->u.drive.unit), NULL);
    break;
  case VB_DOMAIN_ADDRESS_VIRTIO_SERIAL:
    vb_xml_writer_empty (w, "address", "type", type,
                         "controller", sp_u (pool, addr->u.virtio_serial.controller),
                         "bus", sp_u (pool, addr->u.virtio_serial.bus),
                         "port", addr->u.virtio_serial.port ? sp_u (pool, addr->u.virtio_serial.port) : NULL,
                         NULL);
    break;
  case VB_DOMAIN_ADDRESS_USB:
    vb_xml_writer_empty (w, "address", "type", type, "bus", sp_u (pool, addr->u.usb.bus),
                         "port", addr->u.usb.port, NULL);
    break;
  case VB_DOMAIN_ADDRESS_ISA:
    vb_xml_writer_empty (w, "address", "type", type,
                         "iobase", addr->u.isa.has_iobase ? sp (pool, "0x%x", addr->u.isa.iobase) : NULL,
                         "irq", addr->u.isa.has_irq ? sp (pool, "0x%x", addr->u.isa.irq) : NULL, NULL);
    break;
  case VB_DOMAIN_ADDRESS_CCID:
    vb_xml_writer_empty (w, "address", "type", type, "controller", sp_u (pool, addr->u.ccid.controller),
                         "slot", sp_u (pool, addr->u.ccid.slot), NULL);
    break;
  case VB_DOMAIN_ADDRESS_NONE:
  case VB_DOMAIN_ADDRESS_LAST:
  default:
    break;
  }
}

static void
address_clear (VbDomainDeviceAddress *addr)
{
  if (addr->type == VB_DOMAIN_ADDRESS_USB)
    g_free (addr->u.usb.port);
  memset (addr, 0, sizeof *addr);
}

static void
address_copy (VbDomainDeviceAddress *dst, const VbDomainDeviceAddress *src)
{
  *dst = *src;
  if (src->type == VB_DOMAIN_ADDRESS_USB)
    dst->u.usb.port = g_strdup (src->u.usb.port);
}

static gboolean
address_equal (const VbDomainDeviceAddress *a, const VbDomainDeviceAddress *b)
{
  if (a->type != b->type)
    return FALSE;
  switch (a->type) {
  case VB_DOMAIN_ADDRESS_PCI:
    return a->u.pci.domain == b->u.pci.domain && a->u.pci.bus == b->u.pci.bus &&
           a->u.pci.slot == b->u.pci.slot && a->u.pci.function == b->u.pci.function;
  case VB_DOMAIN_ADDRESS_DRIVE:
    return memcmp (&a->u.drive, &b->u.drive, sizeof a->u.drive) == 0;
  case VB_DOMAIN_ADDRESS_VIRTIO_SERIAL:
    return memcmp (&a->u.virtio_serial, &b->u.virtio_serial, sizeof a->u.virtio_serial) == 0;
  case VB_DOMAIN_ADDRESS_USB:
    return a->u.usb.bus == b->u.usb.bus && g_strcmp0 (a->u.usb.port, b->u.usb.port) == 0;
  case VB_DOMAIN_ADDRESS_ISA:
    return a->u.isa.has_iobase == b->u.isa.has_iobase && a->u.isa.iobase == b->u.isa.iobase &&
           a->u.isa.has_irq == b->u.isa.has_irq && a->u.isa.irq == b->u.isa.irq;
  case VB_DOMAIN_ADDRESS_CCID:
    return memcmp (&a->u.ccid, &b->u.ccid, sizeof a->u.ccid) == 0;
  case VB_DOMAIN_ADDRESS_NONE:
  case VB_DOMAIN_ADDRESS_LAST:
  default:
    return TRUE;
  }
}

/* Aliases starting with "ua-" are chosen by the user and kept in the
 * persistent config; all others are assigned by the hypervisor. */
static gboolean
alias_is_user (const char *alias)
{
  return alias != NULL && g_str_has_prefix (alias, "ua-");
}

static gboolean
info_parse (xmlNode *node, VbDomainDeviceInfo *info, gboolean allow_boot, guint flags, GError **error)
{
  xmlNode *n;

  if ((n = vb_xml_child (node, "alias")) != NULL) {
    if (!attr_str (n, "name", STR_ALIAS, TRUE, &info->alias, error))
      return FALSE;
    if ((flags & VB_DOMAIN_PARSE_INACTIVE) && !alias_is_user (info->alias))
      g_clear_pointer (&info->alias, g_free);
  }
  if (allow_boot && (n = vb_xml_child (node, "boot")) != NULL) {
    if (!attr_uint (n, "order", 1, G_MAXINT, TRUE, &info->boot_order, NULL, error))
      return FALSE;
  }
  if ((n = vb_xml_child (node, "address")) != NULL) {
    if (!address_parse (n, &info->address, error))
      return FALSE;
  }
  return TRUE;
}

static void
info_format (VbXmlWriter *w, const VbDomainDeviceInfo *info, guint flags)
{
  g_autoptr(GPtrArray) pool = POOL ();

  if (info->boot_order)
    vb_xml_writer_empty (w, "boot", "order", sp_u (pool, info->boot_order), NULL);
  if (info->alias && (!(flags & VB_DOMAIN_XML_INACTIVE) || alias_is_user (info->alias)))
    vb_xml_writer_empty (w, "alias", "name", info->alias, NULL);
  address_format (w, &info->address);
}

static void
info_clear (VbDomainDeviceInfo *info)
{
  g_clear_pointer (&info->alias, g_free);
  address_clear (&info->address);
}

static void
info_copy (VbDomainDeviceInfo *dst, const VbDomainDeviceInfo *src)
{
  dst->alias = g_strdup (src->alias);
  dst->boot_order = src->boot_order;
  address_copy (&dst->address, &src->address);
}

/* Does the info of a device in the domain (@have) match what a device
 * description (@want) specifies? Unspecified parts match anything. */
static gboolean
info_matches (const VbDomainDeviceInfo *want, const VbDomainDeviceInfo *have)
{
  if (want->alias && g_strcmp0 (want->alias, have->alias) != 0)
    return FALSE;
  if (want->address.type != VB_DOMAIN_ADDRESS_NONE && !address_equal (&want->address, &have->address))
    return FALSE;
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Disks                                                                */

static void
disk_backing_free (gpointer p)
{
  VbDomainDiskBacking *b = p;
  if (b == NULL)
    return;
  g_free (b->format);
  g_free (b->path);
  g_free (b);
}

static VbDomainDiskDef *
disk_new (void)
{
  VbDomainDiskDef *d = g_new0 (VbDomainDiskDef, 1);
  d->backing = g_ptr_array_new_with_free_func (disk_backing_free);
  return d;
}

static void
disk_free (VbDomainDiskDef *d)
{
  if (d == NULL)
    return;
  g_free (d->driver_name);
  g_free (d->driver_format);
  g_free (d->src_path);
  g_free (d->src_pool);
  g_free (d->src_volume);
  g_ptr_array_unref (d->backing);
  g_free (d->dst);
  g_free (d->serial);
  info_clear (&d->info);
  g_free (d);
}

static VbDomainDiskDef *
disk_copy (const VbDomainDiskDef *s)
{
  VbDomainDiskDef *d = disk_new ();
  GPtrArray *backing = d->backing;

  *d = *s;
  d->backing = backing;
  d->driver_name = g_strdup (s->driver_name);
  d->driver_format = g_strdup (s->driver_format);
  d->src_path = g_strdup (s->src_path);
  d->src_pool = g_strdup (s->src_pool);
  d->src_volume = g_strdup (s->src_volume);
  d->dst = g_strdup (s->dst);
  d->serial = g_strdup (s->serial);
  for (guint i = 0; i < s->backing->len; i++) {
    const VbDomainDiskBacking *sb = g_ptr_array_index (s->backing, i);
    VbDomainDiskBacking *b = g_new0 (VbDomainDiskBacking, 1);
    *b = *sb;
    b->format = g_strdup (sb->format);
    b->path = g_strdup (sb->path);
    g_ptr_array_add (d->backing, b);
  }
  info_copy (&d->info, &s->info);
  return d;
}

/* Attribute of <source> naming the storage for each disk type. */
static const char *
disk_source_attr (VbDomainDiskType type)
{
  switch (type) {
  case VB_DOMAIN_DISK_TYPE_BLOCK:
    return "dev";
  case VB_DOMAIN_DISK_TYPE_DIR:
    return "dir";
  case VB_DOMAIN_DISK_TYPE_VOLUME:
    return "volume";
  case VB_DOMAIN_DISK_TYPE_FILE:
  case VB_DOMAIN_DISK_TYPE_LAST:
  default:
    return "file";
  }
}

static gboolean
disk_target_check (const char *dst)
{
  static const char *const prefixes[] = { "fd", "hd", "sd", "vd", "xvd", "ubd", NULL };
  for (int i = 0; prefixes[i]; i++) {
    if (g_str_has_prefix (dst, prefixes[i]))
      return chars_in (dst + strlen (prefixes[i]), "_");
  }
  return FALSE;
}

static gboolean
disk_format_attr (xmlNode *node, const char *name, gboolean required, char **out, GError **error)
{
  g_autofree char *value = vb_xml_prop (node, name);
  if (value == NULL) {
    if (required)
      return vb_xml_fail (error, node, "missing attribute '%s'", name);
    return TRUE;
  }
  if (!vb_domain_disk_format_is_valid (value)) {
    g_autofree char *allowed = g_strjoinv ("', '", (char **) disk_formats);
    return vb_xml_fail (error, node, "attribute '%s': unsupported storage format '%s' (supported: '%s')",
                        name, value, allowed);
  }
  g_free (*out);
  *out = g_steal_pointer (&value);
  return TRUE;
}

/* Walks the <backingStore> chain iteratively (no recursion on hostile depth). */
static gboolean
disk_backing_parse (xmlNode *disk_node, VbDomainDiskDef *d, guint flags, GError **error)
{
  xmlNode *node = vb_xml_child (disk_node, "backingStore");

  while (node != NULL) {
    VbDomainDiskBacking *b;
    xmlNode *n;
    int type = 0;

    if (node->properties == NULL && vb_xml_next (node, NULL, NULL) == NULL) {
      d->backing_terminated = TRUE;
      break;
    }
    b = g_new0 (VbDomainDiskBacking, 1);
    g_ptr_array_add (d->backing, b);
    if (!attr_enum (node, "type", disk_type_names, 0, TRUE, &type, error) ||
        !attr_uint (node, "index", 1, G_MAXINT, FALSE, &b->index, NULL, error))
      return FALSE;
    b->type = type;
    if (b->type == VB_DOMAIN_DISK_TYPE_VOLUME)
      return vb_xml_fail (error, node, "a <backingStore> of type 'volume' is not supported: name its file");
    if (flags & VB_DOMAIN_PARSE_INACTIVE)
      b->index = 0;
    n = vb_xml_child (node, "format");
    if (n == NULL)
      return vb_xml_fail (error, node, "missing <format>");
    if (!disk_format_attr (n, "type", TRUE, &b->format, error))
      return FALSE;
    n = vb_xml_child (node, "source");
    if (n == NULL)
      return vb_xml_fail (error, node, "missing <source>");
    if (!attr_str (n, disk_source_attr (b->type), STR_PATH, TRUE, &b->path, error))
      return FALSE;
    node = vb_xml_child (node, "backingStore");
  }
  return TRUE;
}

static VbDomainDiskBus
disk_bus_from_target (const char *dst)
{
  if (g_str_has_prefix (dst, "hd"))
    return VB_DOMAIN_DISK_BUS_IDE;
  if (g_str_has_prefix (dst, "sd"))
    return VB_DOMAIN_DISK_BUS_SCSI;
  if (g_str_has_prefix (dst, "vd"))
    return VB_DOMAIN_DISK_BUS_VIRTIO;
  if (g_str_has_prefix (dst, "fd"))
    return VB_DOMAIN_DISK_BUS_FDC;
  return VB_DOMAIN_DISK_BUS_NONE;
}

static VbDomainDiskDef *
disk_parse (xmlNode *node, guint flags, GError **error)
{
  g_autoptr(VbDomainDiskDef) d = disk_new ();
  xmlNode *n;
  int v;
  gboolean removable;

  v = VB_DOMAIN_DISK_TYPE_FILE;
  if (!attr_enum (node, "type", disk_type_names, 0, FALSE, &v, error))
    return NULL;
  d->type = v;
  v = VB_DOMAIN_DISK_DEVICE_DISK;
  if (!attr_enum (node, "device", disk_device_names, 0, FALSE, &v, error))
    return NULL;
  d->device = v;
  removable = d->device == VB_DOMAIN_DISK_DEVICE_CDROM || d->device == VB_DOMAIN_DISK_DEVICE_FLOPPY;

  if ((n = vb_xml_child (node, "driver")) != NULL) {
    if (!attr_str (n, "name", STR_TOKEN, FALSE, &d->driver_name, error) ||
        !disk_format_attr (n, "type", FALSE, &d->driver_format, error))
      return NULL;
    v = 0;
    if (!attr_enum (n, "cache", disk_cache_names, 1, FALSE, &v, error))
      return NULL;
    d->cache = v;
    v = 0;
    if (!attr_enum (n, "io", disk_io_names, 1, FALSE, &v, error))
      return NULL;
    d->io = v;
    v = 0;
    if (!attr_enum (n, "discard", disk_discard_names, 1, FALSE, &v, error))
      return NULL;
    d->discard = v;
    v = 0;
    if (!attr_enum (n, "detect_zeroes", disk_detect_zeroes_names, 1, FALSE, &v, error))
      return NULL;
    d->detect_zeroes = v;
    if (!attr_uint (n, "iothread", 1, MAX_IOTHREAD_ID, FALSE, &d->driver_iothread, NULL, error))
      return NULL;
  }

  if ((n = vb_xml_child (node, "source")) != NULL && d->type == VB_DOMAIN_DISK_TYPE_VOLUME) {
    g_autofree char *mode = NULL;
    if (!attr_str (n, "pool", STR_TEXT, TRUE, &d->src_pool, error) ||
        !attr_str (n, "volume", STR_TEXT, TRUE, &d->src_volume, error) ||
        !attr_str (n, "mode", STR_TOKEN, FALSE, &mode, error) ||
        !attr_uint (n, "index", 1, G_MAXINT, FALSE, &d->src_index, NULL, error))
      return NULL;
    if (mode != NULL && strcmp (mode, "host") != 0)
      return vb_xml_fail (error, n, "attribute 'mode': only 'host' is supported, not '%s'", mode), NULL;
    /* The status form also says what the volume was resolved to. */
    if (flags & VB_DOMAIN_PARSE_STATUS) {
      if (!attr_str (n, "file", STR_PATH, FALSE, &d->src_path, error))
        return NULL;
      d->src_actual = VB_DOMAIN_DISK_TYPE_FILE;
      if (d->src_path == NULL) {
        if (!attr_str (n, "dev", STR_PATH, FALSE, &d->src_path, error))
          return NULL;
        d->src_actual = VB_DOMAIN_DISK_TYPE_BLOCK;
      }
    }
    v = 0;
    if (!attr_enum (n, "startupPolicy", startup_policy_names, 1, FALSE, &v, error))
      return NULL;
    if (v != 0)
      return vb_xml_fail (error, n, "startupPolicy is only allowed for disks of type 'file'"), NULL;
    if (flags & VB_DOMAIN_PARSE_INACTIVE)
      d->src_index = 0;
  } else if (n != NULL) {
    if (!attr_str (n, disk_source_attr (d->type), STR_PATH, d->type == VB_DOMAIN_DISK_TYPE_DIR,
                   &d->src_path, error) ||
        !attr_uint (n, "index", 1, G_MAXINT, FALSE, &d->src_index, NULL, error))
      return NULL;
    v = 0;
    if (!attr_enum (n, "startupPolicy", startup_policy_names, 1, FALSE, &v, error))
      return NULL;
    d->startup_policy = v;
    if (d->startup_policy != VB_DOMAIN_STARTUP_POLICY_NONE && d->type != VB_DOMAIN_DISK_TYPE_FILE)
      return vb_xml_fail (error, n, "startupPolicy is only allowed for disks of type 'file'"), NULL;
    if (d->startup_policy == VB_DOMAIN_STARTUP_POLICY_REQUISITE && !removable)
      return vb_xml_fail (error, n, "startupPolicy 'requisite' is only allowed for cdrom and floppy"), NULL;
    if (flags & VB_DOMAIN_PARSE_INACTIVE)
      d->src_index = 0;
  }
  if (d->type == VB_DOMAIN_DISK_TYPE_VOLUME && d->src_volume == NULL)
    return vb_xml_fail (error, node, "a <source> with 'pool' and 'volume' attributes is required for a disk of type "
                        "'volume'"), NULL;
  if (d->type != VB_DOMAIN_DISK_TYPE_VOLUME && d->src_path == NULL && !removable)
    return vb_xml_fail (error, node, "a <source> with a '%s' attribute is required for a %s",
                        disk_source_attr (d->type), enum_str (disk_device_names, 0, d->device)), NULL;
  if (d->device == VB_DOMAIN_DISK_DEVICE_LUN && d->type != VB_DOMAIN_DISK_TYPE_BLOCK)
    return vb_xml_fail (error, node, "device 'lun' needs a disk of type 'block'"), NULL;

  if (!disk_backing_parse (node, d, flags, error))
    return NULL;
  if (flags & VB_DOMAIN_PARSE_DISK_SOURCE)
    return g_steal_pointer (&d);

  n = vb_xml_child (node, "target");
  if (n == NULL)
    return vb_xml_fail (error, node, "missing <target>"), NULL;
  if (!attr_str (n, "dev", STR_TEXT, TRUE, &d->dst, error))
    return NULL;
  if (!disk_target_check (d->dst))
    return vb_xml_fail (error, n,
                        "attribute 'dev': '%s' is not a disk target name (hda, sdb, vdc, fda, ...)", d->dst), NULL;
  v = 0;
  if (!attr_enum (n, "bus", disk_bus_names, 1, FALSE, &v, error))
    return NULL;
  d->bus = v;
  if (d->bus == VB_DOMAIN_DISK_BUS_NONE) {
    d->bus = disk_bus_from_target (d->dst);
    if (d->bus == VB_DOMAIN_DISK_BUS_NONE)
      return vb_xml_fail (error, n, "cannot guess the bus of target '%s': give a 'bus' attribute", d->dst), NULL;
  }
  if ((d->bus == VB_DOMAIN_DISK_BUS_FDC) != (d->device == VB_DOMAIN_DISK_DEVICE_FLOPPY))
    return vb_xml_fail (error, n, "bus 'fdc' is for floppies, and floppies need bus 'fdc'"), NULL;
  v = 0;
  if (!attr_enum (n, "tray", disk_tray_names, 1, FALSE, &v, error))
    return NULL;
  d->tray = v;
  if (d->tray != VB_DOMAIN_DISK_TRAY_NONE && !removable)
    return vb_xml_fail (error, n, "a tray is only for cdrom and floppy devices"), NULL;

  d->readonly = vb_xml_child (node, "readonly") != NULL;
  /* A CD-ROM is read-only by nature; libvirt always reports it so. */
  if (d->device == VB_DOMAIN_DISK_DEVICE_CDROM)
    d->readonly = TRUE;
  d->shareable = vb_xml_child (node, "shareable") != NULL;
  d->transient = vb_xml_child (node, "transient") != NULL;
  if ((n = vb_xml_child (node, "serial")) != NULL) {
    if (!node_text (n, FALSE, FALSE, &d->serial, error))
      return NULL;
    if (!chars_in (d->serial, "_.+- "))
      return vb_xml_fail (error, n, "'%s' is not a serial of letters, digits, spaces and '_.+-'", d->serial), NULL;
  }

  if ((n = vb_xml_child (node, "iotune")) != NULL) {
    struct { const char *name; guint64 *field; } tunes[] = {
      { "total_bytes_sec", &d->iotune.total_bytes_sec },
      { "read_bytes_sec", &d->iotune.read_bytes_sec },
      { "write_bytes_sec", &d->iotune.write_bytes_sec },
      { "total_iops_sec", &d->iotune.total_iops_sec },
      { "read_iops_sec", &d->iotune.read_iops_sec },
      { "write_iops_sec", &d->iotune.write_iops_sec },
    };
    d->has_iotune = TRUE;
    for (gsize i = 0; i < G_N_ELEMENTS (tunes); i++)
      if (vb_xml_child_u64 (n, tunes[i].name, tunes[i].field, error) < 0)
        return NULL;
    if (d->iotune.total_bytes_sec && (d->iotune.read_bytes_sec || d->iotune.write_bytes_sec))
      return vb_xml_fail (error, n, "total_bytes_sec cannot be combined with read_bytes_sec/write_bytes_sec"), NULL;
    if (d->iotune.total_iops_sec && (d->iotune.read_iops_sec || d->iotune.write_iops_sec))
      return vb_xml_fail (error, n, "total_iops_sec cannot be combined with read_iops_sec/write_iops_sec"), NULL;
  }

  if (!info_parse (node, &d->info, TRUE, flags, error))
    return NULL;
  return g_steal_pointer (&d);
}

static void
disk_format (VbXmlWriter *w, const VbDomainDiskDef *d, guint flags)
{
  g_autoptr(GPtrArray) pool = POOL ();
  gboolean live = !(flags & VB_DOMAIN_XML_INACTIVE);

  vb_xml_writer_start (w, "disk", "type", enum_str (disk_type_names, 0, d->type),
                       "device", enum_str (disk_device_names, 0, d->device), NULL);
  if (d->driver_name || d->driver_format || d->cache || d->io || d->discard || d->detect_zeroes ||
      d->driver_iothread)
    vb_xml_writer_empty (w, "driver", "name", d->driver_name, "type", d->driver_format,
                         "cache", enum_str (disk_cache_names, 1, d->cache),
                         "io", enum_str (disk_io_names, 1, d->io),
                         "discard", enum_str (disk_discard_names, 1, d->discard),
                         "detect_zeroes", enum_str (disk_detect_zeroes_names, 1, d->detect_zeroes),
                         "iothread", d->driver_iothread ? sp_u (pool, d->driver_iothread) : NULL, NULL);
  if (d->type == VB_DOMAIN_DISK_TYPE_VOLUME) {
    gboolean status = (flags & VB_DOMAIN_XML_STATUS) && d->src_path != NULL;
    vb_xml_writer_empty (w, "source", "pool", d->src_pool, "volume", d->src_volume,
                         status && d->src_actual == VB_DOMAIN_DISK_TYPE_BLOCK ? "dev" : "file",
                         status ? d->src_path : NULL,
                         "index", (live && d->src_index) ? sp_u (pool, d->src_index) : NULL, NULL);
  } else if (d->src_path || d->startup_policy)
    vb_xml_writer_empty (w, "source", disk_source_attr (d->type), d->src_path,
                         "index", (live && d->src_index) ? sp_u (pool, d->src_index) : NULL,
                         "startupPolicy", enum_str (startup_policy_names, 1, d->startup_policy), NULL);
  for (guint i = 0; i < d->backing->len; i++) {
    const VbDomainDiskBacking *b = g_ptr_array_index (d->backing, i);
    vb_xml_writer_start (w, "backingStore", "type", enum_str (disk_type_names, 0, b->type),
                         "index", (live && b->index) ? sp_u (pool, b->index) : NULL, NULL);
    vb_xml_writer_empty (w, "format", "type", b->format, NULL);
    vb_xml_writer_empty (w, "source", disk_source_attr (b->type), b->path, NULL);
  }
  if (d->backing_terminated)
    vb_xml_writer_empty (w, "backingStore", NULL);
  for (guint i = 0; i < d->backing->len; i++)
    vb_xml_writer_end (w);
  vb_xml_writer_empty (w, "target", "dev", d->dst, "bus", enum_str (disk_bus_names, 1, d->bus),
                       "tray", enum_str (disk_tray_names, 1, d->tray), NULL);
  if (d->has_iotune) {
    const struct { const char *name; guint64 value; } tunes[] = {
      { "total_bytes_sec", d->iotune.total_bytes_sec },
      { "read_bytes_sec", d->iotune.read_bytes_sec },
      { "write_bytes_sec", d->iotune.write_bytes_sec },
      { "total_iops_sec", d->iotune.total_iops_sec },
      { "read_iops_sec", d->iotune.read_iops_sec },
      { "write_iops_sec", d->iotune.write_iops_sec },
    };
    gboolean any = FALSE;
    for (gsize i = 0; i < G_N_ELEMENTS (tunes); i++)
      any |= tunes[i].value != 0;
    if (any) {
      vb_xml_writer_start (w, "iotune", NULL);
      for (gsize i = 0; i < G_N_ELEMENTS (tunes); i++)
        if (tunes[i].value)
          vb_xml_writer_element_u64 (w, tunes[i].name, tunes[i].value);
      vb_xml_writer_end (w);
    }
  }
  if (d->readonly)
    vb_xml_writer_empty (w, "readonly", NULL);
  if (d->shareable)
    vb_xml_writer_empty (w, "shareable", NULL);
  if (d->transient)
    vb_xml_writer_empty (w, "transient", NULL);
  vb_xml_writer_element (w, "serial", d->serial, NULL);
  info_format (w, &d->info, flags);
  vb_xml_writer_end (w);
}

/* ------------------------------------------------------------------ */
/* Controllers                                                          */

/* Marks a controller whose index the XML left out, until it is assigned. */
#define CONTROLLER_INDEX_UNSET G_MAXUINT
#define MAX_CONTROLLER_INDEX 65535

static VbDomainControllerDef *
controller_new (void)
{
  VbDomainControllerDef *c = g_new0 (VbDomainControllerDef, 1);
  c->target_chassis_nr = c->target_chassis = c->target_port = c->target_bus_nr = c->target_index = -1;
  return c;
}

static void
controller_free (VbDomainControllerDef *c)
{
  if (c == NULL)
    return;
  g_free (c->model);
  g_free (c->model_name);
  info_clear (&c->info);
  g_free (c);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbDomainControllerDef, controller_free)

static VbDomainControllerDef *
controller_copy (const VbDomainControllerDef *s)
{
  VbDomainControllerDef *c = g_new0 (VbDomainControllerDef, 1);
  *c = *s;
  c->model = g_strdup (s->model);
  c->model_name = g_strdup (s->model_name);
  info_copy (&c->info, &s->info);
  return c;
}

static const char *const *
controller_models (VbDomainControllerType type)
{
  switch (type) {
  case VB_DOMAIN_CONTROLLER_IDE:
    return controller_models_ide;
  case VB_DOMAIN_CONTROLLER_SCSI:
    return controller_models_scsi;
  case VB_DOMAIN_CONTROLLER_USB:
    return controller_models_usb;
  case VB_DOMAIN_CONTROLLER_PCI:
    return controller_models_pci;
  case VB_DOMAIN_CONTROLLER_VIRTIO_SERIAL:
    return controller_models_virtio;
  case VB_DOMAIN_CONTROLLER_FDC:
  case VB_DOMAIN_CONTROLLER_SATA:
  case VB_DOMAIN_CONTROLLER_CCID:
  case VB_DOMAIN_CONTROLLER_LAST:
  default:
    return NULL;
  }
}

static gboolean
attr_uint8_opt (xmlNode *node, const char *name, gint64 *out, GError **error)
{
  guint64 v = 0;
  gboolean present = FALSE;
  if (!attr_u64 (node, name, 0, 255, FALSE, &v, &present, error))
    return FALSE;
  if (present)
    *out = (gint64) v;
  return TRUE;
}

static VbDomainControllerDef *
controller_parse (xmlNode *node, guint flags, GError **error)
{
  g_autoptr(VbDomainControllerDef) c = controller_new ();
  const char *const *models;
  gboolean present = FALSE;
  xmlNode *n;
  int v = 0;

  if (!attr_enum (node, "type", controller_type_names, 0, TRUE, &v, error))
    return NULL;
  c->type = v;
  if (!attr_uint (node, "index", 0, MAX_CONTROLLER_INDEX, FALSE, &c->index, &present, error))
    return NULL;
  if (!present)
    c->index = CONTROLLER_INDEX_UNSET;

  models = controller_models (c->type);
  if (models != NULL) {
    v = -1;
    if (!attr_enum (node, "model", models, 0, c->type == VB_DOMAIN_CONTROLLER_PCI, &v, error))
      return NULL;
    if (v >= 0)
      c->model = g_strdup (models[v]);
  }
  if (c->type == VB_DOMAIN_CONTROLLER_USB || c->type == VB_DOMAIN_CONTROLLER_VIRTIO_SERIAL) {
    if (!attr_uint (node, "ports", 0, 65535, FALSE, &c->ports, &c->has_ports, error))
      return NULL;
  }
  if (c->type == VB_DOMAIN_CONTROLLER_VIRTIO_SERIAL) {
    if (!attr_uint (node, "vectors", 0, 65535, FALSE, &c->vectors, &c->has_vectors, error))
      return NULL;
  }
  if (c->type == VB_DOMAIN_CONTROLLER_USB && (n = vb_xml_child (node, "master")) != NULL) {
    if (!attr_uint (n, "startport", 0, 999, TRUE, &c->master_startport, NULL, error))
      return NULL;
    c->has_master_startport = TRUE;
  }
  if ((c->type == VB_DOMAIN_CONTROLLER_SCSI || c->type == VB_DOMAIN_CONTROLLER_VIRTIO_SERIAL) &&
      (n = vb_xml_child (node, "driver")) != NULL) {
    if (!attr_uint (n, "queues", 1, 1024, FALSE, &c->driver_queues, NULL, error) ||
        !attr_uint (n, "iothread", 1, MAX_IOTHREAD_ID, FALSE, &c->driver_iothread, NULL, error))
      return NULL;
  }
  if (c->type == VB_DOMAIN_CONTROLLER_PCI) {
    if ((n = vb_xml_child (node, "model")) != NULL) {
      v = 0;
      if (!attr_enum (n, "name", controller_model_names_pci, 0, TRUE, &v, error))
        return NULL;
      c->model_name = g_strdup (controller_model_names_pci[v]);
    }
    if ((n = vb_xml_child (node, "target")) != NULL) {
      if (!attr_uint8_opt (n, "chassisNr", &c->target_chassis_nr, error) ||
          !attr_uint8_opt (n, "chassis", &c->target_chassis, error) ||
          !attr_uint8_opt (n, "port", &c->target_port, error) ||
          !attr_uint8_opt (n, "busNr", &c->target_bus_nr, error) ||
          !attr_uint8_opt (n, "index", &c->target_index, error))
        return NULL;
    }
  }
  if (!info_parse (node, &c->info, FALSE, flags, error))
    return NULL;
  return g_steal_pointer (&c);
}

static void
controller_format (VbXmlWriter *w, const VbDomainControllerDef *c, guint flags)
{
  g_autoptr(GPtrArray) pool = POOL ();

  vb_xml_writer_start (w, "controller", "type", enum_str (controller_type_names, 0, c->type),
                       "index", sp_u (pool, c->index), "model", c->model,
                       "ports", c->has_ports ? sp_u (pool, c->ports) : NULL,
                       "vectors", c->has_vectors ? sp_u (pool, c->vectors) : NULL, NULL);
  if (c->driver_queues || c->driver_iothread)
    vb_xml_writer_empty (w, "driver", "queues", c->driver_queues ? sp_u (pool, c->driver_queues) : NULL,
                         "iothread", c->driver_iothread ? sp_u (pool, c->driver_iothread) : NULL, NULL);
  if (c->has_master_startport)
    vb_xml_writer_empty (w, "master", "startport", sp_u (pool, c->master_startport), NULL);
  if (c->model_name)
    vb_xml_writer_empty (w, "model", "name", c->model_name, NULL);
  if (c->target_chassis_nr >= 0 || c->target_chassis >= 0 || c->target_port >= 0 ||
      c->target_bus_nr >= 0 || c->target_index >= 0)
    vb_xml_writer_empty (w, "target",
                         "chassisNr", c->target_chassis_nr >= 0 ? sp (pool, "%" G_GINT64_FORMAT, c->target_chassis_nr) : NULL,
                         "chassis", c->target_chassis >= 0 ? sp (pool, "%" G_GINT64_FORMAT, c->target_chassis) : NULL,
                         "port", c->target_port >= 0 ? sp (pool, "0x%" G_GINT64_MODIFIER "x", c->target_port) : NULL,
                         "busNr", c->target_bus_nr >= 0 ? sp (pool, "%" G_GINT64_FORMAT, c->target_bus_nr) : NULL,
                         "index", c->target_index >= 0 ? sp (pool, "%" G_GINT64_FORMAT, c->target_index) : NULL,
                         NULL);
  info_format (w, &c->info, flags);
  vb_xml_writer_end (w);
}

/* ------------------------------------------------------------------ */
/* Network interfaces                                                   */

static void
net_ip_free (gpointer p)
{
  VbDomainNetIp *ip = p;

  g_free (ip->family);
  g_free (ip->address);
  g_free (ip->peer);
  g_free (ip);
}

static gpointer
net_ip_copy (gconstpointer p, gpointer unused)
{
  const VbDomainNetIp *s = p;
  VbDomainNetIp *ip = g_new0 (VbDomainNetIp, 1);

  *ip = *s;
  ip->family = g_strdup (s->family);
  ip->address = g_strdup (s->address);
  ip->peer = g_strdup (s->peer);
  return ip;
}

static void
net_route_free (gpointer p)
{
  VbDomainNetRoute *r = p;

  g_free (r->family);
  g_free (r->address);
  g_free (r->netmask);
  g_free (r->gateway);
  g_free (r);
}

static gpointer
net_route_copy (gconstpointer p, gpointer unused)
{
  const VbDomainNetRoute *s = p;
  VbDomainNetRoute *r = g_new0 (VbDomainNetRoute, 1);

  *r = *s;
  r->family = g_strdup (s->family);
  r->address = g_strdup (s->address);
  r->netmask = g_strdup (s->netmask);
  r->gateway = g_strdup (s->gateway);
  return r;
}

/* An IP address attribute (either family), kept as written; @family, when
 * given, must be its family. *@bits: 32 or 128. */
static gboolean
attr_ip_address (xmlNode *node, const char *name, gboolean required, const char *family, char **out, guint *bits,
                 GError **error)
{
  g_autoptr(GInetAddress) addr = NULL;

  if (!attr_str (node, name, STR_TEXT, required, out, error))
    return FALSE;
  if (*out == NULL)
    return TRUE;
  addr = g_inet_address_new_from_string (*out);
  if (addr == NULL)
    return vb_xml_fail (error, node, "attribute '%s': '%s' is not an IP address", name, *out);
  if (bits != NULL)
    *bits = g_inet_address_get_family (addr) == G_SOCKET_FAMILY_IPV6 ? 128 : 32;
  if (family != NULL &&
      g_str_equal (family, "ipv6") != (g_inet_address_get_family (addr) == G_SOCKET_FAMILY_IPV6))
    return vb_xml_fail (error, node, "attribute '%s': '%s' is not an %s address", name, *out, family);
  return TRUE;
}

static gboolean
attr_ip_family (xmlNode *node, char **out, GError **error)
{
  if (!attr_str (node, "family", STR_TEXT, FALSE, out, error))
    return FALSE;
  if (*out != NULL && !g_str_equal (*out, "ipv4") && !g_str_equal (*out, "ipv6"))
    return vb_xml_fail (error, node, "attribute 'family': '%s' is not ipv4 or ipv6", *out);
  return TRUE;
}

/* <ip address= family= prefix= peer=/> and <route family= address=
 * netmask=|prefix= gateway= metric=/> of an interface. */
static gboolean
net_ip_info_parse (xmlNode *node, VbDomainNetDef *net, GError **error)
{
  for (xmlNode *n = NULL; (n = vb_xml_next (node, n, "ip")) != NULL;) {
    g_autoptr(GPtrArray) one = g_ptr_array_new_with_free_func (net_ip_free);
    VbDomainNetIp *ip = g_new0 (VbDomainNetIp, 1);
    guint bits = 32, peer_bits = 32;

    g_ptr_array_add (one, ip);
    if (!attr_ip_family (n, &ip->family, error) ||
        !attr_ip_address (n, "address", TRUE, ip->family, &ip->address, &bits, error) ||
        !attr_uint (n, "prefix", 0, bits, FALSE, &ip->prefix, &ip->has_prefix, error) ||
        !attr_ip_address (n, "peer", FALSE, ip->family, &ip->peer, &peer_bits, error))
      return FALSE;
    if (ip->peer != NULL && peer_bits != bits)
      return vb_xml_fail (error, n,
                          "attribute 'peer': '%s' is not an %s address", ip->peer, bits == 32 ? "ipv4" : "ipv6");
    if (net->ips == NULL)
      net->ips = g_ptr_array_new_with_free_func (net_ip_free);
    g_ptr_array_add (net->ips, g_ptr_array_steal_index (one, 0));
  }
  for (xmlNode *n = NULL; (n = vb_xml_next (node, n, "route")) != NULL;) {
    g_autoptr(GPtrArray) one = g_ptr_array_new_with_free_func (net_route_free);
    VbDomainNetRoute *r = g_new0 (VbDomainNetRoute, 1);
    guint bits = 32, gw_bits = 32;

    g_ptr_array_add (one, r);
    if (!attr_ip_family (n, &r->family, error) ||
        !attr_ip_address (n, "address", TRUE, r->family, &r->address, &bits, error) ||
        !attr_uint (n, "prefix", 0, bits, FALSE, &r->prefix, &r->has_prefix, error) ||
        !attr_ip_address (n, "netmask", FALSE, "ipv4", &r->netmask, NULL, error) ||
        !attr_ip_address (n, "gateway", TRUE, r->family, &r->gateway, &gw_bits, error) ||
        !attr_uint (n, "metric", 0, G_MAXUINT32, FALSE, &r->metric, &r->has_metric, error))
      return FALSE;
    if (r->has_prefix && r->netmask != NULL)
      return vb_xml_fail (error, n, "a route has either a prefix or a netmask");
    if (r->netmask != NULL && bits != 32)
      return vb_xml_fail (error, n, "attribute 'netmask': only for IPv4 routes (use prefix)");
    if (gw_bits != bits)
      return vb_xml_fail (error, n, "attribute 'gateway': '%s' is not of the route's family", r->gateway);
    if (net->routes == NULL)
      net->routes = g_ptr_array_new_with_free_func (net_route_free);
    g_ptr_array_add (net->routes, g_ptr_array_steal_index (one, 0));
  }
  return TRUE;
}

static void
net_ip_info_format (VbXmlWriter *w, const VbDomainNetDef *net, GPtrArray *pool)
{
  for (guint i = 0; net->ips != NULL && i < net->ips->len; i++) {
    const VbDomainNetIp *ip = g_ptr_array_index (net->ips, i);
    vb_xml_writer_empty (w, "ip", "address", ip->address, "family", ip->family,
                         "prefix", ip->has_prefix ? sp_u (pool, ip->prefix) : NULL, "peer", ip->peer, NULL);
  }
  for (guint i = 0; net->routes != NULL && i < net->routes->len; i++) {
    const VbDomainNetRoute *r = g_ptr_array_index (net->routes, i);
    vb_xml_writer_empty (w, "route", "family", r->family, "address", r->address, "netmask", r->netmask,
                         "prefix", r->has_prefix ? sp_u (pool, r->prefix) : NULL, "gateway", r->gateway,
                         "metric", r->has_metric ? sp_u (pool, r->metric) : NULL, NULL);
  }
}

static void
net_free (VbDomainNetDef *n)
{
  if (n == NULL)
    return;
  g_clear_pointer (&n->ips, g_ptr_array_unref);
  g_clear_pointer (&n->routes, g_ptr_array_unref);
  g_free (n->src_network);
  g_free (n->src_portgroup);
  g_free (n->src_portid);
  g_free (n->src_bridge);
  g_free (n->src_dev);
  g_free (n->model);
  g_free (n->target_dev);
  g_free (n->filterref);
  g_clear_pointer (&n->filter_params, g_ptr_array_unref);
  g_free (n->bandwidth);
  info_clear (&n->info);
  g_free (n);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbDomainNetDef, net_free)

static VbDomainNetDef *
net_copy (const VbDomainNetDef *s)
{
  VbDomainNetDef *n = g_new0 (VbDomainNetDef, 1);
  *n = *s;
  n->src_network = g_strdup (s->src_network);
  n->src_portgroup = g_strdup (s->src_portgroup);
  n->src_portid = g_strdup (s->src_portid);
  n->src_bridge = g_strdup (s->src_bridge);
  n->src_dev = g_strdup (s->src_dev);
  n->model = g_strdup (s->model);
  n->target_dev = g_strdup (s->target_dev);
  n->filterref = g_strdup (s->filterref);
  n->bandwidth = vb_bandwidth_copy (s->bandwidth);
  if (s->filter_params != NULL)
    n->filter_params = g_ptr_array_copy (s->filter_params, (GCopyFunc) g_strdup, NULL);
  if (s->ips != NULL) {
    n->ips = g_ptr_array_copy (s->ips, net_ip_copy, NULL);
    g_ptr_array_set_free_func (n->ips, net_ip_free);
  }
  if (s->routes != NULL) {
    n->routes = g_ptr_array_copy (s->routes, net_route_copy, NULL);
    g_ptr_array_set_free_func (n->routes, net_route_free);
  }
  info_copy (&n->info, &s->info);
  return n;
}

/* nwfilter parameter names: letters, digits and '_', as the schema's
 * filter-param-name allows. */
static gboolean
filter_param_name_is_valid (const char *name)
{
  if (name == NULL || *name == '\0')
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '_')
      return FALSE;
  return TRUE;
}

/* Tap/macvtap names the hypervisor generated: not part of the config. */
static gboolean
net_ifname_is_generated (const char *name)
{
  return name != NULL && (g_str_has_prefix (name, "vnet") || g_str_has_prefix (name, "macvtap") ||
                          g_str_has_prefix (name, "macvlan"));
}

static VbDomainNetDef *
net_parse (xmlNode *node, guint flags, GError **error)
{
  g_autoptr(VbDomainNetDef) net = g_new0 (VbDomainNetDef, 1);
  gboolean inactive = (flags & VB_DOMAIN_PARSE_INACTIVE) != 0;
  xmlNode *n;
  int v = 0;

  if (!attr_enum (node, "type", net_type_names, 0, TRUE, &v, error))
    return NULL;
  net->type = v;

  if ((n = vb_xml_child (node, "mac")) != NULL) {
    g_autofree char *mac = NULL;
    if (!attr_str (n, "address", STR_TEXT, TRUE, &mac, error))
      return NULL;
    if (!vb_domain_mac_parse (mac, net->mac))
      return vb_xml_fail (error, n, "attribute 'address': '%s' is not a unicast MAC address", mac), NULL;
  } else {
    vb_domain_mac_generate (net->mac);
    net->mac_generated = TRUE;
  }

  n = vb_xml_child (node, "source");
  switch (net->type) {
  case VB_DOMAIN_NET_TYPE_NETWORK:
    if (n == NULL)
      return vb_xml_fail (error, node, "missing <source network=...>"), NULL;
    if (!attr_str (n, "network", STR_TEXT, TRUE, &net->src_network, error) ||
        !attr_str (n, "portgroup", STR_DEVNAME, FALSE, &net->src_portgroup, error) ||
        !attr_str (n, "portid", STR_TEXT, FALSE, &net->src_portid, error) ||
        !attr_str (n, "bridge", STR_DEVNAME, FALSE, &net->src_bridge, error))
      return NULL;
    if (strchr (net->src_network, '/'))
      return vb_xml_fail (error, n, "attribute 'network': '%s' is not a network name", net->src_network), NULL;
    if (net->src_portid) {
      char uuid[37];
      if (!vb_uuid_parse (net->src_portid, uuid))
        return vb_xml_fail (error, n, "attribute 'portid': '%s' is not a UUID", net->src_portid), NULL;
      g_free (net->src_portid);
      net->src_portid = g_strdup (uuid);
    }
    /* The port and the bridge are assigned when the domain runs. */
    if (inactive) {
      g_clear_pointer (&net->src_portid, g_free);
      g_clear_pointer (&net->src_bridge, g_free);
    }
    break;
  case VB_DOMAIN_NET_TYPE_BRIDGE:
    if (n == NULL)
      return vb_xml_fail (error, node, "missing <source bridge=...>"), NULL;
    if (!attr_str (n, "bridge", STR_DEVNAME, TRUE, &net->src_bridge, error))
      return NULL;
    break;
  case VB_DOMAIN_NET_TYPE_DIRECT:
    if (n == NULL)
      return vb_xml_fail (error, node, "missing <source dev=...>"), NULL;
    if (!attr_str (n, "dev", STR_DEVNAME, TRUE, &net->src_dev, error))
      return NULL;
    v = 0;
    if (!attr_enum (n, "mode", net_direct_mode_names, 1, FALSE, &v, error))
      return NULL;
    net->src_mode = v;
    /* A running guest's NIC on a network of macvtaps shows as direct,
     * with the network it came from (as libvirt). */
    if (!attr_str (n, "network", STR_TEXT, FALSE, &net->src_network, error) ||
        !attr_str (n, "portgroup", STR_DEVNAME, FALSE, &net->src_portgroup, error))
      return NULL;
    if (net->src_network != NULL && strchr (net->src_network, '/'))
      return vb_xml_fail (error, n, "attribute 'network': '%s' is not a network name", net->src_network), NULL;
    break;
  case VB_DOMAIN_NET_TYPE_USER:
  case VB_DOMAIN_NET_TYPE_ETHERNET:
  case VB_DOMAIN_NET_TYPE_LAST:
  default:
    if (n != NULL)
      return vb_xml_fail (error, n, "an interface of type '%s' takes no <source>", net_type_names[net->type]), NULL;
    break;
  }

  if ((n = vb_xml_child (node, "model")) != NULL) {
    if (!attr_str (n, "type", STR_ALIAS, TRUE, &net->model, error))
      return NULL;
    if (strchr (net->model, '.'))
      return vb_xml_fail (error, n, "attribute 'type': '%s' is not a NIC model", net->model), NULL;
  }
  if ((n = vb_xml_child (node, "target")) != NULL) {
    if (!attr_str (n, "dev", STR_DEVNAME, TRUE, &net->target_dev, error) ||
        !attr_tristate (n, "managed", FALSE, &net->target_managed, error))
      return NULL;
    if (inactive && net_ifname_is_generated (net->target_dev) && net->target_managed != VB_DOMAIN_TRISTATE_NO)
      g_clear_pointer (&net->target_dev, g_free);
  }
  if (!net_ip_info_parse (node, net, error))
    return NULL;
  if ((n = vb_xml_child (node, "driver")) != NULL) {
    v = 0;
    if (!attr_enum (n, "name", net_driver_names, 1, FALSE, &v, error))
      return NULL;
    net->driver_name = v;
    if (!attr_uint (n, "queues", 1, 1024, FALSE, &net->driver_queues, NULL, error))
      return NULL;
  }
  if ((n = vb_xml_child (node, "link")) != NULL) {
    v = 0;
    if (!attr_enum (n, "state", net_link_names, 1, TRUE, &v, error))
      return NULL;
    net->link_state = v;
  }
  if ((n = vb_xml_child (node, "mtu")) != NULL) {
    if (!attr_uint (n, "size", 1, 65535, TRUE, &net->mtu, NULL, error))
      return NULL;
  }
  if ((n = vb_xml_child (node, "filterref")) != NULL) {
    if (!attr_str (n, "filter", STR_TEXT, TRUE, &net->filterref, error))
      return NULL;
    if (*net->filterref == '\0' || strchr (net->filterref, '/'))
      return vb_xml_fail (error, n, "attribute 'filter': '%s' is not a filter name", net->filterref), NULL;
    for (xmlNode *p = NULL; (p = vb_xml_next (n, p, "parameter")) != NULL;) {
      g_autofree char *name = NULL;
      g_autofree char *value = NULL;
      if (!attr_str (p, "name", STR_TEXT, TRUE, &name, error) ||
          !attr_str (p, "value", STR_TEXT, TRUE, &value, error))
        return NULL;
      if (!filter_param_name_is_valid (name))
        return vb_xml_fail (error, p, "attribute 'name': '%s' is not a filter parameter name", name), NULL;
      if (net->filter_params == NULL)
        net->filter_params = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (net->filter_params, g_steal_pointer (&name));
      g_ptr_array_add (net->filter_params, g_steal_pointer (&value));
    }
  }
  if ((n = vb_xml_child (node, "bandwidth")) != NULL) {
    /* A floor is a share of its network's inbound bandwidth. */
    guint bw_flags = net->type == VB_DOMAIN_NET_TYPE_NETWORK ? VB_BANDWIDTH_PARSE_FLOOR : 0;
    if ((net->bandwidth = vb_bandwidth_parse (n, bw_flags, error)) == NULL)
      return NULL;
    if (!vb_bandwidth_is_set (net->bandwidth))
      g_clear_pointer (&net->bandwidth, g_free);
  }
  if (!info_parse (node, &net->info, TRUE, flags, error))
    return NULL;
  return g_steal_pointer (&net);
}

static void
net_format (VbXmlWriter *w, const VbDomainNetDef *net, guint flags)
{
  g_autoptr(GPtrArray) pool = POOL ();
  gboolean live = !(flags & VB_DOMAIN_XML_INACTIVE);
  VbDomainNetType type = live ? vb_domain_net_actual_type (net) : net->type;

  vb_xml_writer_start (w, "interface", "type", enum_str (net_type_names, 0, type), NULL);
  vb_xml_writer_empty (w, "mac", "address", net->mac, NULL);
  switch (type) {
  case VB_DOMAIN_NET_TYPE_NETWORK:
    vb_xml_writer_empty (w, "source", "network", net->src_network, "portgroup", net->src_portgroup,
                         "portid", live ? net->src_portid : NULL,
                         "bridge", live ? net->src_bridge : NULL, NULL);
    break;
  case VB_DOMAIN_NET_TYPE_BRIDGE:
    vb_xml_writer_empty (w, "source", "bridge", net->src_bridge, NULL);
    break;
  case VB_DOMAIN_NET_TYPE_DIRECT:
    vb_xml_writer_empty (w, "source", "dev", net->src_dev,
                         "mode", enum_str (net_direct_mode_names, 1, net->src_mode), "network", net->src_network,
                         "portgroup", net->src_portgroup, NULL);
    break;
  case VB_DOMAIN_NET_TYPE_USER:
  case VB_DOMAIN_NET_TYPE_ETHERNET:
  case VB_DOMAIN_NET_TYPE_LAST:
  default:
    break;
  }
  net_ip_info_format (w, net, pool);
  if (net->target_dev &&
      (live || !net_ifname_is_generated (net->target_dev) || net->target_managed == VB_DOMAIN_TRISTATE_NO))
    vb_xml_writer_empty (w, "target", "dev", net->target_dev, "managed", tristate_str (net->target_managed, FALSE),
                         NULL);
  if (net->model)
    vb_xml_writer_empty (w, "model", "type", net->model, NULL);
  if (net->driver_name || net->driver_queues)
    vb_xml_writer_empty (w, "driver", "name", enum_str (net_driver_names, 1, net->driver_name),
                         "queues", net->driver_queues ? sp_u (pool, net->driver_queues) : NULL, NULL);
  if (net->link_state)
    vb_xml_writer_empty (w, "link", "state", enum_str (net_link_names, 1, net->link_state), NULL);
  if (net->mtu)
    vb_xml_writer_empty (w, "mtu", "size", sp_u (pool, net->mtu), NULL);
  if (net->filterref) {
    vb_xml_writer_start (w, "filterref", "filter", net->filterref, NULL);
    for (guint i = 0; net->filter_params && i + 1 < net->filter_params->len; i += 2)
      vb_xml_writer_empty (w, "parameter", "name", g_ptr_array_index (net->filter_params, i),
                           "value", g_ptr_array_index (net->filter_params, i + 1), NULL);
    vb_xml_writer_end (w);
  }
  if (net->bandwidth != NULL)
    vb_bandwidth_format (w, net->bandwidth);
  info_format (w, &net->info, flags);
  vb_xml_writer_end (w);
}

/* ------------------------------------------------------------------ */
/* Character devices                                                    */

static void
chr_free (VbDomainChrDef *c)
{
  if (c == NULL)
    return;
  g_free (c->tty);
  g_free (c->src_path);
  g_free (c->src_host);
  g_free (c->src_service);
  g_free (c->target_type);
  g_free (c->target_name);
  g_free (c->target_model);
  g_free (c->log_file);
  info_clear (&c->info);
  g_free (c);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbDomainChrDef, chr_free)

static VbDomainChrDef *
chr_copy (const VbDomainChrDef *s)
{
  VbDomainChrDef *c = g_new0 (VbDomainChrDef, 1);
  *c = *s;
  c->tty = g_strdup (s->tty);
  c->src_path = g_strdup (s->src_path);
  c->src_host = g_strdup (s->src_host);
  c->src_service = g_strdup (s->src_service);
  c->target_type = g_strdup (s->target_type);
  c->target_name = g_strdup (s->target_name);
  c->target_model = g_strdup (s->target_model);
  c->log_file = g_strdup (s->log_file);
  info_copy (&c->info, &s->info);
  return c;
}

static const char *
chr_element_name (VbDomainDeviceType kind)
{
  return enum_str (device_type_names, 0, kind);
}

/* The <source mode= host= service=> and <protocol type=> of a tcp
 * character device, below @node (also the tcp form of a <redirdev>). */
static gboolean
chr_tcp_parse (xmlNode *node, gboolean host_required, VbDomainChrSourceMode *mode, char **host,
               char **service, VbDomainChrProtocol *protocol, GError **error)
{
  xmlNode *n = vb_xml_child (node, "source");
  int v = 0;

  if (n == NULL)
    return vb_xml_fail (error, node, "missing <source mode=... host=... service=...>");
  if (!attr_enum (n, "mode", chr_mode_names, 1, FALSE, &v, error))
    return FALSE;
  *mode = v;
  if (!attr_str (n, "host", STR_HOST, host_required, host, error) ||
      !attr_str (n, "service", STR_TOKEN, TRUE, service, error))
    return FALSE;
  if ((n = vb_xml_child (node, "protocol")) != NULL) {
    v = 0;
    if (!attr_enum (n, "type", chr_protocol_names, 1, FALSE, &v, error))
      return FALSE;
    *protocol = v;
  }
  return TRUE;
}

static void
chr_tcp_format (VbXmlWriter *w, VbDomainChrSourceMode mode, const char *host, const char *service,
                VbDomainChrProtocol protocol)
{
  vb_xml_writer_empty (w, "source", "mode", enum_str (chr_mode_names, 1, mode), "host", host, "service", service,
                       NULL);
  if (protocol)
    vb_xml_writer_empty (w, "protocol", "type", enum_str (chr_protocol_names, 1, protocol), NULL);
}

static VbDomainChrDef *
chr_parse (xmlNode *node, VbDomainDeviceType kind, guint flags, GError **error)
{
  g_autoptr(VbDomainChrDef) c = g_new0 (VbDomainChrDef, 1);
  gboolean inactive = (flags & VB_DOMAIN_PARSE_INACTIVE) != 0;
  const char *const *target_types = NULL;
  xmlNode *n;
  int v = VB_DOMAIN_CHR_TYPE_PTY;

  if (!attr_enum (node, "type", chr_type_names, 0, FALSE, &v, error))
    return NULL;
  c->type = v;
  if (c->type == VB_DOMAIN_CHR_TYPE_PTY) {
    if (!attr_str (node, "tty", STR_PATH, FALSE, &c->tty, error))
      return NULL;
    if (inactive)
      g_clear_pointer (&c->tty, g_free);
  }

  n = vb_xml_child (node, "source");
  switch (c->type) {
  case VB_DOMAIN_CHR_TYPE_PTY:
    /* The pty path is allocated at start-up: live-only. */
    if (n && !attr_str (n, "path", STR_PATH, FALSE, &c->src_path, error))
      return NULL;
    if (inactive)
      g_clear_pointer (&c->src_path, g_free);
    break;
  case VB_DOMAIN_CHR_TYPE_DEV:
  case VB_DOMAIN_CHR_TYPE_FILE:
  case VB_DOMAIN_CHR_TYPE_PIPE:
    if (n == NULL)
      return vb_xml_fail (error, node, "missing <source path=...>"), NULL;
    if (!attr_str (n, "path", STR_PATH, TRUE, &c->src_path, error))
      return NULL;
    if (c->type == VB_DOMAIN_CHR_TYPE_FILE && !attr_tristate (n, "append", TRUE, &c->src_append, error))
      return NULL;
    break;
  case VB_DOMAIN_CHR_TYPE_UNIX:
    if (n == NULL)
      break;
    v = 0;
    if (!attr_enum (n, "mode", chr_mode_names, 1, FALSE, &v, error))
      return NULL;
    c->src_mode = v;
    if (!attr_str (n, "path", STR_PATH, FALSE, &c->src_path, error))
      return NULL;
    break;
  case VB_DOMAIN_CHR_TYPE_TCP:
    if (!chr_tcp_parse (node, FALSE, &c->src_mode, &c->src_host, &c->src_service, &c->protocol, error))
      return NULL;
    break;
  case VB_DOMAIN_CHR_TYPE_NULL:
  case VB_DOMAIN_CHR_TYPE_VC:
  case VB_DOMAIN_CHR_TYPE_STDIO:
  case VB_DOMAIN_CHR_TYPE_SPICEVMC:
  case VB_DOMAIN_CHR_TYPE_LAST:
  default:
    if (n != NULL)
      return vb_xml_fail (error, n, "a character device of type '%s' takes no <source>",
                          enum_str (chr_type_names, 0, c->type)), NULL;
    break;
  }
  if ((n = vb_xml_child (node, "log")) != NULL) {
    if (!attr_str (n, "file", STR_PATH, TRUE, &c->log_file, error) ||
        !attr_tristate (n, "append", TRUE, &c->log_append, error))
      return NULL;
  }

  switch (kind) {
  case VB_DOMAIN_DEVICE_SERIAL:
    target_types = serial_target_types;
    break;
  case VB_DOMAIN_DEVICE_CONSOLE:
    target_types = console_target_types;
    break;
  case VB_DOMAIN_DEVICE_CHANNEL:
    target_types = channel_target_types;
    break;
  default:
    break;
  }
  n = vb_xml_child (node, "target");
  if (n == NULL && kind == VB_DOMAIN_DEVICE_CHANNEL)
    return vb_xml_fail (error, node, "missing <target type='virtio' name=...>"), NULL;
  if (n != NULL) {
    if (target_types != NULL) {
      v = -1;
      if (!attr_enum (n, "type", target_types, 0, kind == VB_DOMAIN_DEVICE_CHANNEL, &v, error))
        return NULL;
      if (v >= 0)
        c->target_type = g_strdup (target_types[v]);
    }
    if (kind == VB_DOMAIN_DEVICE_CHANNEL) {
      if (!attr_str (n, "name", STR_TOKEN, FALSE, &c->target_name, error))
        return NULL;
      v = 0;
      if (!attr_enum (n, "state", chr_state_names, 1, FALSE, &v, error))
        return NULL;
      c->target_state = inactive ? VB_DOMAIN_CHR_STATE_NONE : v;
    } else {
      if (!attr_uint (n, "port", 0, 65535, FALSE, &c->target_port, &c->has_target_port, error))
        return NULL;
    }
    if (kind == VB_DOMAIN_DEVICE_SERIAL) {
      xmlNode *m = vb_xml_child (n, "model");
      if (m != NULL) {
        v = 0;
        if (!attr_enum (m, "name", serial_target_models, 0, TRUE, &v, error))
          return NULL;
        c->target_model = g_strdup (serial_target_models[v]);
      }
    }
  }
  if (!info_parse (node, &c->info, FALSE, flags, error))
    return NULL;
  return g_steal_pointer (&c);
}

static void
chr_format (VbXmlWriter *w, const VbDomainChrDef *c, VbDomainDeviceType kind, guint flags)
{
  g_autoptr(GPtrArray) pool = POOL ();
  gboolean live = !(flags & VB_DOMAIN_XML_INACTIVE);

  vb_xml_writer_start (w, chr_element_name (kind), "type", enum_str (chr_type_names, 0, c->type),
                       "tty", live ? c->tty : NULL, NULL);
  switch (c->type) {
  case VB_DOMAIN_CHR_TYPE_PTY:
    if (live && c->src_path)
      vb_xml_writer_empty (w, "source", "path", c->src_path, NULL);
    break;
  case VB_DOMAIN_CHR_TYPE_DEV:
  case VB_DOMAIN_CHR_TYPE_FILE:
  case VB_DOMAIN_CHR_TYPE_PIPE:
    vb_xml_writer_empty (w, "source", "path", c->src_path, "append", tristate_str (c->src_append, TRUE), NULL);
    break;
  case VB_DOMAIN_CHR_TYPE_UNIX:
    if (c->src_mode || c->src_path)
      vb_xml_writer_empty (w, "source", "mode", enum_str (chr_mode_names, 1, c->src_mode),
                           "path", c->src_path, NULL);
    break;
  case VB_DOMAIN_CHR_TYPE_TCP:
    chr_tcp_format (w, c->src_mode, c->src_host, c->src_service, c->protocol);
    break;
  case VB_DOMAIN_CHR_TYPE_NULL:
  case VB_DOMAIN_CHR_TYPE_VC:
  case VB_DOMAIN_CHR_TYPE_STDIO:
  case VB_DOMAIN_CHR_TYPE_SPICEVMC:
  case VB_DOMAIN_CHR_TYPE_LAST:
  default:
    break;
  }
  if (c->log_file)
    vb_xml_writer_empty (w, "log", "file", c->log_file, "append", tristate_str (c->log_append, TRUE), NULL);
  if (kind == VB_DOMAIN_DEVICE_CHANNEL) {
    vb_xml_writer_empty (w, "target", "type", c->target_type, "name", c->target_name,
                         "state", live ? enum_str (chr_state_names, 1, c->target_state) : NULL, NULL);
  } else if (c->target_type || c->has_target_port || c->target_model) {
    vb_xml_writer_start (w, "target", "type", c->target_type,
                         "port", c->has_target_port ? sp_u (pool, c->target_port) : NULL, NULL);
    if (c->target_model)
      vb_xml_writer_empty (w, "model", "name", c->target_model, NULL);
    vb_xml_writer_end (w);
  }
  info_format (w, &c->info, flags);
  vb_xml_writer_end (w);
}

/* ------------------------------------------------------------------ */
/* Graphics                                                             */

static void
graphics_listen_free (gpointer p)
{
  VbDomainGraphicsListen *l = p;
  if (l == NULL)
    return;
  g_free (l->address);
  g_free (l->network);
  g_free (l->socket);
  g_free (l);
}

static VbDomainGraphicsDef *
graphics_new (void)
{
  VbDomainGraphicsDef *g = g_new0 (VbDomainGraphicsDef, 1);
  g->listens = g_ptr_array_new_with_free_func (graphics_listen_free);
  return g;
}

static void
graphics_free (VbDomainGraphicsDef *g)
{
  if (g == NULL)
    return;
  g_free (g->keymap);
  g_free (g->passwd);
  g_free (g->passwd_valid_to);
  g_free (g->spice_rendernode);
  g_ptr_array_unref (g->listens);
  g_free (g);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbDomainGraphicsDef, graphics_free)

static VbDomainGraphicsDef *
graphics_copy (const VbDomainGraphicsDef *s)
{
  VbDomainGraphicsDef *g = graphics_new ();
  GPtrArray *listens = g->listens;

  *g = *s;
  g->listens = listens;
  g->keymap = g_strdup (s->keymap);
  g->passwd = g_strdup (s->passwd);
  g->passwd_valid_to = g_strdup (s->passwd_valid_to);
  g->spice_rendernode = g_strdup (s->spice_rendernode);
  for (guint i = 0; i < s->listens->len; i++) {
    const VbDomainGraphicsListen *sl = g_ptr_array_index (s->listens, i);
    VbDomainGraphicsListen *l = g_new0 (VbDomainGraphicsListen, 1);
    l->type = sl->type;
    l->address = g_strdup (sl->address);
    l->network = g_strdup (sl->network);
    l->socket = g_strdup (sl->socket);
    g_ptr_array_add (g->listens, l);
  }
  return g;
}

/* "YYYY-MM-DDTHH:MM:SS", the form libvirt writes passwdValidTo in. */
static gboolean
datetime_check (const char *s)
{
  static const char pattern[] = "dddd-dd-ddTdd:dd:dd";
  g_autoptr(GDateTime) dt = NULL;
  int y, mo, d, h, mi, se;

  if (strlen (s) != sizeof pattern - 1)
    return FALSE;
  for (gsize i = 0; i < sizeof pattern - 1; i++) {
    if (pattern[i] == 'd' ? !g_ascii_isdigit (s[i]) : s[i] != pattern[i])
      return FALSE;
  }
  if (sscanf (s, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &se) != 6)
    return FALSE;
  dt = g_date_time_new_utc (y, mo, d, h, mi, se);
  return dt != NULL;
}

/* The children of <graphics type='spice'> (and its defaultMode=). */
static gboolean
spice_parse (xmlNode *node, VbDomainGraphicsDef *g, GError **error)
{
  int v = 0;

  for (guint i = 0; i < VB_DOMAIN_SPICE_OPTION_LAST; i++) {
    xmlNode *n = spice_options[i].element ? vb_xml_child (node, spice_options[i].element) : node;

    v = 0;
    if (n != NULL && !attr_enum (n, spice_options[i].attribute, spice_options[i].names, 1,
                                 spice_options[i].element != NULL, &v, error))
      return FALSE;
    g->spice[i] = v;
  }
  if (g->spice[VB_DOMAIN_SPICE_GL] != 0) {
    xmlNode *gl = vb_xml_child (node, "gl");
    if (!attr_str (gl, "rendernode", STR_PATH, FALSE, &g->spice_rendernode, error))
      return FALSE;
  }
  for (xmlNode *n = vb_xml_next (node, NULL, "channel"); n != NULL; n = vb_xml_next (node, n, "channel")) {
    int name = 0;

    v = 0;
    if (!attr_enum (n, "name", spice_channel_names, 0, TRUE, &name, error) ||
        !attr_enum (n, "mode", spice_options[VB_DOMAIN_SPICE_DEFAULT_MODE].names, 1, TRUE, &v, error))
      return FALSE;
    if (g->spice_channel[name] != 0)
      return vb_xml_fail (error, n, "channel '%s' listed twice", spice_channel_names[name]);
    g->spice_channel[name] = v;
  }
  return TRUE;
}

static void
spice_format (VbXmlWriter *w, const VbDomainGraphicsDef *g)
{
  for (guint i = 0; i < VB_DOMAIN_SPICE_CHANNEL_LAST; i++)
    if (g->spice_channel[i] != 0)
      vb_xml_writer_empty (w, "channel", "name", spice_channel_names[i], "mode",
                           vb_domain_spice_option_to_string (VB_DOMAIN_SPICE_DEFAULT_MODE, g->spice_channel[i]),
                           NULL);
  for (guint i = 0; i < VB_DOMAIN_SPICE_DEFAULT_MODE; i++) {
    if (g->spice[i] == 0)
      continue;
    vb_xml_writer_empty (w, spice_options[i].element, spice_options[i].attribute,
                         vb_domain_spice_option_to_string (i, g->spice[i]), "rendernode",
                         i == VB_DOMAIN_SPICE_GL ? g->spice_rendernode : NULL, NULL);
  }
}

static VbDomainGraphicsDef *
graphics_parse (xmlNode *node, guint flags, GError **error)
{
  g_autoptr(VbDomainGraphicsDef) g = graphics_new ();
  g_autofree char *listen_attr = NULL;
  g_autofree char *socket_attr = NULL;
  gboolean inactive = (flags & VB_DOMAIN_PARSE_INACTIVE) != 0;
  gboolean has_port = FALSE;
  VbDomainTristate autoport = VB_DOMAIN_TRISTATE_ABSENT;
  gboolean vnc;
  int v = 0;

  if (!attr_enum (node, "type", graphics_type_names, 0, TRUE, &v, error))
    return NULL;
  g->type = v;
  vnc = g->type == VB_DOMAIN_GRAPHICS_VNC;

  if (!attr_int (node, "port", -1, 65535, &g->port, &has_port, error) ||
      !attr_tristate (node, "autoport", FALSE, &autoport, error) ||
      !attr_str (node, "listen", STR_HOST, FALSE, &listen_attr, error) ||
      !attr_str (node, "keymap", STR_TOKEN, FALSE, &g->keymap, error) ||
      !attr_str (node, "passwd", STR_ANY, FALSE, &g->passwd, error) ||
      !attr_str (node, "passwdValidTo", STR_TEXT, FALSE, &g->passwd_valid_to, error))
    return NULL;
  if (g->passwd_valid_to && !datetime_check (g->passwd_valid_to))
    return vb_xml_fail (error, node, "attribute 'passwdValidTo': '%s' is not a time like 2024-01-31T12:00:00",
                        g->passwd_valid_to), NULL;
  if (vnc) {
    if (!attr_int (node, "websocket", -1, 65535, &g->websocket, NULL, error) ||
        !attr_str (node, "socket", STR_PATH, FALSE, &socket_attr, error))
      return NULL;
  } else {
    if (!attr_int (node, "tlsPort", -1, 65535, &g->tls_port, NULL, error))
      return NULL;
  }
  /* port='-1' is the old spelling of autoport='yes'; for VNC a missing
   * port also means automatic, as in libvirt. */
  if (g->port == -1) {
    g->port = 0;
    g->autoport = TRUE;
  } else if (!has_port && vnc) {
    g->autoport = TRUE;
  }
  if (autoport != VB_DOMAIN_TRISTATE_ABSENT)
    g->autoport = autoport == VB_DOMAIN_TRISTATE_YES;
  if (g->autoport && inactive) {
    g->port = 0;
    g->tls_port = 0;
  }

  for (xmlNode *n = vb_xml_next (node, NULL, "listen"); n != NULL; n = vb_xml_next (node, n, "listen")) {
    VbDomainGraphicsListen *l = g_new0 (VbDomainGraphicsListen, 1);
    g_ptr_array_add (g->listens, l);
    v = 0;
    if (!attr_enum (n, "type", graphics_listen_names, 0, TRUE, &v, error))
      return NULL;
    l->type = v;
    switch (l->type) {
    case VB_DOMAIN_GRAPHICS_LISTEN_ADDRESS:
      if (!attr_str (n, "address", STR_HOST, FALSE, &l->address, error))
        return NULL;
      break;
    case VB_DOMAIN_GRAPHICS_LISTEN_NETWORK:
      if (!attr_str (n, "network", STR_TEXT, TRUE, &l->network, error) ||
          !attr_str (n, "address", STR_HOST, FALSE, &l->address, error))
        return NULL;
      /* The network's address is looked up at start-up. */
      if (inactive)
        g_clear_pointer (&l->address, g_free);
      break;
    case VB_DOMAIN_GRAPHICS_LISTEN_SOCKET:
      if (!attr_str (n, "socket", STR_PATH, FALSE, &l->socket, error))
        return NULL;
      break;
    case VB_DOMAIN_GRAPHICS_LISTEN_NONE:
    case VB_DOMAIN_GRAPHICS_LISTEN_LAST:
    default:
      break;
    }
  }

  if (!vnc && !spice_parse (node, g, error))
    return NULL;

  /* The listen= / socket= attributes are shorthands for the first <listen>. */
  if (socket_attr) {
    VbDomainGraphicsListen *first = g->listens->len ? g_ptr_array_index (g->listens, 0) : NULL;
    if (first == NULL) {
      first = g_new0 (VbDomainGraphicsListen, 1);
      first->type = VB_DOMAIN_GRAPHICS_LISTEN_SOCKET;
      first->socket = g_strdup (socket_attr);
      g_ptr_array_add (g->listens, first);
    } else if (first->type != VB_DOMAIN_GRAPHICS_LISTEN_SOCKET || g_strcmp0 (first->socket, socket_attr) != 0) {
      return vb_xml_fail (error, node, "attribute 'socket' must match the first <listen type='socket'>"), NULL;
    }
  }
  if (listen_attr) {
    VbDomainGraphicsListen *first = g->listens->len ? g_ptr_array_index (g->listens, 0) : NULL;
    if (first == NULL) {
      first = g_new0 (VbDomainGraphicsListen, 1);
      first->type = VB_DOMAIN_GRAPHICS_LISTEN_ADDRESS;
      first->address = g_strdup (listen_attr);
      g_ptr_array_add (g->listens, first);
    } else if (first->type == VB_DOMAIN_GRAPHICS_LISTEN_NETWORK && first->address == NULL) {
      /* The attribute is a copy of the network's (live-only) address. */
      if (!inactive)
        first->address = g_strdup (listen_attr);
    } else if ((first->type != VB_DOMAIN_GRAPHICS_LISTEN_ADDRESS &&
                first->type != VB_DOMAIN_GRAPHICS_LISTEN_NETWORK) ||
               g_strcmp0 (first->address, listen_attr) != 0) {
      return vb_xml_fail (error, node, "attribute 'listen' ('%s') must match the address of the first <listen>",
                          listen_attr), NULL;
    }
  }
  return g_steal_pointer (&g);
}

static void
graphics_format (VbXmlWriter *w, const VbDomainGraphicsDef *g, guint flags)
{
  g_autoptr(GPtrArray) pool = POOL ();
  gboolean live = !(flags & VB_DOMAIN_XML_INACTIVE);
  const VbDomainGraphicsListen *first = g->listens->len ? g_ptr_array_index (g->listens, 0) : NULL;
  const char *listen = NULL;
  const char *port = NULL, *tls_port = NULL;
  gboolean show_ports = !g->autoport || live;

  if (first && (first->type == VB_DOMAIN_GRAPHICS_LISTEN_ADDRESS ||
                (first->type == VB_DOMAIN_GRAPHICS_LISTEN_NETWORK && live)))
    listen = first->address;
  if (g->port && show_ports)
    port = sp (pool, "%d", g->port);
  else if (g->autoport && g->type == VB_DOMAIN_GRAPHICS_VNC)
    port = "-1";
  if (g->tls_port && show_ports)
    tls_port = sp (pool, "%d", g->tls_port);

  vb_xml_writer_start (w, "graphics", "type", enum_str (graphics_type_names, 0, g->type),
                       "port", port, "tlsPort", tls_port, "autoport", g->autoport ? "yes" : "no",
                       "websocket", g->websocket ? sp (pool, "%d", g->websocket) : NULL,
                       "listen", listen, "keymap", g->keymap,
                       "passwd", (flags & VB_DOMAIN_XML_SECURE) ? g->passwd : NULL,
                       "passwdValidTo", g->passwd_valid_to,
                       "defaultMode",
                       vb_domain_spice_option_to_string (VB_DOMAIN_SPICE_DEFAULT_MODE,
                                                         g->spice[VB_DOMAIN_SPICE_DEFAULT_MODE]), NULL);
  for (guint i = 0; i < g->listens->len; i++) {
    const VbDomainGraphicsListen *l = g_ptr_array_index (g->listens, i);
    const char *type = enum_str (graphics_listen_names, 0, l->type);
    switch (l->type) {
    case VB_DOMAIN_GRAPHICS_LISTEN_ADDRESS:
      vb_xml_writer_empty (w, "listen", "type", type, "address", l->address, NULL);
      break;
    case VB_DOMAIN_GRAPHICS_LISTEN_NETWORK:
      vb_xml_writer_empty (w, "listen", "type", type, "network", l->network,
                           "address", live ? l->address : NULL, NULL);
      break;
    case VB_DOMAIN_GRAPHICS_LISTEN_SOCKET:
      vb_xml_writer_empty (w, "listen", "type", type, "socket", l->socket, NULL);
      break;
    case VB_DOMAIN_GRAPHICS_LISTEN_NONE:
    case VB_DOMAIN_GRAPHICS_LISTEN_LAST:
    default:
      vb_xml_writer_empty (w, "listen", "type", type, NULL);
      break;
    }
  }
  if (g->type == VB_DOMAIN_GRAPHICS_SPICE)
    spice_format (w, g);
  vb_xml_writer_end (w);
}

/* ------------------------------------------------------------------ */
/* Video, input, sound, audio                                           */

static void
video_free (VbDomainVideoDef *v)
{
  if (v == NULL)
    return;
  info_clear (&v->info);
  g_free (v);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbDomainVideoDef, video_free)

static VbDomainVideoDef *
video_copy (const VbDomainVideoDef *s)
{
  VbDomainVideoDef *v = g_new0 (VbDomainVideoDef, 1);
  *v = *s;
  info_copy (&v->info, &s->info);
  return v;
}

static VbDomainVideoDef *
video_parse (xmlNode *node, guint flags, GError **error)
{
  g_autoptr(VbDomainVideoDef) video = g_new0 (VbDomainVideoDef, 1);
  xmlNode *n = vb_xml_child (node, "model");
  gboolean primary = FALSE;
  int v = 0;

  if (n == NULL)
    return vb_xml_fail (error, node, "missing <model type=...>"), NULL;
  if (!attr_enum (n, "type", video_model_names, 0, TRUE, &v, error))
    return NULL;
  video->model = v;
  if (!attr_uint (n, "vram", 0, G_MAXUINT, FALSE, &video->vram, NULL, error) ||
      !attr_uint (n, "heads", 0, 64, FALSE, &video->heads, NULL, error))
    return NULL;
  if (video->model == VB_DOMAIN_VIDEO_QXL) {
    if (!attr_uint (n, "ram", 0, G_MAXUINT, FALSE, &video->ram, NULL, error) ||
        !attr_uint (n, "vgamem", 0, G_MAXUINT, FALSE, &video->vgamem, NULL, error) ||
        !attr_uint (n, "vram64", 0, G_MAXUINT, FALSE, &video->vram64, NULL, error))
      return NULL;
  }
  if (vb_xml_prop_bool (n, "primary", FALSE, &primary, error) < 0)
    return NULL;
  video->primary = primary;
  if (!info_parse (node, &video->info, FALSE, flags, error))
    return NULL;
  return g_steal_pointer (&video);
}

static void
video_format (VbXmlWriter *w, const VbDomainVideoDef *v, guint flags)
{
  g_autoptr(GPtrArray) pool = POOL ();

  vb_xml_writer_start (w, "video", NULL);
  vb_xml_writer_empty (w, "model", "type", enum_str (video_model_names, 0, v->model),
                       "ram", v->ram ? sp_u (pool, v->ram) : NULL,
                       "vram", v->vram ? sp_u (pool, v->vram) : NULL,
                       "vram64", v->vram64 ? sp_u (pool, v->vram64) : NULL,
                       "vgamem", v->vgamem ? sp_u (pool, v->vgamem) : NULL,
                       "heads", v->heads ? sp_u (pool, v->heads) : NULL,
                       "primary", v->primary ? "yes" : NULL, NULL);
  info_format (w, &v->info, flags);
  vb_xml_writer_end (w);
}

static void
input_free (VbDomainInputDef *i)
{
  if (i == NULL)
    return;
  info_clear (&i->info);
  g_free (i);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbDomainInputDef, input_free)

static VbDomainInputDef *
input_copy (const VbDomainInputDef *s)
{
  VbDomainInputDef *i = g_new0 (VbDomainInputDef, 1);
  *i = *s;
  info_copy (&i->info, &s->info);
  return i;
}

static VbDomainInputDef *
input_parse (xmlNode *node, guint flags, GError **error)
{
  g_autoptr(VbDomainInputDef) input = g_new0 (VbDomainInputDef, 1);
  int v = 0;

  if (!attr_enum (node, "type", input_type_names, 0, TRUE, &v, error))
    return NULL;
  input->type = v;
  v = 0;
  if (!attr_enum (node, "bus", input_bus_names, 1, FALSE, &v, error))
    return NULL;
  input->bus = v;
  if (input->type == VB_DOMAIN_INPUT_TABLET && input->bus == VB_DOMAIN_INPUT_BUS_PS2)
    return vb_xml_fail (error, node, "a tablet cannot be on the ps2 bus"), NULL;
  if (!info_parse (node, &input->info, FALSE, flags, error))
    return NULL;
  return g_steal_pointer (&input);
}

static void
input_format (VbXmlWriter *w, const VbDomainInputDef *i, guint flags)
{
  vb_xml_writer_start (w, "input", "type", enum_str (input_type_names, 0, i->type),
                       "bus", enum_str (input_bus_names, 1, i->bus), NULL);
  info_format (w, &i->info, flags);
  vb_xml_writer_end (w);
}

static void
sound_free (VbDomainSoundDef *s)
{
  if (s == NULL)
    return;
  info_clear (&s->info);
  g_free (s);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbDomainSoundDef, sound_free)

static VbDomainSoundDef *
sound_copy (const VbDomainSoundDef *src)
{
  VbDomainSoundDef *s = g_new0 (VbDomainSoundDef, 1);
  *s = *src;
  info_copy (&s->info, &src->info);
  return s;
}

static VbDomainSoundDef *
sound_parse (xmlNode *node, guint flags, GError **error)
{
  g_autoptr(VbDomainSoundDef) s = g_new0 (VbDomainSoundDef, 1);
  xmlNode *n;
  int v = 0;

  if (!attr_enum (node, "model", sound_model_names, 0, TRUE, &v, error))
    return NULL;
  s->model = v;
  if ((n = vb_xml_child (node, "audio")) != NULL) {
    if (!attr_uint (n, "id", 1, 255, TRUE, &s->audio_id, NULL, error))
      return NULL;
  }
  if (!info_parse (node, &s->info, FALSE, flags, error))
    return NULL;
  return g_steal_pointer (&s);
}

static void
sound_format (VbXmlWriter *w, const VbDomainSoundDef *s, guint flags)
{
  g_autoptr(GPtrArray) pool = POOL ();

  vb_xml_writer_start (w, "sound", "model", enum_str (sound_model_names, 0, s->model), NULL);
  if (s->audio_id)
    vb_xml_writer_empty (w, "audio", "id", sp_u (pool, s->audio_id), NULL);
  info_format (w, &s->info, flags);
  vb_xml_writer_end (w);
}

static VbDomainAudioDef *
audio_parse (xmlNode *node, guint flags, GError **error)
{
  g_autofree VbDomainAudioDef *a = g_new0 (VbDomainAudioDef, 1);
  int v = 0;

  if (!attr_uint (node, "id", 1, 255, TRUE, &a->id, NULL, error) ||
      !attr_enum (node, "type", audio_type_names, 0, TRUE, &v, error))
    return NULL;
  a->type = v;
  return g_steal_pointer (&a);
}

static void
audio_format (VbXmlWriter *w, const VbDomainAudioDef *a, guint flags)
{
  g_autoptr(GPtrArray) pool = POOL ();
  vb_xml_writer_empty (w, "audio", "id", sp_u (pool, a->id), "type", enum_str (audio_type_names, 0, a->type), NULL);
}

/* ------------------------------------------------------------------ */
/* Host devices                                                         */

static void
hostdev_free (VbDomainHostdevDef *h)
{
  if (h == NULL)
    return;
  g_free (h->driver_name);
  info_clear (&h->info);
  g_free (h);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbDomainHostdevDef, hostdev_free)

static VbDomainHostdevDef *
hostdev_copy (const VbDomainHostdevDef *s)
{
  VbDomainHostdevDef *h = g_new0 (VbDomainHostdevDef, 1);
  *h = *s;
  h->driver_name = g_strdup (s->driver_name);
  info_copy (&h->info, &s->info);
  return h;
}

static VbDomainHostdevDef *
hostdev_parse (xmlNode *node, guint flags, GError **error)
{
  static const char *const modes[] = { "subsystem", NULL };
  g_autoptr(VbDomainHostdevDef) h = g_new0 (VbDomainHostdevDef, 1);
  gboolean managed = FALSE;
  xmlNode *src, *n;
  int v = 0;

  if (!attr_enum (node, "mode", modes, 0, FALSE, &v, error) ||
      !attr_enum (node, "type", hostdev_type_names, 0, TRUE, &v, error))
    return NULL;
  h->type = v;
  if (vb_xml_prop_bool (node, "managed", FALSE, &managed, error) < 0)
    return NULL;
  h->managed = managed;

  src = vb_xml_child (node, "source");
  if (src == NULL)
    return vb_xml_fail (error, node, "missing <source>"), NULL;
  if (h->type == VB_DOMAIN_HOSTDEV_PCI) {
    n = vb_xml_child (src, "address");
    if (n == NULL)
      return vb_xml_fail (error, src, "missing <address domain=... bus=... slot=... function=...>"), NULL;
    if (!attr_uint (n, "domain", 0, 0xffff, FALSE, &h->pci_domain, NULL, error) ||
        !attr_uint (n, "bus", 0, 0xff, TRUE, &h->pci_bus, NULL, error) ||
        !attr_uint (n, "slot", 0, 0x1f, TRUE, &h->pci_slot, NULL, error) ||
        !attr_uint (n, "function", 0, 7, TRUE, &h->pci_function, NULL, error))
      return NULL;
    if ((n = vb_xml_child (node, "driver")) != NULL) {
      v = 0;
      if (!attr_enum (n, "name", hostdev_driver_names, 0, TRUE, &v, error))
        return NULL;
      h->driver_name = g_strdup (hostdev_driver_names[v]);
    }
  } else {
    xmlNode *vendor = vb_xml_child (src, "vendor");
    xmlNode *product = vb_xml_child (src, "product");
    v = 0;
    if (!attr_enum (src, "startupPolicy", startup_policy_names, 1, FALSE, &v, error))
      return NULL;
    h->startup_policy = v;
    if ((vendor == NULL) != (product == NULL))
      return vb_xml_fail (error, src, "<vendor> and <product> go together"), NULL;
    if (vendor) {
      if (!attr_uint (vendor, "id", 0, 0xffff, TRUE, &h->usb_vendor, NULL, error) ||
          !attr_uint (product, "id", 0, 0xffff, TRUE, &h->usb_product, NULL, error))
        return NULL;
      h->has_usb_vendor = TRUE;
    }
    if ((n = vb_xml_child (src, "address")) != NULL) {
      if (!attr_uint (n, "bus", 0, 999, TRUE, &h->usb_bus, NULL, error) ||
          !attr_uint (n, "device", 0, 999, TRUE, &h->usb_device, NULL, error))
        return NULL;
      h->has_usb_address = TRUE;
    }
    if (!h->has_usb_vendor && !h->has_usb_address)
      return vb_xml_fail (error, src, "needs <vendor>/<product> or <address bus=... device=...>"), NULL;
  }
  if (!info_parse (node, &h->info, TRUE, flags, error))
    return NULL;
  return g_steal_pointer (&h);
}

static void
hostdev_format (VbXmlWriter *w, const VbDomainHostdevDef *h, guint flags)
{
  g_autoptr(GPtrArray) pool = POOL ();

  vb_xml_writer_start (w, "hostdev", "mode", "subsystem", "type", enum_str (hostdev_type_names, 0, h->type),
                       "managed", h->managed ? "yes" : "no", NULL);
  if (h->type == VB_DOMAIN_HOSTDEV_PCI) {
    if (h->driver_name)
      vb_xml_writer_empty (w, "driver", "name", h->driver_name, NULL);
    vb_xml_writer_start (w, "source", NULL);
    vb_xml_writer_empty (w, "address", "domain", sp (pool, "0x%04x", h->pci_domain),
                         "bus", sp (pool, "0x%02x", h->pci_bus), "slot", sp (pool, "0x%02x", h->pci_slot),
                         "function", sp (pool, "0x%x", h->pci_function), NULL);
    vb_xml_writer_end (w);
  } else {
    vb_xml_writer_start (w, "source", "startupPolicy", enum_str (startup_policy_names, 1, h->startup_policy), NULL);
    if (h->has_usb_vendor) {
      vb_xml_writer_empty (w, "vendor", "id", sp (pool, "0x%04x", h->usb_vendor), NULL);
      vb_xml_writer_empty (w, "product", "id", sp (pool, "0x%04x", h->usb_product), NULL);
    }
    if (h->has_usb_address)
      vb_xml_writer_empty (w, "address", "bus", sp_u (pool, h->usb_bus), "device", sp_u (pool, h->usb_device), NULL);
    vb_xml_writer_end (w);
  }
  info_format (w, &h->info, flags);
  vb_xml_writer_end (w);
}

/* ------------------------------------------------------------------ */
/* USB redirection                                                      */

static void
redirdev_free (VbDomainRedirdevDef *r)
{
  if (r == NULL)
    return;
  g_free (r->src_host);
  g_free (r->src_service);
  info_clear (&r->info);
  g_free (r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbDomainRedirdevDef, redirdev_free)

static VbDomainRedirdevDef *
redirdev_copy (const VbDomainRedirdevDef *s)
{
  VbDomainRedirdevDef *r = g_new0 (VbDomainRedirdevDef, 1);
  *r = *s;
  r->src_host = g_strdup (s->src_host);
  r->src_service = g_strdup (s->src_service);
  info_copy (&r->info, &s->info);
  return r;
}

static VbDomainRedirdevDef *
redirdev_parse (xmlNode *node, guint flags, GError **error)
{
  g_autoptr(VbDomainRedirdevDef) r = g_new0 (VbDomainRedirdevDef, 1);
  g_autofree char *type = NULL;
  int v = 0;

  /* libvirt takes a missing bus= as 'usb', the only bus there is. */
  if (!attr_enum (node, "bus", redirdev_bus_names, 0, FALSE, &v, error))
    return NULL;
  type = vb_xml_prop (node, "type");
  if (type == NULL)
    return vb_xml_fail (error, node, "missing attribute 'type'"), NULL;
  v = enum_lookup (chr_type_names, type);
  if (v != VB_DOMAIN_CHR_TYPE_SPICEVMC && v != VB_DOMAIN_CHR_TYPE_TCP)
    return vb_xml_fail (error, node,
                        "attribute 'type': '%s' is not supported for USB redirection (supported: 'spicevmc', "
                        "'tcp')", type), NULL;
  r->type = v;
  if (r->type == VB_DOMAIN_CHR_TYPE_TCP) {
    if (!chr_tcp_parse (node, TRUE, &r->src_mode, &r->src_host, &r->src_service, &r->protocol, error))
      return NULL;
  } else if (vb_xml_child (node, "source") != NULL) {
    return vb_xml_fail (error, node, "a <redirdev> of type 'spicevmc' takes no <source>"), NULL;
  }
  if (!info_parse (node, &r->info, TRUE, flags, error))
    return NULL;
  /* The redirected device sits on a port of a USB controller. */
  if (r->info.address.type != VB_DOMAIN_ADDRESS_NONE && r->info.address.type != VB_DOMAIN_ADDRESS_USB)
    return vb_xml_fail (error, vb_xml_child (node, "address"),
                        "a <redirdev> takes only an address of type 'usb'"), NULL;
  return g_steal_pointer (&r);
}

static void
redirdev_format (VbXmlWriter *w, const VbDomainRedirdevDef *r, guint flags)
{
  vb_xml_writer_start (w, "redirdev", "bus", redirdev_bus_names[0], "type", enum_str (chr_type_names, 0, r->type),
                       NULL);
  if (r->type == VB_DOMAIN_CHR_TYPE_TCP)
    chr_tcp_format (w, r->src_mode, r->src_host, r->src_service, r->protocol);
  info_format (w, &r->info, flags);
  vb_xml_writer_end (w);
}

/* A class=, vendor= or product= of a <usbdev> rule: '-1' or absent for
 * any, else a number up to @max (hex with '0x', as libvirt writes it). */
static gboolean
usbdev_id_attr (xmlNode *node, const char *name, guint max, int *out, GError **error)
{
  g_autofree char *value = vb_xml_prop (node, name);
  guint64 v = 0;

  *out = -1;
  if (value == NULL || strcmp (value, "-1") == 0)
    return TRUE;
  /* "010" is octal to libvirt and decimal to vb_parse_u64: refuse it. */
  if (!vb_parse_u64 (value, &v) || v > max || (value[0] == '0' && g_ascii_isdigit (value[1])))
    return vb_xml_fail (error, node, "attribute '%s': '%s' is not '-1' or a number from 0x0 to 0x%x", name, value, max);
  *out = (int) v;
  return TRUE;
}

/* version= of a <usbdev> rule: '-1' or absent for any, else "M.m" with one
 * or two decimal digits each, kept as the bcdUSB value ("1.10" = 0x0110). */
static gboolean
usbdev_version_attr (xmlNode *node, int *out, GError **error)
{
  g_autofree char *value = vb_xml_prop (node, "version");
  guint part[2] = { 0, 0 };
  const char *p;

  *out = -1;
  if (value == NULL || strcmp (value, "-1") == 0)
    return TRUE;
  p = value;
  for (int i = 0; i < 2; i++) {
    int digits = 0;
    for (; g_ascii_isdigit (*p) && digits < 3; p++, digits++)
      part[i] = part[i] * 10 + (guint) (*p - '0');
    if (digits == 0 || digits > 2 || *p != (i == 0 ? '.' : '\0'))
      return vb_xml_fail (error, node, "attribute 'version': '%s' is not '-1' or a USB version like '2.0' or '1.10'",
                          value);
    p++;
  }
  *out = (int) ((part[0] / 10) << 12 | (part[0] % 10) << 8 | (part[1] / 10) << 4 | part[1] % 10);
  return TRUE;
}

static gboolean
redirfilter_parse (xmlNode *node, GPtrArray *rules, GError **error)
{
  for (xmlNode *n = vb_xml_next (node, NULL, "usbdev"); n != NULL; n = vb_xml_next (node, n, "usbdev")) {
    g_autofree VbDomainRedirFilterUsbDev *rule = g_new0 (VbDomainRedirFilterUsbDev, 1);
    VbDomainTristate allow = VB_DOMAIN_TRISTATE_ABSENT;

    if (!usbdev_id_attr (n, "class", 0xff, &rule->usb_class, error) ||
        !usbdev_id_attr (n, "vendor", 0xffff, &rule->vendor, error) ||
        !usbdev_id_attr (n, "product", 0xffff, &rule->product, error) ||
        !usbdev_version_attr (n, &rule->version, error) ||
        !attr_tristate_required (n, "allow", FALSE, &allow, error))
      return FALSE;
    rule->allow = allow == VB_DOMAIN_TRISTATE_YES;
    g_ptr_array_add (rules, g_steal_pointer (&rule));
  }
  return TRUE;
}

static void
redirfilter_format (VbXmlWriter *w, const GPtrArray *rules)
{
  if (rules->len == 0)
    return;
  vb_xml_writer_start (w, "redirfilter", NULL);
  for (guint i = 0; i < rules->len; i++) {
    const VbDomainRedirFilterUsbDev *rule = g_ptr_array_index ((GPtrArray *) rules, i);
    g_autoptr(GPtrArray) pool = POOL ();
    guint v = (guint) rule->version;

    vb_xml_writer_empty (w, "usbdev",
                         "class", rule->usb_class >= 0 ? sp (pool, "0x%02X", (guint) rule->usb_class) : NULL,
                         "vendor", rule->vendor >= 0 ? sp (pool, "0x%04X", (guint) rule->vendor) : NULL,
                         "product", rule->product >= 0 ? sp (pool, "0x%04X", (guint) rule->product) : NULL,
                         "version", rule->version >= 0
                           ? sp (pool, "%u.%u", (v >> 12 & 0xf) * 10 + (v >> 8 & 0xf), (v >> 4 & 0xf) * 10 + (v & 0xf))
                           : NULL,
                         "allow", rule->allow ? "yes" : "no", NULL);
  }
  vb_xml_writer_end (w);
}

static void
redirfilter_copy (GPtrArray *to, const GPtrArray *from)
{
  for (guint i = 0; i < from->len; i++)
    g_ptr_array_add (to, g_memdup2 (g_ptr_array_index ((GPtrArray *) from, i), sizeof (VbDomainRedirFilterUsbDev)));
}

/* ------------------------------------------------------------------ */
/* Memballoon, RNG, watchdog, panic, filesystem, TPM                    */

static void
memballoon_free (VbDomainMemballoonDef *m)
{
  if (m == NULL)
    return;
  info_clear (&m->info);
  g_free (m);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbDomainMemballoonDef, memballoon_free)

static VbDomainMemballoonDef *
memballoon_copy (const VbDomainMemballoonDef *s)
{
  VbDomainMemballoonDef *m = g_new0 (VbDomainMemballoonDef, 1);
  *m = *s;
  info_copy (&m->info, &s->info);
  return m;
}

static VbDomainMemballoonDef *
memballoon_parse (xmlNode *node, guint flags, GError **error)
{
  g_autoptr(VbDomainMemballoonDef) m = g_new0 (VbDomainMemballoonDef, 1);
  xmlNode *n;
  int v = 0;

  if (!attr_enum (node, "model", memballoon_model_names, 0, TRUE, &v, error) ||
      !attr_tristate (node, "autodeflate", TRUE, &m->autodeflate, error) ||
      !attr_tristate (node, "freePageReporting", TRUE, &m->free_page_reporting, error))
    return NULL;
  m->model = v;
  if ((n = vb_xml_child (node, "stats")) != NULL) {
    if (!attr_uint (n, "period", 1, G_MAXINT, TRUE, &m->stats_period, NULL, error))
      return NULL;
  }
  if (!info_parse (node, &m->info, FALSE, flags, error))
    return NULL;
  return g_steal_pointer (&m);
}

static void
memballoon_format (VbXmlWriter *w, const VbDomainMemballoonDef *m, guint flags)
{
  g_autoptr(GPtrArray) pool = POOL ();

  vb_xml_writer_start (w, "memballoon", "model", enum_str (memballoon_model_names, 0, m->model),
                       "autodeflate", tristate_str (m->autodeflate, TRUE),
                       "freePageReporting", tristate_str (m->free_page_reporting, TRUE), NULL);
  if (m->stats_period)
    vb_xml_writer_empty (w, "stats", "period", sp_u (pool, m->stats_period), NULL);
  info_format (w, &m->info, flags);
  vb_xml_writer_end (w);
}

static void
rng_free (VbDomainRngDef *r)
{
  if (r == NULL)
    return;
  g_free (r->source);
  info_clear (&r->info);
  g_free (r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbDomainRngDef, rng_free)

static VbDomainRngDef *
rng_copy (const VbDomainRngDef *s)
{
  VbDomainRngDef *r = g_new0 (VbDomainRngDef, 1);
  *r = *s;
  r->source = g_strdup (s->source);
  info_copy (&r->info, &s->info);
  return r;
}

static VbDomainRngDef *
rng_parse (xmlNode *node, guint flags, GError **error)
{
  g_autoptr(VbDomainRngDef) r = g_new0 (VbDomainRngDef, 1);
  xmlNode *n;
  int v = 0;

  if (!attr_enum (node, "model", rng_model_names, 0, TRUE, &v, error))
    return NULL;
  r->model = v;
  n = vb_xml_child (node, "backend");
  if (n == NULL)
    return vb_xml_fail (error, node, "missing <backend model=...>"), NULL;
  v = 0;
  if (!attr_enum (n, "model", rng_backend_names, 0, TRUE, &v, error))
    return NULL;
  r->backend = v;
  if (r->backend == VB_DOMAIN_RNG_BACKEND_RANDOM) {
    g_autofree char *path = vb_xml_text (n);
    g_strstrip (path);
    if (*path != '\0') {
      if (enum_lookup (rng_random_sources, path) < 0)
        return vb_xml_fail (error, n, "'%s' is not a supported random source (/dev/urandom, /dev/random, /dev/hwrng)",
                            path), NULL;
      r->source = g_steal_pointer (&path);
    }
  }
  if ((n = vb_xml_child (node, "rate")) != NULL) {
    if (!attr_uint (n, "bytes", 1, G_MAXINT, TRUE, &r->rate_bytes, NULL, error) ||
        !attr_uint (n, "period", 1, G_MAXINT, FALSE, &r->rate_period, NULL, error))
      return NULL;
  }
  if (!info_parse (node, &r->info, FALSE, flags, error))
    return NULL;
  return g_steal_pointer (&r);
}

static void
rng_format (VbXmlWriter *w, const VbDomainRngDef *r, guint flags)
{
  g_autoptr(GPtrArray) pool = POOL ();

  vb_xml_writer_start (w, "rng", "model", enum_str (rng_model_names, 0, r->model), NULL);
  if (r->rate_bytes)
    vb_xml_writer_empty (w, "rate", "bytes", sp_u (pool, r->rate_bytes),
                         "period", r->rate_period ? sp_u (pool, r->rate_period) : NULL, NULL);
  if (r->source)
    vb_xml_writer_element (w, "backend", r->source, "model", enum_str (rng_backend_names, 0, r->backend), NULL);
  else
    vb_xml_writer_empty (w, "backend", "model", enum_str (rng_backend_names, 0, r->backend), NULL);
  info_format (w, &r->info, flags);
  vb_xml_writer_end (w);
}

static void
watchdog_free (VbDomainWatchdogDef *wd)
{
  if (wd == NULL)
    return;
  info_clear (&wd->info);
  g_free (wd);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbDomainWatchdogDef, watchdog_free)

static VbDomainWatchdogDef *
watchdog_copy (const VbDomainWatchdogDef *s)
{
  VbDomainWatchdogDef *wd = g_new0 (VbDomainWatchdogDef, 1);
  *wd = *s;
  info_copy (&wd->info, &s->info);
  return wd;
}

static VbDomainWatchdogDef *
watchdog_parse (xmlNode *node, guint flags, GError **error)
{
  g_autoptr(VbDomainWatchdogDef) wd = g_new0 (VbDomainWatchdogDef, 1);
  int v = 0;

  if (!attr_enum (node, "model", watchdog_model_names, 0, TRUE, &v, error))
    return NULL;
  wd->model = v;
  v = 0;
  if (!attr_enum (node, "action", watchdog_action_names, 1, FALSE, &v, error))
    return NULL;
  wd->action = v;
  if (!info_parse (node, &wd->info, FALSE, flags, error))
    return NULL;
  return g_steal_pointer (&wd);
}

static void
watchdog_format (VbXmlWriter *w, const VbDomainWatchdogDef *wd, guint flags)
{
  vb_xml_writer_start (w, "watchdog", "model", enum_str (watchdog_model_names, 0, wd->model),
                       "action", enum_str (watchdog_action_names, 1, wd->action), NULL);
  info_format (w, &wd->info, flags);
  vb_xml_writer_end (w);
}

static void
panic_free (VbDomainPanicDef *p)
{
  if (p == NULL)
    return;
  info_clear (&p->info);
  g_free (p);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbDomainPanicDef, panic_free)

static VbDomainPanicDef *
panic_copy (const VbDomainPanicDef *s)
{
  VbDomainPanicDef *p = g_new0 (VbDomainPanicDef, 1);
  *p = *s;
  info_copy (&p->info, &s->info);
  return p;
}

static VbDomainPanicDef *
panic_parse (xmlNode *node, guint flags, GError **error)
{
  g_autoptr(VbDomainPanicDef) p = g_new0 (VbDomainPanicDef, 1);
  int v = 0;

  if (!attr_enum (node, "model", panic_model_names, 1, FALSE, &v, error))
    return NULL;
  p->model = v;
  if (!info_parse (node, &p->info, FALSE, flags, error))
    return NULL;
  return g_steal_pointer (&p);
}

static void
panic_format (VbXmlWriter *w, const VbDomainPanicDef *p, guint flags)
{
  vb_xml_writer_start (w, "panic", "model", enum_str (panic_model_names, 1, p->model), NULL);
  info_format (w, &p->info, flags);
  vb_xml_writer_end (w);
}

static void
fs_free (VbDomainFsDef *fs)
{
  if (fs == NULL)
    return;
  g_free (fs->src_dir);
  g_free (fs->dst);
  info_clear (&fs->info);
  g_free (fs);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbDomainFsDef, fs_free)

static VbDomainFsDef *
fs_copy (const VbDomainFsDef *s)
{
  VbDomainFsDef *fs = g_new0 (VbDomainFsDef, 1);
  *fs = *s;
  fs->src_dir = g_strdup (s->src_dir);
  fs->dst = g_strdup (s->dst);
  info_copy (&fs->info, &s->info);
  return fs;
}

static VbDomainFsDef *
fs_parse (xmlNode *node, guint flags, GError **error)
{
  static const char *const fs_types[] = { "mount", NULL };
  g_autoptr(VbDomainFsDef) fs = g_new0 (VbDomainFsDef, 1);
  xmlNode *n;
  int v = 0;

  if (!attr_enum (node, "type", fs_types, 0, FALSE, &v, error))
    return NULL;
  v = 0;
  if (!attr_enum (node, "accessmode", fs_access_names, 1, FALSE, &v, error))
    return NULL;
  fs->accessmode = v;
  if ((n = vb_xml_child (node, "driver")) != NULL) {
    v = 0;
    if (!attr_enum (n, "type", fs_driver_names, 1, FALSE, &v, error))
      return NULL;
    fs->driver = v;
  }
  n = vb_xml_child (node, "source");
  if (n == NULL)
    return vb_xml_fail (error, node, "missing <source dir=...>"), NULL;
  if (!attr_str (n, "dir", STR_PATH, TRUE, &fs->src_dir, error))
    return NULL;
  n = vb_xml_child (node, "target");
  if (n == NULL)
    return vb_xml_fail (error, node, "missing <target dir=...>"), NULL;
  if (!attr_str (n, "dir", STR_TEXT, TRUE, &fs->dst, error))
    return NULL;
  fs->readonly = vb_xml_child (node, "readonly") != NULL;
  if (!info_parse (node, &fs->info, FALSE, flags, error))
    return NULL;
  return g_steal_pointer (&fs);
}

static void
fs_format (VbXmlWriter *w, const VbDomainFsDef *fs, guint flags)
{
  vb_xml_writer_start (w, "filesystem", "type", "mount",
                       "accessmode", enum_str (fs_access_names, 1, fs->accessmode), NULL);
  if (fs->driver)
    vb_xml_writer_empty (w, "driver", "type", enum_str (fs_driver_names, 1, fs->driver), NULL);
  vb_xml_writer_empty (w, "source", "dir", fs->src_dir, NULL);
  vb_xml_writer_empty (w, "target", "dir", fs->dst, NULL);
  if (fs->readonly)
    vb_xml_writer_empty (w, "readonly", NULL);
  info_format (w, &fs->info, flags);
  vb_xml_writer_end (w);
}

static void
tpm_free (VbDomainTpmDef *t)
{
  if (t == NULL)
    return;
  g_free (t->device_path);
  g_free (t->version);
  info_clear (&t->info);
  g_free (t);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbDomainTpmDef, tpm_free)

static VbDomainTpmDef *
tpm_copy (const VbDomainTpmDef *s)
{
  VbDomainTpmDef *t = g_new0 (VbDomainTpmDef, 1);
  *t = *s;
  t->device_path = g_strdup (s->device_path);
  t->version = g_strdup (s->version);
  info_copy (&t->info, &s->info);
  return t;
}

static VbDomainTpmDef *
tpm_parse (xmlNode *node, guint flags, GError **error)
{
  g_autoptr(VbDomainTpmDef) t = g_new0 (VbDomainTpmDef, 1);
  xmlNode *n;
  int v = 0;

  if (!attr_enum (node, "model", tpm_model_names, 1, FALSE, &v, error))
    return NULL;
  t->model = v;
  n = vb_xml_child (node, "backend");
  if (n == NULL)
    return vb_xml_fail (error, node, "missing <backend type=...>"), NULL;
  v = 0;
  if (!attr_enum (n, "type", tpm_backend_names, 0, TRUE, &v, error))
    return NULL;
  t->backend = v;
  if (t->backend == VB_DOMAIN_TPM_BACKEND_PASSTHROUGH) {
    xmlNode *dev = vb_xml_child (n, "device");
    if (dev && !attr_str (dev, "path", STR_PATH, FALSE, &t->device_path, error))
      return NULL;
  } else {
    v = -1;
    if (!attr_enum (n, "version", tpm_versions, 0, FALSE, &v, error))
      return NULL;
    if (v >= 0)
      t->version = g_strdup (tpm_versions[v]);
  }
  if (!info_parse (node, &t->info, FALSE, flags, error))
    return NULL;
  return g_steal_pointer (&t);
}

static void
tpm_format (VbXmlWriter *w, const VbDomainTpmDef *t, guint flags)
{
  vb_xml_writer_start (w, "tpm", "model", enum_str (tpm_model_names, 1, t->model), NULL);
  if (t->backend == VB_DOMAIN_TPM_BACKEND_PASSTHROUGH) {
    vb_xml_writer_start (w, "backend", "type", "passthrough", NULL);
    if (t->device_path)
      vb_xml_writer_empty (w, "device", "path", t->device_path, NULL);
    vb_xml_writer_end (w);
  } else {
    vb_xml_writer_empty (w, "backend", "type", "emulator", "version", t->version, NULL);
  }
  info_format (w, &t->info, flags);
  vb_xml_writer_end (w);
}

/* ------------------------------------------------------------------ */
/* Generic device dispatch                                              */

void
vb_domain_device_def_free (VbDomainDeviceDef *dev)
{
  if (dev == NULL)
    return;
  switch (dev->type) {
  case VB_DOMAIN_DEVICE_DISK: disk_free (dev->data.disk); break;
  case VB_DOMAIN_DEVICE_CONTROLLER: controller_free (dev->data.controller); break;
  case VB_DOMAIN_DEVICE_INTERFACE: net_free (dev->data.net); break;
  case VB_DOMAIN_DEVICE_SERIAL:
  case VB_DOMAIN_DEVICE_PARALLEL:
  case VB_DOMAIN_DEVICE_CONSOLE:
  case VB_DOMAIN_DEVICE_CHANNEL: chr_free (dev->data.chr); break;
  case VB_DOMAIN_DEVICE_GRAPHICS: graphics_free (dev->data.graphics); break;
  case VB_DOMAIN_DEVICE_VIDEO: video_free (dev->data.video); break;
  case VB_DOMAIN_DEVICE_INPUT: input_free (dev->data.input); break;
  case VB_DOMAIN_DEVICE_SOUND: sound_free (dev->data.sound); break;
  case VB_DOMAIN_DEVICE_AUDIO: g_free (dev->data.audio); break;
  case VB_DOMAIN_DEVICE_HOSTDEV: hostdev_free (dev->data.hostdev); break;
  case VB_DOMAIN_DEVICE_MEMBALLOON: memballoon_free (dev->data.memballoon); break;
  case VB_DOMAIN_DEVICE_RNG: rng_free (dev->data.rng); break;
  case VB_DOMAIN_DEVICE_WATCHDOG: watchdog_free (dev->data.watchdog); break;
  case VB_DOMAIN_DEVICE_PANIC: panic_free (dev->data.panic); break;
  case VB_DOMAIN_DEVICE_FILESYSTEM: fs_free (dev->data.fs); break;
  case VB_DOMAIN_DEVICE_TPM: tpm_free (dev->data.tpm); break;
  case VB_DOMAIN_DEVICE_REDIRDEV: redirdev_free (dev->data.redirdev); break;
  case VB_DOMAIN_DEVICE_LAST:
  default: break;
  }
  g_free (dev);
}

/* A copy of the device payload @data of type @type. */
static gpointer
device_data_copy (VbDomainDeviceType type, gconstpointer data)
{
  switch (type) {
  case VB_DOMAIN_DEVICE_DISK: return disk_copy (data);
  case VB_DOMAIN_DEVICE_CONTROLLER: return controller_copy (data);
  case VB_DOMAIN_DEVICE_INTERFACE: return net_copy (data);
  case VB_DOMAIN_DEVICE_SERIAL:
  case VB_DOMAIN_DEVICE_PARALLEL:
  case VB_DOMAIN_DEVICE_CONSOLE:
  case VB_DOMAIN_DEVICE_CHANNEL: return chr_copy (data);
  case VB_DOMAIN_DEVICE_GRAPHICS: return graphics_copy (data);
  case VB_DOMAIN_DEVICE_VIDEO: return video_copy (data);
  case VB_DOMAIN_DEVICE_INPUT: return input_copy (data);
  case VB_DOMAIN_DEVICE_SOUND: return sound_copy (data);
  case VB_DOMAIN_DEVICE_AUDIO: return g_memdup2 (data, sizeof (VbDomainAudioDef));
  case VB_DOMAIN_DEVICE_HOSTDEV: return hostdev_copy (data);
  case VB_DOMAIN_DEVICE_MEMBALLOON: return memballoon_copy (data);
  case VB_DOMAIN_DEVICE_RNG: return rng_copy (data);
  case VB_DOMAIN_DEVICE_WATCHDOG: return watchdog_copy (data);
  case VB_DOMAIN_DEVICE_PANIC: return panic_copy (data);
  case VB_DOMAIN_DEVICE_FILESYSTEM: return fs_copy (data);
  case VB_DOMAIN_DEVICE_TPM: return tpm_copy (data);
  case VB_DOMAIN_DEVICE_REDIRDEV: return redirdev_copy (data);
  case VB_DOMAIN_DEVICE_LAST:
  default: return NULL;
  }
}

VbDomainDeviceDef *
vb_domain_device_def_copy (const VbDomainDeviceDef *dev)
{
  VbDomainDeviceDef *copy;

  g_return_val_if_fail (dev != NULL, NULL);
  copy = g_new0 (VbDomainDeviceDef, 1);
  copy->type = dev->type;
  copy->data.ptr = device_data_copy (dev->type, dev->data.ptr);
  return copy;
}

static void
device_format (VbXmlWriter *w, VbDomainDeviceType type, gconstpointer data, guint flags)
{
  switch (type) {
  case VB_DOMAIN_DEVICE_DISK: disk_format (w, data, flags); break;
  case VB_DOMAIN_DEVICE_CONTROLLER: controller_format (w, data, flags); break;
  case VB_DOMAIN_DEVICE_INTERFACE: net_format (w, data, flags); break;
  case VB_DOMAIN_DEVICE_SERIAL:
  case VB_DOMAIN_DEVICE_PARALLEL:
  case VB_DOMAIN_DEVICE_CONSOLE:
  case VB_DOMAIN_DEVICE_CHANNEL: chr_format (w, data, type, flags); break;
  case VB_DOMAIN_DEVICE_GRAPHICS: graphics_format (w, data, flags); break;
  case VB_DOMAIN_DEVICE_VIDEO: video_format (w, data, flags); break;
  case VB_DOMAIN_DEVICE_INPUT: input_format (w, data, flags); break;
  case VB_DOMAIN_DEVICE_SOUND: sound_format (w, data, flags); break;
  case VB_DOMAIN_DEVICE_AUDIO: audio_format (w, data, flags); break;
  case VB_DOMAIN_DEVICE_HOSTDEV: hostdev_format (w, data, flags); break;
  case VB_DOMAIN_DEVICE_MEMBALLOON: memballoon_format (w, data, flags); break;
  case VB_DOMAIN_DEVICE_RNG: rng_format (w, data, flags); break;
  case VB_DOMAIN_DEVICE_WATCHDOG: watchdog_format (w, data, flags); break;
  case VB_DOMAIN_DEVICE_PANIC: panic_format (w, data, flags); break;
  case VB_DOMAIN_DEVICE_FILESYSTEM: fs_format (w, data, flags); break;
  case VB_DOMAIN_DEVICE_TPM: tpm_format (w, data, flags); break;
  case VB_DOMAIN_DEVICE_REDIRDEV: redirdev_format (w, data, flags); break;
  case VB_DOMAIN_DEVICE_LAST:
  default: break;
  }
}

char *
vb_domain_device_def_format (const VbDomainDeviceDef *dev, guint flags)
{
  g_autoptr(VbXmlWriter) w = vb_xml_writer_new ();

  g_return_val_if_fail (dev != NULL, NULL);
  device_format (w, dev->type, dev->data.ptr, flags);
  return vb_xml_writer_finish (g_steal_pointer (&w));
}

/* Parses one device element; NULL with an error for unsupported ones. */
static VbDomainDeviceDef *
device_parse_node (xmlNode *node, guint flags, GError **error)
{
  g_autoptr(VbDomainDeviceDef) dev = g_new0 (VbDomainDeviceDef, 1);
  int type = enum_lookup (device_type_names, (const char *) node->name);

  if (type < 0) {
    g_autofree char *where = vb_xml_node_describe (node);
    g_set_error (error, VB_ERROR, VB_ERROR_XML, "unsupported device <%s> at %s", node->name, where);
    return NULL;
  }
  dev->type = type;
  switch (dev->type) {
  case VB_DOMAIN_DEVICE_DISK: dev->data.disk = disk_parse (node, flags, error); break;
  case VB_DOMAIN_DEVICE_CONTROLLER: dev->data.controller = controller_parse (node, flags, error); break;
  case VB_DOMAIN_DEVICE_INTERFACE: dev->data.net = net_parse (node, flags, error); break;
  case VB_DOMAIN_DEVICE_SERIAL:
  case VB_DOMAIN_DEVICE_PARALLEL:
  case VB_DOMAIN_DEVICE_CONSOLE:
  case VB_DOMAIN_DEVICE_CHANNEL: dev->data.chr = chr_parse (node, dev->type, flags, error); break;
  case VB_DOMAIN_DEVICE_GRAPHICS: dev->data.graphics = graphics_parse (node, flags, error); break;
  case VB_DOMAIN_DEVICE_VIDEO: dev->data.video = video_parse (node, flags, error); break;
  case VB_DOMAIN_DEVICE_INPUT: dev->data.input = input_parse (node, flags, error); break;
  case VB_DOMAIN_DEVICE_SOUND: dev->data.sound = sound_parse (node, flags, error); break;
  case VB_DOMAIN_DEVICE_AUDIO: dev->data.audio = audio_parse (node, flags, error); break;
  case VB_DOMAIN_DEVICE_HOSTDEV: dev->data.hostdev = hostdev_parse (node, flags, error); break;
  case VB_DOMAIN_DEVICE_MEMBALLOON: dev->data.memballoon = memballoon_parse (node, flags, error); break;
  case VB_DOMAIN_DEVICE_RNG: dev->data.rng = rng_parse (node, flags, error); break;
  case VB_DOMAIN_DEVICE_WATCHDOG: dev->data.watchdog = watchdog_parse (node, flags, error); break;
  case VB_DOMAIN_DEVICE_PANIC: dev->data.panic = panic_parse (node, flags, error); break;
  case VB_DOMAIN_DEVICE_FILESYSTEM: dev->data.fs = fs_parse (node, flags, error); break;
  case VB_DOMAIN_DEVICE_TPM: dev->data.tpm = tpm_parse (node, flags, error); break;
  case VB_DOMAIN_DEVICE_REDIRDEV: dev->data.redirdev = redirdev_parse (node, flags, error); break;
  case VB_DOMAIN_DEVICE_LAST:
  default: break;
  }
  if (dev->data.ptr == NULL)
    return NULL;
  return g_steal_pointer (&dev);
}

/* ------------------------------------------------------------------ */
/* Metadata                                                             */

static void
metadata_entry_free (gpointer p)
{
  VbDomainMetadataEntry *e = p;
  if (e == NULL)
    return;
  g_free (e->uri);
  g_free (e->xml);
  g_free (e);
}

/* Serializes @node as a self-contained element: namespaces declared on
 * its ancestors are re-declared on the copy, so the text can be written
 * back anywhere (or handed out by GetMetadata) and still parse. */
static char *
element_dump (xmlNode *node)
{
  xmlDoc *doc = xmlNewDoc ((const xmlChar *) "1.0");
  xmlNode *copy = xmlDocCopyNode (node, doc, 1);
  xmlBuffer *buf;
  char *ret = NULL;

  if (copy == NULL) {
    xmlFreeDoc (doc);
    return NULL;
  }
  xmlDocSetRootElement (doc, copy);
  xmlReconciliateNs (doc, copy);
  buf = xmlBufferCreate ();
  if (xmlNodeDump (buf, doc, copy, 0, 0) >= 0)
    ret = g_strdup ((const char *) xmlBufferContent (buf));
  xmlBufferFree (buf);
  xmlFreeDoc (doc);
  return ret;
}

static gboolean
metadata_parse (xmlNode *node, VbDomainDef *def, GError **error)
{
  for (xmlNode *c = node->children; c != NULL; c = c->next) {
    VbDomainMetadataEntry *e;
    if (c->type != XML_ELEMENT_NODE)
      continue;
    e = g_new0 (VbDomainMetadataEntry, 1);
    e->uri = (c->ns && c->ns->href) ? g_strdup ((const char *) c->ns->href) : NULL;
    e->xml = element_dump (c);
    g_ptr_array_add (def->metadata, e);
    if (e->xml == NULL)
      return vb_xml_fail (error, c, "cannot serialize metadata element");
    vb_xml_mark_subtree (c);
  }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* OS                                                                   */

static void
os_clear (VbDomainOsDef *os)
{
  g_free (os->arch);
  g_free (os->machine);
  g_free (os->loader_path);
  g_free (os->nvram_path);
  g_free (os->nvram_template);
  g_free (os->kernel);
  g_free (os->initrd);
  g_free (os->cmdline);
  g_free (os->dtb);
  memset (os, 0, sizeof *os);
}

static void
os_copy (VbDomainOsDef *dst, const VbDomainOsDef *src)
{
  *dst = *src;
  dst->arch = g_strdup (src->arch);
  dst->machine = g_strdup (src->machine);
  dst->loader_path = g_strdup (src->loader_path);
  dst->nvram_path = g_strdup (src->nvram_path);
  dst->nvram_template = g_strdup (src->nvram_template);
  dst->kernel = g_strdup (src->kernel);
  dst->initrd = g_strdup (src->initrd);
  dst->cmdline = g_strdup (src->cmdline);
  dst->dtb = g_strdup (src->dtb);
}

/* Text of @node as an optional absolute path (empty = absent). */
static gboolean
node_path (xmlNode *node, char **out, GError **error)
{
  g_autofree char *text = vb_xml_text (node);
  g_strstrip (text);
  if (*text == '\0')
    return TRUE;
  if (check_string (STR_PATH, text) != NULL)
    return vb_xml_fail (error, node, "'%s' is not an absolute path", text);
  g_free (*out);
  *out = g_steal_pointer (&text);
  return TRUE;
}

static gboolean
os_parse (xmlNode *node, VbDomainOsDef *os, GError **error)
{
  g_autofree char *type = NULL;
  xmlNode *n;
  int v = 0;

  /* Start from nothing: the parser applies the defaults at the end. */
  os->n_boot_devs = 0;
  if (!attr_enum (node, "firmware", firmware_names, 1, FALSE, &v, error))
    return FALSE;
  os->firmware = v;

  n = vb_xml_child (node, "type");
  if (n == NULL)
    return vb_xml_fail (error, node, "missing <type>");
  type = g_strstrip (vb_xml_text (n));
  v = enum_lookup (os_type_names, type);
  if (v < 0)
    return vb_xml_fail (error, n, "unsupported OS type '%s' (supported: 'hvm', 'linux')", type);
  os->type = v;
  g_clear_pointer (&os->arch, g_free);
  if (!attr_str (n, "arch", STR_TEXT, FALSE, &os->arch, error))
    return FALSE;
  if (os->arch && enum_lookup (arch_names, os->arch) < 0)
    return vb_xml_fail (error, n, "attribute 'arch': unknown architecture '%s'", os->arch);
  if (!attr_str (n, "machine", STR_TEXT, FALSE, &os->machine, error))
    return FALSE;
  if (os->machine && !chars_in (os->machine, "_.-"))
    return vb_xml_fail (error, n, "attribute 'machine': '%s' is not a machine type", os->machine);

  if ((n = vb_xml_child (node, "firmware")) != NULL) {
    for (xmlNode *f = vb_xml_next (n, NULL, "feature"); f; f = vb_xml_next (n, f, "feature")) {
      static const char *const fw_features[] = { "enrolled-keys", "secure-boot", NULL };
      VbDomainTristate enabled = VB_DOMAIN_TRISTATE_ABSENT;
      VbDomainTristate *slot;
      if (!attr_enum (f, "name", fw_features, 0, TRUE, &v, error))
        return FALSE;
      slot = v == 0 ? &os->fw_enrolled_keys : &os->fw_secure_boot;
      if (*slot != VB_DOMAIN_TRISTATE_ABSENT)
        return vb_xml_fail (error, f, "firmware feature '%s' given twice", fw_features[v]);
      if (!attr_tristate_required (f, "enabled", FALSE, &enabled, error))
        return FALSE;
      *slot = enabled;
    }
    if (os->fw_enrolled_keys == VB_DOMAIN_TRISTATE_ABSENT && os->fw_secure_boot == VB_DOMAIN_TRISTATE_ABSENT)
      return vb_xml_fail (error, n, "needs at least one <feature>");
  }

  if ((n = vb_xml_child (node, "loader")) != NULL) {
    os->has_loader = TRUE;
    if (!attr_tristate (n, "readonly", FALSE, &os->loader_readonly, error) ||
        !attr_tristate (n, "secure", FALSE, &os->loader_secure, error))
      return FALSE;
    v = 0;
    if (!attr_enum (n, "type", loader_type_names, 1, FALSE, &v, error))
      return FALSE;
    os->loader_type = v;
    if (!node_path (n, &os->loader_path, error))
      return FALSE;
  }
  if ((n = vb_xml_child (node, "nvram")) != NULL) {
    os->has_nvram = TRUE;
    if (!attr_str (n, "template", STR_PATH, FALSE, &os->nvram_template, error) ||
        !node_path (n, &os->nvram_path, error))
      return FALSE;
  }
  if (!child_str (node, "kernel", STR_PATH, &os->kernel, error) ||
      !child_str (node, "initrd", STR_PATH, &os->initrd, error) ||
      !child_str (node, "dtb", STR_PATH, &os->dtb, error))
    return FALSE;
  if ((n = vb_xml_child (node, "cmdline")) != NULL) {
    if (!node_text (n, FALSE, TRUE, &os->cmdline, error))
      return FALSE;
  }

  for (n = vb_xml_next (node, NULL, "boot"); n != NULL; n = vb_xml_next (node, n, "boot")) {
    v = 0;
    if (!attr_enum (n, "dev", boot_dev_names, 0, TRUE, &v, error))
      return FALSE;
    if (os->n_boot_devs >= VB_DOMAIN_MAX_BOOT_DEVS)
      return vb_xml_fail (error, n, "at most %d <boot> devices are supported", VB_DOMAIN_MAX_BOOT_DEVS);
    for (guint i = 0; i < os->n_boot_devs; i++)
      if (os->boot_devs[i] == (VbDomainBootDev) v)
        return vb_xml_fail (error, n, "boot device '%s' listed twice", boot_dev_names[v]);
    os->boot_devs[os->n_boot_devs++] = v;
  }
  if ((n = vb_xml_child (node, "bootmenu")) != NULL) {
    if (!attr_tristate_required (n, "enable", FALSE, &os->bootmenu_enable, error) ||
        !attr_uint (n, "timeout", 0, 65535, FALSE, &os->bootmenu_timeout, &os->has_bootmenu_timeout, error))
      return FALSE;
  }
  if ((n = vb_xml_child (node, "smbios")) != NULL) {
    v = 0;
    if (!attr_enum (n, "mode", smbios_names, 1, TRUE, &v, error))
      return FALSE;
    os->smbios = v;
  }
  return TRUE;
}

static void
os_format (VbXmlWriter *w, const VbDomainOsDef *os)
{
  g_autoptr(GPtrArray) pool = POOL ();

  vb_xml_writer_start (w, "os", "firmware", enum_str (firmware_names, 1, os->firmware), NULL);
  vb_xml_writer_element (w, "type", enum_str (os_type_names, 0, os->type), "arch", os->arch,
                         "machine", os->machine, NULL);
  if (os->fw_enrolled_keys || os->fw_secure_boot) {
    vb_xml_writer_start (w, "firmware", NULL);
    if (os->fw_enrolled_keys)
      vb_xml_writer_empty (w, "feature", "enabled", tristate_str (os->fw_enrolled_keys, FALSE),
                           "name", "enrolled-keys", NULL);
    if (os->fw_secure_boot)
      vb_xml_writer_empty (w, "feature", "enabled", tristate_str (os->fw_secure_boot, FALSE),
                           "name", "secure-boot", NULL);
    vb_xml_writer_end (w);
  }
  if (os->has_loader || os->loader_path) {
    const char *attrs[] = {
      "readonly", tristate_str (os->loader_readonly, FALSE), "secure", tristate_str (os->loader_secure, FALSE),
      "type", enum_str (loader_type_names, 1, os->loader_type),
    };
    if (os->loader_path)
      vb_xml_writer_element (w, "loader", os->loader_path, attrs[0], attrs[1], attrs[2], attrs[3],
                             attrs[4], attrs[5], NULL);
    else
      vb_xml_writer_empty (w, "loader", attrs[0], attrs[1], attrs[2], attrs[3], attrs[4], attrs[5], NULL);
  }
  if (os->has_nvram || os->nvram_path || os->nvram_template) {
    if (os->nvram_path)
      vb_xml_writer_element (w, "nvram", os->nvram_path, "template", os->nvram_template, NULL);
    else
      vb_xml_writer_empty (w, "nvram", "template", os->nvram_template, NULL);
  }
  vb_xml_writer_element (w, "kernel", os->kernel, NULL);
  vb_xml_writer_element (w, "initrd", os->initrd, NULL);
  vb_xml_writer_element (w, "cmdline", os->cmdline, NULL);
  vb_xml_writer_element (w, "dtb", os->dtb, NULL);
  for (guint i = 0; i < os->n_boot_devs && i < VB_DOMAIN_MAX_BOOT_DEVS; i++)
    vb_xml_writer_empty (w, "boot", "dev", enum_str (boot_dev_names, 0, os->boot_devs[i]), NULL);
  if (os->bootmenu_enable)
    vb_xml_writer_empty (w, "bootmenu", "enable", tristate_str (os->bootmenu_enable, FALSE),
                         "timeout", os->has_bootmenu_timeout ? sp_u (pool, os->bootmenu_timeout) : NULL, NULL);
  if (os->smbios)
    vb_xml_writer_empty (w, "smbios", "mode", enum_str (smbios_names, 1, os->smbios), NULL);
  vb_xml_writer_end (w);
}

/* ------------------------------------------------------------------ */
/* Features                                                             */

/* <name state='on|off'/>, where a missing state means on. */
static gboolean
feature_state (xmlNode *parent, const char *name, VbDomainTristate *out, GError **error)
{
  xmlNode *n = vb_xml_child (parent, name);
  if (n == NULL)
    return TRUE;
  *out = VB_DOMAIN_TRISTATE_YES;
  return attr_tristate (n, "state", TRUE, out, error);
}

static const char *const hyperv_mode_names[] = { "custom", "passthrough", NULL }; /* from 1 */
static const char *const hyperv_feature_names[] = {
  "relaxed", "vapic", "spinlocks", "vpindex", "runtime", "synic", "stimer", "reset", "vendor_id", "frequencies",
  "reenlightenment", "tlbflush", "ipi", "evmcs", "avic", NULL
};
G_STATIC_ASSERT (G_N_ELEMENTS (hyperv_feature_names) == VB_DOMAIN_HYPERV_LAST + 1);
G_STATIC_ASSERT (G_N_ELEMENTS (hyperv_mode_names) == VB_DOMAIN_HYPERV_MODE_LAST);

const char *
vb_domain_hyperv_feature_to_string (VbDomainHypervFeature feature)
{
  return feature < VB_DOMAIN_HYPERV_LAST ? hyperv_feature_names[feature] : NULL;
}

/* <hyperv mode='custom|passthrough'>: each enlightenment has a required
 * state; spinlocks on needs retries (>= 4095, as Hyper-V), vendor_id on a
 * value of up to 12 characters. */
static gboolean
hyperv_parse (xmlNode *node, VbDomainFeatures *f, GError **error)
{
  int v = VB_DOMAIN_HYPERV_MODE_CUSTOM;

  if (!attr_enum (node, "mode", hyperv_mode_names, 1, FALSE, &v, error))
    return FALSE;
  f->hyperv_mode = v;
  for (int i = 0; i < VB_DOMAIN_HYPERV_LAST; i++) {
    xmlNode *n = vb_xml_child (node, hyperv_feature_names[i]);

    if (n == NULL)
      continue;
    if (f->hyperv_mode == VB_DOMAIN_HYPERV_MODE_PASSTHROUGH)
      return vb_xml_fail (error, n, "<hyperv mode='passthrough'> takes no enlightenments (it passes all the host has)");
    if (!attr_tristate_required (n, "state", TRUE, &f->hyperv[i], error))
      return FALSE;
    switch (i) {
    case VB_DOMAIN_HYPERV_SPINLOCKS: {
      gboolean present = FALSE;
      if (!attr_uint (n, "retries", 0, G_MAXUINT32, FALSE, &f->hyperv_spinlock_retries, &present, error))
        return FALSE;
      if (f->hyperv[i] == VB_DOMAIN_TRISTATE_YES && !present)
        return vb_xml_fail (error, n, "missing attribute 'retries' (the spinlock retry count)");
      if (present && f->hyperv_spinlock_retries < 4095)
        return vb_xml_fail (error, n, "attribute 'retries': the spinlock retry count must be at least 4095");
      break;
    }
    case VB_DOMAIN_HYPERV_STIMER: {
      xmlNode *direct = vb_xml_child (n, "direct");
      if (direct != NULL && !attr_tristate_required (direct, "state", TRUE, &f->hyperv_stimer_direct, error))
        return FALSE;
      break;
    }
    case VB_DOMAIN_HYPERV_VENDOR_ID: {
      g_autofree char *value = NULL;
      if (!attr_str (n, "value", STR_TEXT, FALSE, &value, error))
        return FALSE;
      if (f->hyperv[i] == VB_DOMAIN_TRISTATE_YES && value == NULL)
        return vb_xml_fail (error, n, "missing attribute 'value' (the Hyper-V vendor id)");
      if (value != NULL && (strlen (value) > 12 || strchr (value, ',') != NULL))
        return vb_xml_fail (error, n, "attribute 'value': a Hyper-V vendor id has at most 12 characters and no comma");
      if (value != NULL)
        g_strlcpy (f->hyperv_vendor_id, value, sizeof f->hyperv_vendor_id);
      break;
    }
    default:
      break;
    }
  }
  return TRUE;
}

static void
hyperv_format (VbXmlWriter *w, const VbDomainFeatures *f)
{
  g_autoptr(GPtrArray) pool = POOL ();
  gboolean any = FALSE;

  if (f->hyperv_mode == VB_DOMAIN_HYPERV_MODE_NONE)
    return;
  for (int i = 0; i < VB_DOMAIN_HYPERV_LAST; i++)
    any |= f->hyperv[i] != VB_DOMAIN_TRISTATE_ABSENT;
  if (!any) {
    vb_xml_writer_empty (w, "hyperv", "mode", enum_str (hyperv_mode_names, 1, f->hyperv_mode), NULL);
    return;
  }
  vb_xml_writer_start (w, "hyperv", "mode", enum_str (hyperv_mode_names, 1, f->hyperv_mode), NULL);
  for (int i = 0; i < VB_DOMAIN_HYPERV_LAST; i++) {
    const char *state = tristate_str (f->hyperv[i], TRUE);

    if (f->hyperv[i] == VB_DOMAIN_TRISTATE_ABSENT)
      continue;
    switch (i) {
    case VB_DOMAIN_HYPERV_SPINLOCKS:
      vb_xml_writer_empty (w, hyperv_feature_names[i], "state", state, "retries",
                           f->hyperv_spinlock_retries ? sp_u (pool, f->hyperv_spinlock_retries) : NULL, NULL);
      break;
    case VB_DOMAIN_HYPERV_STIMER:
      if (f->hyperv_stimer_direct) {
        vb_xml_writer_start (w, hyperv_feature_names[i], "state", state, NULL);
        vb_xml_writer_empty (w, "direct", "state", tristate_str (f->hyperv_stimer_direct, TRUE), NULL);
        vb_xml_writer_end (w);
      } else {
        vb_xml_writer_empty (w, hyperv_feature_names[i], "state", state, NULL);
      }
      break;
    case VB_DOMAIN_HYPERV_VENDOR_ID:
      vb_xml_writer_empty (w, hyperv_feature_names[i], "state", state, "value",
                           f->hyperv_vendor_id[0] ? f->hyperv_vendor_id : NULL, NULL);
      break;
    default:
      vb_xml_writer_empty (w, hyperv_feature_names[i], "state", state, NULL);
      break;
    }
  }
  vb_xml_writer_end (w);
}

static gboolean
features_parse (xmlNode *node, VbDomainFeatures *f, GError **error)
{
  xmlNode *n;
  int v;

  f->acpi = vb_xml_child (node, "acpi") != NULL;
  f->apic = vb_xml_child (node, "apic") != NULL;
  f->pae = vb_xml_child (node, "pae") != NULL;
  if (!feature_state (node, "hap", &f->hap, error) ||
      !feature_state (node, "vmport", &f->vmport, error) ||
      !feature_state (node, "smm", &f->smm, error) ||
      !feature_state (node, "pvspinlock", &f->pvspinlock, error) ||
      !feature_state (node, "pmu", &f->pmu, error) ||
      !feature_state (node, "vmcoreinfo", &f->vmcoreinfo, error))
    return FALSE;
  if ((n = vb_xml_child (node, "hyperv")) != NULL && !hyperv_parse (n, f, error))
    return FALSE;
  if ((n = vb_xml_child (node, "kvm")) != NULL) {
    xmlNode *hidden = vb_xml_child (n, "hidden");
    if (hidden) {
      if (!attr_tristate_required (hidden, "state", TRUE, &f->kvm_hidden, error))
        return FALSE;
    }
  }
  if ((n = vb_xml_child (node, "ioapic")) != NULL) {
    v = 0;
    if (!attr_enum (n, "driver", ioapic_names, 1, TRUE, &v, error))
      return FALSE;
    f->ioapic = v;
  }
  if ((n = vb_xml_child (node, "gic")) != NULL) {
    v = VB_DOMAIN_GIC_DEFAULT;
    if (!attr_enum (n, "version", gic_names, 2, FALSE, &v, error))
      return FALSE;
    f->gic = v;
  }
  return TRUE;
}

static gboolean
features_any (const VbDomainFeatures *f)
{
  return f->acpi || f->apic || f->pae || f->hap || f->vmport || f->smm || f->pvspinlock || f->pmu ||
         f->vmcoreinfo || f->kvm_hidden || f->ioapic || f->gic || f->hyperv_mode;
}

static void
features_format (VbXmlWriter *w, const VbDomainFeatures *f)
{
  const struct { const char *name; VbDomainTristate state; } states[] = {
    { "pvspinlock", f->pvspinlock }, { "pmu", f->pmu },
    { "vmport", f->vmport }, { "smm", f->smm }, { "vmcoreinfo", f->vmcoreinfo },
  };

  if (!features_any (f))
    return;
  vb_xml_writer_start (w, "features", NULL);
  if (f->acpi)
    vb_xml_writer_empty (w, "acpi", NULL);
  if (f->apic)
    vb_xml_writer_empty (w, "apic", NULL);
  if (f->pae)
    vb_xml_writer_empty (w, "pae", NULL);
  if (f->hap)
    vb_xml_writer_empty (w, "hap", "state", tristate_str (f->hap, TRUE), NULL);
  hyperv_format (w, f);
  for (gsize i = 0; i < G_N_ELEMENTS (states); i++)
    if (states[i].state)
      vb_xml_writer_empty (w, states[i].name, "state", tristate_str (states[i].state, TRUE), NULL);
  if (f->kvm_hidden) {
    vb_xml_writer_start (w, "kvm", NULL);
    vb_xml_writer_empty (w, "hidden", "state", tristate_str (f->kvm_hidden, TRUE), NULL);
    vb_xml_writer_end (w);
  }
  if (f->gic)
    vb_xml_writer_empty (w, "gic", "version", enum_str (gic_names, 2, f->gic), NULL);
  if (f->ioapic)
    vb_xml_writer_empty (w, "ioapic", "driver", enum_str (ioapic_names, 1, f->ioapic), NULL);
  vb_xml_writer_end (w);
}

/* ------------------------------------------------------------------ */
/* CPU                                                                  */

static void
cpu_feature_free (gpointer p)
{
  VbDomainCpuFeature *f = p;
  if (f == NULL)
    return;
  g_free (f->name);
  g_free (f);
}

static void
numa_cell_free (gpointer p)
{
  VbDomainNumaCell *c = p;
  if (c == NULL)
    return;
  g_free (c->cpus);
  g_free (c);
}

static VbDomainCpuDef *
cpu_new (void)
{
  VbDomainCpuDef *cpu = g_new0 (VbDomainCpuDef, 1);
  cpu->features = g_ptr_array_new_with_free_func (cpu_feature_free);
  cpu->numa = g_ptr_array_new_with_free_func (numa_cell_free);
  return cpu;
}

void
vb_domain_cpu_def_free (VbDomainCpuDef *cpu)
{
  if (cpu == NULL)
    return;
  g_free (cpu->model);
  g_free (cpu->vendor);
  g_ptr_array_unref (cpu->features);
  g_ptr_array_unref (cpu->numa);
  g_free (cpu);
}

VbDomainCpuDef *
vb_domain_cpu_def_copy (const VbDomainCpuDef *s)
{
  VbDomainCpuDef *cpu = cpu_new ();
  GPtrArray *features = cpu->features, *numa = cpu->numa;

  *cpu = *s;
  cpu->features = features;
  cpu->numa = numa;
  cpu->model = g_strdup (s->model);
  cpu->vendor = g_strdup (s->vendor);
  for (guint i = 0; i < s->features->len; i++) {
    const VbDomainCpuFeature *sf = g_ptr_array_index (s->features, i);
    VbDomainCpuFeature *f = g_new0 (VbDomainCpuFeature, 1);
    f->policy = sf->policy;
    f->name = g_strdup (sf->name);
    g_ptr_array_add (cpu->features, f);
  }
  for (guint i = 0; i < s->numa->len; i++) {
    const VbDomainNumaCell *sc = g_ptr_array_index (s->numa, i);
    VbDomainNumaCell *c = g_new0 (VbDomainNumaCell, 1);
    *c = *sc;
    c->cpus = g_strdup (sc->cpus);
    g_ptr_array_add (cpu->numa, c);
  }
  return cpu;
}

static VbDomainCpuDef *
cpu_parse (xmlNode *node, GError **error)
{
  g_autoptr(VbDomainCpuDef) cpu = cpu_new ();
  g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  xmlNode *n;
  int v = 0;

  if (!attr_enum (node, "mode", cpu_mode_names, 0, FALSE, &v, error))
    return NULL;
  cpu->mode = v;
  v = 0;
  if (!attr_enum (node, "match", cpu_match_names, 1, FALSE, &v, error))
    return NULL;
  cpu->match = v;
  v = 0;
  if (!attr_enum (node, "check", cpu_check_names, 1, FALSE, &v, error))
    return NULL;
  cpu->check = v;
  if (!attr_tristate (node, "migratable", TRUE, &cpu->migratable, error))
    return NULL;
  if (cpu->migratable && cpu->mode != VB_DOMAIN_CPU_MODE_HOST_PASSTHROUGH && cpu->mode != VB_DOMAIN_CPU_MODE_MAXIMUM)
    return vb_xml_fail (error, node, "'migratable' is only for modes host-passthrough and maximum"), NULL;

  if ((n = vb_xml_child (node, "model")) != NULL) {
    g_autofree char *model = g_strstrip (vb_xml_text (n));
    v = 0;
    if (!attr_enum (n, "fallback", cpu_fallback_names, 1, FALSE, &v, error))
      return NULL;
    cpu->fallback = v;
    if (*model != '\0') {
      if (cpu->mode != VB_DOMAIN_CPU_MODE_CUSTOM)
        return vb_xml_fail (error, n, "a CPU model name is only allowed with mode='custom'"), NULL;
      if (!chars_in (model, "_.+-"))
        return vb_xml_fail (error, n, "'%s' is not a CPU model name", model), NULL;
      cpu->model = g_steal_pointer (&model);
    }
  }
  if ((n = vb_xml_child (node, "vendor")) != NULL) {
    if (cpu->mode != VB_DOMAIN_CPU_MODE_CUSTOM)
      return vb_xml_fail (error, n, "a CPU vendor is only allowed with mode='custom'"), NULL;
    if (!node_text (n, FALSE, FALSE, &cpu->vendor, error))
      return NULL;
  }
  if ((n = vb_xml_child (node, "topology")) != NULL) {
    if (!attr_uint (n, "sockets", 1, MAX_VCPUS, TRUE, &cpu->sockets, NULL, error) ||
        !attr_uint (n, "dies", 1, MAX_VCPUS, FALSE, &cpu->dies, NULL, error) ||
        !attr_uint (n, "cores", 1, MAX_VCPUS, TRUE, &cpu->cores, NULL, error) ||
        !attr_uint (n, "threads", 1, MAX_VCPUS, TRUE, &cpu->threads, NULL, error))
      return NULL;
  }
  for (n = vb_xml_next (node, NULL, "feature"); n != NULL; n = vb_xml_next (node, n, "feature")) {
    VbDomainCpuFeature *f = g_new0 (VbDomainCpuFeature, 1);
    g_ptr_array_add (cpu->features, f);
    v = VB_DOMAIN_CPU_FEATURE_REQUIRE;
    if (!attr_enum (n, "policy", cpu_feature_policy_names, 0, FALSE, &v, error) ||
        !attr_str (n, "name", STR_TEXT, TRUE, &f->name, error))
      return NULL;
    f->policy = v;
    if (!chars_in (f->name, "_.-"))
      return vb_xml_fail (error, n, "attribute 'name': '%s' is not a CPU feature name", f->name), NULL;
    if (!g_hash_table_add (names, f->name))
      return vb_xml_fail (error, n, "CPU feature '%s' listed twice", f->name), NULL;
  }
  if ((n = vb_xml_child (node, "numa")) != NULL) {
    xmlNode *c;
    for (c = vb_xml_next (n, NULL, "cell"); c != NULL; c = vb_xml_next (n, c, "cell")) {
      VbDomainNumaCell *cell = g_new0 (VbDomainNumaCell, 1);
      g_autofree char *mem = NULL;
      g_autofree char *unit = NULL;
      g_autoptr(GError) local = NULL;
      gboolean has_id = FALSE;

      g_ptr_array_add (cpu->numa, cell);
      if (!attr_uint (c, "id", 0, G_MAXINT, FALSE, &cell->id, &has_id, error))
        return NULL;
      if (!has_id)
        cell->id = cpu->numa->len - 1;
      if (cell->id != cpu->numa->len - 1)
        return vb_xml_fail (error, c, "NUMA cell ids must be 0, 1, 2, ... in order"), NULL;
      if (!attr_cpuset (c, "cpus", &cell->cpus, NULL, error))
        return NULL;
      mem = vb_xml_prop (c, "memory");
      unit = vb_xml_prop (c, "unit");
      if (mem == NULL)
        return vb_xml_fail (error, c, "missing attribute 'memory'"), NULL;
      if (!vb_parse_scaled (mem, unit, 1024, 1024, MAX_MEMORY_KIB, &cell->memory_kib, &local))
        return vb_xml_fail (error, c, "attribute 'memory': %s", local->message), NULL;
      v = 0;
      if (!attr_enum (c, "memAccess", numa_mem_access_names, 1, FALSE, &v, error))
        return NULL;
      cell->mem_access = v;
    }
    if (cpu->numa->len == 0)
      return vb_xml_fail (error, n, "needs at least one <cell>"), NULL;
  }
  return g_steal_pointer (&cpu);
}

static void
cpu_format (VbXmlWriter *w, const VbDomainCpuDef *cpu)
{
  g_autoptr(GPtrArray) pool = POOL ();

  vb_xml_writer_start (w, "cpu", "mode", enum_str (cpu_mode_names, 0, cpu->mode),
                       "match", enum_str (cpu_match_names, 1, cpu->match),
                       "check", enum_str (cpu_check_names, 1, cpu->check),
                       "migratable", tristate_str (cpu->migratable, TRUE), NULL);
  if (cpu->model)
    vb_xml_writer_element (w, "model", cpu->model, "fallback", enum_str (cpu_fallback_names, 1, cpu->fallback), NULL);
  else if (cpu->fallback)
    vb_xml_writer_empty (w, "model", "fallback", enum_str (cpu_fallback_names, 1, cpu->fallback), NULL);
  vb_xml_writer_element (w, "vendor", cpu->vendor, NULL);
  if (cpu->sockets)
    vb_xml_writer_empty (w, "topology", "sockets", sp_u (pool, cpu->sockets),
                         "dies", cpu->dies ? sp_u (pool, cpu->dies) : NULL,
                         "cores", sp_u (pool, cpu->cores), "threads", sp_u (pool, cpu->threads), NULL);
  for (guint i = 0; i < cpu->features->len; i++) {
    const VbDomainCpuFeature *f = g_ptr_array_index (cpu->features, i);
    vb_xml_writer_empty (w, "feature", "policy", enum_str (cpu_feature_policy_names, 0, f->policy),
                         "name", f->name, NULL);
  }
  if (cpu->numa->len) {
    vb_xml_writer_start (w, "numa", NULL);
    for (guint i = 0; i < cpu->numa->len; i++) {
      const VbDomainNumaCell *c = g_ptr_array_index (cpu->numa, i);
      vb_xml_writer_empty (w, "cell", "id", sp_u (pool, c->id), "cpus", c->cpus,
                           "memory", sp_u (pool, c->memory_kib), "unit", "KiB",
                           "memAccess", enum_str (numa_mem_access_names, 1, c->mem_access), NULL);
    }
    vb_xml_writer_end (w);
  }
  vb_xml_writer_end (w);
}

/* ------------------------------------------------------------------ */
/* Clock                                                                */

static gboolean
clock_parse (xmlNode *node, VbDomainClockDef *clock, GError **error)
{
  g_autofree char *adjustment = NULL;
  guint seen = 0;
  int v = 0;

  if (!attr_enum (node, "offset", clock_offset_names, 0, TRUE, &v, error))
    return FALSE;
  clock->offset = v;
  if (clock->offset != VB_DOMAIN_CLOCK_TIMEZONE) {
    adjustment = vb_xml_prop (node, "adjustment");
    if (adjustment) {
      const char *p = adjustment;
      char *end = NULL;
      gint64 adj;
      if (*p == '+' || *p == '-')
        p++;
      if (!g_ascii_isdigit (*p))
        return vb_xml_fail (error, node, "attribute 'adjustment': '%s' is not a number of seconds", adjustment);
      adj = g_ascii_strtoll (adjustment, &end, 10);
      if (*end != '\0' || adj == G_MAXINT64 || adj == G_MININT64)
        return vb_xml_fail (error, node, "attribute 'adjustment': '%s' is not a number of seconds", adjustment);
      /* An adjusted utc/localtime clock is a variable one, as in libvirt. */
      if (clock->offset != VB_DOMAIN_CLOCK_VARIABLE) {
        clock->basis = clock->offset == VB_DOMAIN_CLOCK_LOCALTIME ? VB_DOMAIN_CLOCK_BASIS_LOCALTIME
                                                                   : VB_DOMAIN_CLOCK_BASIS_UTC;
        clock->offset = VB_DOMAIN_CLOCK_VARIABLE;
      }
      clock->adjustment = adj;
    }
  }
  if (clock->offset == VB_DOMAIN_CLOCK_VARIABLE) {
    clock->has_adjustment = TRUE;
    if (v == VB_DOMAIN_CLOCK_VARIABLE) {
      int basis = VB_DOMAIN_CLOCK_BASIS_UTC;
      if (!attr_enum (node, "basis", clock_basis_names, 0, FALSE, &basis, error))
        return FALSE;
      clock->basis = basis;
    }
  }
  if (clock->offset == VB_DOMAIN_CLOCK_TIMEZONE) {
    if (!attr_str (node, "timezone", STR_TEXT, FALSE, &clock->timezone, error))
      return FALSE;
    if (clock->timezone && !chars_in (clock->timezone, "_.+-/"))
      return vb_xml_fail (error, node, "attribute 'timezone': '%s' is not a time zone name", clock->timezone);
  }

  for (xmlNode *n = vb_xml_next (node, NULL, "timer"); n != NULL; n = vb_xml_next (node, n, "timer")) {
    VbDomainTimerDef *t = g_new0 (VbDomainTimerDef, 1);
    g_ptr_array_add (clock->timers, t);
    v = 0;
    if (!attr_enum (n, "name", timer_names, 0, TRUE, &v, error))
      return FALSE;
    t->name = v;
    if (seen & (1u << t->name))
      return vb_xml_fail (error, n, "timer '%s' listed twice", timer_names[t->name]);
    seen |= 1u << t->name;
    if (!attr_tristate (n, "present", FALSE, &t->present, error))
      return FALSE;
    if (t->name != VB_DOMAIN_TIMER_KVMCLOCK && t->name != VB_DOMAIN_TIMER_HYPERVCLOCK) {
      v = 0;
      if (!attr_enum (n, "tickpolicy", timer_tickpolicy_names, 1, FALSE, &v, error))
        return FALSE;
      t->tickpolicy = v;
    }
    if (t->name == VB_DOMAIN_TIMER_RTC || t->name == VB_DOMAIN_TIMER_PLATFORM) {
      v = 0;
      if (!attr_enum (n, "track", timer_track_names, 1, FALSE, &v, error))
        return FALSE;
      t->track = v;
    }
  }
  return TRUE;
}

static void
clock_format (VbXmlWriter *w, const VbDomainClockDef *clock)
{
  g_autoptr(GPtrArray) pool = POOL ();
  gboolean variable = clock->offset == VB_DOMAIN_CLOCK_VARIABLE;

  vb_xml_writer_start (w, "clock", "offset", enum_str (clock_offset_names, 0, clock->offset),
                       "adjustment", variable ? sp (pool, "%" G_GINT64_FORMAT, clock->adjustment) : NULL,
                       "basis", variable ? enum_str (clock_basis_names, 0, clock->basis) : NULL,
                       "timezone", clock->offset == VB_DOMAIN_CLOCK_TIMEZONE ? clock->timezone : NULL, NULL);
  for (guint i = 0; i < clock->timers->len; i++) {
    const VbDomainTimerDef *t = g_ptr_array_index (clock->timers, i);
    vb_xml_writer_empty (w, "timer", "name", enum_str (timer_names, 0, t->name),
                         "tickpolicy", enum_str (timer_tickpolicy_names, 1, t->tickpolicy),
                         "track", enum_str (timer_track_names, 1, t->track),
                         "present", tristate_str (t->present, FALSE), NULL);
  }
  vb_xml_writer_end (w);
}

/* ------------------------------------------------------------------ */
/* Memory backing                                                       */

static void
hugepage_free (gpointer p)
{
  VbDomainHugepage *h = p;
  if (h == NULL)
    return;
  g_free (h->nodeset);
  g_free (h);
}

static gboolean
memory_backing_parse (xmlNode *node, VbDomainMemoryBacking *mb, GError **error)
{
  xmlNode *n;
  int v;

  if ((n = vb_xml_child (node, "hugepages")) != NULL) {
    mb->hugepages = TRUE;
    for (xmlNode *p = vb_xml_next (n, NULL, "page"); p != NULL; p = vb_xml_next (n, p, "page")) {
      VbDomainHugepage *h = g_new0 (VbDomainHugepage, 1);
      g_autofree char *size = vb_xml_prop (p, "size");
      g_autofree char *unit = vb_xml_prop (p, "unit");
      g_autoptr(GError) local = NULL;

      g_ptr_array_add (mb->pages, h);
      if (size == NULL)
        return vb_xml_fail (error, p, "missing attribute 'size'");
      if (!vb_parse_scaled (size, unit, 1024, 1024, MAX_MEMORY_KIB, &h->size_kib, &local))
        return vb_xml_fail (error, p, "attribute 'size': %s", local->message);
      if (h->size_kib == 0)
        return vb_xml_fail (error, p, "attribute 'size' must not be 0");
      if (!attr_cpuset (p, "nodeset", &h->nodeset, NULL, error))
        return FALSE;
    }
  }
  mb->nosharepages = vb_xml_child (node, "nosharepages") != NULL;
  mb->locked = vb_xml_child (node, "locked") != NULL;
  mb->discard = vb_xml_child (node, "discard") != NULL;
  if ((n = vb_xml_child (node, "source")) != NULL) {
    v = 0;
    if (!attr_enum (n, "type", memory_source_names, 1, TRUE, &v, error))
      return FALSE;
    mb->source = v;
  }
  if ((n = vb_xml_child (node, "access")) != NULL) {
    v = 0;
    if (!attr_enum (n, "mode", memory_access_names, 1, TRUE, &v, error))
      return FALSE;
    mb->access = v;
  }
  if ((n = vb_xml_child (node, "allocation")) != NULL) {
    v = 0;
    if (!attr_enum (n, "mode", memory_allocation_names, 1, FALSE, &v, error))
      return FALSE;
    mb->allocation = v;
  }
  return TRUE;
}

static void
memory_backing_format (VbXmlWriter *w, const VbDomainMemoryBacking *mb)
{
  g_autoptr(GPtrArray) pool = POOL ();

  if (!mb->hugepages && !mb->nosharepages && !mb->locked && !mb->discard && !mb->source && !mb->access &&
      !mb->allocation)
    return;
  vb_xml_writer_start (w, "memoryBacking", NULL);
  if (mb->hugepages) {
    vb_xml_writer_start (w, "hugepages", NULL);
    for (guint i = 0; i < mb->pages->len; i++) {
      const VbDomainHugepage *h = g_ptr_array_index (mb->pages, i);
      vb_xml_writer_empty (w, "page", "size", sp_u (pool, h->size_kib), "unit", "KiB", "nodeset", h->nodeset, NULL);
    }
    vb_xml_writer_end (w);
  }
  if (mb->nosharepages)
    vb_xml_writer_empty (w, "nosharepages", NULL);
  if (mb->locked)
    vb_xml_writer_empty (w, "locked", NULL);
  if (mb->source)
    vb_xml_writer_empty (w, "source", "type", enum_str (memory_source_names, 1, mb->source), NULL);
  if (mb->access)
    vb_xml_writer_empty (w, "access", "mode", enum_str (memory_access_names, 1, mb->access), NULL);
  if (mb->allocation)
    vb_xml_writer_empty (w, "allocation", "mode", enum_str (memory_allocation_names, 1, mb->allocation), NULL);
  if (mb->discard)
    vb_xml_writer_empty (w, "discard", NULL);
  vb_xml_writer_end (w);
}

/* ------------------------------------------------------------------ */
/* Security labels                                                      */

static void
seclabel_free (gpointer p)
{
  VbDomainSeclabelDef *s = p;
  if (s == NULL)
    return;
  g_free (s->model);
  g_free (s->label);
  g_free (s->imagelabel);
  g_free (s->baselabel);
  g_free (s);
}

static gboolean
seclabel_parse (xmlNode *node, VbDomainSeclabelDef *s, guint flags, GError **error)
{
  xmlNode *n;
  int v = VB_DOMAIN_SECLABEL_DYNAMIC;

  if (!attr_enum (node, "type", seclabel_type_names, 0, FALSE, &v, error))
    return FALSE;
  s->type = v;
  if (!attr_str (node, "model", STR_TOKEN, FALSE, &s->model, error) ||
      !attr_tristate (node, "relabel", FALSE, &s->relabel, error))
    return FALSE;
  if ((n = vb_xml_child (node, "label")) && !node_text (n, FALSE, FALSE, &s->label, error))
    return FALSE;
  if ((n = vb_xml_child (node, "imagelabel")) && !node_text (n, FALSE, FALSE, &s->imagelabel, error))
    return FALSE;
  if ((n = vb_xml_child (node, "baselabel")) && !node_text (n, FALSE, FALSE, &s->baselabel, error))
    return FALSE;

  switch (s->type) {
  case VB_DOMAIN_SECLABEL_NONE:
    if (s->relabel == VB_DOMAIN_TRISTATE_YES)
      return vb_xml_fail (error, node, "relabel='yes' makes no sense with type='none'");
    if (s->label || s->imagelabel || s->baselabel)
      return vb_xml_fail (error, node, "a seclabel of type 'none' has no labels");
    break;
  case VB_DOMAIN_SECLABEL_DYNAMIC:
    if (s->relabel == VB_DOMAIN_TRISTATE_NO)
      return vb_xml_fail (error, node, "relabel='no' is not possible with a dynamic label");
    /* The labels of a dynamic seclabel are generated at start-up. */
    if (flags & VB_DOMAIN_PARSE_INACTIVE) {
      g_clear_pointer (&s->label, g_free);
      g_clear_pointer (&s->imagelabel, g_free);
    }
    break;
  case VB_DOMAIN_SECLABEL_STATIC:
    if (s->label == NULL)
      return vb_xml_fail (error, node, "a static seclabel needs a <label>");
    if (s->baselabel)
      return vb_xml_fail (error, node, "<baselabel> is only for dynamic labels");
    break;
  case VB_DOMAIN_SECLABEL_LAST:
  default:
    break;
  }
  return TRUE;
}

static void
seclabel_format (VbXmlWriter *w, const VbDomainSeclabelDef *s, guint flags)
{
  gboolean inactive = (flags & VB_DOMAIN_XML_INACTIVE) != 0;
  gboolean dynamic = s->type == VB_DOMAIN_SECLABEL_DYNAMIC;
  const char *label = (inactive && dynamic) ? NULL : s->label;
  const char *imagelabel = (inactive && dynamic) ? NULL : s->imagelabel;

  /* A dynamic label with nothing configured is pure runtime state. */
  if (inactive && dynamic && s->baselabel == NULL)
    return;
  vb_xml_writer_start (w, "seclabel", "type", enum_str (seclabel_type_names, 0, s->type), "model", s->model,
                       "relabel", tristate_str (s->relabel, FALSE), NULL);
  vb_xml_writer_element (w, "label", label, NULL);
  vb_xml_writer_element (w, "imagelabel", imagelabel, NULL);
  vb_xml_writer_element (w, "baselabel", s->baselabel, NULL);
  vb_xml_writer_end (w);
}

/* ------------------------------------------------------------------ */
/* The domain                                                           */

VbDomainDef *
vb_domain_def_new (void)
{
  VbDomainDef *def = g_new0 (VbDomainDef, 1);

  def->virt_type = VB_DOMAIN_VIRT_QEMU;
  def->id = -1;
  vb_uuid_generate (def->uuid);
  def->metadata = g_ptr_array_new_with_free_func (metadata_entry_free);
  def->memory_backing.pages = g_ptr_array_new_with_free_func (hugepage_free);
  def->sysinfos = g_ptr_array_new_with_free_func ((GDestroyNotify) vb_sysinfo_def_free);
  def->vcpus = 1;
  def->vcpus_current = 1;
  def->vcpu_placement = VB_DOMAIN_VCPU_PLACEMENT_STATIC;
  def->os.type = VB_DOMAIN_OS_HVM;
  def->os.arch = g_strdup ("x86_64");
  def->os.boot_devs[0] = VB_DOMAIN_BOOT_DISK;
  def->os.n_boot_devs = 1;
  def->clock.offset = VB_DOMAIN_CLOCK_UTC;
  def->clock.timers = g_ptr_array_new_with_free_func (g_free);
  def->on_poweroff = VB_DOMAIN_LIFECYCLE_DESTROY;
  def->on_reboot = VB_DOMAIN_LIFECYCLE_RESTART;
  def->on_crash = VB_DOMAIN_LIFECYCLE_DESTROY;
  def->disks = g_ptr_array_new_with_free_func ((GDestroyNotify) disk_free);
  def->controllers = g_ptr_array_new_with_free_func ((GDestroyNotify) controller_free);
  def->filesystems = g_ptr_array_new_with_free_func ((GDestroyNotify) fs_free);
  def->nets = g_ptr_array_new_with_free_func ((GDestroyNotify) net_free);
  def->serials = g_ptr_array_new_with_free_func ((GDestroyNotify) chr_free);
  def->parallels = g_ptr_array_new_with_free_func ((GDestroyNotify) chr_free);
  def->consoles = g_ptr_array_new_with_free_func ((GDestroyNotify) chr_free);
  def->channels = g_ptr_array_new_with_free_func ((GDestroyNotify) chr_free);
  def->inputs = g_ptr_array_new_with_free_func ((GDestroyNotify) input_free);
  def->tpms = g_ptr_array_new_with_free_func ((GDestroyNotify) tpm_free);
  def->graphics = g_ptr_array_new_with_free_func ((GDestroyNotify) graphics_free);
  def->sounds = g_ptr_array_new_with_free_func ((GDestroyNotify) sound_free);
  def->audios = g_ptr_array_new_with_free_func (g_free);
  def->videos = g_ptr_array_new_with_free_func ((GDestroyNotify) video_free);
  def->hostdevs = g_ptr_array_new_with_free_func ((GDestroyNotify) hostdev_free);
  def->redirdevs = g_ptr_array_new_with_free_func ((GDestroyNotify) redirdev_free);
  def->redirfilter = g_ptr_array_new_with_free_func (g_free);
  def->watchdogs = g_ptr_array_new_with_free_func ((GDestroyNotify) watchdog_free);
  def->rngs = g_ptr_array_new_with_free_func ((GDestroyNotify) rng_free);
  def->panics = g_ptr_array_new_with_free_func ((GDestroyNotify) panic_free);
  def->seclabels = g_ptr_array_new_with_free_func (seclabel_free);
  return def;
}

void
vb_domain_def_free (VbDomainDef *def)
{
  if (def == NULL)
    return;
  g_free (def->name);
  g_free (def->title);
  g_free (def->description);
  g_ptr_array_unref (def->metadata);
  g_ptr_array_unref (def->memory_backing.pages);
  g_free (def->vcpu_cpuset);
  g_clear_pointer (&def->iothread_ids, g_array_unref);
  g_free (def->resource_partition);
  g_ptr_array_unref (def->sysinfos);
  os_clear (&def->os);
  vb_domain_cpu_def_free (def->cpu);
  g_free (def->clock.timezone);
  g_ptr_array_unref (def->clock.timers);
  g_free (def->emulator);
  g_ptr_array_unref (def->disks);
  g_ptr_array_unref (def->controllers);
  g_ptr_array_unref (def->filesystems);
  g_ptr_array_unref (def->nets);
  g_ptr_array_unref (def->serials);
  g_ptr_array_unref (def->parallels);
  g_ptr_array_unref (def->consoles);
  g_ptr_array_unref (def->channels);
  g_ptr_array_unref (def->inputs);
  g_ptr_array_unref (def->tpms);
  g_ptr_array_unref (def->graphics);
  g_ptr_array_unref (def->sounds);
  g_ptr_array_unref (def->audios);
  g_ptr_array_unref (def->videos);
  g_ptr_array_unref (def->hostdevs);
  g_ptr_array_unref (def->redirdevs);
  g_ptr_array_unref (def->redirfilter);
  g_ptr_array_unref (def->watchdogs);
  memballoon_free (def->memballoon);
  g_ptr_array_unref (def->rngs);
  g_ptr_array_unref (def->panics);
  g_ptr_array_unref (def->seclabels);
  g_free (def);
}

/* The def's array holding devices of @type (NULL for the memballoon). */
static GPtrArray *
device_array (const VbDomainDef *def, VbDomainDeviceType type)
{
  switch (type) {
  case VB_DOMAIN_DEVICE_DISK: return def->disks;
  case VB_DOMAIN_DEVICE_CONTROLLER: return def->controllers;
  case VB_DOMAIN_DEVICE_INTERFACE: return def->nets;
  case VB_DOMAIN_DEVICE_SERIAL: return def->serials;
  case VB_DOMAIN_DEVICE_PARALLEL: return def->parallels;
  case VB_DOMAIN_DEVICE_CONSOLE: return def->consoles;
  case VB_DOMAIN_DEVICE_CHANNEL: return def->channels;
  case VB_DOMAIN_DEVICE_GRAPHICS: return def->graphics;
  case VB_DOMAIN_DEVICE_VIDEO: return def->videos;
  case VB_DOMAIN_DEVICE_INPUT: return def->inputs;
  case VB_DOMAIN_DEVICE_SOUND: return def->sounds;
  case VB_DOMAIN_DEVICE_AUDIO: return def->audios;
  case VB_DOMAIN_DEVICE_HOSTDEV: return def->hostdevs;
  case VB_DOMAIN_DEVICE_RNG: return def->rngs;
  case VB_DOMAIN_DEVICE_WATCHDOG: return def->watchdogs;
  case VB_DOMAIN_DEVICE_PANIC: return def->panics;
  case VB_DOMAIN_DEVICE_FILESYSTEM: return def->filesystems;
  case VB_DOMAIN_DEVICE_TPM: return def->tpms;
  case VB_DOMAIN_DEVICE_REDIRDEV: return def->redirdevs;
  case VB_DOMAIN_DEVICE_MEMBALLOON:
  case VB_DOMAIN_DEVICE_LAST:
  default: return NULL;
  }
}

VbDomainDef *
vb_domain_def_copy (const VbDomainDef *s)
{
  VbDomainDef *def;

  g_return_val_if_fail (s != NULL, NULL);
  def = vb_domain_def_new ();
  def->virt_type = s->virt_type;
  def->id = s->id;
  def->name = g_strdup (s->name);
  memcpy (def->uuid, s->uuid, sizeof def->uuid);
  def->has_genid = s->has_genid;
  def->genid_generated = s->genid_generated;
  memcpy (def->genid, s->genid, sizeof def->genid);
  def->title = g_strdup (s->title);
  def->description = g_strdup (s->description);
  for (guint i = 0; i < s->metadata->len; i++) {
    const VbDomainMetadataEntry *se = g_ptr_array_index (s->metadata, i);
    VbDomainMetadataEntry *e = g_new0 (VbDomainMetadataEntry, 1);
    e->uri = g_strdup (se->uri);
    e->xml = g_strdup (se->xml);
    g_ptr_array_add (def->metadata, e);
  }
  def->memory_kib = s->memory_kib;
  def->current_memory_kib = s->current_memory_kib;
  def->max_memory_kib = s->max_memory_kib;
  def->max_memory_slots = s->max_memory_slots;
  def->has_memory_backing = s->has_memory_backing;
  {
    GPtrArray *pages = def->memory_backing.pages;
    def->memory_backing = s->memory_backing;
    def->memory_backing.pages = pages;
    for (guint i = 0; i < s->memory_backing.pages->len; i++) {
      const VbDomainHugepage *sh = g_ptr_array_index (s->memory_backing.pages, i);
      VbDomainHugepage *h = g_new0 (VbDomainHugepage, 1);
      h->size_kib = sh->size_kib;
      h->nodeset = g_strdup (sh->nodeset);
      g_ptr_array_add (pages, h);
    }
  }
  def->vcpus = s->vcpus;
  def->vcpus_current = s->vcpus_current;
  def->vcpu_placement = s->vcpu_placement;
  def->vcpu_cpuset = g_strdup (s->vcpu_cpuset);
  def->iothreads = s->iothreads;
  if (s->iothread_ids != NULL) {
    def->iothread_ids = g_array_sized_new (FALSE, FALSE, sizeof (guint), s->iothread_ids->len);
    g_array_append_vals (def->iothread_ids, s->iothread_ids->data, s->iothread_ids->len);
  }
  def->resource_partition = g_strdup (s->resource_partition);
  for (guint i = 0; i < s->sysinfos->len; i++)
    g_ptr_array_add (def->sysinfos, vb_sysinfo_def_copy (g_ptr_array_index (s->sysinfos, i)));
  os_clear (&def->os);
  os_copy (&def->os, &s->os);
  def->has_features = s->has_features;
  def->features = s->features;
  def->cpu = s->cpu ? vb_domain_cpu_def_copy (s->cpu) : NULL;
  def->clock.offset = s->clock.offset;
  def->clock.has_adjustment = s->clock.has_adjustment;
  def->clock.adjustment = s->clock.adjustment;
  def->clock.basis = s->clock.basis;
  def->clock.timezone = g_strdup (s->clock.timezone);
  for (guint i = 0; i < s->clock.timers->len; i++)
    g_ptr_array_add (def->clock.timers, g_memdup2 (g_ptr_array_index (s->clock.timers, i), sizeof (VbDomainTimerDef)));
  def->on_poweroff = s->on_poweroff;
  def->on_reboot = s->on_reboot;
  def->on_crash = s->on_crash;
  def->on_lockfailure = s->on_lockfailure;
  def->pm_suspend_to_mem = s->pm_suspend_to_mem;
  def->pm_suspend_to_disk = s->pm_suspend_to_disk;
  def->emulator = g_strdup (s->emulator);
  for (int t = 0; t < VB_DOMAIN_DEVICE_LAST; t++) {
    GPtrArray *from = device_array (s, t), *to = device_array (def, t);
    if (from == NULL)
      continue;
    for (guint i = 0; i < from->len; i++)
      g_ptr_array_add (to, device_data_copy (t, g_ptr_array_index (from, i)));
  }
  redirfilter_copy (def->redirfilter, s->redirfilter);
  def->memballoon = s->memballoon ? memballoon_copy (s->memballoon) : NULL;
  for (guint i = 0; i < s->seclabels->len; i++) {
    const VbDomainSeclabelDef *ss = g_ptr_array_index (s->seclabels, i);
    VbDomainSeclabelDef *sl = g_new0 (VbDomainSeclabelDef, 1);
    *sl = *ss;
    sl->model = g_strdup (ss->model);
    sl->label = g_strdup (ss->label);
    sl->imagelabel = g_strdup (ss->imagelabel);
    sl->baselabel = g_strdup (ss->baselabel);
    g_ptr_array_add (def->seclabels, sl);
  }
  return def;
}

gboolean
vb_domain_def_validate_name (const char *name, GError **error)
{
  if (name == NULL || *name == '\0') {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "domain name must not be empty");
    return FALSE;
  }
  if (strchr (name, '/') != NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "domain name '%s' must not contain '/'", name);
    return FALSE;
  }
  if (vb_xml_has_control_chars (name, FALSE)) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "domain name must not contain control characters");
    return FALSE;
  }
  if (!g_utf8_validate (name, -1, NULL)) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "domain name is not valid UTF-8");
    return FALSE;
  }
  return TRUE;
}

/* Product of the topology, or 0 when it overflows a guint. */
static guint64
cpu_topology_count (const VbDomainCpuDef *cpu)
{
  guint64 n = (guint64) cpu->sockets * (cpu->dies ? cpu->dies : 1);
  n *= cpu->cores;
  if (n > G_MAXUINT)
    return 0;
  n *= cpu->threads;
  return n > G_MAXUINT ? 0 : n;
}

static guint
device_boot_order (VbDomainDeviceType type, gconstpointer data)
{
  switch (type) {
  case VB_DOMAIN_DEVICE_DISK: return ((const VbDomainDiskDef *) data)->info.boot_order;
  case VB_DOMAIN_DEVICE_INTERFACE: return ((const VbDomainNetDef *) data)->info.boot_order;
  case VB_DOMAIN_DEVICE_HOSTDEV: return ((const VbDomainHostdevDef *) data)->info.boot_order;
  case VB_DOMAIN_DEVICE_REDIRDEV: return ((const VbDomainRedirdevDef *) data)->info.boot_order;
  default: return 0;
  }
}

static gboolean
has_device_boot (const VbDomainDef *def)
{
  const VbDomainDeviceType types[] = {
    VB_DOMAIN_DEVICE_DISK, VB_DOMAIN_DEVICE_INTERFACE, VB_DOMAIN_DEVICE_HOSTDEV, VB_DOMAIN_DEVICE_REDIRDEV
  };
  for (gsize t = 0; t < G_N_ELEMENTS (types); t++) {
    GPtrArray *arr = device_array (def, types[t]);
    for (guint i = 0; i < arr->len; i++)
      if (device_boot_order (types[t], g_ptr_array_index (arr, i)))
        return TRUE;
  }
  return FALSE;
}

gboolean
vb_domain_def_validate (const VbDomainDef *def, GError **error)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) boots = g_hash_table_new (g_direct_hash, g_direct_equal);
  g_autoptr(GHashTable) audio_ids = g_hash_table_new (g_direct_hash, g_direct_equal);
  const VbDomainDeviceType boot_types[] = {
    VB_DOMAIN_DEVICE_DISK, VB_DOMAIN_DEVICE_INTERFACE, VB_DOMAIN_DEVICE_HOSTDEV, VB_DOMAIN_DEVICE_REDIRDEV
  };
  guint primaries = 0;

  g_return_val_if_fail (def != NULL, FALSE);

  {
    g_autoptr(GError) local = NULL;
    if (!vb_domain_def_validate_name (def->name, &local))
      return invalid (error, "%s", local->message);
  }
  if (def->title && strchr (def->title, '\n'))
    return invalid (error, "the title must be a single line");
  if (def->memory_kib == 0)
    return invalid (error, "memory size must be greater than 0");
  if (def->memory_kib > MAX_MEMORY_KIB)
    return invalid (error, "memory size %" G_GUINT64_FORMAT " KiB is too large", def->memory_kib);
  if (def->current_memory_kib > def->memory_kib)
    return invalid (error, "current memory (%" G_GUINT64_FORMAT " KiB) exceeds the memory size (%" G_GUINT64_FORMAT " KiB)",
                    def->current_memory_kib, def->memory_kib);
  if (def->max_memory_kib) {
    if (def->max_memory_kib < def->memory_kib)
      return invalid (error, "maxMemory must be at least the memory size");
    if (def->max_memory_slots == 0)
      return invalid (error, "maxMemory needs at least one slot");
  }
  if (def->vcpus == 0 || def->vcpus > MAX_VCPUS)
    return invalid (error, "the vcpu count must be between 1 and %d", MAX_VCPUS);
  if (def->vcpus_current == 0 || def->vcpus_current > def->vcpus)
    return invalid (error, "current vcpus (%u) must be between 1 and the maximum (%u)", def->vcpus_current, def->vcpus);
  if (def->vcpu_cpuset && !cpuset_check (def->vcpu_cpuset, NULL))
    return invalid (error, "invalid vcpu cpuset '%s'", def->vcpu_cpuset);
  if (def->iothreads > MAX_IOTHREADS)
    return invalid (error, "too many iothreads");

  if (def->cpu) {
    const VbDomainCpuDef *cpu = def->cpu;
    guint64 total = 0;
    if (cpu->sockets || cpu->cores || cpu->threads) {
      if (!cpu->sockets || !cpu->cores || !cpu->threads)
        return invalid (error, "CPU topology needs sockets, cores and threads");
      if (cpu_topology_count (cpu) != def->vcpus)
        return invalid (error, "CPU topology (%u sockets x %u dies x %u cores x %u threads) does not match the %u vcpus",
                        cpu->sockets, cpu->dies ? cpu->dies : 1, cpu->cores, cpu->threads, def->vcpus);
    }
    for (guint i = 0; i < cpu->numa->len; i++) {
      const VbDomainNumaCell *c = g_ptr_array_index (cpu->numa, i);
      guint max_cpu = 0;
      if (c->cpus && (!cpuset_check (c->cpus, &max_cpu) || max_cpu >= def->vcpus))
        return invalid (error, "NUMA cell %u names CPUs beyond the %u vcpus", c->id, def->vcpus);
      if (c->memory_kib > MAX_MEMORY_KIB - total)
        return invalid (error, "NUMA memory total is too large");
      total += c->memory_kib;
    }
    if (cpu->numa->len && total != def->memory_kib)
      return invalid (error, "the memory size must equal the sum of the NUMA cells");
    if (cpu->model && cpu->mode != VB_DOMAIN_CPU_MODE_CUSTOM)
      return invalid (error, "a CPU model name needs mode='custom'");
  }

  if (def->os.arch == NULL || enum_lookup (arch_names, def->os.arch) < 0)
    return invalid (error, "unknown architecture '%s'", def->os.arch ? def->os.arch : "");
  if (def->os.type == VB_DOMAIN_OS_LINUX) {
    if (def->os.kernel == NULL)
      return invalid (error, "OS type 'linux' needs a <kernel>");
    if (def->os.n_boot_devs || def->os.has_loader || def->os.has_nvram || def->os.bootmenu_enable ||
        def->os.smbios || def->os.firmware || def->os.fw_secure_boot || def->os.fw_enrolled_keys)
      return invalid (error, "OS type 'linux' supports only kernel, initrd, cmdline and dtb");
    if (def->os.machine || (strcmp (def->os.arch, "i686") != 0 && strcmp (def->os.arch, "x86_64") != 0))
      return invalid (error, "OS type 'linux' supports only architectures i686 and x86_64 and no machine");
  }
  if (def->os.n_boot_devs > VB_DOMAIN_MAX_BOOT_DEVS)
    return invalid (error, "too many boot devices");

  if (def->on_poweroff > VB_DOMAIN_LIFECYCLE_PRESERVE || def->on_reboot > VB_DOMAIN_LIFECYCLE_PRESERVE)
    return invalid (error, "coredump actions are only possible for on_crash");

  /* Devices: names that must be unique. */
  for (guint i = 0; i < def->disks->len; i++) {
    const VbDomainDiskDef *d = g_ptr_array_index (def->disks, i);
    if (!g_hash_table_add (seen, g_strdup (d->dst)))
      return invalid (error, "disk target '%s' is used twice", d->dst);
    if (d->driver_iothread != 0 && !vb_domain_def_has_iothread (def, d->driver_iothread))
      return invalid (error, "disk '%s' uses iothread %u, which the domain does not have", d->dst,
                      d->driver_iothread);
  }
  g_hash_table_remove_all (seen);
  for (guint i = 0; i < def->nets->len; i++) {
    const VbDomainNetDef *n = g_ptr_array_index (def->nets, i);
    g_autofree char *mac = g_ascii_strdown (n->mac, -1);
    if (!g_hash_table_add (seen, g_steal_pointer (&mac)))
      return invalid (error, "MAC address '%s' is used twice", n->mac);
  }
  g_hash_table_remove_all (seen);
  for (guint i = 0; i < def->controllers->len; i++) {
    const VbDomainControllerDef *c = g_ptr_array_index (def->controllers, i);
    /* USB companion controllers (with <master>) share their EHCI's index. */
    if (c->type == VB_DOMAIN_CONTROLLER_USB && c->has_master_startport)
      continue;
    if (!g_hash_table_add (seen, g_strdup_printf ("%d:%u", c->type, c->index)))
      return invalid (error, "there are two '%s' controllers with index %u",
                      enum_str (controller_type_names, 0, c->type), c->index);
    if (c->driver_iothread != 0 && !vb_domain_def_has_iothread (def, c->driver_iothread))
      return invalid (error, "a controller uses iothread %u, which the domain does not have", c->driver_iothread);
  }
  g_hash_table_remove_all (seen);
  for (guint i = 0; i < def->filesystems->len; i++) {
    const VbDomainFsDef *fs = g_ptr_array_index (def->filesystems, i);
    if (!g_hash_table_add (seen, g_strdup (fs->dst)))
      return invalid (error, "filesystem target '%s' is used twice", fs->dst);
  }
  g_hash_table_remove_all (seen);
  for (guint i = 0; i < def->seclabels->len; i++) {
    const VbDomainSeclabelDef *s = g_ptr_array_index (def->seclabels, i);
    if (!g_hash_table_add (seen, g_strdup (s->model ? s->model : "")))
      return invalid (error, "two seclabels for model '%s'", s->model ? s->model : "");
  }
  for (guint i = 0; i < def->audios->len; i++) {
    const VbDomainAudioDef *a = g_ptr_array_index (def->audios, i);
    if (!g_hash_table_add (audio_ids, GUINT_TO_POINTER (a->id)))
      return invalid (error, "audio id %u is used twice", a->id);
  }
  for (guint i = 0; i < def->sounds->len; i++) {
    const VbDomainSoundDef *s = g_ptr_array_index (def->sounds, i);
    if (s->audio_id && !g_hash_table_contains (audio_ids, GUINT_TO_POINTER (s->audio_id)))
      return invalid (error, "sound device refers to audio id %u, which does not exist", s->audio_id);
  }
  /* What the parser guarantees, for defs built by hand. */
  for (guint i = 0; i < def->redirdevs->len; i++) {
    const VbDomainRedirdevDef *r = g_ptr_array_index (def->redirdevs, i);
    if (r->type != VB_DOMAIN_CHR_TYPE_SPICEVMC && r->type != VB_DOMAIN_CHR_TYPE_TCP)
      return invalid (error, "a <redirdev> must be of type 'spicevmc' or 'tcp'");
    if (r->type == VB_DOMAIN_CHR_TYPE_TCP && (r->src_host == NULL || r->src_service == NULL))
      return invalid (error, "a <redirdev> of type 'tcp' needs a source host and service");
  }
  for (guint i = 0; i < def->redirfilter->len; i++) {
    const VbDomainRedirFilterUsbDev *rule = g_ptr_array_index (def->redirfilter, i);
    if (rule->usb_class < -1 || rule->usb_class > 0xff || rule->vendor < -1 || rule->vendor > 0xffff ||
        rule->product < -1 || rule->product > 0xffff || rule->version < -1 || rule->version > 0xffff)
      return invalid (error, "<redirfilter> rule %u is out of range", i + 1);
  }
  for (guint i = 0; i < def->videos->len; i++)
    if (((const VbDomainVideoDef *) g_ptr_array_index (def->videos, i))->primary)
      primaries++;
  if (primaries > 1)
    return invalid (error, "only one video device can be primary");

  for (gsize t = 0; t < G_N_ELEMENTS (boot_types); t++) {
    GPtrArray *arr = device_array (def, boot_types[t]);
    for (guint i = 0; i < arr->len; i++) {
      guint order = device_boot_order (boot_types[t], g_ptr_array_index (arr, i));
      if (order == 0)
        continue;
      if (def->os.n_boot_devs)
        return invalid (error, "per-device <boot order> cannot be combined with <os><boot dev>");
      if (!g_hash_table_add (boots, GUINT_TO_POINTER (order)))
        return invalid (error, "boot order %u is used by two devices", order);
    }
  }
  return TRUE;
}

/* Puts a parsed device into @def (taking ownership). */
static gboolean
domain_take_device (VbDomainDef *def, VbDomainDeviceDef *dev)
{
  GPtrArray *arr = device_array (def, dev->type);

  /* Only the memballoon can clash here; the caller reports it. */
  if (dev->type == VB_DOMAIN_DEVICE_MEMBALLOON) {
    if (def->memballoon != NULL) {
      vb_domain_device_def_free (dev);
      return FALSE;
    }
    def->memballoon = dev->data.memballoon;
  } else {
    g_ptr_array_add (arr, dev->data.ptr);
  }
  g_free (dev);
  return TRUE;
}

/* Gives controllers without an index the next free one of their type. */
static void
controllers_assign_indexes (VbDomainDef *def)
{
  for (guint i = 0; i < def->controllers->len; i++) {
    VbDomainControllerDef *c = g_ptr_array_index (def->controllers, i);
    guint next = 0;
    if (c->index != CONTROLLER_INDEX_UNSET)
      continue;
    for (guint j = 0; j < def->controllers->len; j++) {
      const VbDomainControllerDef *o = g_ptr_array_index (def->controllers, j);
      if (o->type == c->type && o->index != CONTROLLER_INDEX_UNSET && o->index >= next)
        next = o->index + 1;
    }
    c->index = MIN (next, MAX_CONTROLLER_INDEX);
  }
}

static gboolean
domain_parse_memory (xmlNode *root, VbDomainDef *def, GError **error)
{
  xmlNode *n;

  if (vb_xml_child_scaled (root, "memory", 1024, 1024, MAX_MEMORY_KIB, &def->memory_kib, error) < 0 ||
      vb_xml_child_scaled (root, "currentMemory", 1024, 1024, MAX_MEMORY_KIB, &def->current_memory_kib, error) < 0)
    return FALSE;
  if ((n = vb_xml_child (root, "maxMemory")) != NULL) {
    g_autofree char *unit = vb_xml_prop (n, "unit");
    g_autofree char *text = vb_xml_text (n);
    g_autoptr(GError) local = NULL;
    if (!vb_parse_scaled (text, unit, 1024, 1024, MAX_MEMORY_KIB, &def->max_memory_kib, &local))
      return vb_xml_fail (error, n, "%s", local->message);
    if (!attr_uint (n, "slots", 1, 4096, TRUE, &def->max_memory_slots, NULL, error))
      return FALSE;
    if (def->max_memory_kib == 0)
      return vb_xml_fail (error, n, "must be greater than 0");
  }
  if ((n = vb_xml_child (root, "memoryBacking")) != NULL) {
    def->has_memory_backing = TRUE;
    if (!memory_backing_parse (n, &def->memory_backing, error))
      return FALSE;
  }
  return TRUE;
}

/* Ids 1..iothreads in order need no list. */
static void
iothread_ids_normalize (VbDomainDef *def)
{
  if (def->iothread_ids == NULL)
    return;
  for (guint i = 0; i < def->iothread_ids->len; i++)
    if (g_array_index (def->iothread_ids, guint, i) != i + 1)
      return;
  g_clear_pointer (&def->iothread_ids, g_array_unref);
}

/* The implicit ids 1..iothreads as a list, to change it. */
static void
iothread_ids_materialize (VbDomainDef *def)
{
  if (def->iothread_ids != NULL)
    return;
  def->iothread_ids = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint i = 1; i <= def->iothreads; i++)
    g_array_append_val (def->iothread_ids, i);
}

guint
vb_domain_def_iothread_id (const VbDomainDef *def, guint i)
{
  g_return_val_if_fail (i < def->iothreads, 0);
  return def->iothread_ids != NULL ? g_array_index (def->iothread_ids, guint, i) : i + 1;
}

gboolean
vb_domain_def_has_iothread (const VbDomainDef *def, guint id)
{
  if (def->iothread_ids == NULL)
    return id >= 1 && id <= def->iothreads;
  for (guint i = 0; i < def->iothread_ids->len; i++)
    if (g_array_index (def->iothread_ids, guint, i) == id)
      return TRUE;
  return FALSE;
}

gboolean
vb_domain_def_add_iothread (VbDomainDef *def, guint id, GError **error)
{
  if (id == 0 || id > MAX_IOTHREAD_ID) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "an IOThread id must be between 1 and %u", MAX_IOTHREAD_ID);
    return FALSE;
  }
  if (vb_domain_def_has_iothread (def, id)) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "an IOThread with id %u already exists", id);
    return FALSE;
  }
  if (def->iothreads >= MAX_IOTHREADS) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "at most %d iothreads are supported", MAX_IOTHREADS);
    return FALSE;
  }
  iothread_ids_materialize (def);
  g_array_append_val (def->iothread_ids, id);
  def->iothreads++;
  iothread_ids_normalize (def);
  return TRUE;
}

gboolean
vb_domain_def_del_iothread (VbDomainDef *def, guint id, GError **error)
{
  if (!vb_domain_def_has_iothread (def, id)) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "no IOThread with id %u", id);
    return FALSE;
  }
  for (guint i = 0; i < def->disks->len; i++) {
    const VbDomainDiskDef *d = g_ptr_array_index (def->disks, i);
    if (d->driver_iothread == id) {
      g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "IOThread %u is in use by disk '%s'", id, d->dst);
      return FALSE;
    }
  }
  for (guint i = 0; i < def->controllers->len; i++)
    if (((const VbDomainControllerDef *) g_ptr_array_index (def->controllers, i))->driver_iothread == id) {
      g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "IOThread %u is in use by a controller", id);
      return FALSE;
    }
  iothread_ids_materialize (def);
  for (guint i = 0; i < def->iothread_ids->len; i++)
    if (g_array_index (def->iothread_ids, guint, i) == id) {
      g_array_remove_index (def->iothread_ids, i);
      break;
    }
  def->iothreads--;
  iothread_ids_normalize (def);
  return TRUE;
}

static gboolean
domain_parse_vcpu (xmlNode *root, VbDomainDef *def, GError **error)
{
  xmlNode *n = vb_xml_child (root, "vcpu");
  guint64 v = 0;
  int placement = VB_DOMAIN_VCPU_PLACEMENT_STATIC;
  gboolean has_current = FALSE;

  if (n != NULL) {
    if (vb_xml_text_u64 (n, &v, error) < 0)
      return FALSE;
    if (v == 0 || v > MAX_VCPUS)
      return vb_xml_fail (error, n, "the vcpu count must be between 1 and %d", MAX_VCPUS);
    def->vcpus = (guint) v;
    if (!attr_enum (n, "placement", vcpu_placement_names, 1, FALSE, &placement, error) ||
        !attr_cpuset (n, "cpuset", &def->vcpu_cpuset, NULL, error) ||
        !attr_uint (n, "current", 1, MAX_VCPUS, FALSE, &def->vcpus_current, &has_current, error))
      return FALSE;
    def->vcpu_placement = placement;
    if (!has_current)
      def->vcpus_current = def->vcpus;
    if (def->vcpus_current > def->vcpus)
      return vb_xml_fail (error, n, "current vcpus (%u) exceed the maximum (%u)", def->vcpus_current, def->vcpus);
  }
  if ((n = vb_xml_child (root, "iothreads")) != NULL) {
    if (vb_xml_text_u64 (n, &v, error) < 0)
      return FALSE;
    if (v > MAX_IOTHREADS)
      return vb_xml_fail (error, n, "at most %d iothreads are supported", MAX_IOTHREADS);
    def->iothreads = (guint) v;
  }
  if ((n = vb_xml_child (root, "iothreadids")) != NULL) {
    g_autoptr(GArray) ids = g_array_new (FALSE, FALSE, sizeof (guint));

    for (xmlNode *t = vb_xml_next (n, NULL, "iothread"); t != NULL; t = vb_xml_next (n, t, "iothread")) {
      guint id = 0;

      if (!attr_uint (t, "id", 1, MAX_IOTHREAD_ID, TRUE, &id, NULL, error))
        return FALSE;
      for (guint i = 0; i < ids->len; i++)
        if (g_array_index (ids, guint, i) == id)
          return vb_xml_fail (error, t, "duplicate iothread id %u", id);
      g_array_append_val (ids, id);
    }
    if (ids->len > MAX_IOTHREADS)
      return vb_xml_fail (error, n, "at most %d iothreads are supported", MAX_IOTHREADS);
    /* As libvirt: the count covers the ids given; the rest of the count
     * gets the lowest ids not taken. */
    def->iothreads = MAX (def->iothreads, ids->len);
    for (guint next = 1; ids->len < def->iothreads; next++) {
      gboolean taken = FALSE;
      for (guint i = 0; i < ids->len && !taken; i++)
        taken = g_array_index (ids, guint, i) == next;
      if (!taken)
        g_array_append_val (ids, next);
    }
    def->iothread_ids = g_steal_pointer (&ids);
    iothread_ids_normalize (def);
  }
  return TRUE;
}

static gboolean
lifecycle_parse (xmlNode *root, const char *name, const char *const *names, int offset,
                 gboolean crash, int *out, GError **error)
{
  xmlNode *n = vb_xml_child (root, name);
  g_autofree char *text = NULL;
  int v;

  if (n == NULL)
    return TRUE;
  text = g_strstrip (vb_xml_text (n));
  v = enum_lookup (names, text);
  if (v < 0 || (!crash && names == lifecycle_names && v > VB_DOMAIN_LIFECYCLE_PRESERVE)) {
    g_autofree char *allowed = g_strjoinv ("', '", (char **) names);
    return vb_xml_fail (error, n, "unsupported action '%s' (supported: '%s'%s)", text, allowed,
                        names == lifecycle_names && !crash ? "; coredump-* only for on_crash" : "");
  }
  *out = v + offset;
  return TRUE;
}

static gboolean
domain_parse_devices (xmlNode *node, VbDomainDef *def, guint flags, GError **error)
{
  gboolean seen_redirfilter = FALSE;

  for (xmlNode *c = vb_xml_next (node, NULL, NULL); c != NULL; c = vb_xml_next (node, c, NULL)) {
    VbDomainDeviceDef *dev;
    if (strcmp ((const char *) c->name, "emulator") == 0) {
      if (def->emulator)
        return vb_xml_fail (error, c, "element may appear only once");
      if (!node_path (c, &def->emulator, error))
        return FALSE;
      if (def->emulator == NULL)
        return vb_xml_fail (error, c, "must be an absolute path");
      continue;
    }
    /* Not a device: the rules for the redirdevs, once per domain. */
    if (strcmp ((const char *) c->name, "redirfilter") == 0) {
      if (seen_redirfilter)
        return vb_xml_fail (error, c, "element may appear only once");
      seen_redirfilter = TRUE;
      if (!redirfilter_parse (c, def->redirfilter, error))
        return FALSE;
      continue;
    }
    dev = device_parse_node (c, flags, error);
    if (dev == NULL)
      return FALSE;
    if (!domain_take_device (def, dev))
      return vb_xml_fail (error, c, "only one <memballoon> is allowed");
  }
  return TRUE;
}

/* The <sysinfo> elements, one of each type at most. A system UUID must
 * be the domain's; a domain without <uuid> takes it (libvirt's rules). */
static gboolean
domain_parse_sysinfo (xmlNode *root, VbDomainDef *def, gboolean has_uuid, GError **error)
{
  for (xmlNode *n = vb_xml_next (root, NULL, "sysinfo"); n != NULL; n = vb_xml_next (root, n, "sysinfo")) {
    VbSysinfoDef *si = vb_sysinfo_def_parse_node (n, error);
    const char *uuid;

    if (si == NULL)
      return FALSE;
    g_ptr_array_add (def->sysinfos, si);
    for (guint i = 0; i + 1 < def->sysinfos->len; i++)
      if (((VbSysinfoDef *) g_ptr_array_index (def->sysinfos, i))->type == si->type)
        return vb_xml_fail (error, n, "only one <sysinfo> of each type is allowed");
    uuid = vb_sysinfo_get (si->system, "uuid");
    if (uuid == NULL)
      continue;
    if (!has_uuid)
      memcpy (def->uuid, uuid, sizeof def->uuid);
    else if (strcmp (uuid, def->uuid) != 0)
      return vb_xml_fail (error, n, "the system UUID %s is not the domain's (%s)", uuid, def->uuid);
  }
  return TRUE;
}

VbDomainDef *
vb_domain_def_parse_node (struct _xmlNode *root, guint flags, GError **error)
{
  g_autoptr(VbDomainDef) def = vb_domain_def_new ();
  g_autoptr(GError) local = NULL;
  xmlNode *n;
  int v = 0;
  int id = -1;
  gboolean has_memory;
  gboolean has_uuid = FALSE;

  g_return_val_if_fail (root != NULL, NULL);

  if (!attr_enum (root, "type", virt_type_names, 0, TRUE, &v, error) ||
      !attr_int (root, "id", -1, G_MAXINT, &id, NULL, error))
    return NULL;
  def->virt_type = v;
  def->id = (flags & VB_DOMAIN_PARSE_INACTIVE) ? -1 : id;

  n = vb_xml_child (root, "name");
  if (n == NULL)
    return vb_xml_fail (error, root, "missing <name>"), NULL;
  if (!node_text (n, FALSE, TRUE, &def->name, error))
    return NULL;
  if (!vb_domain_def_validate_name (def->name, &local))
    return vb_xml_fail (error, n, "%s", local->message), NULL;
  if ((n = vb_xml_child (root, "uuid")) != NULL) {
    g_autofree char *text = g_strstrip (vb_xml_text (n));
    if (!vb_uuid_parse (text, def->uuid))
      return vb_xml_fail (error, n, "'%s' is not a UUID", text), NULL;
    has_uuid = TRUE;
  }
  if ((n = vb_xml_child (root, "genid")) != NULL) {
    g_autofree char *text = g_strstrip (vb_xml_text (n));
    def->has_genid = TRUE;
    if (*text == '\0') {
      vb_uuid_generate (def->genid);
      def->genid_generated = TRUE;
    } else if (!vb_uuid_parse (text, def->genid)) {
      return vb_xml_fail (error, n, "'%s' is not a UUID", text), NULL;
    }
  }
  if ((n = vb_xml_child (root, "title")) != NULL) {
    if (!node_text (n, FALSE, TRUE, &def->title, error))
      return NULL;
  }
  if ((n = vb_xml_child (root, "description")) != NULL) {
    if (!node_text (n, TRUE, TRUE, &def->description, error))
      return NULL;
  }
  /* Empty title/description mean none, as for SetMetadata. */
  if (def->title && *def->title == '\0')
    g_clear_pointer (&def->title, g_free);
  if (def->description && *def->description == '\0')
    g_clear_pointer (&def->description, g_free);
  if ((n = vb_xml_child (root, "metadata")) != NULL && !metadata_parse (n, def, error))
    return NULL;

  if (!domain_parse_memory (root, def, error) || !domain_parse_vcpu (root, def, error))
    return NULL;
  has_memory = vb_xml_child (root, "memory") != NULL;
  if ((n = vb_xml_child (root, "resource")) != NULL) {
    if (!child_str (n, "partition", STR_PATH, &def->resource_partition, error))
      return NULL;
  }

  if (!domain_parse_sysinfo (root, def, has_uuid, error))
    return NULL;

  n = vb_xml_child (root, "os");
  if (n == NULL)
    return vb_xml_fail (error, root, "missing <os>"), NULL;
  if (!os_parse (n, &def->os, error))
    return NULL;
  if ((n = vb_xml_child (root, "features")) != NULL) {
    def->has_features = TRUE;
    if (!features_parse (n, &def->features, error))
      return NULL;
  }
  if ((n = vb_xml_child (root, "cpu")) != NULL) {
    def->cpu = cpu_parse (n, error);
    if (def->cpu == NULL)
      return NULL;
  }
  if ((n = vb_xml_child (root, "clock")) != NULL && !clock_parse (n, &def->clock, error))
    return NULL;

  v = def->on_poweroff;
  if (!lifecycle_parse (root, "on_poweroff", lifecycle_names, 0, FALSE, &v, error))
    return NULL;
  def->on_poweroff = v;
  v = def->on_reboot;
  if (!lifecycle_parse (root, "on_reboot", lifecycle_names, 0, FALSE, &v, error))
    return NULL;
  def->on_reboot = v;
  v = def->on_crash;
  if (!lifecycle_parse (root, "on_crash", lifecycle_names, 0, TRUE, &v, error))
    return NULL;
  def->on_crash = v;
  v = 0;
  if (!lifecycle_parse (root, "on_lockfailure", lockfailure_names, 1, FALSE, &v, error))
    return NULL;
  def->on_lockfailure = v;
  if ((n = vb_xml_child (root, "pm")) != NULL) {
    xmlNode *s;
    if ((s = vb_xml_child (n, "suspend-to-mem")) && !attr_tristate (s, "enabled", FALSE, &def->pm_suspend_to_mem, error))
      return NULL;
    if ((s = vb_xml_child (n, "suspend-to-disk")) && !attr_tristate (s, "enabled", FALSE, &def->pm_suspend_to_disk, error))
      return NULL;
  }

  if ((n = vb_xml_child (root, "devices")) != NULL && !domain_parse_devices (n, def, flags, error))
    return NULL;

  for (n = vb_xml_next (root, NULL, "seclabel"); n != NULL; n = vb_xml_next (root, n, "seclabel")) {
    VbDomainSeclabelDef *s = g_new0 (VbDomainSeclabelDef, 1);
    g_ptr_array_add (def->seclabels, s);
    if (!seclabel_parse (n, s, flags, error))
      return NULL;
  }

  if (!vb_xml_check_consumed (root, error))
    return NULL;

  /* Defaults and normalisation, as libvirt applies them. */
  controllers_assign_indexes (def);
  if (def->cpu && def->cpu->numa->len) {
    guint64 total = 0;
    for (guint i = 0; i < def->cpu->numa->len; i++) {
      const VbDomainNumaCell *c = g_ptr_array_index (def->cpu->numa, i);
      if (c->memory_kib > MAX_MEMORY_KIB - total)
        return invalid (error, "the NUMA cells' memory adds up to more than the limit"), NULL;
      total += c->memory_kib;
    }
    def->memory_kib = total;
  } else if (!has_memory) {
    return vb_xml_fail (error, root, "missing <memory>"), NULL;
  }
  if (def->memory_kib == 0)
    return invalid (error, "memory size must be greater than 0"), NULL;
  if (def->current_memory_kib == 0 || def->current_memory_kib > def->memory_kib)
    def->current_memory_kib = def->memory_kib;
  if (def->os.arch == NULL)
    def->os.arch = g_strdup (def->virt_type == VB_DOMAIN_VIRT_TEST ? "i686" : "x86_64");
  if (def->os.type == VB_DOMAIN_OS_HVM && def->os.n_boot_devs == 0 && !has_device_boot (def)) {
    def->os.boot_devs[0] = VB_DOMAIN_BOOT_DISK;
    def->os.n_boot_devs = 1;
  }

  if (!vb_domain_def_validate (def, error))
    return NULL;
  return g_steal_pointer (&def);
}

VbDomainDef *
vb_domain_def_parse_full (const char *xml, guint flags, GError **error)
{
  g_autoptr(xmlDoc) doc = NULL;

  if (!vb_check_flags (flags, VB_DOMAIN_PARSE_INACTIVE | VB_DOMAIN_PARSE_STATUS, "domain XML parse", error))
    return NULL;
  doc = vb_xml_parse (xml, -1, "domain", error);
  if (doc == NULL)
    return NULL;
  return vb_domain_def_parse_node (xmlDocGetRootElement (doc), flags, error);
}

VbDomainDef *
vb_domain_def_parse (const char *xml, GError **error)
{
  return vb_domain_def_parse_full (xml, 0, error);
}

/* Device types in the order libvirt writes them. */
static const VbDomainDeviceType device_format_order[] = {
  VB_DOMAIN_DEVICE_DISK, VB_DOMAIN_DEVICE_CONTROLLER, VB_DOMAIN_DEVICE_FILESYSTEM,
  VB_DOMAIN_DEVICE_INTERFACE, VB_DOMAIN_DEVICE_SERIAL, VB_DOMAIN_DEVICE_PARALLEL,
  VB_DOMAIN_DEVICE_CONSOLE, VB_DOMAIN_DEVICE_CHANNEL, VB_DOMAIN_DEVICE_INPUT, VB_DOMAIN_DEVICE_TPM,
  VB_DOMAIN_DEVICE_GRAPHICS, VB_DOMAIN_DEVICE_SOUND, VB_DOMAIN_DEVICE_AUDIO, VB_DOMAIN_DEVICE_VIDEO,
  VB_DOMAIN_DEVICE_HOSTDEV, VB_DOMAIN_DEVICE_REDIRDEV, VB_DOMAIN_DEVICE_WATCHDOG, VB_DOMAIN_DEVICE_MEMBALLOON,
  VB_DOMAIN_DEVICE_RNG, VB_DOMAIN_DEVICE_PANIC,
};
G_STATIC_ASSERT (G_N_ELEMENTS (device_format_order) == VB_DOMAIN_DEVICE_LAST);

void
vb_domain_def_format_into (struct _VbXmlWriter *w, const VbDomainDef *def, guint flags, const char *element_name)
{
  g_autoptr(GPtrArray) pool = POOL ();
  gboolean live = !(flags & VB_DOMAIN_XML_INACTIVE);

  vb_xml_writer_start (w, element_name, "type", enum_str (virt_type_names, 0, def->virt_type),
                       "id", (live && def->id >= 0) ? sp (pool, "%d", def->id) : NULL, NULL);
  vb_xml_writer_element (w, "name", def->name, NULL);
  vb_xml_writer_element (w, "uuid", def->uuid, NULL);
  if (def->has_genid) {
    if (def->genid_generated && !live)
      vb_xml_writer_empty (w, "genid", NULL);
    else
      vb_xml_writer_element (w, "genid", def->genid, NULL);
  }
  vb_xml_writer_element (w, "title", def->title, NULL);
  vb_xml_writer_element (w, "description", def->description, NULL);
  if (def->metadata->len) {
    vb_xml_writer_start (w, "metadata", NULL);
    for (guint i = 0; i < def->metadata->len; i++)
      vb_xml_writer_raw (w, ((const VbDomainMetadataEntry *) g_ptr_array_index (def->metadata, i))->xml);
    vb_xml_writer_end (w);
  }
  if (def->max_memory_kib)
    vb_xml_writer_element (w, "maxMemory", sp_u (pool, def->max_memory_kib),
                           "slots", sp_u (pool, def->max_memory_slots), "unit", "KiB", NULL);
  vb_xml_writer_element (w, "memory", sp_u (pool, def->memory_kib), "unit", "KiB", NULL);
  vb_xml_writer_element (w, "currentMemory", sp_u (pool, def->current_memory_kib), "unit", "KiB", NULL);
  memory_backing_format (w, &def->memory_backing);
  vb_xml_writer_element (w, "vcpu", sp_u (pool, def->vcpus),
                         "placement", enum_str (vcpu_placement_names, 1, def->vcpu_placement),
                         "cpuset", def->vcpu_cpuset,
                         "current", def->vcpus_current != def->vcpus ? sp_u (pool, def->vcpus_current) : NULL, NULL);
  if (def->iothreads)
    vb_xml_writer_element_u64 (w, "iothreads", def->iothreads);
  if (def->iothread_ids != NULL) {
    vb_xml_writer_start (w, "iothreadids", NULL);
    for (guint i = 0; i < def->iothread_ids->len; i++)
      vb_xml_writer_empty (w, "iothread", "id", sp_u (pool, g_array_index (def->iothread_ids, guint, i)), NULL);
    vb_xml_writer_end (w);
  }
  if (def->resource_partition) {
    vb_xml_writer_start (w, "resource", NULL);
    vb_xml_writer_element (w, "partition", def->resource_partition, NULL);
    vb_xml_writer_end (w);
  }
  for (guint i = 0; i < def->sysinfos->len; i++)
    vb_sysinfo_def_format (w, g_ptr_array_index (def->sysinfos, i));
  os_format (w, &def->os);
  features_format (w, &def->features);
  if (def->cpu)
    cpu_format (w, def->cpu);
  clock_format (w, &def->clock);
  vb_xml_writer_element (w, "on_poweroff", enum_str (lifecycle_names, 0, def->on_poweroff), NULL);
  vb_xml_writer_element (w, "on_reboot", enum_str (lifecycle_names, 0, def->on_reboot), NULL);
  vb_xml_writer_element (w, "on_crash", enum_str (lifecycle_names, 0, def->on_crash), NULL);
  vb_xml_writer_element (w, "on_lockfailure", enum_str (lockfailure_names, 1, def->on_lockfailure), NULL);
  if (def->pm_suspend_to_mem || def->pm_suspend_to_disk) {
    vb_xml_writer_start (w, "pm", NULL);
    if (def->pm_suspend_to_mem)
      vb_xml_writer_empty (w, "suspend-to-mem", "enabled", tristate_str (def->pm_suspend_to_mem, FALSE), NULL);
    if (def->pm_suspend_to_disk)
      vb_xml_writer_empty (w, "suspend-to-disk", "enabled", tristate_str (def->pm_suspend_to_disk, FALSE), NULL);
    vb_xml_writer_end (w);
  }

  vb_xml_writer_start (w, "devices", NULL);
  vb_xml_writer_element (w, "emulator", def->emulator, NULL);
  for (gsize t = 0; t < G_N_ELEMENTS (device_format_order); t++) {
    VbDomainDeviceType type = device_format_order[t];
    GPtrArray *arr = device_array (def, type);
    if (type == VB_DOMAIN_DEVICE_MEMBALLOON) {
      if (def->memballoon)
        memballoon_format (w, def->memballoon, flags);
      continue;
    }
    for (guint i = 0; i < arr->len; i++)
      device_format (w, type, g_ptr_array_index (arr, i), flags);
    /* libvirt writes the filter right after the redirdevs. */
    if (type == VB_DOMAIN_DEVICE_REDIRDEV)
      redirfilter_format (w, def->redirfilter);
  }
  vb_xml_writer_end (w);

  for (guint i = 0; i < def->seclabels->len; i++)
    seclabel_format (w, g_ptr_array_index (def->seclabels, i), flags);
  vb_xml_writer_end (w);
}

char *
vb_domain_def_format (const VbDomainDef *def, guint flags)
{
  g_autoptr(VbXmlWriter) w = vb_xml_writer_new ();

  g_return_val_if_fail (def != NULL, NULL);
  vb_domain_def_format_into (w, def, flags, "domain");
  return vb_xml_writer_finish (g_steal_pointer (&w));
}

/* ------------------------------------------------------------------ */
/* Metadata API                                                         */

static const char *
empty_to_null (const char *s)
{
  return (s && *s) ? s : NULL;
}

char *
vb_domain_def_get_metadata (const VbDomainDef *def, int type, const char *uri, GError **error)
{
  g_return_val_if_fail (def != NULL, NULL);
  uri = empty_to_null (uri);

  switch (type) {
  case VB_DOMAIN_METADATA_DESCRIPTION:
  case VB_DOMAIN_METADATA_TITLE: {
    const char *value = type == VB_DOMAIN_METADATA_TITLE ? def->title : def->description;
    if (uri) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "a namespace URI is only meaningful for element metadata");
      return NULL;
    }
    if (value == NULL) {
      g_set_error (error, VB_ERROR, VB_ERROR_NOT_FOUND, "metadata not found: the domain has no %s",
                   type == VB_DOMAIN_METADATA_TITLE ? "title" : "description");
      return NULL;
    }
    return g_strdup (value);
  }
  case VB_DOMAIN_METADATA_ELEMENT:
    if (uri == NULL) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "element metadata needs a namespace URI");
      return NULL;
    }
    for (guint i = 0; i < def->metadata->len; i++) {
      const VbDomainMetadataEntry *e = g_ptr_array_index (def->metadata, i);
      if (g_strcmp0 (e->uri, uri) == 0)
        return g_strdup (e->xml);
    }
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_FOUND, "metadata not found: no element in namespace '%s'", uri);
    return NULL;
  default:
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "unknown metadata type %d", type);
    return NULL;
  }
}

static gboolean
ncname_check (const char *s)
{
  if (!g_ascii_isalpha (*s) && *s != '_')
    return FALSE;
  if (g_ascii_strncasecmp (s, "xml", 3) == 0)
    return FALSE;
  return chars_in (s, "_.-");
}

/* Skips an XML declaration so a fragment can be wrapped in an element. */
static const char *
skip_xml_decl (const char *xml)
{
  const char *p = xml;
  while (g_ascii_isspace (*p))
    p++;
  if (g_str_has_prefix (p, "<?xml")) {
    const char *end = strstr (p, "?>");
    if (end)
      return end + 2;
  }
  return xml;
}

/* Parses @fragment wrapped in <@wrapper>; returns the document. */
static xmlDoc *
parse_wrapped (const char *fragment, const char *wrapper, GError **error)
{
  g_autofree char *doc = NULL;

  if (fragment == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_XML, "no XML given");
    return NULL;
  }
  doc = g_strdup_printf ("<%s>%s</%s>", wrapper, skip_xml_decl (fragment), wrapper);
  return vb_xml_parse (doc, -1, wrapper, error);
}

static gboolean
metadata_make_element (const char *value, const char *key, const char *uri,
                       VbDomainMetadataEntry **out, GError **error)
{
  g_autoptr(xmlDoc) doc = parse_wrapped (value, "metadata", error);
  xmlNode *root, *elem = NULL;
  xmlNs *ns;
  VbDomainMetadataEntry *e;

  if (doc == NULL)
    return FALSE;
  root = xmlDocGetRootElement (doc);
  for (xmlNode *c = root->children; c != NULL; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) {
      if (elem != NULL) {
        g_set_error (error, VB_ERROR, VB_ERROR_XML, "metadata must be a single XML element");
        return FALSE;
      }
      elem = c;
    } else if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content) {
      for (const xmlChar *p = c->content; *p; p++) {
        if (!g_ascii_isspace (*p)) {
          g_set_error (error, VB_ERROR, VB_ERROR_XML, "metadata must be a single XML element, not text");
          return FALSE;
        }
      }
    }
  }
  if (elem == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_XML, "metadata must be a single XML element");
    return FALSE;
  }
  ns = xmlNewNs (elem, (const xmlChar *) uri, (const xmlChar *) key);
  if (ns == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_XML, "the metadata element already declares prefix '%s'", key);
    return FALSE;
  }
  xmlSetNs (elem, ns);
  e = g_new0 (VbDomainMetadataEntry, 1);
  e->uri = g_strdup (uri);
  e->xml = element_dump (elem);
  if (e->xml == NULL) {
    metadata_entry_free (e);
    g_set_error (error, VB_ERROR, VB_ERROR_XML, "cannot serialize the metadata element");
    return FALSE;
  }
  *out = e;
  return TRUE;
}

gboolean
vb_domain_def_set_metadata (VbDomainDef *def, int type, const char *key, const char *uri,
                            const char *value, GError **error)
{
  gboolean remove;

  g_return_val_if_fail (def != NULL, FALSE);
  key = empty_to_null (key);
  uri = empty_to_null (uri);
  value = empty_to_null (value);
  remove = value == NULL;

  switch (type) {
  case VB_DOMAIN_METADATA_DESCRIPTION:
  case VB_DOMAIN_METADATA_TITLE: {
    char **slot = type == VB_DOMAIN_METADATA_TITLE ? &def->title : &def->description;
    g_autofree char *copy = g_strdup (value);
    if (key || uri) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "key and URI are only meaningful for element metadata");
      return FALSE;
    }
    if (!remove) {
      normalize_newlines (copy);
      for (const char *p = copy; *p; p++) {
        guchar c = (guchar) *p;
        if (c == '\n' && type == VB_DOMAIN_METADATA_TITLE) {
          g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "the title must be a single line");
          return FALSE;
        }
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
          g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "metadata text contains control characters");
          return FALSE;
        }
      }
      if (!g_utf8_validate (copy, -1, NULL)) {
        g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "metadata text is not valid UTF-8");
        return FALSE;
      }
    }
    g_free (*slot);
    *slot = g_steal_pointer (&copy);
    return TRUE;
  }
  case VB_DOMAIN_METADATA_ELEMENT: {
    VbDomainMetadataEntry *entry = NULL;
    guint pos = def->metadata->len;
    if (uri == NULL) {
      g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "element metadata needs a namespace URI");
      return FALSE;
    }
    if (!remove) {
      if (key == NULL || !ncname_check (key)) {
        g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "metadata key '%s' is not a valid namespace prefix",
                     key ? key : "");
        return FALSE;
      }
      if (!metadata_make_element (value, key, uri, &entry, error))
        return FALSE;
    }
    /* Replace every element of that namespace, keeping the first's place. */
    for (guint i = def->metadata->len; i > 0; i--) {
      const VbDomainMetadataEntry *e = g_ptr_array_index (def->metadata, i - 1);
      if (g_strcmp0 (e->uri, uri) == 0) {
        g_ptr_array_remove_index (def->metadata, i - 1);
        pos = i - 1;
      }
    }
    if (entry)
      g_ptr_array_insert (def->metadata, (gint) pos, entry);
    return TRUE;
  }
  default:
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "unknown metadata type %d", type);
    return FALSE;
  }
}

/* ------------------------------------------------------------------ */
/* Look-ups                                                             */

VbDomainDiskDef *
vb_domain_def_find_disk_by_target (const VbDomainDef *def, const char *dst)
{
  g_return_val_if_fail (def != NULL, NULL);
  for (guint i = 0; dst && i < def->disks->len; i++) {
    VbDomainDiskDef *d = g_ptr_array_index (def->disks, i);
    if (strcmp (d->dst, dst) == 0)
      return d;
  }
  return NULL;
}

VbDomainDiskDef *
vb_domain_def_find_disk_by_path (const VbDomainDef *def, const char *path)
{
  g_return_val_if_fail (def != NULL, NULL);
  for (guint i = 0; path && i < def->disks->len; i++) {
    VbDomainDiskDef *d = g_ptr_array_index (def->disks, i);
    if (g_strcmp0 (d->src_path, path) == 0)
      return d;
  }
  return NULL;
}

VbDomainDiskDef *
vb_domain_def_find_disk (const VbDomainDef *def, const char *name)
{
  VbDomainDiskDef *d = vb_domain_def_find_disk_by_target (def, name);
  return d ? d : vb_domain_def_find_disk_by_path (def, name);
}

VbDomainNetDef *
vb_domain_def_find_net_by_mac (const VbDomainDef *def, const char *mac)
{
  char want[18];

  g_return_val_if_fail (def != NULL, NULL);
  if (!vb_domain_mac_parse (mac, want))
    return NULL;
  for (guint i = 0; i < def->nets->len; i++) {
    VbDomainNetDef *n = g_ptr_array_index (def->nets, i);
    if (g_ascii_strcasecmp (n->mac, want) == 0)
      return n;
  }
  return NULL;
}

VbDomainNetDef *
vb_domain_def_find_net_by_target (const VbDomainDef *def, const char *ifname)
{
  g_return_val_if_fail (def != NULL, NULL);
  for (guint i = 0; ifname && i < def->nets->len; i++) {
    VbDomainNetDef *n = g_ptr_array_index (def->nets, i);
    if (g_strcmp0 (n->target_dev, ifname) == 0)
      return n;
  }
  return NULL;
}

/* ------------------------------------------------------------------ */
/* Device API                                                           */

VbDomainDeviceDef *
vb_domain_device_def_parse (const char *xml, GError **error)
{
  g_autoptr(xmlDoc) doc = parse_wrapped (xml, "devices", error);
  g_autoptr(VbDomainDeviceDef) dev = NULL;
  xmlNode *root, *node;

  if (doc == NULL)
    return NULL;
  root = xmlDocGetRootElement (doc);
  node = vb_xml_next (root, NULL, NULL);
  if (node == NULL) {
    if (!vb_xml_check_consumed (root, error))
      return NULL;
    g_set_error (error, VB_ERROR, VB_ERROR_XML, "no device element given");
    return NULL;
  }
  if (vb_xml_next (root, node, NULL) != NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_XML, "expected a single device element");
    return NULL;
  }
  dev = device_parse_node (node, 0, error);
  if (dev == NULL || !vb_xml_check_consumed (root, error))
    return NULL;
  if (dev->type == VB_DOMAIN_DEVICE_CONTROLLER && dev->data.controller->index == CONTROLLER_INDEX_UNSET)
    dev->data.controller->index = 0;
  return g_steal_pointer (&dev);
}

VbDomainDiskDef *
vb_domain_disk_source_parse (const char *xml, GError **error)
{
  g_autoptr(xmlDoc) doc = parse_wrapped (xml, "devices", error);
  xmlNode *node;

  if (doc == NULL)
    return NULL;
  node = vb_xml_next (xmlDocGetRootElement (doc), NULL, NULL);
  if (node == NULL || strcmp ((const char *) node->name, "disk") != 0 ||
      vb_xml_next (xmlDocGetRootElement (doc), node, NULL) != NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_XML, "expected a single <disk> element");
    return NULL;
  }
  return disk_parse (node, VB_DOMAIN_PARSE_INACTIVE | VB_DOMAIN_PARSE_DISK_SOURCE, error);
}

void
vb_domain_disk_def_free (VbDomainDiskDef *disk)
{
  disk_free (disk);
}

static VbDomainDeviceInfo *
device_info (VbDomainDeviceType type, gpointer data)
{
  switch (type) {
  case VB_DOMAIN_DEVICE_DISK: return &((VbDomainDiskDef *) data)->info;
  case VB_DOMAIN_DEVICE_CONTROLLER: return &((VbDomainControllerDef *) data)->info;
  case VB_DOMAIN_DEVICE_INTERFACE: return &((VbDomainNetDef *) data)->info;
  case VB_DOMAIN_DEVICE_SERIAL:
  case VB_DOMAIN_DEVICE_PARALLEL:
  case VB_DOMAIN_DEVICE_CONSOLE:
  case VB_DOMAIN_DEVICE_CHANNEL: return &((VbDomainChrDef *) data)->info;
  case VB_DOMAIN_DEVICE_VIDEO: return &((VbDomainVideoDef *) data)->info;
  case VB_DOMAIN_DEVICE_INPUT: return &((VbDomainInputDef *) data)->info;
  case VB_DOMAIN_DEVICE_SOUND: return &((VbDomainSoundDef *) data)->info;
  case VB_DOMAIN_DEVICE_HOSTDEV: return &((VbDomainHostdevDef *) data)->info;
  case VB_DOMAIN_DEVICE_MEMBALLOON: return &((VbDomainMemballoonDef *) data)->info;
  case VB_DOMAIN_DEVICE_RNG: return &((VbDomainRngDef *) data)->info;
  case VB_DOMAIN_DEVICE_WATCHDOG: return &((VbDomainWatchdogDef *) data)->info;
  case VB_DOMAIN_DEVICE_PANIC: return &((VbDomainPanicDef *) data)->info;
  case VB_DOMAIN_DEVICE_FILESYSTEM: return &((VbDomainFsDef *) data)->info;
  case VB_DOMAIN_DEVICE_TPM: return &((VbDomainTpmDef *) data)->info;
  case VB_DOMAIN_DEVICE_REDIRDEV: return &((VbDomainRedirdevDef *) data)->info;
  case VB_DOMAIN_DEVICE_GRAPHICS:
  case VB_DOMAIN_DEVICE_AUDIO:
  case VB_DOMAIN_DEVICE_LAST:
  default: return NULL;
  }
}

static void
device_data_free (VbDomainDeviceType type, gpointer data)
{
  VbDomainDeviceDef *tmp = g_new0 (VbDomainDeviceDef, 1);
  tmp->type = type;
  tmp->data.ptr = data;
  vb_domain_device_def_free (tmp);
}

/* Does device @have of the domain match the description @want? */
static gboolean
device_matches (VbDomainDeviceType type, gconstpointer want, gconstpointer have)
{
  VbDomainDeviceInfo *wi = device_info (type, (gpointer) want);
  VbDomainDeviceInfo *hi = device_info (type, (gpointer) have);

  if (wi && !info_matches (wi, hi))
    return FALSE;
  switch (type) {
  case VB_DOMAIN_DEVICE_DISK:
    return strcmp (((const VbDomainDiskDef *) want)->dst, ((const VbDomainDiskDef *) have)->dst) == 0;
  case VB_DOMAIN_DEVICE_CONTROLLER: {
    const VbDomainControllerDef *a = want, *b = have;
    return a->type == b->type && a->index == b->index;
  }
  case VB_DOMAIN_DEVICE_INTERFACE: {
    const VbDomainNetDef *a = want, *b = have;
    return a->mac_generated || g_ascii_strcasecmp (a->mac, b->mac) == 0;
  }
  case VB_DOMAIN_DEVICE_SERIAL:
  case VB_DOMAIN_DEVICE_PARALLEL:
  case VB_DOMAIN_DEVICE_CONSOLE:
  case VB_DOMAIN_DEVICE_CHANNEL: {
    const VbDomainChrDef *a = want, *b = have;
    if (a->type != b->type)
      return FALSE;
    if (a->has_target_port && (!b->has_target_port || a->target_port != b->target_port))
      return FALSE;
    if (a->target_name && g_strcmp0 (a->target_name, b->target_name) != 0)
      return FALSE;
    if (a->src_path && a->type != VB_DOMAIN_CHR_TYPE_PTY && g_strcmp0 (a->src_path, b->src_path) != 0)
      return FALSE;
    return TRUE;
  }
  case VB_DOMAIN_DEVICE_GRAPHICS:
    return ((const VbDomainGraphicsDef *) want)->type == ((const VbDomainGraphicsDef *) have)->type;
  case VB_DOMAIN_DEVICE_VIDEO:
    return ((const VbDomainVideoDef *) want)->model == ((const VbDomainVideoDef *) have)->model;
  case VB_DOMAIN_DEVICE_INPUT: {
    const VbDomainInputDef *a = want, *b = have;
    return a->type == b->type && (a->bus == VB_DOMAIN_INPUT_BUS_NONE || a->bus == b->bus);
  }
  case VB_DOMAIN_DEVICE_SOUND:
    return ((const VbDomainSoundDef *) want)->model == ((const VbDomainSoundDef *) have)->model;
  case VB_DOMAIN_DEVICE_AUDIO:
    return ((const VbDomainAudioDef *) want)->id == ((const VbDomainAudioDef *) have)->id;
  case VB_DOMAIN_DEVICE_HOSTDEV: {
    const VbDomainHostdevDef *a = want, *b = have;
    if (a->type != b->type)
      return FALSE;
    if (a->type == VB_DOMAIN_HOSTDEV_PCI)
      return a->pci_domain == b->pci_domain && a->pci_bus == b->pci_bus && a->pci_slot == b->pci_slot &&
             a->pci_function == b->pci_function;
    if (a->has_usb_vendor && (!b->has_usb_vendor || a->usb_vendor != b->usb_vendor || a->usb_product != b->usb_product))
      return FALSE;
    if (a->has_usb_address && (!b->has_usb_address || a->usb_bus != b->usb_bus || a->usb_device != b->usb_device))
      return FALSE;
    return TRUE;
  }
  case VB_DOMAIN_DEVICE_MEMBALLOON:
    return ((const VbDomainMemballoonDef *) want)->model == ((const VbDomainMemballoonDef *) have)->model;
  case VB_DOMAIN_DEVICE_RNG: {
    const VbDomainRngDef *a = want, *b = have;
    return a->model == b->model && a->backend == b->backend && (a->source == NULL || g_strcmp0 (a->source, b->source) == 0);
  }
  case VB_DOMAIN_DEVICE_WATCHDOG:
    return ((const VbDomainWatchdogDef *) want)->model == ((const VbDomainWatchdogDef *) have)->model;
  case VB_DOMAIN_DEVICE_PANIC:
    return ((const VbDomainPanicDef *) want)->model == ((const VbDomainPanicDef *) have)->model;
  case VB_DOMAIN_DEVICE_FILESYSTEM:
    return strcmp (((const VbDomainFsDef *) want)->dst, ((const VbDomainFsDef *) have)->dst) == 0;
  case VB_DOMAIN_DEVICE_TPM: {
    const VbDomainTpmDef *a = want, *b = have;
    return a->model == VB_DOMAIN_TPM_MODEL_DEFAULT || a->model == b->model;
  }
  case VB_DOMAIN_DEVICE_REDIRDEV: {
    const VbDomainRedirdevDef *a = want, *b = have;
    return a->type == b->type && g_strcmp0 (a->src_host, b->src_host) == 0 &&
           g_strcmp0 (a->src_service, b->src_service) == 0;
  }
  case VB_DOMAIN_DEVICE_LAST:
  default:
    return FALSE;
  }
}

int
vb_domain_def_find_device (const VbDomainDef *def, const VbDomainDeviceDef *dev, GError **error)
{
  const char *name;
  GPtrArray *arr;
  int found = -1;
  guint count = 0;

  g_return_val_if_fail (def != NULL && dev != NULL, -1);
  name = vb_domain_device_type_to_string (dev->type);
  if (dev->type == VB_DOMAIN_DEVICE_MEMBALLOON) {
    if (def->memballoon && device_matches (dev->type, dev->data.ptr, def->memballoon))
      return 0;
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_FOUND, "no matching <memballoon> device found");
    return -1;
  }
  arr = device_array (def, dev->type);
  if (arr == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "unknown device type %d", dev->type);
    return -1;
  }
  for (guint i = 0; i < arr->len; i++) {
    if (device_matches (dev->type, dev->data.ptr, g_ptr_array_index (arr, i))) {
      if (found < 0)
        found = (int) i;
      count++;
    }
  }
  if (count == 0) {
    if (dev->type == VB_DOMAIN_DEVICE_DISK)
      g_set_error (error, VB_ERROR, VB_ERROR_NOT_FOUND, "no disk with target '%s' found", dev->data.disk->dst);
    else if (dev->type == VB_DOMAIN_DEVICE_INTERFACE && !dev->data.net->mac_generated)
      g_set_error (error, VB_ERROR, VB_ERROR_NOT_FOUND, "no interface with MAC address '%s' found", dev->data.net->mac);
    else
      g_set_error (error, VB_ERROR, VB_ERROR_NOT_FOUND, "no matching <%s> device found", name);
    return -1;
  }
  if (count > 1) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG,
                 "%u <%s> devices match; give an alias, address or MAC address to pick one", count, name);
    return -1;
  }
  return found;
}

VbDomainDeviceDef *
vb_domain_def_remove_device (VbDomainDef *def, const VbDomainDeviceDef *dev, GError **error)
{
  VbDomainDeviceDef *removed;
  int idx = vb_domain_def_find_device (def, dev, error);

  if (idx < 0)
    return NULL;
  removed = g_new0 (VbDomainDeviceDef, 1);
  removed->type = dev->type;
  if (dev->type == VB_DOMAIN_DEVICE_MEMBALLOON)
    removed->data.memballoon = g_steal_pointer (&def->memballoon);
  else
    removed->data.ptr = g_ptr_array_steal_index (device_array (def, dev->type), (guint) idx);
  return removed;
}

/* The clash checks of AttachDevice, reported as VB_ERROR_EXISTS. */
static gboolean
device_check_unique (const VbDomainDef *def, const VbDomainDeviceDef *dev, GError **error)
{
  switch (dev->type) {
  case VB_DOMAIN_DEVICE_DISK:
    if (vb_domain_def_find_disk_by_target (def, dev->data.disk->dst)) {
      g_set_error (error, VB_ERROR, VB_ERROR_EXISTS, "a disk with target '%s' already exists", dev->data.disk->dst);
      return FALSE;
    }
    break;
  case VB_DOMAIN_DEVICE_INTERFACE:
    if (vb_domain_def_find_net_by_mac (def, dev->data.net->mac)) {
      g_set_error (error, VB_ERROR, VB_ERROR_EXISTS, "an interface with MAC address '%s' already exists",
                   dev->data.net->mac);
      return FALSE;
    }
    break;
  case VB_DOMAIN_DEVICE_MEMBALLOON:
    if (def->memballoon != NULL) {
      g_set_error (error, VB_ERROR, VB_ERROR_EXISTS, "the domain already has a <memballoon>");
      return FALSE;
    }
    break;
  case VB_DOMAIN_DEVICE_CONTROLLER:
  case VB_DOMAIN_DEVICE_AUDIO:
  case VB_DOMAIN_DEVICE_FILESYSTEM:
    if (vb_domain_def_find_device (def, dev, NULL) >= 0) {
      g_set_error (error, VB_ERROR, VB_ERROR_EXISTS, "such a <%s> already exists",
                   vb_domain_device_type_to_string (dev->type));
      return FALSE;
    }
    break;
  default:
    break;
  }
  return TRUE;
}

gboolean
vb_domain_def_add_device (VbDomainDef *def, const VbDomainDeviceDef *dev, GError **error)
{
  gpointer copy;
  g_autoptr(GError) local = NULL;

  g_return_val_if_fail (def != NULL && dev != NULL, FALSE);
  if (!device_check_unique (def, dev, error))
    return FALSE;
  copy = device_data_copy (dev->type, dev->data.ptr);
  if (copy == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "unknown device type %d", dev->type);
    return FALSE;
  }
  if (dev->type == VB_DOMAIN_DEVICE_MEMBALLOON)
    def->memballoon = copy;
  else
    g_ptr_array_add (device_array (def, dev->type), copy);
  if (!vb_domain_def_validate (def, &local)) {
    if (dev->type == VB_DOMAIN_DEVICE_MEMBALLOON)
      g_clear_pointer (&def->memballoon, memballoon_free);
    else
      g_ptr_array_remove_index (device_array (def, dev->type), device_array (def, dev->type)->len - 1);
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "%s", local->message);
    return FALSE;
  }
  return TRUE;
}

gboolean
vb_domain_def_update_device (VbDomainDef *def, const VbDomainDeviceDef *dev, GError **error)
{
  g_autoptr(GError) local = NULL;
  gpointer copy, old;
  VbDomainDeviceInfo *ni, *oi;
  GPtrArray *arr = NULL;
  int idx = vb_domain_def_find_device (def, dev, error);

  if (idx < 0)
    return FALSE;
  if (dev->type == VB_DOMAIN_DEVICE_MEMBALLOON) {
    old = def->memballoon;
  } else {
    arr = device_array (def, dev->type);
    old = g_ptr_array_index (arr, idx);
  }
  copy = device_data_copy (dev->type, dev->data.ptr);
  ni = device_info (dev->type, copy);
  oi = device_info (dev->type, old);
  if (ni && oi) {
    if (ni->alias == NULL)
      ni->alias = g_strdup (oi->alias);
    if (ni->address.type == VB_DOMAIN_ADDRESS_NONE)
      address_copy (&ni->address, &oi->address);
  }
  if (dev->type == VB_DOMAIN_DEVICE_INTERFACE && ((VbDomainNetDef *) copy)->mac_generated)
    memcpy (((VbDomainNetDef *) copy)->mac, ((VbDomainNetDef *) old)->mac, sizeof ((VbDomainNetDef *) old)->mac);

  if (arr)
    arr->pdata[idx] = copy;
  else
    def->memballoon = copy;
  if (!vb_domain_def_validate (def, &local)) {
    if (arr)
      arr->pdata[idx] = old;
    else
      def->memballoon = old;
    device_data_free (dev->type, copy);
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "%s", local->message);
    return FALSE;
  }
  device_data_free (dev->type, old);
  return TRUE;
}
