/* VbDomainDef → QEMU argv.
 *
 * vb_qemu_domain_validate() refuses, with a message naming the element,
 * everything the builder below cannot express, so a definition that passes
 * always builds. The builder works on a copy of the definition whose device
 * aliases are filled in by vb_qemu_domain_assign_aliases(): the backend calls
 * that same function on the live definition, so the QEMU ids on the command
 * line and the <alias> names in the live XML always agree (and hotplug can
 * address devices by them).
 */
#include "vb-qemu-command.h"

#include <json-glib/json-glib.h>
#include <sys/un.h>

#include "vb-error.h"

/* ------------------------------------------------------------------ */
/* Small helpers                                                        */

#define NOT_SUPPORTED(error, ...) \
  (g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED, __VA_ARGS__), FALSE)
#define XML_ERROR(error, ...) (g_set_error (error, VB_ERROR, VB_ERROR_XML, __VA_ARGS__), FALSE)

/* QEMU option values escape ',' by doubling it. */
static void
append_escaped (GString *s, const char *value)
{
  for (const char *p = value; *p != '\0'; p++) {
    if (*p == ',')
      g_string_append_c (s, ',');
    g_string_append_c (s, *p);
  }
}

/* Appends ",key=value" (or "key=value" at the start). */
static void
opt (GString *s, const char *key, const char *value)
{
  if (s->len > 0)
    g_string_append_c (s, ',');
  g_string_append (s, key);
  g_string_append_c (s, '=');
  append_escaped (s, value);
}

static void G_GNUC_PRINTF (3, 4)
optf (GString *s, const char *key, const char *fmt, ...)
{
  g_autofree char *value = NULL;
  va_list ap;

  va_start (ap, fmt);
  value = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  opt (s, key, value);
}

/* "vda" → 0, "sdb" → 1, "hdaa" → 26; -1 when the name has no letter suffix. */
static int
disk_name_index (const char *dst)
{
  const char *p = dst;
  int idx = 0;

  if (g_str_has_prefix (p, "vd") || g_str_has_prefix (p, "sd") || g_str_has_prefix (p, "hd"))
    p += 2;
  else
    return -1;
  if (*p == '\0')
    return -1;
  for (; *p != '\0'; p++) {
    if (*p < 'a' || *p > 'z')
      return -1;
    idx = idx * 26 + (*p - 'a' + 1);
  }
  return idx - 1;
}

static VbDomainDiskBus
disk_bus (const VbDomainDiskDef *disk, gboolean q35)
{
  if (disk->bus != VB_DOMAIN_DISK_BUS_NONE)
    return disk->bus;
  if (g_str_has_prefix (disk->dst, "vd"))
    return VB_DOMAIN_DISK_BUS_VIRTIO;
  if (g_str_has_prefix (disk->dst, "sd"))
    return VB_DOMAIN_DISK_BUS_SCSI;
  if (g_str_has_prefix (disk->dst, "hd"))
    return q35 ? VB_DOMAIN_DISK_BUS_SATA : VB_DOMAIN_DISK_BUS_IDE;
  return VB_DOMAIN_DISK_BUS_NONE;
}

static gboolean
machine_is_q35 (const char *machine)
{
  return machine != NULL && (g_str_equal (machine, "q35") || g_str_has_prefix (machine, "pc-q35"));
}

static gboolean
machine_is_pc (const char *machine)
{
  return machine != NULL
         && (g_str_equal (machine, "pc") || g_str_has_prefix (machine, "pc-i440fx") || machine_is_q35 (machine));
}

/* The machine QEMU will run: @def's (alias resolved) or QEMU's default. */
static const VbQemuMachine *
resolve_machine (const VbDomainDef *def, const VbQemuCaps *caps, GError **error)
{
  const VbQemuMachine *m = vb_qemu_caps_machine_or_default (caps, def->os.machine);

  if (m == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED, "machine type '%s' is not supported by %s",
                 def->os.machine ? def->os.machine : "(default)", caps->emulator);
    return NULL;
  }
  if (!machine_is_pc (m->name)) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                 "machine type '%s' is not supported by the QEMU driver yet (use pc or q35)", m->name);
    return NULL;
  }
  return m;
}

char *
vb_qemu_console_socket_path (const char *run_dir, guint index)
{
  g_autofree char *base = g_strdup_printf ("serial%u.sock", index);

  return g_build_filename (run_dir, base, NULL);
}

/* ------------------------------------------------------------------ */
/* Aliases                                                              */

static void
set_alias (VbDomainDeviceInfo *info, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static void
set_alias (VbDomainDeviceInfo *info, const char *fmt, ...)
{
  va_list ap;

  if (info->alias != NULL)
    return;
  va_start (ap, fmt);
  info->alias = g_strdup_vprintf (fmt, ap);
  va_end (ap);
}

void
vb_qemu_domain_assign_aliases (VbDomainDef *def)
{
  gboolean q35 = machine_is_q35 (def->os.machine);

  for (guint i = 0; i < def->controllers->len; i++) {
    VbDomainControllerDef *c = g_ptr_array_index (def->controllers, i);

    switch (c->type) {
    case VB_DOMAIN_CONTROLLER_USB:
      if (c->index == 0)
        set_alias (&c->info, "usb");
      else
        set_alias (&c->info, "usb%u", c->index);
      break;
    case VB_DOMAIN_CONTROLLER_PCI:
      if (c->index == 0)
        set_alias (&c->info, q35 ? "pcie.0" : "pci.0");
      else
        set_alias (&c->info, "pci.%u", c->index);
      break;
    case VB_DOMAIN_CONTROLLER_IDE:
      set_alias (&c->info, "ide");
      break;
    default:
      set_alias (&c->info, "%s%u", vb_domain_controller_type_to_string (c->type), c->index);
      break;
    }
  }
  for (guint i = 0; i < def->disks->len; i++) {
    VbDomainDiskDef *d = g_ptr_array_index (def->disks, i);
    int idx = MAX (disk_name_index (d->dst), 0);

    switch (disk_bus (d, q35)) {
    case VB_DOMAIN_DISK_BUS_VIRTIO:
      set_alias (&d->info, "virtio-disk%d", idx);
      break;
    case VB_DOMAIN_DISK_BUS_SATA:
      set_alias (&d->info, "sata0-0-%d", idx);
      break;
    case VB_DOMAIN_DISK_BUS_IDE:
      set_alias (&d->info, "ide0-%d-%d", idx / 2, idx % 2);
      break;
    case VB_DOMAIN_DISK_BUS_SCSI:
      set_alias (&d->info, "scsi0-0-0-%d", idx);
      break;
    default:
      set_alias (&d->info, "disk%u", i);
      break;
    }
  }
  for (guint i = 0; i < def->nets->len; i++)
    set_alias (&((VbDomainNetDef *) g_ptr_array_index (def->nets, i))->info, "net%u", i);
  for (guint i = 0; i < def->serials->len; i++)
    set_alias (&((VbDomainChrDef *) g_ptr_array_index (def->serials, i))->info, "serial%u", i);
  for (guint i = 0; i < def->consoles->len; i++) {
    VbDomainChrDef *c = g_ptr_array_index (def->consoles, i);

    /* libvirt's rule: the first serial-type console is serial0 itself. */
    if (i == 0 && def->serials->len > 0 && (c->target_type == NULL || g_str_equal (c->target_type, "serial")))
      set_alias (&c->info, "serial0");
    else
      set_alias (&c->info, "console%u", i);
  }
  for (guint i = 0; i < def->channels->len; i++)
    set_alias (&((VbDomainChrDef *) g_ptr_array_index (def->channels, i))->info, "channel%u", i);
  for (guint i = 0; i < def->inputs->len; i++)
    set_alias (&((VbDomainInputDef *) g_ptr_array_index (def->inputs, i))->info, "input%u", i);
  for (guint i = 0; i < def->videos->len; i++)
    set_alias (&((VbDomainVideoDef *) g_ptr_array_index (def->videos, i))->info, "video%u", i);
  for (guint i = 0; i < def->rngs->len; i++)
    set_alias (&((VbDomainRngDef *) g_ptr_array_index (def->rngs, i))->info, "rng%u", i);
  for (guint i = 0; i < def->sounds->len; i++)
    set_alias (&((VbDomainSoundDef *) g_ptr_array_index (def->sounds, i))->info, "sound%u", i);
  for (guint i = 0; i < def->redirdevs->len; i++)
    set_alias (&((VbDomainRedirdevDef *) g_ptr_array_index (def->redirdevs, i))->info, "redir%u", i);
  for (guint i = 0; i < def->tpms->len; i++)
    set_alias (&((VbDomainTpmDef *) g_ptr_array_index (def->tpms, i))->info, "tpm%u", i);
  for (guint i = 0; i < def->filesystems->len; i++)
    set_alias (&((VbDomainFsDef *) g_ptr_array_index (def->filesystems, i))->info, "fs%u", i);
  for (guint i = 0; i < def->watchdogs->len; i++)
    set_alias (&((VbDomainWatchdogDef *) g_ptr_array_index (def->watchdogs, i))->info, "watchdog%u", i);
  for (guint i = 0; i < def->panics->len; i++)
    set_alias (&((VbDomainPanicDef *) g_ptr_array_index (def->panics, i))->info, "panic%u", i);
  if (def->memballoon != NULL && def->memballoon->model != VB_DOMAIN_MEMBALLOON_NONE)
    set_alias (&def->memballoon->info, "balloon0");
}

/* ------------------------------------------------------------------ */
/* Validation                                                           */

static gboolean
validate_chr (const VbDomainChrDef *chr, const char *element, GError **error)
{
  if (chr->type == VB_DOMAIN_CHR_TYPE_SPICEVMC) {
    if (!g_str_equal (element, "channel") || g_strcmp0 (chr->target_type, "virtio") != 0)
      return NOT_SUPPORTED (error, "<%s type='spicevmc'>: only a <channel> with <target type='virtio'> (the SPICE "
                            "agent's) is supported", element);
    return TRUE;
  }
  switch (chr->type) {
  case VB_DOMAIN_CHR_TYPE_PTY:
  case VB_DOMAIN_CHR_TYPE_FILE:
  case VB_DOMAIN_CHR_TYPE_UNIX:
  case VB_DOMAIN_CHR_TYPE_TCP:
  case VB_DOMAIN_CHR_TYPE_NULL:
    break;
  default:
    return NOT_SUPPORTED (error, "<%s type='%s'> is not supported by the QEMU driver yet", element,
                          chr->type == VB_DOMAIN_CHR_TYPE_VC       ? "vc"
                          : chr->type == VB_DOMAIN_CHR_TYPE_DEV    ? "dev"
                          : chr->type == VB_DOMAIN_CHR_TYPE_PIPE   ? "pipe"
                          : chr->type == VB_DOMAIN_CHR_TYPE_STDIO  ? "stdio"
                                                                   : "spicevmc");
  }
  if (chr->type == VB_DOMAIN_CHR_TYPE_FILE && chr->src_path == NULL)
    return NOT_SUPPORTED (error, "<%s type='file'> needs <source path=>", element);
  if (chr->type == VB_DOMAIN_CHR_TYPE_TCP && (chr->src_host == NULL || chr->src_service == NULL))
    return NOT_SUPPORTED (error, "<%s type='tcp'> needs <source host= service=>", element);
  if (chr->protocol == VB_DOMAIN_CHR_PROTOCOL_TELNETS || chr->protocol == VB_DOMAIN_CHR_PROTOCOL_TLS)
    return NOT_SUPPORTED (error, "<%s><protocol type='%s'> is not supported by the QEMU driver yet", element,
                          chr->protocol == VB_DOMAIN_CHR_PROTOCOL_TLS ? "tls" : "telnets");
  return TRUE;
}

static gboolean
validate_disk (const VbDomainDiskDef *disk, gboolean q35, const VbQemuCaps *caps, GError **error)
{
  VbDomainDiskBus bus = disk_bus (disk, q35);

  if (disk->type == VB_DOMAIN_DISK_TYPE_DIR)
    return NOT_SUPPORTED (error, "<disk type='dir'> (%s) is not supported by the QEMU driver yet", disk->dst);
  if (disk->device != VB_DOMAIN_DISK_DEVICE_DISK && disk->device != VB_DOMAIN_DISK_DEVICE_CDROM)
    return NOT_SUPPORTED (error, "<disk device='%s'> (%s) is not supported by the QEMU driver yet",
                          vb_domain_disk_device_to_string (disk->device), disk->dst);
  if (disk->driver_name != NULL && !g_str_equal (disk->driver_name, "qemu"))
    return NOT_SUPPORTED (error, "<disk><driver name='%s'> (%s): only 'qemu' is supported", disk->driver_name,
                          disk->dst);
  if (disk->driver_format != NULL && !g_str_equal (disk->driver_format, "raw")
      && !g_str_equal (disk->driver_format, "qcow2"))
    return NOT_SUPPORTED (error, "<disk><driver type='%s'> (%s) is not supported by the QEMU driver yet (raw, qcow2)",
                          disk->driver_format, disk->dst);
  /* A pool's volume is looked up when the domain starts. */
  if (disk->src_path == NULL && disk->device == VB_DOMAIN_DISK_DEVICE_DISK && disk->type != VB_DOMAIN_DISK_TYPE_VOLUME)
    return NOT_SUPPORTED (error, "disk %s has no <source>", disk->dst);
  /* Block node names ("<alias>-file") are limited to 31 characters. */
  if (disk->info.alias != NULL && strlen (disk->info.alias) > 26)
    return NOT_SUPPORTED (error, "disk %s: alias '%s' is too long for QEMU (at most 26 characters)", disk->dst,
                          disk->info.alias);
  if (disk->startup_policy != VB_DOMAIN_STARTUP_POLICY_NONE)
    return NOT_SUPPORTED (error, "<source startupPolicy> (%s) is not supported by the QEMU driver yet", disk->dst);
  if (disk->shareable)
    return NOT_SUPPORTED (error, "<shareable/> (%s) is not supported by the QEMU driver yet", disk->dst);
  if (disk->transient)
    return NOT_SUPPORTED (error, "<transient/> (%s) is not supported by the QEMU driver yet", disk->dst);
  /* <iotune> is applied over QMP once QEMU runs (hotplug part, block_set_io_throttle). */
  if (disk->readonly && disk->device == VB_DOMAIN_DISK_DEVICE_DISK
      && (bus == VB_DOMAIN_DISK_BUS_IDE || bus == VB_DOMAIN_DISK_BUS_SATA))
    return NOT_SUPPORTED (error, "read-only IDE/SATA disks (%s) are not supported by QEMU; use virtio or scsi",
                          disk->dst);
  if (disk->driver_iothread != 0 && bus != VB_DOMAIN_DISK_BUS_VIRTIO)
    return NOT_SUPPORTED (error, "<driver iothread=> (%s) needs bus='virtio'", disk->dst);
  switch (bus) {
  case VB_DOMAIN_DISK_BUS_VIRTIO:
    if (disk->device == VB_DOMAIN_DISK_DEVICE_CDROM)
      return NOT_SUPPORTED (error, "a cdrom cannot use bus='virtio' (%s); use sata or scsi", disk->dst);
    break;
  case VB_DOMAIN_DISK_BUS_IDE:
    if (q35)
      return NOT_SUPPORTED (error, "IDE disks (%s) are not available on q35 machines; use bus='sata'", disk->dst);
    break;
  case VB_DOMAIN_DISK_BUS_SATA:
  case VB_DOMAIN_DISK_BUS_SCSI:
    break;
  default:
    return NOT_SUPPORTED (error, "<target bus='%s'> (%s) is not supported by the QEMU driver yet",
                          vb_domain_disk_bus_to_string (bus) ? vb_domain_disk_bus_to_string (bus) : "?", disk->dst);
  }
  if (disk->info.address.type != VB_DOMAIN_ADDRESS_NONE
      && disk->info.address.type != (bus == VB_DOMAIN_DISK_BUS_VIRTIO ? VB_DOMAIN_ADDRESS_PCI
                                                                      : VB_DOMAIN_ADDRESS_DRIVE))
    return NOT_SUPPORTED (error, "disk %s: this <address> type does not fit its bus", disk->dst);
  if (bus == VB_DOMAIN_DISK_BUS_VIRTIO && !vb_qemu_caps_has_device (caps, "virtio-blk-pci"))
    return NOT_SUPPORTED (error, "%s lacks virtio-blk-pci", caps->emulator);
  return TRUE;
}

static gboolean
validate_controller (const VbDomainControllerDef *c, gboolean q35, GError **error)
{
  const char *model = c->model;

  switch (c->type) {
  case VB_DOMAIN_CONTROLLER_USB:
    if (model == NULL || g_str_equal (model, "qemu-xhci") || g_str_equal (model, "piix3-uhci")
        || g_str_equal (model, "nec-xhci") || g_str_equal (model, "none"))
      return TRUE;
    break;
  case VB_DOMAIN_CONTROLLER_SCSI:
    if (model == NULL || g_str_equal (model, "virtio-scsi"))
      return TRUE;
    break;
  case VB_DOMAIN_CONTROLLER_VIRTIO_SERIAL:
    return TRUE;
  case VB_DOMAIN_CONTROLLER_SATA:
    return TRUE;
  case VB_DOMAIN_CONTROLLER_IDE:
    if (q35)
      return NOT_SUPPORTED (error, "<controller type='ide'> is not available on q35 machines");
    if (c->index != 0)
      return NOT_SUPPORTED (error, "only one IDE controller (index 0) is available");
    return TRUE;
  case VB_DOMAIN_CONTROLLER_PCI:
    if (model == NULL)
      return TRUE;
    if (c->index == 0 && (g_str_equal (model, q35 ? "pcie-root" : "pci-root")))
      return TRUE;
    if (c->index > 0 && q35 && g_str_equal (model, "pcie-root-port"))
      return TRUE;
    if (c->index > 0 && g_str_equal (model, "pci-bridge"))
      return TRUE;
    break;
  default:
    return NOT_SUPPORTED (error, "<controller type='%s'> is not supported by the QEMU driver yet",
                          vb_domain_controller_type_to_string (c->type));
  }
  return NOT_SUPPORTED (error, "<controller type='%s' model='%s'> is not supported by the QEMU driver yet",
                        vb_domain_controller_type_to_string (c->type), model ? model : "");
}

static gboolean
validate_cpu (const VbDomainDef *def, const VbQemuCaps *caps, GError **error)
{
  const VbDomainCpuDef *cpu = def->cpu;
  gboolean kvm = def->virt_type == VB_DOMAIN_VIRT_KVM;

  if (cpu == NULL)
    return TRUE;
  if (cpu->numa != NULL && cpu->numa->len > 0)
    return NOT_SUPPORTED (error, "<cpu><numa> is not supported by the QEMU driver yet");
  /* <vendor>: the host's CPU must be of that vendor (the guest's model
   * says what the guest sees). */
  if (cpu->vendor != NULL && cpu->mode == VB_DOMAIN_CPU_MODE_CUSTOM) {
    const char *host = caps->cpu != NULL ? vb_qemu_cpu_host_vendor (caps->cpu) : NULL;

    if (g_strcmp0 (host, cpu->vendor) != 0)
      return NOT_SUPPORTED (error, "the CPU definition asks for a host CPU of vendor %s, this host's is %s",
                            cpu->vendor, host ? host : "unknown");
  }
  if (cpu->sockets || cpu->dies || cpu->cores || cpu->threads) {
    guint total = MAX (cpu->sockets, 1) * MAX (cpu->dies, 1) * MAX (cpu->cores, 1) * MAX (cpu->threads, 1);
    if (total != def->vcpus)
      return NOT_SUPPORTED (error, "CPU topology (%u sockets × %u dies × %u cores × %u threads) does not match "
                            "the %u vCPUs", MAX (cpu->sockets, 1), MAX (cpu->dies, 1), MAX (cpu->cores, 1),
                            MAX (cpu->threads, 1), def->vcpus);
  }
  switch (cpu->mode) {
  case VB_DOMAIN_CPU_MODE_HOST_PASSTHROUGH:
    if (!kvm)
      return NOT_SUPPORTED (error, "<cpu mode='host-passthrough'> needs KVM (domain type='kvm')");
    break;
  case VB_DOMAIN_CPU_MODE_CUSTOM:
    if (cpu->model == NULL) {
      if (cpu->features != NULL && cpu->features->len > 0)
        return NOT_SUPPORTED (error, "<cpu> features without a <model> are not supported by the QEMU driver yet");
      break;
    }
    if (!vb_qemu_caps_has_cpu_model (caps, cpu->model))
      return NOT_SUPPORTED (error, "CPU model '%s' is not known to %s", cpu->model, caps->emulator);
    break;
  default:
    break;
  }
  return TRUE;
}

static const char *const timer_names[] = { "platform", "pit", "rtc", "hpet", "tsc", "kvmclock", "hypervclock",
                                            "armvtimer" };
static const char *const tickpolicy_names[] = { "", "delay", "catchup", "merge", "discard" };

const VbDomainTimerDef *
vb_qemu_domain_timer (const VbDomainDef *def, VbDomainTimerName name)
{
  for (guint i = 0; def->clock.timers != NULL && i < def->clock.timers->len; i++) {
    const VbDomainTimerDef *t = g_ptr_array_index (def->clock.timers, i);
    if (t->name == name)
      return t;
  }
  return NULL;
}

/* <clock><timer>s QEMU has a knob for, as libvirt maps them (virt-manager
 * writes rtc catchup, pit delay, hpet off into every x86 guest). */
static gboolean
validate_timers (const VbDomainDef *def, GError **error)
{
  for (guint i = 0; def->clock.timers != NULL && i < def->clock.timers->len; i++) {
    const VbDomainTimerDef *t = g_ptr_array_index (def->clock.timers, i);
    const char *name = t->name < G_N_ELEMENTS (timer_names) ? timer_names[t->name] : "?";

    switch (t->name) {
    case VB_DOMAIN_TIMER_RTC:
      if (t->present == VB_DOMAIN_TRISTATE_NO)
        return NOT_SUPPORTED (error, "<timer name='rtc' present='no'>: QEMU's RTC cannot be removed");
      if (t->tickpolicy == VB_DOMAIN_TIMER_TICKPOLICY_MERGE || t->tickpolicy == VB_DOMAIN_TIMER_TICKPOLICY_DISCARD)
        return NOT_SUPPORTED (error, "<timer name='rtc' tickpolicy='%s'> is not supported by QEMU (delay, catchup)",
                              tickpolicy_names[t->tickpolicy]);
      if (t->track == VB_DOMAIN_TIMER_TRACK_BOOT)
        return NOT_SUPPORTED (error, "<timer name='rtc' track='boot'> is not supported by QEMU (guest, wall, "
                              "realtime)");
      break;
    case VB_DOMAIN_TIMER_PIT:
      if (t->present == VB_DOMAIN_TRISTATE_NO)
        return NOT_SUPPORTED (error, "<timer name='pit' present='no'> is not supported by the QEMU driver");
      if (t->tickpolicy == VB_DOMAIN_TIMER_TICKPOLICY_MERGE)
        return NOT_SUPPORTED (error, "<timer name='pit' tickpolicy='merge'> is not supported by QEMU (delay, "
                              "catchup, discard)");
      break;
    case VB_DOMAIN_TIMER_HPET:
      if (t->tickpolicy != VB_DOMAIN_TIMER_TICKPOLICY_NONE)
        return NOT_SUPPORTED (error, "<timer name='hpet' tickpolicy='%s'> is not supported by QEMU",
                              tickpolicy_names[t->tickpolicy]);
      break;
    case VB_DOMAIN_TIMER_KVMCLOCK:
      break;
    case VB_DOMAIN_TIMER_HYPERVCLOCK:
      /* hv-time: a CPU flag, like kvmclock (the XML model takes no
       * tickpolicy or track for either). */
      break;
    default:
      return NOT_SUPPORTED (error, "<timer name='%s'> is not supported by the QEMU driver yet", name);
    }
  }
  return TRUE;
}

/* The QEMU device of a sound model, or NULL. */
static const char *
sound_device (VbDomainSoundModel model)
{
  switch (model) {
  case VB_DOMAIN_SOUND_ICH6: return "intel-hda";
  case VB_DOMAIN_SOUND_ICH9: return "ich9-intel-hda";
  case VB_DOMAIN_SOUND_AC97: return "AC97";
  case VB_DOMAIN_SOUND_ES1370: return "ES1370";
  case VB_DOMAIN_SOUND_SB16: return "sb16";
  case VB_DOMAIN_SOUND_USB: return "usb-audio";
  default: return NULL;
  }
}

/* The id of the audio backend sound devices use: their <audio id=>, the
 * first <audio>, or the implicit one libvirt also adds (SPICE audio with
 * SPICE graphics, else none). */
static char *
audiodev_of (const VbDomainDef *def, const VbDomainSoundDef *snd)
{
  if (snd != NULL && snd->audio_id != 0)
    return g_strdup_printf ("audio%u", snd->audio_id);
  if (def->audios->len > 0)
    return g_strdup_printf ("audio%u", ((const VbDomainAudioDef *) g_ptr_array_index (def->audios, 0))->id);
  return g_strdup ("audio1");
}

/* ---- <sysinfo> and <os><smbios> ---- */

/* The domain's <sysinfo> of @type, or NULL. */
static const VbSysinfoDef *
domain_sysinfo (const VbDomainDef *def, VbSysinfoType type)
{
  for (guint i = 0; i < def->sysinfos->len; i++)
    if (((const VbSysinfoDef *) g_ptr_array_index (def->sysinfos, i))->type == type)
      return g_ptr_array_index (def->sysinfos, i);
  return NULL;
}

/* QEMU's -smbios type=0 release= is MAJOR.MINOR, each a byte. */
static gboolean
bios_release_valid (const char *release)
{
  guint64 f[2];

  return vb_parse_u64_fields (release, '.', 2, f) && f[0] <= 255 && f[1] <= 255;
}

/* What QEMU cannot take of an SMBIOS sysinfo (@what: whose). */
static gboolean
validate_smbios_source (const VbSysinfoDef *si, const char *what, GError **error)
{
  const char *release = vb_sysinfo_get (si->bios, "release");

  if (si->base_boards->len > 1)
    return NOT_SUPPORTED (error, "%s has %u base boards: QEMU gives a guest one (SMBIOS type 2) at most", what,
                          si->base_boards->len);
  if (release != NULL && !bios_release_valid (release))
    return NOT_SUPPORTED (error, "%s: BIOS release '%s' is not MAJOR.MINOR (0-255 each), as QEMU takes it", what,
                          release);
  return TRUE;
}

static gboolean
validate_sysinfo (const VbDomainDef *def, GError **error)
{
  const VbSysinfoDef *smbios = domain_sysinfo (def, VB_SYSINFO_TYPE_SMBIOS);
  const VbSysinfoDef *fwcfg = domain_sysinfo (def, VB_SYSINFO_TYPE_FWCFG);

  if (def->os.smbios == VB_DOMAIN_SMBIOS_SYSINFO) {
    if (smbios == NULL)
      return XML_ERROR (error, "<smbios mode='sysinfo'> needs a <sysinfo type='smbios'> to give the guest");
    if (!validate_smbios_source (smbios, "<sysinfo type='smbios'>", error))
      return FALSE;
  }
  for (guint i = 0; fwcfg != NULL && i < fwcfg->fwcfg->len; i++) {
    const VbSysinfoFwcfgEntry *e = g_ptr_array_index (fwcfg->fwcfg, i);

    /* QEMU's own names and the firmware's are not the guest's to set. */
    if (!g_str_has_prefix (e->name, "opt/") || e->name[4] == '\0')
      return NOT_SUPPORTED (error, "fw_cfg entry '%s': names start with 'opt/' (QEMU's own are not for domains)",
                            e->name);
    if (g_str_has_prefix (e->name, "opt/ovmf/") || g_str_has_prefix (e->name, "opt/org.qemu/"))
      return NOT_SUPPORTED (error, "fw_cfg entry '%s': the names under '%.*s' are reserved", e->name,
                            (int) (strchr (e->name + 4, '/') - e->name + 1), e->name);
    /* FW_CFG_MAX_FILE_PATH: 56 bytes with the NUL. */
    if (strlen (e->name) > 55)
      return NOT_SUPPORTED (error, "fw_cfg entry name '%s' is longer than QEMU's 55 bytes", e->name);
  }
  return TRUE;
}

/* The QEMU device of a TPM model on x86 (TIS unless told), or NULL. */
static const char *
tpm_device (const VbDomainTpmDef *tpm)
{
  switch (tpm->model) {
  case VB_DOMAIN_TPM_MODEL_DEFAULT:
  case VB_DOMAIN_TPM_MODEL_TIS: return "tpm-tis";
  case VB_DOMAIN_TPM_MODEL_CRB: return "tpm-crb";
  default: return NULL;
  }
}

static gboolean
has_graphics (const VbDomainDef *def, VbDomainGraphicsType type)
{
  for (guint i = 0; i < def->graphics->len; i++)
    if (((const VbDomainGraphicsDef *) g_ptr_array_index (def->graphics, i))->type == type)
      return TRUE;
  return FALSE;
}

static gboolean
validate_sound (const VbDomainDef *def, const VbQemuCaps *caps, GError **error)
{
  static const char *const models[] = { "sb16", "es1370", "pcspk", "ac97", "ich6", "ich7", "ich9", "usb" };

  for (guint i = 0; i < def->audios->len; i++) {
    const VbDomainAudioDef *a = g_ptr_array_index (def->audios, i);

    if (a->type == VB_DOMAIN_AUDIO_SPICE && !has_graphics (def, VB_DOMAIN_GRAPHICS_SPICE))
      return NOT_SUPPORTED (error, "<audio type='spice'> needs <graphics type='spice'>");
    if (a->type != VB_DOMAIN_AUDIO_NONE && a->type != VB_DOMAIN_AUDIO_SPICE)
      return NOT_SUPPORTED (error, "<audio id='%u'>: only types 'none' and 'spice' are supported by the QEMU driver "
                            "(a system service has no host sound to play to)", a->id);
  }
  for (guint i = 0; i < def->sounds->len; i++) {
    const VbDomainSoundDef *snd = g_ptr_array_index (def->sounds, i);
    const char *model = snd->model < G_N_ELEMENTS (models) ? models[snd->model] : "?";
    const char *dev = sound_device (snd->model);

    if (snd->model == VB_DOMAIN_SOUND_PCSPK) {
      if (def->os.arch != NULL && !g_str_equal (def->os.arch, "x86_64") && !g_str_equal (def->os.arch, "i686"))
        return NOT_SUPPORTED (error, "<sound model='pcspk'> is only for x86");
    } else if (dev == NULL) {
      return NOT_SUPPORTED (error, "<sound model='%s'> is not supported by QEMU (ich9, ich6, ac97, es1370, sb16, usb, "
                            "pcspk)", model);
    } else if (!vb_qemu_caps_has_device (caps, dev)) {
      return NOT_SUPPORTED (error, "<sound model='%s'> needs the %s device, which %s lacks", model, dev,
                            caps->emulator);
    }
    if ((snd->model == VB_DOMAIN_SOUND_ICH6 || snd->model == VB_DOMAIN_SOUND_ICH9) &&
        !vb_qemu_caps_has_device (caps, "hda-duplex"))
      return NOT_SUPPORTED (error, "<sound model='%s'> needs the hda-duplex codec, which %s lacks", model,
                            caps->emulator);
  }
  return TRUE;
}

gboolean
vb_qemu_net_bandwidth_check (const VbDomainNetDef *net, const VbBandwidth *bw, GError **error)
{
  if (!vb_bandwidth_is_set (bw))
    return TRUE;
  if (net->type == VB_DOMAIN_NET_TYPE_USER)
    return NOT_SUPPORTED (error, "interface %s: <bandwidth> cannot be applied: user-mode networking has no host "
                          "device to shape (types network, bridge, direct and ethernet have)", net->mac);
  if (bw->has_inbound && bw->inbound.floor != 0)
    return NOT_SUPPORTED (error, "interface %s: guaranteed minimums (inbound floor='%u') are not supported by the "
                          "QEMU driver (average, peak and burst are)", net->mac, bw->inbound.floor);
  return TRUE;
}

gboolean
vb_qemu_domain_validate (const VbDomainDef *def, const VbQemuCaps *caps, GError **error)
{
  const VbQemuMachine *machine;
  gboolean q35;

  if (def->virt_type == VB_DOMAIN_VIRT_KVM) {
    if (!caps->kvm_available) {
      g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED, "KVM is not available: /dev/kvm missing or unusable");
      return FALSE;
    }
  } else if (def->virt_type != VB_DOMAIN_VIRT_QEMU) {
    return NOT_SUPPORTED (error, "domain type '%s' is not supported by the QEMU driver (use 'kvm' or 'qemu')",
                          vb_domain_virt_type_to_string (def->virt_type));
  }
  if (def->os.type != VB_DOMAIN_OS_HVM)
    return NOT_SUPPORTED (error, "<os><type>%s</type> is not supported by the QEMU driver (use hvm)",
                          vb_domain_os_type_to_string (def->os.type));
  if (def->os.arch != NULL && !g_str_equal (def->os.arch, "x86_64") && !g_str_equal (def->os.arch, "i686"))
    return NOT_SUPPORTED (error, "architecture '%s' is not supported by the QEMU driver yet (x86_64, i686)",
                          def->os.arch);
  machine = resolve_machine (def, caps, error);
  if (machine == NULL)
    return FALSE;
  q35 = machine_is_q35 (machine->name);
  if (def->vcpus > machine->max_cpus && machine->max_cpus > 0)
    return NOT_SUPPORTED (error, "%u vCPUs exceed the %u machine type '%s' allows", def->vcpus, machine->max_cpus,
                          machine->name);

  /* <os> */
  if (def->os.dtb != NULL)
    return NOT_SUPPORTED (error, "<os><dtb> is not supported on x86");
  if (!validate_sysinfo (def, error))
    return FALSE;
  /* Secure Boot is the firmware's (a build with the keys' store in
   * SMM-protected flash); the definition has that build once chosen
   * (vb_qemu_domain_fill_firmware). */
  if (def->os.loader_secure == VB_DOMAIN_TRISTATE_YES) {
    if (def->os.loader_type != VB_DOMAIN_LOADER_TYPE_PFLASH)
      return NOT_SUPPORTED (error, "<loader secure='yes'> needs a pflash loader (type='pflash')");
    if (!q35)
      return NOT_SUPPORTED (error, "<loader secure='yes'> (Secure Boot) needs a q35 machine");
    if (def->features.smm == VB_DOMAIN_TRISTATE_NO)
      return NOT_SUPPORTED (error, "<loader secure='yes'> (Secure Boot) needs SMM: <smm state='on'/> in <features>");
  }
  if (def->os.firmware == VB_DOMAIN_FIRMWARE_EFI && def->os.loader_path == NULL)
    return NOT_SUPPORTED (error, "<os firmware='efi'>: no UEFI firmware (OVMF) found on this host");
  if (def->os.loader_type == VB_DOMAIN_LOADER_TYPE_PFLASH && def->os.loader_path == NULL)
    return NOT_SUPPORTED (error, "<loader type='pflash'> without a path: no UEFI firmware (OVMF) found on this host");
  if (def->os.loader_path != NULL && def->os.loader_type == VB_DOMAIN_LOADER_TYPE_PFLASH
      && def->os.loader_readonly == VB_DOMAIN_TRISTATE_NO)
    return NOT_SUPPORTED (error, "<loader readonly='no' type='pflash'> is not supported by the QEMU driver yet");
  for (guint i = 0; i < def->os.n_boot_devs; i++)
    if (def->os.boot_devs[i] == VB_DOMAIN_BOOT_FLOPPY)
      return NOT_SUPPORTED (error, "<boot dev='fd'> is not supported by the QEMU driver (no floppy disks)");

  /* top-level elements */
  if (def->max_memory_kib != 0)
    return NOT_SUPPORTED (error, "<maxMemory> (memory hotplug) is not supported by the QEMU driver yet");
  if (def->has_memory_backing) {
    const VbDomainMemoryBacking *mb = &def->memory_backing;

    if (mb->hugepages)
      return NOT_SUPPORTED (error, "<memoryBacking><hugepages> is not supported by the QEMU driver yet");
    if (mb->source == VB_DOMAIN_MEMORY_SOURCE_FILE)
      return NOT_SUPPORTED (error, "<memoryBacking><source type='file'> is not supported by the QEMU driver yet "
                            "(memfd, anonymous)");
    if (mb->discard)
      return NOT_SUPPORTED (error, "<memoryBacking><discard/> is only for file-backed memory");
    if (mb->access == VB_DOMAIN_MEMORY_ACCESS_SHARED && mb->source != VB_DOMAIN_MEMORY_SOURCE_MEMFD)
      return NOT_SUPPORTED (error, "<memoryBacking><access mode='shared'> needs <source type='memfd'/>");
  }
  for (guint i = 0; i < def->filesystems->len; i++) {
    const VbDomainFsDef *fs = g_ptr_array_index (def->filesystems, i);

    if (fs->driver == VB_DOMAIN_FS_DRIVER_HANDLE)
      return NOT_SUPPORTED (error, "<filesystem> '%s': <driver type='handle'> is gone from QEMU (since 6.0); use "
                            "type='path' (9p) or 'virtiofs'", fs->dst);
    if (fs->driver != VB_DOMAIN_FS_DRIVER_VIRTIOFS) {
      /* 9p (<driver type='path'>, the default): QEMU serves it itself. */
      if (strlen (fs->dst) > 32)
        return NOT_SUPPORTED (error, "<filesystem> '%s': a 9p mount tag has 32 bytes at most", fs->dst);
      if (!vb_qemu_caps_has_device (caps, "virtio-9p-pci"))
        return NOT_SUPPORTED (error, "<filesystem> '%s' needs the virtio-9p-pci device, which %s lacks", fs->dst,
                              caps->emulator);
      continue;
    }
    if (fs->accessmode != VB_DOMAIN_FS_ACCESS_NONE && fs->accessmode != VB_DOMAIN_FS_ACCESS_PASSTHROUGH)
      return NOT_SUPPORTED (error, "<filesystem> '%s': virtiofs only has accessmode='passthrough'", fs->dst);
    if (fs->readonly)
      return NOT_SUPPORTED (error, "<filesystem> '%s': virtiofs does not support read-only shares", fs->dst);
    if (!def->has_memory_backing || def->memory_backing.access != VB_DOMAIN_MEMORY_ACCESS_SHARED)
      return NOT_SUPPORTED (error, "<filesystem> '%s': virtiofs needs shared memory (<memoryBacking><source "
                            "type='memfd'/><access mode='shared'/></memoryBacking>)", fs->dst);
    if (!vb_qemu_caps_has_device (caps, "vhost-user-fs-pci"))
      return NOT_SUPPORTED (error, "<filesystem> '%s' needs the vhost-user-fs-pci device, which %s lacks", fs->dst,
                            caps->emulator);
  }
  if (def->vcpu_placement == VB_DOMAIN_VCPU_PLACEMENT_AUTO)
    return NOT_SUPPORTED (error, "<vcpu placement='auto'> (numad) is not supported by the QEMU driver");
  if (def->resource_partition != NULL)
    return NOT_SUPPORTED (error, "<resource><partition> is not supported by the QEMU driver yet");
  if (def->has_genid && !vb_qemu_caps_has_device (caps, "vmgenid"))
    return NOT_SUPPORTED (error, "<genid> needs the vmgenid device, which %s lacks", caps->emulator);
  for (guint i = 0; i < def->seclabels->len; i++) {
    const VbDomainSeclabelDef *sl = g_ptr_array_index (def->seclabels, i);
    if (sl->type != VB_DOMAIN_SECLABEL_NONE)
      return NOT_SUPPORTED (error, "<seclabel> is not supported by the QEMU driver yet (only type='none')");
  }

  /* <features> */
  if (def->features.hap != VB_DOMAIN_TRISTATE_ABSENT)
    return NOT_SUPPORTED (error, "<features><hap> is not supported by the QEMU driver yet");
  if (def->features.gic != VB_DOMAIN_GIC_NONE)
    return NOT_SUPPORTED (error, "<features><gic> is not available on x86");
  if (def->features.vmcoreinfo == VB_DOMAIN_TRISTATE_YES && !vb_qemu_caps_has_device (caps, "vmcoreinfo"))
    return NOT_SUPPORTED (error, "<features><vmcoreinfo> needs the vmcoreinfo device, which %s lacks",
                          caps->emulator);
  if (def->features.smm != VB_DOMAIN_TRISTATE_ABSENT && !q35 && def->features.smm == VB_DOMAIN_TRISTATE_YES)
    return NOT_SUPPORTED (error, "<features><smm state='on'> needs a q35 machine");
  /* QEMU's TCG has no Hyper-V VP index ("kernel doesn't allow setting
   * HyperV VP_INDEX"); the other enlightenments it takes. */
  if (def->features.hyperv_mode == VB_DOMAIN_HYPERV_MODE_CUSTOM && def->virt_type != VB_DOMAIN_VIRT_KVM &&
      def->features.hyperv[VB_DOMAIN_HYPERV_VPINDEX] == VB_DOMAIN_TRISTATE_YES)
    return NOT_SUPPORTED (error, "<hyperv><vpindex state='on'/> needs KVM (domain type='kvm'): QEMU cannot emulate it");
  if (def->features.hyperv_mode == VB_DOMAIN_HYPERV_MODE_PASSTHROUGH && def->virt_type != VB_DOMAIN_VIRT_KVM)
    return NOT_SUPPORTED (error, "<hyperv mode='passthrough'> passes the host's Hyper-V features through KVM: it needs "
                          "domain type='kvm'");

  if (!validate_cpu (def, caps, error))
    return FALSE;

  /* <clock>: a time zone QEMU's localtime() knows (its TZ). */
  if (def->clock.offset == VB_DOMAIN_CLOCK_TIMEZONE) {
    g_autoptr(GTimeZone) tz = NULL;

    if (def->clock.timezone == NULL)
      return XML_ERROR (error, "<clock offset='timezone'> needs a timezone='...'");
    if (def->clock.timezone[0] == '/' || strstr (def->clock.timezone, "..") != NULL ||
        (tz = g_time_zone_new_identifier (def->clock.timezone)) == NULL)
      return NOT_SUPPORTED (error, "<clock timezone='%s'>: this host knows no such time zone (tzdata)",
                            def->clock.timezone);
  }
  if (!validate_timers (def, error))
    return FALSE;

  /* lifecycle */
  if (def->on_poweroff == VB_DOMAIN_LIFECYCLE_RENAME_RESTART || def->on_reboot == VB_DOMAIN_LIFECYCLE_RENAME_RESTART
      || def->on_crash == VB_DOMAIN_LIFECYCLE_RENAME_RESTART)
    return NOT_SUPPORTED (error, "lifecycle action 'rename-restart' is not supported by the QEMU driver yet");
  if (def->on_crash == VB_DOMAIN_LIFECYCLE_COREDUMP_DESTROY || def->on_crash == VB_DOMAIN_LIFECYCLE_COREDUMP_RESTART)
    return NOT_SUPPORTED (error, "<on_crash>%s</on_crash> (core dumps) is not supported by the QEMU driver yet",
                          vb_domain_lifecycle_action_to_string (def->on_crash));
  if (def->on_lockfailure != VB_DOMAIN_LOCKFAILURE_NONE)
    return NOT_SUPPORTED (error, "<on_lockfailure> is not supported by the QEMU driver yet");

  /* devices the driver has nothing for yet */
  if (def->parallels->len > 0)
    return NOT_SUPPORTED (error, "<parallel> is not supported by the QEMU driver yet");
  if (def->tpms->len > 1)
    return NOT_SUPPORTED (error, "more than one <tpm> is not supported by the QEMU driver");
  for (guint i = 0; i < def->tpms->len; i++) {
    const VbDomainTpmDef *tpm = g_ptr_array_index (def->tpms, i);
    const char *dev = tpm_device (tpm);

    if (tpm->backend != VB_DOMAIN_TPM_BACKEND_EMULATOR)
      return NOT_SUPPORTED (error, "<tpm><backend type='passthrough'> is not supported by the QEMU driver yet (use "
                            "type='emulator')");
    if (dev == NULL)
      return NOT_SUPPORTED (error, "<tpm model='%s'> is not available on x86 (tpm-tis, tpm-crb)",
                            tpm->model == VB_DOMAIN_TPM_MODEL_SPAPR ? "tpm-spapr" : "spapr-tpm-proxy");
    if (tpm->model == VB_DOMAIN_TPM_MODEL_CRB && tpm->version != NULL && !g_str_equal (tpm->version, "2.0"))
      return NOT_SUPPORTED (error, "<tpm model='tpm-crb'> is a TPM 2.0 interface: version='%s' needs "
                            "model='tpm-tis'", tpm->version);
    if (!vb_qemu_caps_has_device (caps, dev))
      return NOT_SUPPORTED (error, "<tpm> needs the %s device, which %s lacks", dev, caps->emulator);
  }
  if (!validate_sound (def, caps, error))
    return FALSE;
  for (guint i = 0; i < def->redirdevs->len; i++) {
    const VbDomainRedirdevDef *r = g_ptr_array_index (def->redirdevs, i);

    if (!vb_qemu_caps_has_device (caps, "usb-redir"))
      return NOT_SUPPORTED (error, "<redirdev> needs the usb-redir device, which %s lacks", caps->emulator);
    if (r->type == VB_DOMAIN_CHR_TYPE_SPICEVMC && !has_graphics (def, VB_DOMAIN_GRAPHICS_SPICE))
      return NOT_SUPPORTED (error, "<redirdev type='spicevmc'> needs <graphics type='spice'>");
    if (r->type == VB_DOMAIN_CHR_TYPE_TCP && r->protocol != VB_DOMAIN_CHR_PROTOCOL_NONE &&
        r->protocol != VB_DOMAIN_CHR_PROTOCOL_RAW)
      return NOT_SUPPORTED (error, "<redirdev type='tcp'>: usbredir runs over raw TCP only (<protocol type='raw'/>)");
  }
  if (def->hostdevs->len > 0)
    return NOT_SUPPORTED (error, "<hostdev> is not supported by the QEMU driver yet");

  for (guint i = 0; i < def->controllers->len; i++) {
    if (!validate_controller (g_ptr_array_index (def->controllers, i), q35, error))
      return FALSE;
  }
  for (guint i = 0; i < def->disks->len; i++)
    if (!validate_disk (g_ptr_array_index (def->disks, i), q35, caps, error))
      return FALSE;

  /* USB devices with <controller type='usb' model='none'>. */
  for (guint i = 0; i < def->controllers->len; i++) {
    const VbDomainControllerDef *c = g_ptr_array_index (def->controllers, i);
    gboolean usb_devices = FALSE;

    if (c->type != VB_DOMAIN_CONTROLLER_USB || g_strcmp0 (c->model, "none") != 0)
      continue;
    for (guint j = 0; j < def->inputs->len; j++) {
      const VbDomainInputDef *in = g_ptr_array_index (def->inputs, j);
      usb_devices |= in->bus == VB_DOMAIN_INPUT_BUS_USB
                     || (in->bus == VB_DOMAIN_INPUT_BUS_NONE && in->type == VB_DOMAIN_INPUT_TABLET);
    }
    for (guint j = 0; j < def->serials->len; j++)
      usb_devices |= g_strcmp0 (((VbDomainChrDef *) g_ptr_array_index (def->serials, j))->target_type,
                                "usb-serial") == 0;
    for (guint j = 0; j < def->sounds->len; j++)
      usb_devices |= ((VbDomainSoundDef *) g_ptr_array_index (def->sounds, j))->model == VB_DOMAIN_SOUND_USB;
    usb_devices |= def->redirdevs->len > 0;
    if (usb_devices)
      return NOT_SUPPORTED (error, "USB devices need a USB controller, but the domain has "
                            "<controller type='usb' model='none'>");
  }

  for (guint i = 0; i < def->nets->len; i++) {
    const VbDomainNetDef *net = g_ptr_array_index (def->nets, i);

    if (net->type != VB_DOMAIN_NET_TYPE_USER && net->type != VB_DOMAIN_NET_TYPE_NETWORK
        && net->type != VB_DOMAIN_NET_TYPE_BRIDGE && net->type != VB_DOMAIN_NET_TYPE_DIRECT
        && net->type != VB_DOMAIN_NET_TYPE_ETHERNET)
      return NOT_SUPPORTED (error, "<interface type='%s'> is not supported by the QEMU driver yet (user, network, "
                            "bridge, direct and ethernet are)", vb_domain_net_type_to_string (net->type));
    /* The host side of a plain tap: its addresses and routes, or a tap
     * the host made (and set up) itself. */
    if ((net->ips != NULL || net->routes != NULL) && net->type != VB_DOMAIN_NET_TYPE_ETHERNET)
      return NOT_SUPPORTED (error, "<interface type='%s'>: <ip> and <route> are only for type='ethernet' (the host "
                            "side of its tap)", vb_domain_net_type_to_string (net->type));
    if (net->target_managed == VB_DOMAIN_TRISTATE_NO) {
      if (net->type != VB_DOMAIN_NET_TYPE_ETHERNET)
        return NOT_SUPPORTED (error, "<target managed='no'> is only for <interface type='ethernet'>");
      if (net->target_dev == NULL)
        return XML_ERROR (error, "<target managed='no'> needs the name of the tap: <target dev='...'>");
      if (net->ips != NULL || net->routes != NULL || net->mtu != 0)
        return NOT_SUPPORTED (error, "<interface type='ethernet'> on a tap the host made (managed='no'): its "
                              "addresses, routes and MTU are the host's to set");
    }
    if (net->type == VB_DOMAIN_NET_TYPE_BRIDGE && net->src_bridge == NULL)
      return XML_ERROR (error, "<interface type='bridge'> needs <source bridge='...'/>");
    if (net->type == VB_DOMAIN_NET_TYPE_NETWORK && net->src_network == NULL)
      return XML_ERROR (error, "<interface type='network'> needs <source network='...'/>");
    if (net->model != NULL && !g_str_equal (net->model, "virtio") && !g_str_equal (net->model, "e1000")
        && !g_str_equal (net->model, "e1000e") && !g_str_equal (net->model, "rtl8139"))
      return NOT_SUPPORTED (error, "<interface><model type='%s'> is not supported by the QEMU driver yet",
                            net->model);
    if (net->type == VB_DOMAIN_NET_TYPE_USER && (net->driver_name == VB_DOMAIN_NET_DRIVER_VHOST
                                                 || net->driver_queues > 1))
      return NOT_SUPPORTED (error, "<interface><driver name='vhost'/queues> needs a tap backend, which "
                            "type='user' is not");
    if (net->driver_queues > 1 && g_strcmp0 (net->model, "virtio") != 0)
      return NOT_SUPPORTED (error, "<interface><driver queues='%u'>: several queues need model type='virtio'",
                            net->driver_queues);
    if (net->driver_queues > VB_QEMU_NET_MAX_QUEUES)
      return NOT_SUPPORTED (error, "<interface><driver queues='%u'>: a tap has at most %u queues",
                            net->driver_queues, VB_QEMU_NET_MAX_QUEUES);
    if (net->mtu != 0 && g_strcmp0 (net->model, "virtio") != 0)
      return NOT_SUPPORTED (error, "<interface><mtu> needs model type='virtio'");
    if (!vb_qemu_net_bandwidth_check (net, net->bandwidth, error))
      return FALSE;
  }

  for (guint i = 0; i < def->serials->len; i++) {
    const VbDomainChrDef *chr = g_ptr_array_index (def->serials, i);

    if (!validate_chr (chr, "serial", error))
      return FALSE;
    if (chr->target_type != NULL && !g_str_equal (chr->target_type, "isa-serial")
        && !g_str_equal (chr->target_type, "pci-serial") && !g_str_equal (chr->target_type, "usb-serial"))
      return NOT_SUPPORTED (error, "<serial><target type='%s'> is not supported by the QEMU driver yet",
                            chr->target_type);
  }
  for (guint i = 0; i < def->consoles->len; i++) {
    const VbDomainChrDef *chr = g_ptr_array_index (def->consoles, i);

    if (!validate_chr (chr, "console", error))
      return FALSE;
    if (chr->target_type != NULL && !g_str_equal (chr->target_type, "serial")
        && !g_str_equal (chr->target_type, "virtio"))
      return NOT_SUPPORTED (error, "<console><target type='%s'> is not supported by the QEMU driver (serial, virtio)",
                            chr->target_type);
  }
  for (guint i = 0; i < def->channels->len; i++) {
    const VbDomainChrDef *chr = g_ptr_array_index (def->channels, i);

    if (!validate_chr (chr, "channel", error))
      return FALSE;
    if (g_strcmp0 (chr->target_type, "virtio") != 0)
      return NOT_SUPPORTED (error, "<channel><target type='%s'> is not supported by the QEMU driver yet",
                            chr->target_type ? chr->target_type : "");
    if (chr->type == VB_DOMAIN_CHR_TYPE_SPICEVMC && !has_graphics (def, VB_DOMAIN_GRAPHICS_SPICE))
      return NOT_SUPPORTED (error, "<channel type='spicevmc'> needs <graphics type='spice'>");
    if (chr->target_name == NULL && chr->type != VB_DOMAIN_CHR_TYPE_SPICEVMC)
      return NOT_SUPPORTED (error, "<channel><target type='virtio'> needs name=");
  }

  for (guint i = 0; i < def->graphics->len; i++) {
    const VbDomainGraphicsDef *g = g_ptr_array_index (def->graphics, i);
    const char *type = vb_domain_graphics_type_to_string (g->type);

    for (guint j = 0; j < i; j++)
      if (((const VbDomainGraphicsDef *) g_ptr_array_index (def->graphics, j))->type == g->type)
        return NOT_SUPPORTED (error, "more than one <graphics type='%s'> is not supported by QEMU", type);
    if (g->type != VB_DOMAIN_GRAPHICS_VNC && g->type != VB_DOMAIN_GRAPHICS_SPICE)
      return NOT_SUPPORTED (error, "<graphics type='%s'> is not supported by the QEMU driver yet", type);
    if (g->type == VB_DOMAIN_GRAPHICS_SPICE && g->tls_port > 0)
      return NOT_SUPPORTED (error, "<graphics type='spice' tlsPort=>: SPICE over TLS is not supported by the QEMU "
                            "driver yet (no certificates are configured)");
    if (g->type == VB_DOMAIN_GRAPHICS_SPICE) {
      gboolean secure = g->spice[VB_DOMAIN_SPICE_DEFAULT_MODE] == 2;

      for (guint c = 0; c < VB_DOMAIN_SPICE_CHANNEL_LAST; c++)
        secure |= g->spice_channel[c] == 2;
      if (secure)
        return NOT_SUPPORTED (error, "<graphics type='spice'>: secure (TLS) channels are not supported by the QEMU "
                              "driver yet (no certificates are configured)");
      if (g->spice[VB_DOMAIN_SPICE_GL] == 1)
        return NOT_SUPPORTED (error, "<graphics type='spice'><gl enable='yes'> is not supported by the QEMU driver "
                              "yet");
    }
    if (!g->autoport && g->port > 0 && g->port < 5900)
      return NOT_SUPPORTED (error, "%s port %d is below 5900", g->type == VB_DOMAIN_GRAPHICS_VNC ? "VNC" : "SPICE",
                            g->port);
    if (g->listens->len > 1)
      return NOT_SUPPORTED (error, "more than one <listen> for one display is not supported by QEMU");
  }

  for (guint i = 0; i < def->videos->len; i++) {
    const VbDomainVideoDef *v = g_ptr_array_index (def->videos, i);
    const char *dev = NULL;

    switch (v->model) {
    case VB_DOMAIN_VIDEO_VGA: dev = "VGA"; break;
    case VB_DOMAIN_VIDEO_CIRRUS: dev = "cirrus-vga"; break;
    case VB_DOMAIN_VIDEO_VMVGA: dev = "vmware-svga"; break;
    case VB_DOMAIN_VIDEO_QXL: dev = "qxl-vga"; break;
    case VB_DOMAIN_VIDEO_VIRTIO: dev = "virtio-gpu-pci"; break;
    case VB_DOMAIN_VIDEO_BOCHS: dev = "bochs-display"; break;
    case VB_DOMAIN_VIDEO_RAMFB: dev = "ramfb"; break;
    default: break;
    }
    if (dev != NULL && !vb_qemu_caps_has_device (caps, dev))
      return NOT_SUPPORTED (error, "<video><model> needs the %s device, which %s lacks", dev, caps->emulator);
    /* vram= is a sizing hint libvirt itself only applies to qxl (and
     * fills in for every model): ignored for the others. */
    if ((v->ram || v->vram64) && v->model != VB_DOMAIN_VIDEO_QXL)
      return NOT_SUPPORTED (error, "<video><model ram=/vram64=> is only supported for qxl");
    if (v->heads > 1)
      return NOT_SUPPORTED (error, "<video><model heads='%u'>: more than one head is not supported by the QEMU "
                            "driver yet", v->heads);
  }
  for (guint i = 0; i < def->inputs->len; i++) {
    const VbDomainInputDef *in = g_ptr_array_index (def->inputs, i);

    if (in->type == VB_DOMAIN_INPUT_TABLET && (in->bus == VB_DOMAIN_INPUT_BUS_PS2 || in->bus == VB_DOMAIN_INPUT_BUS_NONE))
      return NOT_SUPPORTED (error, "<input type='tablet' bus='ps2'> does not exist; use bus='usb' or 'virtio'");
  }
  for (guint i = 0; i < def->rngs->len; i++) {
    const VbDomainRngDef *rng = g_ptr_array_index (def->rngs, i);

    if (rng->backend == VB_DOMAIN_RNG_BACKEND_RANDOM && rng->source != NULL
        && !g_str_equal (rng->source, "/dev/urandom") && !g_str_equal (rng->source, "/dev/random")
        && !g_str_equal (rng->source, "/dev/hwrng"))
      return NOT_SUPPORTED (error, "<rng><backend> source '%s' is not allowed", rng->source);
  }
  {
    int action = -1;

    for (guint i = 0; i < def->watchdogs->len; i++) {
      const VbDomainWatchdogDef *w = g_ptr_array_index (def->watchdogs, i);

      if (w->model == VB_DOMAIN_WATCHDOG_DIAG288)
        return NOT_SUPPORTED (error, "<watchdog model='diag288'> is only for s390");
      if (w->model == VB_DOMAIN_WATCHDOG_ITCO && !q35)
        return NOT_SUPPORTED (error, "<watchdog model='itco'> needs a q35 machine");
      if (w->action == VB_DOMAIN_WATCHDOG_ACTION_DUMP)
        return NOT_SUPPORTED (error, "<watchdog action='dump'> is not supported by the QEMU driver yet");
      if (action >= 0 && action != (int) w->action)
        return NOT_SUPPORTED (error, "all <watchdog> devices must have the same action");
      action = w->action;
    }
  }
  for (guint i = 0; i < def->panics->len; i++) {
    const VbDomainPanicDef *p = g_ptr_array_index (def->panics, i);

    if (p->model != VB_DOMAIN_PANIC_DEFAULT && p->model != VB_DOMAIN_PANIC_ISA && p->model != VB_DOMAIN_PANIC_PVPANIC)
      return NOT_SUPPORTED (error, "this <panic model> is not supported by the QEMU driver yet (isa, pvpanic)");
    if (p->model == VB_DOMAIN_PANIC_PVPANIC && !vb_qemu_caps_has_device (caps, "pvpanic-pci"))
      return NOT_SUPPORTED (error, "<panic model='pvpanic'> needs pvpanic-pci, which %s lacks", caps->emulator);
  }
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Building                                                             */

typedef struct {
  const VbDomainDef *def;
  const VbQemuCaps *caps;
  const VbQemuCommandContext *ctx;
  const VbQemuMachine *machine;
  gboolean q35;
  GPtrArray *argv;
  guint *disk_boot; /* bootindex per disk, 0 = none */
  guint *net_boot;
  const char *usb_bus; /* id of the USB controller's bus, NULL = none */
  gboolean need_usb, need_scsi, need_virtio_serial, need_sata;
} Cmd;

static void
arg (Cmd *cmd, const char *value)
{
  g_ptr_array_add (cmd->argv, g_strdup (value));
}

static void
arg2 (Cmd *cmd, const char *flag, const char *value)
{
  arg (cmd, flag);
  arg (cmd, value);
}

static void
arg2_take (Cmd *cmd, const char *flag, GString *value)
{
  arg (cmd, flag);
  g_ptr_array_add (cmd->argv, g_string_free (value, FALSE));
}

static gboolean
check_socket_path (const char *path, GError **error)
{
  if (strlen (path) >= sizeof ((struct sockaddr_un *) NULL)->sun_path) {
    g_set_error (error, VB_ERROR, VB_ERROR_INVALID_ARG, "socket path %s is too long for a unix socket", path);
    return FALSE;
  }
  return TRUE;
}

/* ,bus=…,addr=… for a PCI device with a fixed address. */
static void
pci_address (Cmd *cmd, GString *s, const VbDomainDeviceInfo *info)
{
  if (info->address.type != VB_DOMAIN_ADDRESS_PCI)
    return;
  if (info->address.u.pci.bus == 0)
    opt (s, "bus", cmd->q35 ? "pcie.0" : "pci.0");
  else
    optf (s, "bus", "pci.%u", info->address.u.pci.bus);
  if (info->address.u.pci.function != 0)
    optf (s, "addr", "0x%x.0x%x", info->address.u.pci.slot, info->address.u.pci.function);
  else
    optf (s, "addr", "0x%x", info->address.u.pci.slot);
  if (info->address.u.pci.multifunction == VB_DOMAIN_TRISTATE_YES)
    opt (s, "multifunction", "on");
}

static void
device_id (GString *s, const char *model, const VbDomainDeviceInfo *info)
{
  g_string_append (s, model);
  opt (s, "id", info->alias);
}

/* <memoryBacking>: the guest's RAM as a backend object of its own (the
 * machine's memory-backend=, build_machine) when it is memfd, shared or
 * preallocated; locked → -overcommit mem-lock. */
static gboolean
needs_memory_backend (const VbDomainDef *def)
{
  const VbDomainMemoryBacking *mb = &def->memory_backing;

  return def->has_memory_backing &&
         (mb->source == VB_DOMAIN_MEMORY_SOURCE_MEMFD || mb->access != VB_DOMAIN_MEMORY_ACCESS_NONE ||
          mb->allocation == VB_DOMAIN_MEMORY_ALLOCATION_IMMEDIATE);
}

static void
build_machine (Cmd *cmd)
{
  const VbDomainDef *def = cmd->def;
  GString *s = g_string_new (cmd->machine->name);
  const VbDomainTimerDef *t;

  opt (s, "usb", "off");
  opt (s, "dump-guest-core", "off");
  if (!def->features.acpi)
    opt (s, "acpi", "off");
  if (def->features.vmport != VB_DOMAIN_TRISTATE_ABSENT)
    opt (s, "vmport", def->features.vmport == VB_DOMAIN_TRISTATE_YES ? "on" : "off");
  if (def->features.smm != VB_DOMAIN_TRISTATE_ABSENT)
    opt (s, "smm", def->features.smm == VB_DOMAIN_TRISTATE_YES ? "on" : "off");
  /* <ioapic driver>: the I/O APIC in KVM, or in QEMU (split: the local
   * APICs stay in KVM), what interrupt remapping needs. */
  if (def->features.ioapic != VB_DOMAIN_IOAPIC_NONE)
    opt (s, "kernel-irqchip", def->features.ioapic == VB_DOMAIN_IOAPIC_QEMU ? "split" : "on");
  if (needs_memory_backend (def))
    opt (s, "memory-backend", "pc.ram");
  if (def->has_memory_backing && def->memory_backing.nosharepages)
    opt (s, "mem-merge", "off");
  if ((t = vb_qemu_domain_timer (def, VB_DOMAIN_TIMER_HPET)) != NULL && t->present != VB_DOMAIN_TRISTATE_ABSENT)
    opt (s, "hpet", t->present == VB_DOMAIN_TRISTATE_YES ? "on" : "off");
  for (guint i = 0; i < def->sounds->len; i++) {
    const VbDomainSoundDef *snd = g_ptr_array_index (def->sounds, i);
    if (snd->model == VB_DOMAIN_SOUND_PCSPK) {
      g_autofree char *audiodev = audiodev_of (def, snd);
      opt (s, "pcspk-audiodev", audiodev);
    }
  }
  if (def->os.loader_type == VB_DOMAIN_LOADER_TYPE_PFLASH
      || (def->os.firmware == VB_DOMAIN_FIRMWARE_EFI && def->os.loader_type != VB_DOMAIN_LOADER_TYPE_ROM)) {
    opt (s, "pflash0", "vb-pflash0-fmt");
    if (cmd->ctx->nvram_path != NULL || def->os.nvram_path != NULL)
      opt (s, "pflash1", "vb-pflash1-fmt");
  }
  arg2_take (cmd, "-machine", s);
  arg2 (cmd, "-accel", def->virt_type == VB_DOMAIN_VIRT_KVM ? "kvm" : "tcg");
}

/* hotplug: the -blockdev JSON is shared with QMP blockdev-add (vb-qemu-hotplug.c). */
JsonNode *
vb_qemu_blockdev_json (const char *driver, const char *node, const char *filename, const char *file_node,
                       gboolean readonly, const VbDomainDiskDef *disk)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "driver");
  json_builder_add_string_value (b, driver);
  if (filename != NULL) {
    json_builder_set_member_name (b, "filename");
    json_builder_add_string_value (b, filename);
  }
  json_builder_set_member_name (b, "node-name");
  json_builder_add_string_value (b, node);
  if (file_node != NULL) {
    json_builder_set_member_name (b, "file");
    json_builder_add_string_value (b, file_node);
  }
  json_builder_set_member_name (b, "read-only");
  json_builder_add_boolean_value (b, readonly);
  if (disk != NULL && filename != NULL) {
    if (disk->io != VB_DOMAIN_DISK_IO_NONE) {
      json_builder_set_member_name (b, "aio");
      json_builder_add_string_value (b, disk->io == VB_DOMAIN_DISK_IO_NATIVE      ? "native"
                                          : disk->io == VB_DOMAIN_DISK_IO_THREADS ? "threads" : "io_uring");
    }
    if (disk->cache == VB_DOMAIN_DISK_CACHE_DISABLE || disk->cache == VB_DOMAIN_DISK_CACHE_DIRECTSYNC
        || disk->cache == VB_DOMAIN_DISK_CACHE_UNSAFE) {
      json_builder_set_member_name (b, "cache");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "direct");
      json_builder_add_boolean_value (b, disk->cache != VB_DOMAIN_DISK_CACHE_UNSAFE);
      json_builder_set_member_name (b, "no-flush");
      json_builder_add_boolean_value (b, disk->cache == VB_DOMAIN_DISK_CACHE_UNSAFE);
      json_builder_end_object (b);
    }
  }
  if (disk != NULL && disk->discard != VB_DOMAIN_DISK_DISCARD_NONE) {
    json_builder_set_member_name (b, "discard");
    json_builder_add_string_value (b, disk->discard == VB_DOMAIN_DISK_DISCARD_UNMAP ? "unmap" : "ignore");
  }
  if (disk != NULL && file_node != NULL && disk->detect_zeroes != VB_DOMAIN_DISK_DETECT_ZEROES_NONE) {
    json_builder_set_member_name (b, "detect-zeroes");
    json_builder_add_string_value (b, disk->detect_zeroes == VB_DOMAIN_DISK_DETECT_ZEROES_OFF  ? "off"
                                        : disk->detect_zeroes == VB_DOMAIN_DISK_DETECT_ZEROES_ON ? "on" : "unmap");
  }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static void
blockdev (Cmd *cmd, const char *driver, const char *node, const char *filename, const char *file_node,
          gboolean readonly, const VbDomainDiskDef *disk)
{
  g_autoptr(JsonNode) root = vb_qemu_blockdev_json (driver, node, filename, file_node, readonly, disk);

  arg (cmd, "-blockdev");
  g_ptr_array_add (cmd->argv, json_to_string (root, FALSE));
}

/* hotplug: the bus rules of the command line, for devices plugged later. */
VbDomainDiskBus
vb_qemu_disk_bus (const VbDomainDiskDef *disk, const char *machine)
{
  return disk_bus (disk, machine_is_q35 (machine));
}

gboolean
vb_qemu_machine_is_q35 (const char *machine)
{
  return machine_is_q35 (machine);
}

static void
build_firmware (Cmd *cmd)
{
  const VbDomainDef *def = cmd->def;
  const char *code = def->os.loader_path ? def->os.loader_path : cmd->caps->ovmf_code;
  const char *vars = cmd->ctx->nvram_path ? cmd->ctx->nvram_path : def->os.nvram_path;

  if (def->os.loader_type == VB_DOMAIN_LOADER_TYPE_ROM) {
    if (def->os.loader_path != NULL)
      arg2 (cmd, "-bios", def->os.loader_path);
    return;
  }
  if (def->os.loader_type != VB_DOMAIN_LOADER_TYPE_PFLASH && def->os.firmware != VB_DOMAIN_FIRMWARE_EFI) {
    /* <loader> without a type is a plain BIOS image, as in libvirt. */
    if (def->os.loader_path != NULL)
      arg2 (cmd, "-bios", def->os.loader_path);
    return;
  }
  blockdev (cmd, "file", "vb-pflash0-file", code, NULL, TRUE, NULL);
  blockdev (cmd, "raw", "vb-pflash0-fmt", NULL, "vb-pflash0-file", TRUE, NULL);
  /* Secure Boot: only SMM code may write the variable store (the keys). */
  if (def->os.loader_secure == VB_DOMAIN_TRISTATE_YES)
    arg2 (cmd, "-global", "driver=cfi.pflash01,property=secure,value=on");
  if (vars != NULL) {
    blockdev (cmd, "file", "vb-pflash1-file", vars, NULL, FALSE, NULL);
    blockdev (cmd, "raw", "vb-pflash1-fmt", NULL, "vb-pflash1-file", FALSE, NULL);
  }
}

/* The Hyper-V enlightenments of <hyperv mode='custom'> turned on. */
static void
append_hyperv_flags (GString *s, const VbDomainFeatures *f)
{
  for (int i = 0; f->hyperv_mode == VB_DOMAIN_HYPERV_MODE_CUSTOM && i < VB_DOMAIN_HYPERV_LAST; i++) {
    if (f->hyperv[i] != VB_DOMAIN_TRISTATE_YES)
      continue;
    switch (i) {
    case VB_DOMAIN_HYPERV_SPINLOCKS:
      optf (s, "hv-spinlocks", "0x%x", f->hyperv_spinlock_retries);
      break;
    case VB_DOMAIN_HYPERV_VENDOR_ID:
      opt (s, "hv-vendor-id", f->hyperv_vendor_id);
      break;
    case VB_DOMAIN_HYPERV_STIMER:
      opt (s, "hv-stimer", "on");
      if (f->hyperv_stimer_direct == VB_DOMAIN_TRISTATE_YES)
        opt (s, "hv-stimer-direct", "on");
      break;
    default: {
      g_autofree char *name = g_strdup_printf ("hv-%s", vb_domain_hyperv_feature_to_string (i));
      opt (s, name, "on");
      break;
    }
    }
  }
}

/* The CPU flags that come from elsewhere than <cpu>: <pvspinlock>, the
 * kvmclock and hypervclock timers, the Hyper-V enlightenments (as
 * libvirt, only the ones turned on are named), <kvm><hidden>, <pmu>. */
static void
append_cpu_flags (Cmd *cmd, GString *s)
{
  const VbDomainDef *def = cmd->def;
  const VbDomainFeatures *f = &def->features;
  const VbDomainTimerDef *t;

  /* Paravirtual spinlocks: the guest halts a vCPU waiting for a lock. */
  if (f->pvspinlock != VB_DOMAIN_TRISTATE_ABSENT)
    opt (s, "kvm_pv_unhalt", f->pvspinlock == VB_DOMAIN_TRISTATE_YES ? "on" : "off");
  if ((t = vb_qemu_domain_timer (def, VB_DOMAIN_TIMER_KVMCLOCK)) != NULL && t->present != VB_DOMAIN_TRISTATE_ABSENT)
    g_string_append (s, t->present == VB_DOMAIN_TRISTATE_YES ? ",+kvmclock" : ",-kvmclock");
  if ((t = vb_qemu_domain_timer (def, VB_DOMAIN_TIMER_HYPERVCLOCK)) != NULL && t->present == VB_DOMAIN_TRISTATE_YES)
    opt (s, "hv-time", "on");
  if (f->hyperv_mode == VB_DOMAIN_HYPERV_MODE_PASSTHROUGH)
    opt (s, "hv-passthrough", "on");
  append_hyperv_flags (s, f);
  /* No KVM signature in CPUID (drivers that refuse to run in a guest). */
  if (f->kvm_hidden == VB_DOMAIN_TRISTATE_YES)
    opt (s, "kvm", "off");
  if (f->pmu != VB_DOMAIN_TRISTATE_ABSENT)
    opt (s, "pmu", f->pmu == VB_DOMAIN_TRISTATE_YES ? "on" : "off");
}

static void
build_cpu (Cmd *cmd)
{
  const VbDomainDef *def = cmd->def;
  const VbDomainCpuDef *cpu = def->cpu;
  gboolean kvm = def->virt_type == VB_DOMAIN_VIRT_KVM;
  GString *s;

  if (cpu == NULL) {
    /* The timers' and Hyper-V's flags go on QEMU's default model. */
    s = g_string_new ("qemu64");
    append_cpu_flags (cmd, s);
    if (s->len > strlen ("qemu64"))
      arg2_take (cmd, "-cpu", s);
    else
      g_string_free (s, TRUE);
    return;
  }
  switch (cpu->mode) {
  case VB_DOMAIN_CPU_MODE_HOST_PASSTHROUGH:
    s = g_string_new ("host");
    break;
  case VB_DOMAIN_CPU_MODE_HOST_MODEL:
    s = g_string_new (kvm ? "host" : "max");
    break;
  case VB_DOMAIN_CPU_MODE_MAXIMUM:
    s = g_string_new ("max");
    break;
  default:
    if (cpu->model == NULL)
      return;
    s = g_string_new (cpu->model);
    break;
  }
  if (cpu->migratable == VB_DOMAIN_TRISTATE_NO)
    opt (s, "migratable", "off");
  for (guint i = 0; cpu->features != NULL && i < cpu->features->len; i++) {
    const VbDomainCpuFeature *f = g_ptr_array_index (cpu->features, i);
    gboolean on = f->policy == VB_DOMAIN_CPU_FEATURE_FORCE || f->policy == VB_DOMAIN_CPU_FEATURE_REQUIRE
                  || f->policy == VB_DOMAIN_CPU_FEATURE_OPTIONAL;

    g_string_append_printf (s, ",%c", on ? '+' : '-');
    append_escaped (s, f->name);
  }
  append_cpu_flags (cmd, s);
  arg2_take (cmd, "-cpu", s);
}

/* <memoryBacking> (needs_memory_backend): the RAM backend and mem-lock. */
static void
build_memory_backend (Cmd *cmd)
{
  const VbDomainDef *def = cmd->def;
  const VbDomainMemoryBacking *mb = &def->memory_backing;
  GString *s;

  if (needs_memory_backend (def)) {
    /* "pc.ram", the id QEMU's own RAM has: migration streams and saved
     * images stay compatible. */
    s = g_string_new (mb->source == VB_DOMAIN_MEMORY_SOURCE_MEMFD ? "memory-backend-memfd" : "memory-backend-ram");
    opt (s, "id", "pc.ram");
    optf (s, "size", "%" G_GUINT64_FORMAT "k", def->memory_kib);
    if (mb->access != VB_DOMAIN_MEMORY_ACCESS_NONE)
      opt (s, "share", mb->access == VB_DOMAIN_MEMORY_ACCESS_SHARED ? "on" : "off");
    if (mb->allocation == VB_DOMAIN_MEMORY_ALLOCATION_IMMEDIATE)
      opt (s, "prealloc", "on");
    arg2_take (cmd, "-object", s);
  }
  if (def->has_memory_backing && mb->locked)
    arg2 (cmd, "-overcommit", "mem-lock=on");
}

/* -rtc, and the PIT's lost tick policy (KVM's in-kernel PIT has one;
 * TCG's PIT delays). */
static void
build_clock (Cmd *cmd)
{
  const VbDomainDef *def = cmd->def;
  const VbDomainTimerDef *rtc = vb_qemu_domain_timer (def, VB_DOMAIN_TIMER_RTC);
  const VbDomainTimerDef *pit = vb_qemu_domain_timer (def, VB_DOMAIN_TIMER_PIT);
  GString *s;

  if (def->clock.offset == VB_DOMAIN_CLOCK_VARIABLE) {
    /* The RTC starts at UTC (or local time) + adjustment seconds, as
     * libvirt computes it at each start. */
    gint64 now = cmd->ctx->now != 0 ? cmd->ctx->now : g_get_real_time () / G_USEC_PER_SEC;
    g_autoptr(GDateTime) start = def->clock.basis == VB_DOMAIN_CLOCK_BASIS_LOCALTIME
                                   ? g_date_time_new_from_unix_local (now + def->clock.adjustment)
                                   : g_date_time_new_from_unix_utc (now + def->clock.adjustment);
    g_autofree char *base = start != NULL ? g_date_time_format (start, "%Y-%m-%dT%H:%M:%S") : NULL;

    s = g_string_new (NULL);
    opt (s, "base", base != NULL ? base : "utc");
  } else {
    /* offset='timezone': localtime in the guest's zone (QEMU's TZ). */
    s = g_string_new (def->clock.offset == VB_DOMAIN_CLOCK_UTC ? "base=utc" : "base=localtime");
  }

  if (rtc != NULL) {
    if (rtc->track == VB_DOMAIN_TIMER_TRACK_GUEST)
      opt (s, "clock", "vm");
    else if (rtc->track == VB_DOMAIN_TIMER_TRACK_WALL)
      opt (s, "clock", "host");
    else if (rtc->track == VB_DOMAIN_TIMER_TRACK_REALTIME)
      opt (s, "clock", "rt");
    if (rtc->tickpolicy == VB_DOMAIN_TIMER_TICKPOLICY_CATCHUP)
      opt (s, "driftfix", "slew");
  }
  arg2_take (cmd, "-rtc", s);
  if (pit != NULL && pit->tickpolicy != VB_DOMAIN_TIMER_TICKPOLICY_NONE && vb_qemu_caps_has_device (cmd->caps, "kvm-pit")) {
    const char *policy = pit->tickpolicy == VB_DOMAIN_TIMER_TICKPOLICY_CATCHUP   ? "slew"
                         : pit->tickpolicy == VB_DOMAIN_TIMER_TICKPOLICY_DISCARD ? "discard"
                                                                                  : "delay";
    g_autofree char *global = g_strdup_printf ("kvm-pit.lost_tick_policy=%s", policy);
    arg2 (cmd, "-global", global);
  }
}

static void
build_smp (Cmd *cmd)
{
  const VbDomainDef *def = cmd->def;
  GString *s = g_string_new (NULL);

  g_string_append_printf (s, "%u", def->vcpus_current ? def->vcpus_current : def->vcpus);
  optf (s, "maxcpus", "%u", def->vcpus);
  if (def->cpu != NULL && (def->cpu->sockets || def->cpu->dies || def->cpu->cores || def->cpu->threads)) {
    optf (s, "sockets", "%u", MAX (def->cpu->sockets, 1));
    optf (s, "dies", "%u", MAX (def->cpu->dies, 1));
    optf (s, "cores", "%u", MAX (def->cpu->cores, 1));
    optf (s, "threads", "%u", MAX (def->cpu->threads, 1));
  }
  arg2_take (cmd, "-smp", s);
}

/* Bootindexes: per-device <boot order> when any device has one, else
 * <os><boot dev=…> mapped to the first disk / cdrom / interface. */
static void
assign_boot_order (Cmd *cmd)
{
  const VbDomainDef *def = cmd->def;
  gboolean per_device = FALSE;
  guint next = 1;

  cmd->disk_boot = g_new0 (guint, def->disks->len + 1);
  cmd->net_boot = g_new0 (guint, def->nets->len + 1);
  for (guint i = 0; i < def->disks->len; i++) {
    const VbDomainDiskDef *d = g_ptr_array_index (def->disks, i);
    cmd->disk_boot[i] = d->info.boot_order;
    per_device |= d->info.boot_order != 0;
  }
  for (guint i = 0; i < def->nets->len; i++) {
    const VbDomainNetDef *n = g_ptr_array_index (def->nets, i);
    cmd->net_boot[i] = n->info.boot_order;
    per_device |= n->info.boot_order != 0;
  }
  if (per_device)
    return;
  for (guint b = 0; b < def->os.n_boot_devs; b++) {
    VbDomainBootDev dev = def->os.boot_devs[b];

    if (dev == VB_DOMAIN_BOOT_NETWORK) {
      if (def->nets->len > 0 && cmd->net_boot[0] == 0)
        cmd->net_boot[0] = next++;
      continue;
    }
    for (guint i = 0; i < def->disks->len; i++) {
      const VbDomainDiskDef *d = g_ptr_array_index (def->disks, i);
      VbDomainDiskDevice want = dev == VB_DOMAIN_BOOT_CDROM ? VB_DOMAIN_DISK_DEVICE_CDROM : VB_DOMAIN_DISK_DEVICE_DISK;

      if (d->device == want && cmd->disk_boot[i] == 0) {
        cmd->disk_boot[i] = next++;
        break;
      }
    }
  }
}

static void
bootindex (GString *s, guint index)
{
  if (index != 0)
    optf (s, "bootindex", "%u", index);
}

static void
build_controllers (Cmd *cmd)
{
  const VbDomainDef *def = cmd->def;
  gboolean have_usb = FALSE, have_scsi = FALSE, have_vser = FALSE, have_sata = FALSE;

  for (guint i = 0; i < def->controllers->len; i++) {
    const VbDomainControllerDef *c = g_ptr_array_index (def->controllers, i);
    GString *s = g_string_new (NULL);

    switch (c->type) {
    case VB_DOMAIN_CONTROLLER_USB:
      have_usb = TRUE;
      if (g_strcmp0 (c->model, "none") == 0)
        break;
      if (g_strcmp0 (c->model, "piix3-uhci") == 0 || (c->model == NULL && !cmd->q35)) {
        device_id (s, "piix3-usb-uhci", &c->info);
        if (c->info.address.type == VB_DOMAIN_ADDRESS_NONE && !cmd->q35) {
          opt (s, "bus", "pci.0");
          opt (s, "addr", "0x1.0x2");
        }
      } else {
        device_id (s, g_strcmp0 (c->model, "nec-xhci") == 0 ? "nec-usb-xhci" : "qemu-xhci", &c->info);
        if (c->has_ports)
          optf (s, "p2", "%u", c->ports), optf (s, "p3", "%u", c->ports);
      }
      if (c->index == 0)
        cmd->usb_bus = c->info.alias;
      break;
    case VB_DOMAIN_CONTROLLER_SCSI:
      have_scsi = TRUE;
      device_id (s, "virtio-scsi-pci", &c->info);
      if (c->driver_queues)
        optf (s, "num_queues", "%u", c->driver_queues);
      if (c->driver_iothread)
        optf (s, "iothread", "iothread%u", c->driver_iothread);
      break;
    case VB_DOMAIN_CONTROLLER_VIRTIO_SERIAL:
      have_vser = TRUE;
      device_id (s, "virtio-serial-pci", &c->info);
      if (c->has_ports)
        optf (s, "max_ports", "%u", c->ports);
      if (c->has_vectors)
        optf (s, "vectors", "%u", c->vectors);
      break;
    case VB_DOMAIN_CONTROLLER_SATA:
      have_sata = TRUE;
      if (cmd->q35 && c->index == 0)
        break; /* the ICH9 AHCI is built in */
      device_id (s, "ahci", &c->info);
      break;
    case VB_DOMAIN_CONTROLLER_PCI:
      if (c->index == 0)
        break;
      if (g_strcmp0 (c->model, "pcie-root-port") == 0) {
        device_id (s, "pcie-root-port", &c->info);
        optf (s, "port", "0x%x", c->target_port >= 0 ? (guint) c->target_port : 0x10 + c->index - 1);
        optf (s, "chassis", "%u", c->target_chassis >= 0 ? (guint) c->target_chassis : c->index);
        if (c->info.address.type == VB_DOMAIN_ADDRESS_NONE)
          opt (s, "bus", "pcie.0");
      } else {
        device_id (s, "pci-bridge", &c->info);
        optf (s, "chassis_nr", "%u", c->target_chassis_nr >= 0 ? (guint) c->target_chassis_nr : c->index);
      }
      break;
    default: /* IDE: built in */
      break;
    }
    if (s->len > 0) {
      pci_address (cmd, s, &c->info);
      arg2_take (cmd, "-device", s);
    } else {
      g_string_free (s, TRUE);
    }
  }

  /* Controllers the devices need but the definition does not list. */
  if (cmd->need_usb && !have_usb) {
    arg2 (cmd, "-device", cmd->q35 ? "qemu-xhci,id=usb" : "piix3-usb-uhci,id=usb,bus=pci.0,addr=0x1.0x2");
    cmd->usb_bus = "usb";
  }
  if (cmd->need_scsi && !have_scsi)
    arg2 (cmd, "-device", "virtio-scsi-pci,id=scsi0");
  if (cmd->need_virtio_serial && !have_vser)
    arg2 (cmd, "-device", "virtio-serial-pci,id=virtio-serial0");
  if (cmd->need_sata && !have_sata && !cmd->q35)
    arg2 (cmd, "-device", "ahci,id=sata0");
}

/* Added by the snapshot part: the node names build_disks() gives. */
char *
vb_qemu_disk_format_node (const VbDomainDiskDef *disk)
{
  return g_strdup_printf ("%s-fmt", disk->info.alias);
}

static void
build_disks (Cmd *cmd)
{
  const VbDomainDef *def = cmd->def;

  for (guint i = 0; i < def->disks->len; i++) {
    const VbDomainDiskDef *d = g_ptr_array_index (def->disks, i);
    VbDomainDiskBus bus = disk_bus (d, cmd->q35);
    gboolean cdrom = d->device == VB_DOMAIN_DISK_DEVICE_CDROM;
    gboolean readonly = d->readonly || cdrom;
    const char *alias = d->info.alias;
    g_autofree char *file_node = g_strdup_printf ("%s-file", alias);
    g_autofree char *fmt_node = g_strdup_printf ("%s-fmt", alias);
    int idx = MAX (disk_name_index (d->dst), 0);
    GString *s = g_string_new (NULL);
    guint ctrl = 0, dbus = 0, target = 0, unit = 0;

    if (d->info.address.type == VB_DOMAIN_ADDRESS_DRIVE) {
      ctrl = d->info.address.u.drive.controller;
      dbus = d->info.address.u.drive.bus;
      target = d->info.address.u.drive.target;
      unit = d->info.address.u.drive.unit;
    } else if (bus == VB_DOMAIN_DISK_BUS_IDE) {
      dbus = idx / 2;
      unit = idx % 2;
    } else if (bus == VB_DOMAIN_DISK_BUS_SATA) {
      dbus = idx;
    } else if (bus == VB_DOMAIN_DISK_BUS_SCSI) {
      unit = idx;
    }

    if (d->src_path != NULL) {
      blockdev (cmd, vb_domain_disk_local_type (d) == VB_DOMAIN_DISK_TYPE_BLOCK ? "host_device" : "file", file_node, d->src_path, NULL,
                readonly, d);
      blockdev (cmd, d->driver_format ? d->driver_format : "raw", fmt_node, NULL, file_node, readonly, d);
    }
    switch (bus) {
    case VB_DOMAIN_DISK_BUS_VIRTIO:
      device_id (s, "virtio-blk-pci", &d->info);
      if (d->driver_iothread)
        optf (s, "iothread", "iothread%u", d->driver_iothread);
      pci_address (cmd, s, &d->info);
      break;
    case VB_DOMAIN_DISK_BUS_SCSI:
      device_id (s, cdrom ? "scsi-cd" : "scsi-hd", &d->info);
      optf (s, "bus", "scsi%u.0", ctrl);
      optf (s, "channel", "%u", dbus);
      optf (s, "scsi-id", "%u", target);
      optf (s, "lun", "%u", unit);
      break;
    case VB_DOMAIN_DISK_BUS_SATA:
      device_id (s, cdrom ? "ide-cd" : "ide-hd", &d->info);
      if (cmd->q35 && ctrl == 0)
        optf (s, "bus", "ide.%u", dbus);
      else
        optf (s, "bus", "sata%u.%u", ctrl, dbus);
      break;
    default: /* IDE */
      device_id (s, cdrom ? "ide-cd" : "ide-hd", &d->info);
      optf (s, "bus", "ide.%u", dbus);
      optf (s, "unit", "%u", unit);
      break;
    }
    if (d->src_path != NULL)
      opt (s, "drive", fmt_node);
    if (d->serial != NULL)
      opt (s, "serial", d->serial);
    if (d->cache == VB_DOMAIN_DISK_CACHE_WRITETHROUGH || d->cache == VB_DOMAIN_DISK_CACHE_DIRECTSYNC)
      opt (s, "write-cache", "off");
    else if (d->cache != VB_DOMAIN_DISK_CACHE_NONE && d->src_path != NULL)
      opt (s, "write-cache", "on");
    bootindex (s, cmd->disk_boot[i]);
    arg2_take (cmd, "-device", s);
  }
}

guint
vb_qemu_net_queues (const VbDomainNetDef *net)
{
  return MAX (net->driver_queues, 1);
}

static void
build_nets (Cmd *cmd)
{
  const VbDomainDef *def = cmd->def;

  for (guint i = 0; i < def->nets->len; i++) {
    const VbDomainNetDef *n = g_ptr_array_index (def->nets, i);
    g_autofree char *netdev = g_strdup_printf ("host%s", n->info.alias);
    int tap_fd = cmd->ctx->tap_fds ? cmd->ctx->tap_fds[i] : -1;
    GString *nd = g_string_new (tap_fd >= 0 ? "tap" : "user");
    GString *s = g_string_new (NULL);
    const char *model = n->model ? n->model : "rtl8139";
    gboolean virtio = g_str_equal (model, "virtio");
    guint queues = vb_qemu_net_queues (n);

    opt (nd, "id", netdev);
    if (tap_fd >= 0 && queues > 1) {
      GString *fds = g_string_new (NULL);

      for (guint q = 0; q < queues; q++)
        g_string_append_printf (fds, "%s%d", q ? ":" : "", tap_fd + (int) q);
      opt (nd, "fds", fds->str);
      g_string_free (fds, TRUE);
    } else if (tap_fd >= 0) {
      optf (nd, "fd", "%d", tap_fd);
    }
    if (tap_fd >= 0) {
      /* vhost-net (QEMU opens /dev/vhost-net) only when asked for: a
       * host without the module would fail the start otherwise. */
      if (n->driver_name == VB_DOMAIN_NET_DRIVER_VHOST)
        opt (nd, "vhost", "on");
    }
    arg2_take (cmd, "-netdev", nd);
    device_id (s, virtio ? "virtio-net-pci" : model, &n->info);
    opt (s, "netdev", netdev);
    /* A queue pair per tap queue, each with its own interrupts (two per
     * pair, one for configuration, one for the control queue). */
    if (virtio && queues > 1) {
      opt (s, "mq", "on");
      optf (s, "vectors", "%u", 2 * queues + 2);
    }
    opt (s, "mac", n->mac);
    if (n->mtu != 0)
      optf (s, "host_mtu", "%u", n->mtu);
    /* No iPXE ROM for virtio: it takes seconds to initialise under TCG
     * and we network-boot nothing by default. */
    if (virtio && cmd->net_boot[i] == 0)
      opt (s, "romfile", "");
    bootindex (s, cmd->net_boot[i]);
    pci_address (cmd, s, &n->info);
    arg2_take (cmd, "-device", s);
  }
}

/* The -chardev for @chr with id @id; @sock is where a pty (and a unix
 * source without a path) listens. */
static gboolean
build_chardev (Cmd *cmd, const VbDomainChrDef *chr, const char *id, const char *sock, const char *logfile,
               GError **error)
{
  GString *s = g_string_new (NULL);

  switch (chr->type) {
  case VB_DOMAIN_CHR_TYPE_NULL:
    g_string_append (s, "null");
    opt (s, "id", id);
    break;
  case VB_DOMAIN_CHR_TYPE_SPICEVMC:
    /* The SPICE agent's channel (validated: a virtio channel). */
    g_string_append (s, "spicevmc");
    opt (s, "id", id);
    opt (s, "name", "vdagent");
    break;
  case VB_DOMAIN_CHR_TYPE_FILE:
    g_string_append (s, "file");
    opt (s, "id", id);
    opt (s, "path", chr->src_path);
    if (chr->src_append != VB_DOMAIN_TRISTATE_ABSENT)
      opt (s, "append", chr->src_append == VB_DOMAIN_TRISTATE_YES ? "on" : "off");
    break;
  case VB_DOMAIN_CHR_TYPE_TCP:
    g_string_append (s, "socket");
    opt (s, "id", id);
    opt (s, "host", chr->src_host);
    opt (s, "port", chr->src_service);
    if (chr->protocol == VB_DOMAIN_CHR_PROTOCOL_TELNET)
      opt (s, "telnet", "on");
    if (chr->src_mode == VB_DOMAIN_CHR_MODE_CONNECT) {
      opt (s, "server", "off");
    } else {
      opt (s, "server", "on");
      opt (s, "wait", "off");
    }
    break;
  case VB_DOMAIN_CHR_TYPE_UNIX:
  case VB_DOMAIN_CHR_TYPE_PTY: {
    const char *path = chr->type == VB_DOMAIN_CHR_TYPE_UNIX && chr->src_path ? chr->src_path : sock;

    if (!check_socket_path (path, error)) {
      g_string_free (s, TRUE);
      return FALSE;
    }
    g_string_append (s, "socket");
    opt (s, "id", id);
    opt (s, "path", path);
    if (chr->type == VB_DOMAIN_CHR_TYPE_UNIX && chr->src_mode == VB_DOMAIN_CHR_MODE_CONNECT) {
      opt (s, "server", "off");
    } else {
      opt (s, "server", "on");
      opt (s, "wait", "off");
    }
    break;
  }
  default:
    g_string_free (s, TRUE);
    return NOT_SUPPORTED (error, "character device type not supported");
  }
  if (chr->log_file != NULL) {
    opt (s, "logfile", chr->log_file);
    opt (s, "logappend", chr->log_append == VB_DOMAIN_TRISTATE_NO ? "off" : "on");
  } else if (logfile != NULL && chr->type == VB_DOMAIN_CHR_TYPE_PTY) {
    opt (s, "logfile", logfile);
    opt (s, "logappend", "on");
  }
  arg2_take (cmd, "-chardev", s);
  return TRUE;
}

static gboolean
build_serial (Cmd *cmd, const VbDomainChrDef *chr, guint index, GError **error)
{
  g_autofree char *id = g_strdup_printf ("charserial%u", index);
  g_autofree char *sock = vb_qemu_console_socket_path (cmd->ctx->run_dir, index);
  /* <name>.serialN.log: log_dir may be shared by every domain. */
  g_autofree char *logbase = g_strdup_printf ("%s.serial%u.log", cmd->def->name, index);
  g_autofree char *logfile = cmd->ctx->log_dir ? g_build_filename (cmd->ctx->log_dir, logbase, NULL) : NULL;
  GString *s = g_string_new (NULL);
  const char *target = chr->target_type ? chr->target_type : "isa-serial";

  if (!build_chardev (cmd, chr, id, sock, logfile, error)) {
    g_string_free (s, TRUE);
    return FALSE;
  }
  device_id (s, target, &chr->info);
  opt (s, "chardev", id);
  if (g_str_equal (target, "isa-serial"))
    optf (s, "index", "%u", chr->has_target_port ? chr->target_port : index);
  else if (g_str_equal (target, "usb-serial"))
    optf (s, "bus", "%s.0", cmd->usb_bus);
  else
    pci_address (cmd, s, &chr->info);
  arg2_take (cmd, "-device", s);
  return TRUE;
}

static gboolean
build_chardevs (Cmd *cmd, GError **error)
{
  const VbDomainDef *def = cmd->def;

  for (guint i = 0; i < def->serials->len; i++)
    if (!build_serial (cmd, g_ptr_array_index (def->serials, i), i, error))
      return FALSE;
  for (guint i = 0; i < def->consoles->len; i++) {
    const VbDomainChrDef *chr = g_ptr_array_index (def->consoles, i);
    gboolean serial_type = chr->target_type == NULL || g_str_equal (chr->target_type, "serial");

    if (serial_type) {
      /* The first serial console is serial0; with no <serial> it becomes it. */
      if (i == 0 && def->serials->len > 0)
        continue;
      if (i == 0) {
        VbDomainChrDef copy = *chr;
        copy.target_type = NULL;
        if (!build_serial (cmd, &copy, 0, error))
          return FALSE;
        continue;
      }
      return NOT_SUPPORTED (error, "only the first <console> may be of target type 'serial'");
    }
    {
      g_autofree char *id = g_strdup_printf ("char%s", chr->info.alias);
      g_autofree char *base = g_strdup_printf ("%s.sock", chr->info.alias);
      g_autofree char *sock = g_build_filename (cmd->ctx->run_dir, base, NULL);
      g_autofree char *logbase = g_strdup_printf ("%s.%s.log", cmd->def->name, chr->info.alias);
      g_autofree char *logfile = cmd->ctx->log_dir ? g_build_filename (cmd->ctx->log_dir, logbase, NULL) : NULL;
      GString *s = g_string_new (NULL);

      if (!build_chardev (cmd, chr, id, sock, logfile, error)) {
        g_string_free (s, TRUE);
        return FALSE;
      }
      device_id (s, "virtconsole", &chr->info);
      opt (s, "chardev", id);
      arg2_take (cmd, "-device", s);
    }
  }
  for (guint i = 0; i < def->channels->len; i++) {
    const VbDomainChrDef *chr = g_ptr_array_index (def->channels, i);
    /* libvirt's name for the SPICE agent's channel when it has none. */
    const char *name = chr->target_name ? chr->target_name : "com.redhat.spice.0";
    g_autofree char *id = g_strdup_printf ("char%s", chr->info.alias);
    g_autofree char *base = g_strdup_printf ("%s.sock", name);
    g_autofree char *sock = g_build_filename (cmd->ctx->run_dir, base, NULL);
    GString *s = g_string_new (NULL);

    if (!build_chardev (cmd, chr, id, sock, NULL, error)) {
      g_string_free (s, TRUE);
      return FALSE;
    }
    device_id (s, "virtserialport", &chr->info);
    opt (s, "chardev", id);
    opt (s, "name", name);
    arg2_take (cmd, "-device", s);
  }
  return TRUE;
}

/* Whether the address of a <listen type='network'> was looked up (the
 * backend writes the network's address into the live definition before
 * the command is built). */
static gboolean
check_listen_resolved (const VbDomainGraphicsListen *l, GError **error)
{
  if (l != NULL && l->type == VB_DOMAIN_GRAPHICS_LISTEN_NETWORK && l->address == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "the address of network '%s' to listen on is not known",
                 l->network);
    return FALSE;
  }
  return TRUE;
}

/* The address a graphics device listens on ("127.0.0.1" unless told). */
static void
append_listen_address (GString *s, const VbDomainGraphicsListen *l)
{
  const char *addr = l && l->address ? l->address : "127.0.0.1";

  if (strchr (addr, ':') != NULL)
    g_string_append_printf (s, "[%s]", addr);
  else
    append_escaped (s, addr);
}

static gboolean
build_vnc (Cmd *cmd, const VbDomainGraphicsDef *g, GError **error)
{
  const VbDomainGraphicsListen *l = g->listens->len ? g_ptr_array_index (g->listens, 0) : NULL;
  GString *s;

  if (!check_listen_resolved (l, error))
    return FALSE;
  s = g_string_new (NULL);

  if (l != NULL && l->type == VB_DOMAIN_GRAPHICS_LISTEN_NONE) {
    g_string_append (s, "none");
  } else if (l != NULL && l->type == VB_DOMAIN_GRAPHICS_LISTEN_SOCKET) {
    g_autofree char *path = l->socket ? g_strdup (l->socket) : g_build_filename (cmd->ctx->run_dir, "vnc.sock", NULL);

    if (!check_socket_path (path, error)) {
      g_string_free (s, TRUE);
      return FALSE;
    }
    g_string_append (s, "unix:");
    append_escaped (s, path);
  } else {
    append_listen_address (s, l);
    /* The backend gives autoport displays a port before the start
     * (vb_qemu_process.c: assign_graphics_ports); without one QEMU takes
     * the first free display from 0 up. */
    if (g->port > 0)
      g_string_append_printf (s, ":%d", g->port - 5900);
    else
      g_string_append (s, ":0,to=100");
    if (g->websocket > 0)
      optf (s, "websocket", "%d", g->websocket);
  }
  /* The password itself goes over QMP (set_password) before the guest
   * runs; until then nobody gets in. */
  if (g->passwd != NULL)
    opt (s, "password", "on");
  arg2_take (cmd, "-vnc", s);
  return TRUE;
}

static gboolean
build_spice (Cmd *cmd, const VbDomainGraphicsDef *g, GError **error)
{
  const VbDomainGraphicsListen *l = g->listens->len ? g_ptr_array_index (g->listens, 0) : NULL;
  GString *s;

  if (!check_listen_resolved (l, error))
    return FALSE;
  s = g_string_new (NULL);

  if (l != NULL && l->type == VB_DOMAIN_GRAPHICS_LISTEN_NONE) {
    /* No listening socket (clients come through OpenGraphicsFD); QEMU
     * wants a port anyway, 0 is none. */
    g_string_append (s, "port=0");
  } else if (l != NULL && l->type == VB_DOMAIN_GRAPHICS_LISTEN_SOCKET) {
    g_autofree char *path = l->socket ? g_strdup (l->socket)
                                      : g_build_filename (cmd->ctx->run_dir, "spice.sock", NULL);

    if (!check_socket_path (path, error)) {
      g_string_free (s, TRUE);
      return FALSE;
    }
    g_string_append (s, "unix=on,addr=");
    append_escaped (s, path);
  } else {
    if (g->port <= 0) {
      g_string_free (s, TRUE);
      g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "the SPICE display has no port assigned");
      return FALSE;
    }
    g_string_append_printf (s, "port=%d,addr=", g->port);
    if (l && l->address && strchr (l->address, ':') != NULL)
      append_escaped (s, l->address); /* QEMU's addr= takes IPv6 bare */
    else
      append_listen_address (s, l);
  }
  /* With a password: set over QMP before the guest runs, nobody gets in
   * until then. */
  if (g->passwd == NULL)
    opt (s, "disable-ticketing", "on");
  {
    /* The options QEMU takes by the same names as libvirt's values. */
    static const struct { VbDomainSpiceOption option; const char *key; } same[] = {
      { VB_DOMAIN_SPICE_IMAGE, "image-compression" },
      { VB_DOMAIN_SPICE_JPEG, "jpeg-wan-compression" },
      { VB_DOMAIN_SPICE_ZLIB, "zlib-glz-wan-compression" },
      { VB_DOMAIN_SPICE_PLAYBACK, "playback-compression" },
      { VB_DOMAIN_SPICE_STREAMING, "streaming-video" },
    };
    for (guint i = 0; i < G_N_ELEMENTS (same); i++)
      if (g->spice[same[i].option] != 0)
        opt (s, same[i].key, vb_domain_spice_option_to_string (same[i].option, g->spice[same[i].option]));
  }
  if (g->spice[VB_DOMAIN_SPICE_MOUSE] != 0)
    opt (s, "agent-mouse", g->spice[VB_DOMAIN_SPICE_MOUSE] == 2 ? "on" : "off");
  if (g->spice[VB_DOMAIN_SPICE_COPYPASTE] == 2)
    opt (s, "disable-copy-paste", "on");
  if (g->spice[VB_DOMAIN_SPICE_FILETRANSFER] == 2)
    opt (s, "disable-agent-file-xfer", "on");
  opt (s, "seamless-migration", "on");
  arg2_take (cmd, "-spice", s);
  return TRUE;
}

static gboolean
build_graphics (Cmd *cmd, GError **error)
{
  const VbDomainDef *def = cmd->def;

  if (def->graphics->len == 0) {
    arg2 (cmd, "-display", "none");
    return TRUE;
  }
  for (guint i = 0; i < def->graphics->len; i++) {
    const VbDomainGraphicsDef *g = g_ptr_array_index (def->graphics, i);

    if (!(g->type == VB_DOMAIN_GRAPHICS_SPICE ? build_spice (cmd, g, error) : build_vnc (cmd, g, error)))
      return FALSE;
    if (g->keymap != NULL)
      arg2 (cmd, "-k", g->keymap);
  }
  return TRUE;
}

static void
build_videos (Cmd *cmd)
{
  const VbDomainDef *def = cmd->def;

  for (guint i = 0; i < def->videos->len; i++) {
    const VbDomainVideoDef *v = g_ptr_array_index (def->videos, i);
    gboolean primary = i == 0;
    const char *dev;
    GString *s;

    switch (v->model) {
    case VB_DOMAIN_VIDEO_VGA: dev = "VGA"; break;
    case VB_DOMAIN_VIDEO_CIRRUS: dev = "cirrus-vga"; break;
    case VB_DOMAIN_VIDEO_VMVGA: dev = "vmware-svga"; break;
    case VB_DOMAIN_VIDEO_QXL: dev = primary ? "qxl-vga" : "qxl"; break;
    case VB_DOMAIN_VIDEO_VIRTIO:
      dev = primary && vb_qemu_caps_has_device (cmd->caps, "virtio-vga") ? "virtio-vga" : "virtio-gpu-pci";
      break;
    case VB_DOMAIN_VIDEO_BOCHS: dev = "bochs-display"; break;
    case VB_DOMAIN_VIDEO_RAMFB: dev = "ramfb"; break;
    default: continue; /* none */
    }
    s = g_string_new (NULL);
    device_id (s, dev, &v->info);
    if (v->model == VB_DOMAIN_VIDEO_QXL) {
      if (v->ram)
        optf (s, "ram_size", "%u", v->ram * 1024);
      if (v->vram)
        optf (s, "vram_size", "%u", v->vram * 1024);
      if (v->vram64)
        optf (s, "vram64_size_mb", "%u", v->vram64 / 1024);
    }
    if (v->vgamem && (v->model == VB_DOMAIN_VIDEO_VGA || v->model == VB_DOMAIN_VIDEO_QXL
                      || v->model == VB_DOMAIN_VIDEO_VMVGA))
      optf (s, "vgamem_mb", "%u", v->vgamem / 1024);
    pci_address (cmd, s, &v->info);
    arg2_take (cmd, "-device", s);
  }
}

static void
build_inputs (Cmd *cmd)
{
  const VbDomainDef *def = cmd->def;

  for (guint i = 0; i < def->inputs->len; i++) {
    const VbDomainInputDef *in = g_ptr_array_index (def->inputs, i);
    static const char *const usb[] = { "usb-mouse", "usb-tablet", "usb-kbd" };
    static const char *const virtio[] = { "virtio-mouse-pci", "virtio-tablet-pci", "virtio-keyboard-pci" };
    GString *s;

    if (in->bus == VB_DOMAIN_INPUT_BUS_PS2 || (in->bus == VB_DOMAIN_INPUT_BUS_NONE && in->type != VB_DOMAIN_INPUT_TABLET))
      continue; /* the i8042 is part of the machine */
    s = g_string_new (NULL);
    if (in->bus == VB_DOMAIN_INPUT_BUS_VIRTIO) {
      device_id (s, virtio[in->type], &in->info);
      pci_address (cmd, s, &in->info);
    } else {
      device_id (s, usb[in->type], &in->info);
      optf (s, "bus", "%s.0", cmd->usb_bus);
    }
    arg2_take (cmd, "-device", s);
  }
}

static void
build_audio (Cmd *cmd)
{
  const VbDomainDef *def = cmd->def;

  for (guint i = 0; i < def->audios->len; i++) {
    const VbDomainAudioDef *a = g_ptr_array_index (def->audios, i);
    g_autofree char *dev = g_strdup_printf ("%s,id=audio%u", a->type == VB_DOMAIN_AUDIO_SPICE ? "spice" : "none",
                                            a->id);
    arg2 (cmd, "-audiodev", dev);
  }
  if (def->audios->len == 0 && def->sounds->len > 0)
    arg2 (cmd, "-audiodev", has_graphics (def, VB_DOMAIN_GRAPHICS_SPICE) ? "spice,id=audio1" : "none,id=audio1");
}

static void
build_sounds (Cmd *cmd)
{
  const VbDomainDef *def = cmd->def;

  for (guint i = 0; i < def->sounds->len; i++) {
    const VbDomainSoundDef *snd = g_ptr_array_index (def->sounds, i);
    g_autofree char *audiodev = audiodev_of (def, snd);
    const char *dev = sound_device (snd->model);
    GString *s;

    if (dev == NULL)
      continue; /* pcspk: part of the machine (build_machine) */
    s = g_string_new (NULL);
    device_id (s, dev, &snd->info);
    if (snd->model == VB_DOMAIN_SOUND_USB)
      optf (s, "bus", "%s.0", cmd->usb_bus);
    else if (snd->model != VB_DOMAIN_SOUND_SB16)
      pci_address (cmd, s, &snd->info);
    /* HDA controllers play through a codec; the others themselves. */
    if (snd->model != VB_DOMAIN_SOUND_ICH6 && snd->model != VB_DOMAIN_SOUND_ICH9)
      opt (s, "audiodev", audiodev);
    arg2_take (cmd, "-device", s);
    if (snd->model == VB_DOMAIN_SOUND_ICH6 || snd->model == VB_DOMAIN_SOUND_ICH9) {
      s = g_string_new ("hda-duplex");
      optf (s, "id", "%s-codec0", snd->info.alias);
      optf (s, "bus", "%s.0", snd->info.alias);
      opt (s, "cad", "0");
      opt (s, "audiodev", audiodev);
      arg2_take (cmd, "-device", s);
    }
  }
}

/* usb-redir's filter= from <redirfilter>: "class:vendor:product:version:
 * allow" rules joined by '|', -1 for any; NULL without rules. */
static char *
redir_filter (const VbDomainDef *def)
{
  GString *s;

  if (def->redirfilter == NULL || def->redirfilter->len == 0)
    return NULL;
  s = g_string_new (NULL);
  for (guint i = 0; i < def->redirfilter->len; i++) {
    const VbDomainRedirFilterUsbDev *u = g_ptr_array_index (def->redirfilter, i);
    const int fields[] = { u->usb_class, u->vendor, u->product, u->version };

    if (i > 0)
      g_string_append_c (s, '|');
    for (guint j = 0; j < G_N_ELEMENTS (fields); j++) {
      if (fields[j] < 0)
        g_string_append (s, "-1:");
      else
        g_string_append_printf (s, "0x%04x:", fields[j]);
    }
    g_string_append_c (s, u->allow ? '1' : '0');
  }
  return g_string_free (s, FALSE);
}

/* USB redirection: a SPICE client's devices (spicevmc) or a usbredir
 * server's (tcp) on the guest's USB bus. */
static void
build_redirdevs (Cmd *cmd)
{
  const VbDomainDef *def = cmd->def;
  g_autofree char *filter = redir_filter (def);

  for (guint i = 0; i < def->redirdevs->len; i++) {
    const VbDomainRedirdevDef *r = g_ptr_array_index (def->redirdevs, i);
    g_autofree char *id = g_strdup_printf ("char%s", r->info.alias);
    GString *s = g_string_new (NULL);

    if (r->type == VB_DOMAIN_CHR_TYPE_SPICEVMC) {
      g_string_append (s, "spicevmc");
      opt (s, "id", id);
      opt (s, "name", "usbredir");
    } else {
      g_string_append (s, "socket");
      opt (s, "id", id);
      opt (s, "host", r->src_host);
      opt (s, "port", r->src_service);
      if (r->src_mode == VB_DOMAIN_CHR_MODE_BIND) {
        opt (s, "server", "on");
        opt (s, "wait", "off");
      }
    }
    arg2_take (cmd, "-chardev", s);
    s = g_string_new (NULL);
    device_id (s, "usb-redir", &r->info);
    opt (s, "chardev", id);
    optf (s, "bus", "%s.0", cmd->usb_bus);
    if (r->info.boot_order > 0)
      optf (s, "bootindex", "%u", r->info.boot_order);
    if (filter != NULL)
      opt (s, "filter", filter);
    arg2_take (cmd, "-device", s);
  }
}

/* A 9p share: QEMU serves the directory itself (-fsdev local). Its
 * access modes, as libvirt maps them: passthrough (the guest's owners and
 * modes on the files, what QEMU's user may set), mapped (kept in extended
 * attributes, the files QEMU's), squash (none, as passthrough but
 * ownership changes are not errors). */
static void
build_9p (Cmd *cmd, const VbDomainFsDef *fs)
{
  static const char *const models[] = { "passthrough", "passthrough", "mapped", "none" };
  GString *s = g_string_new ("local");

  G_STATIC_ASSERT (G_N_ELEMENTS (models) == VB_DOMAIN_FS_ACCESS_LAST);
  optf (s, "id", "fsdev-%s", fs->info.alias);
  opt (s, "path", fs->src_dir);
  opt (s, "security_model", models[fs->accessmode]);
  if (fs->readonly)
    opt (s, "readonly", "on");
  arg2_take (cmd, "-fsdev", s);
  s = g_string_new (NULL);
  device_id (s, "virtio-9p-pci", &fs->info);
  optf (s, "fsdev", "fsdev-%s", fs->info.alias);
  opt (s, "mount_tag", fs->dst);
  pci_address (cmd, s, &fs->info);
  arg2_take (cmd, "-device", s);
}

/* Shared directories: 9p ones QEMU serves; for virtiofs ones QEMU
 * connects to the virtiofsd the backend started. */
static void
build_filesystems (Cmd *cmd)
{
  const VbDomainDef *def = cmd->def;

  for (guint i = 0; i < def->filesystems->len; i++) {
    const VbDomainFsDef *fs = g_ptr_array_index (def->filesystems, i);
    GString *s;

    if (fs->driver != VB_DOMAIN_FS_DRIVER_VIRTIOFS) {
      build_9p (cmd, fs);
      continue;
    }
    if (cmd->ctx->fs_sockets == NULL)
      continue;
    s = g_string_new ("socket");

    optf (s, "id", "chr-vu-%s", fs->info.alias);
    opt (s, "path", cmd->ctx->fs_sockets[i]);
    arg2_take (cmd, "-chardev", s);
    s = g_string_new (NULL);
    device_id (s, "vhost-user-fs-pci", &fs->info);
    optf (s, "chardev", "chr-vu-%s", fs->info.alias);
    opt (s, "tag", fs->dst);
    opt (s, "queue-size", "1024");
    pci_address (cmd, s, &fs->info);
    arg2_take (cmd, "-device", s);
  }
}

/* The emulated TPM: QEMU connects to the swtpm the backend started. */
static void
build_tpm (Cmd *cmd)
{
  const VbDomainDef *def = cmd->def;
  GString *s;

  if (cmd->ctx->tpm_socket == NULL)
    return;
  for (guint i = 0; i < def->tpms->len; i++) {
    const VbDomainTpmDef *tpm = g_ptr_array_index (def->tpms, i);

    if (tpm->backend != VB_DOMAIN_TPM_BACKEND_EMULATOR)
      continue;
    s = g_string_new ("socket");
    optf (s, "id", "chr%s", tpm->info.alias);
    opt (s, "path", cmd->ctx->tpm_socket);
    arg2_take (cmd, "-chardev", s);
    s = g_string_new ("emulator");
    optf (s, "id", "tpm-%s", tpm->info.alias);
    optf (s, "chardev", "chr%s", tpm->info.alias);
    arg2_take (cmd, "-tpmdev", s);
    s = g_string_new (NULL);
    device_id (s, tpm_device (tpm), &tpm->info);
    optf (s, "tpmdev", "tpm-%s", tpm->info.alias);
    arg2_take (cmd, "-device", s);
  }
}

static void
build_misc_devices (Cmd *cmd)
{
  const VbDomainDef *def = cmd->def;

  if (def->memballoon != NULL && def->memballoon->model != VB_DOMAIN_MEMBALLOON_NONE) {
    const VbDomainMemballoonDef *b = def->memballoon;
    GString *s = g_string_new (NULL);

    device_id (s, b->model == VB_DOMAIN_MEMBALLOON_VIRTIO_TRANSITIONAL       ? "virtio-balloon-pci-transitional"
                  : b->model == VB_DOMAIN_MEMBALLOON_VIRTIO_NON_TRANSITIONAL ? "virtio-balloon-pci-non-transitional"
                                                                             : "virtio-balloon-pci",
               &b->info);
    if (b->autodeflate != VB_DOMAIN_TRISTATE_ABSENT)
      opt (s, "deflate-on-oom", b->autodeflate == VB_DOMAIN_TRISTATE_YES ? "on" : "off");
    if (b->free_page_reporting != VB_DOMAIN_TRISTATE_ABSENT)
      opt (s, "free-page-reporting", b->free_page_reporting == VB_DOMAIN_TRISTATE_YES ? "on" : "off");
    pci_address (cmd, s, &b->info);
    arg2_take (cmd, "-device", s);
  }

  for (guint i = 0; i < def->rngs->len; i++) {
    const VbDomainRngDef *r = g_ptr_array_index (def->rngs, i);
    g_autofree char *obj = g_strdup_printf ("obj%s", r->info.alias);
    GString *o = g_string_new (NULL);
    GString *s = g_string_new (NULL);

    if (r->backend == VB_DOMAIN_RNG_BACKEND_BUILTIN) {
      g_string_append (o, "rng-builtin");
      opt (o, "id", obj);
    } else {
      g_string_append (o, "rng-random");
      opt (o, "id", obj);
      opt (o, "filename", r->source ? r->source : "/dev/urandom");
    }
    arg2_take (cmd, "-object", o);
    device_id (s, r->model == VB_DOMAIN_RNG_VIRTIO_TRANSITIONAL       ? "virtio-rng-pci-transitional"
                  : r->model == VB_DOMAIN_RNG_VIRTIO_NON_TRANSITIONAL ? "virtio-rng-pci-non-transitional"
                                                                      : "virtio-rng-pci",
               &r->info);
    opt (s, "rng", obj);
    if (r->rate_bytes) {
      optf (s, "max-bytes", "%u", r->rate_bytes);
      optf (s, "period", "%u", r->rate_period ? r->rate_period : 1000);
    }
    pci_address (cmd, s, &r->info);
    arg2_take (cmd, "-device", s);
  }

  for (guint i = 0; i < def->watchdogs->len; i++) {
    const VbDomainWatchdogDef *w = g_ptr_array_index (def->watchdogs, i);
    GString *s = g_string_new (NULL);

    if (w->model == VB_DOMAIN_WATCHDOG_ITCO) {
      /* The ICH9's iTCO is always there; it only needs to be armed. */
      g_string_free (s, TRUE);
      arg2 (cmd, "-global", "ICH9-LPC.noreboot=off");
      continue;
    }
    device_id (s, w->model == VB_DOMAIN_WATCHDOG_IB700 ? "ib700" : "i6300esb", &w->info);
    if (w->model == VB_DOMAIN_WATCHDOG_I6300ESB)
      pci_address (cmd, s, &w->info);
    arg2_take (cmd, "-device", s);
  }

  for (guint i = 0; i < def->panics->len; i++) {
    const VbDomainPanicDef *p = g_ptr_array_index (def->panics, i);
    GString *s = g_string_new (NULL);

    if (p->model == VB_DOMAIN_PANIC_PVPANIC) {
      device_id (s, "pvpanic-pci", &p->info);
      pci_address (cmd, s, &p->info);
    } else {
      device_id (s, "pvpanic", &p->info);
      if (p->info.address.type == VB_DOMAIN_ADDRESS_ISA && p->info.address.u.isa.has_iobase)
        optf (s, "ioport", "%u", p->info.address.u.isa.iobase);
    }
    arg2_take (cmd, "-device", s);
  }

  if (def->features.vmcoreinfo == VB_DOMAIN_TRISTATE_YES)
    arg2 (cmd, "-device", "vmcoreinfo");
  if (def->has_genid) {
    GString *s = g_string_new ("vmgenid");
    opt (s, "guid", def->genid[0] ? def->genid : "auto");
    opt (s, "id", "vmgenid0");
    arg2_take (cmd, "-device", s);
  }
}

static const char *
watchdog_action (VbDomainWatchdogAction action)
{
  switch (action) {
  case VB_DOMAIN_WATCHDOG_ACTION_SHUTDOWN: return "shutdown";
  case VB_DOMAIN_WATCHDOG_ACTION_POWEROFF: return "poweroff";
  case VB_DOMAIN_WATCHDOG_ACTION_PAUSE: return "pause";
  case VB_DOMAIN_WATCHDOG_ACTION_NONE: return "none";
  case VB_DOMAIN_WATCHDOG_ACTION_INJECT_NMI: return "inject-nmi";
  default: return "reset";
  }
}

/* What the devices need implicitly (controllers). */
static void
scan_needs (Cmd *cmd)
{
  const VbDomainDef *def = cmd->def;

  for (guint i = 0; i < def->disks->len; i++) {
    VbDomainDiskBus bus = disk_bus (g_ptr_array_index (def->disks, i), cmd->q35);
    cmd->need_scsi |= bus == VB_DOMAIN_DISK_BUS_SCSI;
    cmd->need_sata |= bus == VB_DOMAIN_DISK_BUS_SATA;
  }
  for (guint i = 0; i < def->inputs->len; i++) {
    const VbDomainInputDef *in = g_ptr_array_index (def->inputs, i);
    cmd->need_usb |= in->bus == VB_DOMAIN_INPUT_BUS_USB
                     || (in->bus == VB_DOMAIN_INPUT_BUS_NONE && in->type == VB_DOMAIN_INPUT_TABLET);
  }
  for (guint i = 0; i < def->serials->len; i++)
    cmd->need_usb |= g_strcmp0 (((VbDomainChrDef *) g_ptr_array_index (def->serials, i))->target_type,
                                "usb-serial") == 0;
  for (guint i = 0; i < def->sounds->len; i++)
    cmd->need_usb |= ((VbDomainSoundDef *) g_ptr_array_index (def->sounds, i))->model == VB_DOMAIN_SOUND_USB;
  cmd->need_usb |= def->redirdevs->len > 0;
  for (guint i = 0; i < def->consoles->len; i++)
    cmd->need_virtio_serial |= g_strcmp0 (((VbDomainChrDef *) g_ptr_array_index (def->consoles, i))->target_type,
                                          "virtio") == 0;
  cmd->need_virtio_serial |= def->channels->len > 0;
}

/* One -smbios type=@type argument of @section's fields, but @skip. */
static void
smbios_arg (Cmd *cmd, guint type, const VbSysinfoSection *section, const char *skip)
{
  const char *const *names;
  GString *s;

  if (section == NULL)
    return;
  names = vb_sysinfo_field_names (section->kind);
  s = g_string_new (NULL);
  optf (s, "type", "%u", type);
  for (guint i = 0; names[i] != NULL; i++)
    if (section->fields[i] != NULL && g_strcmp0 (names[i], skip) != 0)
      opt (s, names[i], section->fields[i]);
  arg2_take (cmd, "-smbios", s);
}

/* <os><smbios mode='sysinfo'>: the domain's <sysinfo type='smbios'>;
 * mode='host': the host's own (ctx->host_sysinfo), its UUID left out;
 * then the <sysinfo type='fwcfg'> entries. */
static gboolean
build_sysinfo (Cmd *cmd, GError **error)
{
  const VbDomainDef *def = cmd->def;
  const VbSysinfoDef *source = NULL;
  const VbSysinfoDef *fwcfg = domain_sysinfo (def, VB_SYSINFO_TYPE_FWCFG);
  gboolean host = def->os.smbios == VB_DOMAIN_SMBIOS_HOST;

  if (host) {
    source = cmd->ctx->host_sysinfo;
    if (source == NULL) {
      g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "the host's SMBIOS information was not read");
      return FALSE;
    }
    if (!validate_smbios_source (source, "the host's SMBIOS information", error))
      return FALSE;
  } else if (def->os.smbios == VB_DOMAIN_SMBIOS_SYSINFO) {
    source = domain_sysinfo (def, VB_SYSINFO_TYPE_SMBIOS);
  }
  if (source != NULL) {
    smbios_arg (cmd, 0, source->bios, NULL);
    /* A UUID is the domain's own: -uuid gives it already. */
    smbios_arg (cmd, 1, source->system, host ? "uuid" : NULL);
    if (source->base_boards->len > 0)
      smbios_arg (cmd, 2, g_ptr_array_index (source->base_boards, 0), NULL);
    smbios_arg (cmd, 3, source->chassis, NULL);
    if (source->oem_strings->len > 0) {
      GString *s = g_string_new ("type=11");
      for (guint i = 0; i < source->oem_strings->len; i++)
        opt (s, "value", g_ptr_array_index (source->oem_strings, i));
      arg2_take (cmd, "-smbios", s);
    }
  }
  for (guint i = 0; fwcfg != NULL && i < fwcfg->fwcfg->len; i++) {
    const VbSysinfoFwcfgEntry *e = g_ptr_array_index (fwcfg->fwcfg, i);
    GString *s;

    /* Checked at the start only: a file may come and go while the
     * domain is defined. */
    if (e->file != NULL && !g_file_test (e->file, G_FILE_TEST_IS_REGULAR)) {
      g_set_error (error, VB_ERROR, VB_ERROR_XML, "fw_cfg entry '%s': file %s does not exist", e->name, e->file);
      return FALSE;
    }
    s = g_string_new (NULL);

    opt (s, "name", e->name);
    if (e->file != NULL)
      opt (s, "file", e->file);
    else
      opt (s, "string", e->value);
    arg2_take (cmd, "-fw_cfg", s);
  }
  return TRUE;
}

GStrv
vb_qemu_build_command (const VbDomainDef *orig, const VbQemuCaps *caps, const VbQemuCommandContext *ctx,
                       GError **error)
{
  g_autoptr(VbDomainDef) def = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree guint *disk_boot = NULL;
  g_autofree guint *net_boot = NULL;
  Cmd cmd = { 0 };
  GString *s;

  if (!vb_qemu_domain_validate (orig, caps, error))
    return NULL;
  def = vb_domain_def_copy (orig);
  cmd.machine = resolve_machine (def, caps, error);
  if (cmd.machine == NULL)
    return NULL;
  g_free (def->os.machine);
  def->os.machine = g_strdup (cmd.machine->name);
  vb_qemu_domain_assign_aliases (def);

  cmd.def = def;
  cmd.caps = caps;
  cmd.ctx = ctx;
  cmd.q35 = machine_is_q35 (cmd.machine->name);
  cmd.argv = argv;
  scan_needs (&cmd);
  assign_boot_order (&cmd);
  disk_boot = cmd.disk_boot;
  net_boot = cmd.net_boot;

  arg (&cmd, ctx->emulator ? ctx->emulator : caps->emulator);
  s = g_string_new (NULL);
  opt (s, "guest", def->name);
  opt (s, "debug-threads", "on");
  arg2_take (&cmd, "-name", s);
  arg (&cmd, "-S");
  arg2 (&cmd, "-msg", "timestamp=on");
  arg (&cmd, "-no-user-config");
  arg (&cmd, "-nodefaults");
  /* QEMU is never daemonized (which forks and calls setsid() after the
   * filter is installed): the full set applies. */
  if (ctx->system)
    arg2 (&cmd, "-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny");
  build_firmware (&cmd);
  build_machine (&cmd);
  build_cpu (&cmd);
  s = g_string_new (NULL);
  optf (s, "size", "%" G_GUINT64_FORMAT "k", def->memory_kib);
  arg2_take (&cmd, "-m", s);
  build_memory_backend (&cmd);
  build_smp (&cmd);
  for (guint i = 0; i < def->iothreads; i++) {
    g_autofree char *obj = g_strdup_printf ("iothread,id=iothread%u", vb_domain_def_iothread_id (def, i));
    arg2 (&cmd, "-object", obj);
  }
  arg2 (&cmd, "-uuid", def->uuid);
  if (!build_sysinfo (&cmd, error))
    return NULL;
  build_clock (&cmd);
  /* Guest power-off stops QEMU without exiting, so the backend sees it and
   * applies <on_poweroff> itself. */
  arg (&cmd, "-no-shutdown");
  if (def->on_reboot == VB_DOMAIN_LIFECYCLE_DESTROY)
    arg2 (&cmd, "-action", "reboot=shutdown");
  if (def->panics->len > 0)
    arg2 (&cmd, "-action", "panic=pause");
  if (def->watchdogs->len > 0) {
    g_autofree char *action = g_strdup_printf (
      "watchdog=%s", watchdog_action (((VbDomainWatchdogDef *) g_ptr_array_index (def->watchdogs, 0))->action));
    arg2 (&cmd, "-action", action);
  }
  if (def->pm_suspend_to_mem != VB_DOMAIN_TRISTATE_ABSENT) {
    g_autofree char *g = g_strdup_printf ("%s.disable_s3=%d", cmd.q35 ? "ICH9-LPC" : "PIIX4_PM",
                                          def->pm_suspend_to_mem == VB_DOMAIN_TRISTATE_NO);
    arg2 (&cmd, "-global", g);
  }
  if (def->pm_suspend_to_disk != VB_DOMAIN_TRISTATE_ABSENT) {
    g_autofree char *g = g_strdup_printf ("%s.disable_s4=%d", cmd.q35 ? "ICH9-LPC" : "PIIX4_PM",
                                          def->pm_suspend_to_disk == VB_DOMAIN_TRISTATE_NO);
    arg2 (&cmd, "-global", g);
  }
  {
    gboolean any_boot = FALSE;

    for (guint i = 0; i < def->disks->len; i++)
      any_boot |= disk_boot[i] != 0;
    for (guint i = 0; i < def->nets->len; i++)
      any_boot |= net_boot[i] != 0;
    s = g_string_new (NULL);
    if (def->os.bootmenu_enable != VB_DOMAIN_TRISTATE_ABSENT)
      opt (s, "menu", def->os.bootmenu_enable == VB_DOMAIN_TRISTATE_YES ? "on" : "off");
    if (def->os.has_bootmenu_timeout)
      optf (s, "splash-time", "%u", def->os.bootmenu_timeout);
    if (any_boot)
      opt (s, "strict", "on");
    if (s->len > 0)
      arg2_take (&cmd, "-boot", s);
    else
      g_string_free (s, TRUE);
  }
  if (def->os.kernel != NULL)
    arg2 (&cmd, "-kernel", def->os.kernel);
  if (def->os.initrd != NULL)
    arg2 (&cmd, "-initrd", def->os.initrd);
  if (def->os.cmdline != NULL)
    arg2 (&cmd, "-append", def->os.cmdline);

  if (ctx->qmp_socket != NULL) {
    if (!check_socket_path (ctx->qmp_socket, error))
      return NULL;
    if (ctx->qmp_fd > 2) {
      /* Listening before QEMU runs: a client connects at once and gets
       * the greeting when QEMU is ready, no polling for the socket. */
      s = g_string_new (NULL);
      g_string_append_printf (s, "socket,id=charmonitor,fd=%d,server=on,wait=off", ctx->qmp_fd);
      arg2_take (&cmd, "-chardev", s);
      arg2 (&cmd, "-mon", "chardev=charmonitor,id=monitor,mode=control");
    } else {
      s = g_string_new ("unix:");
      append_escaped (s, ctx->qmp_socket);
      g_string_append (s, ",server=on,wait=off");
      arg2_take (&cmd, "-qmp", s);
    }
  }
  if (ctx->pidfile != NULL)
    arg2 (&cmd, "-pidfile", ctx->pidfile);
  /* Restore and incoming migration: QEMU waits for migrate-incoming. */
  if (ctx->incoming)
    arg2 (&cmd, "-incoming", "defer");

  build_controllers (&cmd);
  build_disks (&cmd);
  build_nets (&cmd);
  if (!build_chardevs (&cmd, error))
    return NULL;
  build_audio (&cmd);
  if (!build_graphics (&cmd, error))
    return NULL;
  build_videos (&cmd);
  build_inputs (&cmd);
  build_sounds (&cmd);
  build_redirdevs (&cmd);
  build_tpm (&cmd);
  build_filesystems (&cmd);
  build_misc_devices (&cmd);

  g_ptr_array_add (argv, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&argv), FALSE);
}
