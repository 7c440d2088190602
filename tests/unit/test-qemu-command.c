/* Tests for backends/qemu/vb-qemu-command.c: golden command lines for the
 * domains in tests/data/qemu/<name>.xml (expected argv one argument per line
 * in <name>.args; "@DIR@" stands for the test's scratch directory), each
 * also run by the real qemu-system-x86_64 (-S, then "quit" over QMP) so a
 * golden file QEMU would refuse cannot pass; and validation errors.
 *
 * VB_REGENERATE=1 rewrites the .args files (review the diff!). */
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/wait.h>

#include "vb-error.h"
#include "vb-qemu-command.h"
#include "vb-qemu-hotplug.h"

#define EMULATOR "/usr/bin/qemu-system-x86_64"

static VbQemuCaps *host_caps;

static void
probe_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static VbQemuCaps *
probe (void)
{
  GAsyncResult *result = NULL;
  g_autoptr(GError) error = NULL;
  VbQemuCaps *caps;

  vb_qemu_caps_probe_async (EMULATOR, NULL, probe_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  caps = vb_qemu_caps_probe_finish (result, &error);
  g_object_unref (result);
  g_assert_no_error (error);
  return caps;
}

static gboolean
have_qemu (void)
{
  if (host_caps != NULL)
    return TRUE;
  g_test_skip (EMULATOR " missing: install qemu-system-x86");
  return FALSE;
}

static char *
data_path (const char *file)
{
  const char *base = g_getenv ("VB_TEST_DATA");

  return g_build_filename (base ? base : "tests/data", "qemu", file, NULL);
}

static void
rm_rf (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL) {
    while ((name = g_dir_read_name (dir)) != NULL) {
      g_autofree char *child = g_build_filename (path, name, NULL);
      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        rm_rf (child);
      else
        g_unlink (child);
    }
    g_dir_close (dir);
  }
  g_rmdir (path);
}

static void
make_file (const char *dir, const char *name, gsize size)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *zeros = g_malloc0 (size);
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, zeros, size, &error);
  g_assert_no_error (error);
}

/* A scratch directory with every file the sample domains refer to. */
static char *
make_scratch (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("vbq-XXXXXX", &error);
  g_autofree char *qcow2 = NULL;
  g_autofree char *run = NULL;
  g_autofree char *log = NULL;
  g_autofree char *kernel = NULL;
  int status;

  g_assert_no_error (error);
  run = g_build_filename (dir, "run", NULL);
  log = g_build_filename (dir, "log", NULL);
  g_mkdir (run, 0700);
  g_mkdir (log, 0700);
  make_file (dir, "disk.raw", 1024 * 1024);
  make_file (dir, "disk,comma.raw", 1024 * 1024);
  make_file (dir, "cd.iso", 1024 * 1024);
  make_file (dir, "code.fd", 2 * 1024 * 1024);
  make_file (dir, "vars.fd", 128 * 1024);
  make_file (dir, "initrd", 4096);
  qcow2 = g_build_filename (dir, "disk.qcow2", NULL);
  {
    const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", qcow2, "1M", NULL };
    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status, &error);
    g_assert_no_error (error);
    g_assert_true (g_spawn_check_wait_status (status, NULL));
  }
  /* Direct kernel boot needs a real bzImage: QEMU parses it at start. */
  kernel = g_build_filename (dir, "vmlinuz", NULL);
  {
    GDir *boot = g_dir_open ("/boot", 0, NULL);
    const char *name;

    while (boot != NULL && (name = g_dir_read_name (boot)) != NULL) {
      if (g_str_has_prefix (name, "vmlinuz-")) {
        g_autofree char *src = g_build_filename ("/boot", name, NULL);
        g_assert_cmpint (symlink (src, kernel), ==, 0);
        break;
      }
    }
    if (boot != NULL)
      g_dir_close (boot);
  }
  return dir;
}

static char *
replace_all (const char *text, const char *from, const char *to)
{
  g_auto(GStrv) parts = g_strsplit (text, from, -1);

  return g_strjoinv (to, parts);
}

/* Runs @argv (+ a QMP monitor on stdio), sends quit: QEMU must accept the
 * command line, come up paused and exit cleanly. */
static void
run_qemu (GStrv argv)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  g_auto(GStrv) full = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_strv_builder_addv (b, (const char **) argv);
  g_strv_builder_add_many (b, "-qmp", "stdio", NULL);
  full = g_strv_builder_end (b);
  proc = g_subprocess_newv ((const char *const *) full,
                            G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                              | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                            &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc,
                                 "{\"execute\":\"qmp_capabilities\"}\n"
                                 "{\"execute\":\"query-status\",\"id\":\"status\"}\n"
                                 "{\"execute\":\"quit\",\"id\":\"quit\"}\n",
                                 NULL, &out, &err, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_if_exited (proc) || g_subprocess_get_exit_status (proc) != 0) {
    g_autofree char *cmdline = g_strjoinv (" ", full);
    g_printerr ("QEMU refused: %s\nstderr: %s\nstdout: %s\n", cmdline, err, out);
  }
  g_assert_true (g_subprocess_get_if_exited (proc));
  g_assert_cmpint (g_subprocess_get_exit_status (proc), ==, 0);
  /* It came up paused (-S) and answered. */
  g_assert_nonnull (strstr (out, "\"status\": \"prelaunch\""));
  g_assert_nonnull (strstr (out, "\"id\": \"quit\""));
}

typedef struct {
  const char *name;
  gboolean fake_kvm; /* pretend KVM works (argv only, never run) */
  gboolean run;
  gboolean nvram;    /* ctx->nvram_path = @DIR@/vars.fd */
  gboolean system;
} GoldenCase;

static const GoldenCase golden_cases[] = {
  { "minimal", FALSE, TRUE, FALSE, FALSE },
  { "q35-full", FALSE, TRUE, FALSE, FALSE },
  { "virt-manager", FALSE, TRUE, FALSE, FALSE },
  { "pc-ide", FALSE, TRUE, FALSE, TRUE },
  { "kernel", FALSE, TRUE, FALSE, FALSE },
  { "efi", FALSE, TRUE, TRUE, FALSE },
  { "windows", FALSE, TRUE, TRUE, FALSE },
  { "kvm", TRUE, FALSE, FALSE, FALSE },
  { "sysinfo", FALSE, TRUE, FALSE, FALSE },
};

static void
test_golden (gconstpointer data)
{
  const GoldenCase *gc = data;
  g_autofree char *xml_file = NULL;
  g_autofree char *args_file = NULL;
  g_autofree char *tmpl = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *run_dir = NULL;
  g_autofree char *log_dir = NULL;
  g_autofree char *qmp = NULL;
  g_autofree char *pidfile = NULL;
  g_autofree char *nvram = NULL;
  g_autofree char *joined = NULL;
  g_autofree char *actual = NULL;
  g_autofree char *expected = NULL;
  g_autoptr(VbDomainDef) def = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = NULL;
  VbQemuCaps caps;
  VbQemuCommandContext ctx = { 0 };
  g_autofree char *xml_name = NULL;
  g_autofree char *args_name = NULL;

  if (!have_qemu ())
    return;
  xml_name = g_strdup_printf ("%s.xml", gc->name);
  args_name = g_strdup_printf ("%s.args", gc->name);
  xml_file = data_path (xml_name);
  args_file = data_path (args_name);
  g_file_get_contents (xml_file, &tmpl, NULL, &error);
  g_assert_no_error (error);
  dir = make_scratch ();
  xml = replace_all (tmpl, "@DIR@", dir);
  def = vb_domain_def_parse (xml, &error);
  g_assert_no_error (error);

  caps = *host_caps;
  if (gc->fake_kvm)
    caps.kvm_available = TRUE;
  run_dir = g_build_filename (dir, "run", NULL);
  log_dir = g_build_filename (dir, "log", NULL);
  qmp = g_build_filename (run_dir, "qmp.sock", NULL);
  pidfile = g_build_filename (run_dir, "qemu.pid", NULL);
  nvram = g_build_filename (dir, "vars.fd", NULL);
  ctx.emulator = EMULATOR;
  ctx.run_dir = run_dir;
  ctx.log_dir = log_dir;
  ctx.qmp_socket = qmp;
  ctx.pidfile = pidfile;
  ctx.nvram_path = gc->nvram ? nvram : NULL;
  ctx.system = gc->system;

  argv = vb_qemu_build_command (def, &caps, &ctx, &error);
  g_assert_no_error (error);
  g_assert_nonnull (argv);
  joined = g_strjoinv ("\n", argv);
  actual = replace_all (joined, dir, "@DIR@");
  {
    char *tmp = g_strconcat (actual, "\n", NULL);
    g_free (actual);
    actual = tmp;
  }
  if (g_getenv ("VB_REGENERATE") != NULL) {
    g_file_set_contents (args_file, actual, -1, &error);
    g_assert_no_error (error);
  }
  g_file_get_contents (args_file, &expected, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (actual, ==, expected);

  /* The definition itself is not touched (aliases go on a copy). */
  if (def->disks->len > 0 && g_str_equal (gc->name, "q35-full"))
    g_assert_null (((VbDomainDiskDef *) g_ptr_array_index (def->disks, 0))->info.alias);

  if (gc->run) {
    g_autofree char *kernel = g_build_filename (dir, "vmlinuz", NULL);

    if (g_str_equal (gc->name, "kernel") && !g_file_test (kernel, G_FILE_TEST_EXISTS))
      g_test_message ("no /boot/vmlinuz-*: the kernel case is not run");
    else
      run_qemu (argv);
  }
  rm_rf (dir);
}

/* ---- validation ---- */

typedef struct {
  const char *what;
  const char *devices; /* inside <devices> */
  const char *extra;   /* after <os> */
  const char *os;      /* replaces the default <os> */
  const char *type;    /* domain type, default qemu */
  const char *message; /* expected substring */
} ErrorCase;

static const ErrorCase error_cases[] = {
  { "hostdev",
    "<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0' bus='0' slot='3' "
    "function='0'/></source></hostdev>",
    NULL, NULL, NULL, "<hostdev> is not supported by the QEMU driver yet" },
  { "net-ip-bridge", "<interface type='bridge'><source bridge='br0'/><ip address='10.0.0.1' prefix='24'/>"
    "</interface>", NULL, NULL, NULL, "<ip> and <route> are only for type='ethernet'" },
  { "net-unmanaged-bridge", "<interface type='bridge'><source bridge='br0'/><target dev='tap7' managed='no'/>"
    "</interface>", NULL, NULL, NULL, "<target managed='no'> is only for <interface type='ethernet'>" },
  { "net-unmanaged-ip", "<interface type='ethernet'><target dev='tap7' managed='no'/>"
    "<ip address='10.0.0.1' prefix='24'/></interface>", NULL, NULL, NULL, "are the host's to set" },
  { "net-multiqueue-e1000", "<interface type='bridge'><source bridge='br0'/><model type='e1000'/>"
    "<driver queues='4'/></interface>", NULL, NULL, NULL, "several queues need model type='virtio'" },
  { "net-multiqueue-user", "<interface type='user'><model type='virtio'/><driver queues='2'/></interface>", NULL,
    NULL, NULL, "needs a tap backend" },
  { "net-multiqueue-many", "<interface type='bridge'><source bridge='br0'/><model type='virtio'/>"
    "<driver queues='257'/></interface>", NULL, NULL, NULL, "a tap has at most 256 queues" },
  { "spice-secure", "<graphics type='spice' port='5901' autoport='no' defaultMode='secure'/>", NULL, NULL, NULL,
    "secure (TLS) channels are not supported" },
  { "spice-secure-channel", "<graphics type='spice' port='5901' autoport='no'><channel name='main' mode='secure'/>"
    "</graphics>", NULL, NULL, NULL, "secure (TLS) channels are not supported" },
  { "spice-gl", "<graphics type='spice' port='5901' autoport='no'><gl enable='yes'/></graphics>", NULL, NULL, NULL,
    "<gl enable='yes'> is not supported" },
  { "spice-tls", "<graphics type='spice' port='5901' tlsPort='5902' autoport='no'/>", NULL, NULL, NULL,
    "SPICE over TLS is not supported" },
  { "two-vnc", "<graphics type='vnc'/><graphics type='vnc'/>", NULL, NULL, NULL,
    "more than one <graphics type='vnc'>" },
  { "spicevmc-no-spice", "<channel type='spicevmc'><target type='virtio' name='com.redhat.spice.0'/></channel>",
    NULL, NULL, NULL, "<channel type='spicevmc'> needs <graphics type='spice'>" },
  { "redirdev-no-spice", "<redirdev bus='usb' type='spicevmc'/>", NULL, NULL, NULL,
    "<redirdev type='spicevmc'> needs <graphics type='spice'>" },
  { "redirdev-telnet", "<redirdev bus='usb' type='tcp'><source mode='connect' host='localhost' service='4000'/>"
    "<protocol type='telnet'/></redirdev>", NULL, NULL, NULL, "usbredir runs over raw TCP only" },
  { "redirdev-usb-none", "<controller type='usb' model='none'/><redirdev bus='usb' type='tcp'>"
    "<source mode='connect' host='localhost' service='4000'/></redirdev>", NULL, NULL, NULL,
    "USB devices need a USB controller" },
  { "tpm-passthrough", "<tpm model='tpm-tis'><backend type='passthrough'><device path='/dev/tpm0'/></backend></tpm>",
    NULL, NULL, NULL, "<tpm><backend type='passthrough'> is not supported" },
  { "tpm-crb-1.2", "<tpm model='tpm-crb'><backend type='emulator' version='1.2'/></tpm>", NULL, NULL, NULL,
    "version='1.2' needs model='tpm-tis'" },
  { "tpm-spapr", "<tpm model='tpm-spapr'><backend type='emulator'/></tpm>", NULL, NULL, NULL,
    "<tpm model='tpm-spapr'> is not available on x86" },
  { "tpm-two", "<tpm model='tpm-crb'><backend type='emulator'/></tpm><tpm model='tpm-tis'><backend type='emulator'/>"
    "</tpm>", NULL, NULL, NULL, "more than one <tpm>" },
  { "fs-handle", "<filesystem type='mount'><driver type='handle'/><source dir='/srv'/><target dir='share'/>"
    "</filesystem>", NULL, NULL, NULL, "<driver type='handle'> is gone from QEMU (since 6.0)" },
  { "fs-9p-tag", "<filesystem type='mount'><source dir='/srv'/><target dir='a-tag-of-thirty-three-bytes-long!'/>"
    "</filesystem>", NULL, NULL, NULL, "a 9p mount tag has 32 bytes at most" },
  { "fs-no-shared-memory", "<filesystem type='mount'><driver type='virtiofs'/><source dir='/srv'/>"
    "<target dir='share'/></filesystem>", NULL, NULL, NULL, "virtiofs needs shared memory" },
  { "fs-readonly", "<filesystem type='mount'><driver type='virtiofs'/><source dir='/srv'/><target dir='share'/>"
    "<readonly/></filesystem>", "<memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>", NULL,
    NULL, "does not support read-only" },
  { "fs-mapped", "<filesystem type='mount' accessmode='mapped'><driver type='virtiofs'/><source dir='/srv'/>"
    "<target dir='share'/></filesystem>", NULL, NULL, NULL, "only has accessmode='passthrough'" },
  { "hugepages", NULL, "<memoryBacking><hugepages/></memoryBacking>", NULL, NULL, "<hugepages>" },
  { "memory-file", NULL, "<memoryBacking><source type='file'/></memoryBacking>", NULL, NULL,
    "<source type='file'>" },
  { "memory-shared-anonymous", NULL, "<memoryBacking><access mode='shared'/></memoryBacking>", NULL, NULL,
    "needs <source type='memfd'/>" },
  { "spicevmc-serial", "<serial type='spicevmc'/>", NULL, NULL, NULL, "<serial type='spicevmc'>: only a <channel>" },
  { "audio-spice-no-spice", "<audio id='1' type='spice'/>", NULL, NULL, NULL,
    "<audio type='spice'> needs <graphics type='spice'>" },
  { "audio-alsa", "<audio id='1' type='alsa'/>", NULL, NULL, NULL, "only types 'none' and 'spice'" },
  { "sound-ich7", "<sound model='ich7'/>", NULL, NULL, NULL, "<sound model='ich7'> is not supported by QEMU" },
  { "sound-usb-none", "<controller type='usb' model='none'/><sound model='usb'/>", NULL, NULL, NULL,
    "USB devices need a USB controller" },
  { "parallel", "<parallel type='pty'/>", NULL, NULL, NULL, "<parallel> is not supported" },
  { "virtio-cdrom", "<disk type='file' device='cdrom'><target dev='vdb' bus='virtio'/></disk>", NULL, NULL, NULL,
    "cannot use bus='virtio'" },
  { "vmdk", "<disk type='file' device='disk'><driver name='qemu' type='vmdk'/><source file='/x.vmdk'/>"
    "<target dev='vda' bus='virtio'/></disk>", NULL, NULL, NULL, "<disk><driver type='vmdk'>" },
  { "floppy", "<disk type='file' device='floppy'><source file='/x.img'/><target dev='fda' bus='fdc'/></disk>",
    NULL, NULL, NULL, "<disk device='floppy'>" },
  { "ide-q35", "<disk type='file' device='disk'><source file='/x.img'/><target dev='hda' bus='ide'/></disk>",
    NULL, "<os><type arch='x86_64' machine='q35'>hvm</type></os>", NULL, "not available on q35" },
  { "cpu-model", NULL, "<cpu mode='custom'><model>nosuchcpu</model></cpu>", NULL, NULL,
    "CPU model 'nosuchcpu' is not known to " EMULATOR },
  { "host-passthrough-tcg", NULL, "<cpu mode='host-passthrough'/>", NULL, NULL,
    "<cpu mode='host-passthrough'> needs KVM" },
  { "machine", NULL, NULL, "<os><type arch='x86_64' machine='nosuch'>hvm</type></os>", NULL,
    "machine type 'nosuch' is not supported by " EMULATOR },
  { "machine-isapc", NULL, NULL, "<os><type arch='x86_64' machine='isapc'>hvm</type></os>", NULL,
    "machine type 'isapc' is not supported by the QEMU driver yet" },
  { "kvm-missing", NULL, NULL, NULL, "kvm", "KVM is not available: /dev/kvm missing or unusable" },
  { "clock-timezone-unknown", NULL, "<clock offset='timezone' timezone='Mars/Olympus_Mons'/>", NULL, NULL,
    "this host knows no such time zone" },
  { "clock-timezone-escape", NULL, "<clock offset='timezone' timezone='../../etc/passwd'/>", NULL, NULL,
    "this host knows no such time zone" },
  { "timer-tsc", NULL, "<clock offset='utc'><timer name='tsc' present='yes'/></clock>", NULL, NULL,
    "<timer name='tsc'> is not supported" },
  { "timer-rtc-merge", NULL, "<clock offset='utc'><timer name='rtc' tickpolicy='merge'/></clock>", NULL, NULL,
    "<timer name='rtc' tickpolicy='merge'>" },
  { "timer-rtc-absent", NULL, "<clock offset='utc'><timer name='rtc' present='no'/></clock>", NULL, NULL,
    "RTC cannot be removed" },
  { "timer-pit-merge", NULL, "<clock offset='utc'><timer name='pit' tickpolicy='merge'/></clock>", NULL, NULL,
    "<timer name='pit' tickpolicy='merge'>" },
  { "timer-hpet-policy", NULL, "<clock offset='utc'><timer name='hpet' tickpolicy='delay'/></clock>", NULL, NULL,
    "<timer name='hpet' tickpolicy='delay'>" },
  { "chr-vc", "<serial type='vc'/>", NULL, NULL, NULL, "<serial type='vc'> is not supported" },
  { "coredump", NULL, "<on_crash>coredump-destroy</on_crash>", NULL, NULL, "core dumps" },
  { "usb-none", "<controller type='usb' model='none'/><input type='tablet' bus='usb'/>", NULL, NULL, NULL,
    "USB devices need a USB controller" },
  { "readonly-sata", "<disk type='file' device='disk'><source file='/x.img'/><target dev='sda' bus='sata'/>"
    "<readonly/></disk>", NULL, NULL, NULL, "read-only IDE/SATA disks (sda)" },
  { "long-alias", "<disk type='file' device='disk'><source file='/x.img'/><target dev='vda' bus='virtio'/>"
    "<alias name='ua-a-very-long-disk-alias-name'/></disk>", NULL, NULL, NULL, "is too long for QEMU" },
  { "itco-pc", "<watchdog model='itco'/>", NULL, NULL, NULL, "<watchdog model='itco'> needs a q35 machine" },
  { "hyperv-vpindex-tcg", NULL, "<features><hyperv><vpindex state='on'/></hyperv></features>", NULL, NULL,
    "<hyperv><vpindex state='on'/> needs KVM" },
  { "hyperv-passthrough-tcg", NULL, "<features><hyperv mode='passthrough'/></features>", NULL, NULL,
    "<hyperv mode='passthrough'> passes the host's Hyper-V features through KVM" },
  { "secure-boot-pc", NULL, NULL,
    "<os><type arch='x86_64' machine='pc'>hvm</type><loader readonly='yes' secure='yes' type='pflash'>/x.fd</loader>"
    "</os>", NULL, "(Secure Boot) needs a q35 machine" },
  { "secure-boot-no-smm", NULL, "<features><smm state='off'/></features>",
    "<os><type arch='x86_64' machine='q35'>hvm</type><loader readonly='yes' secure='yes' type='pflash'>/x.fd</loader>"
    "</os>", NULL, "(Secure Boot) needs SMM" },
  { "secure-boot-rom", NULL, NULL,
    "<os><type arch='x86_64' machine='q35'>hvm</type><loader secure='yes' type='rom'>/x.fd</loader></os>", NULL,
    "<loader secure='yes'> needs a pflash loader" },
  { "sysinfo-two-boards", NULL, "<sysinfo type='smbios'><baseBoard><entry name='product'>a</entry></baseBoard>"
    "<baseBoard><entry name='product'>b</entry></baseBoard></sysinfo>",
    "<os><type arch='x86_64' machine='pc'>hvm</type><smbios mode='sysinfo'/></os>", NULL,
    "<sysinfo type='smbios'> has 2 base boards: QEMU gives a guest one (SMBIOS type 2) at most" },
  { "sysinfo-release", NULL, "<sysinfo type='smbios'><bios><entry name='release'>1.256</entry></bios></sysinfo>",
    "<os><type arch='x86_64' machine='pc'>hvm</type><smbios mode='sysinfo'/></os>", NULL,
    "BIOS release '1.256' is not MAJOR.MINOR (0-255 each)" },
  { "fwcfg-name", NULL, "<sysinfo type='fwcfg'><entry name='etc/boot-fail-wait'>1</entry></sysinfo>", NULL, NULL,
    "fw_cfg entry 'etc/boot-fail-wait': names start with 'opt/'" },
  { "fwcfg-reserved", NULL, "<sysinfo type='fwcfg'><entry name='opt/ovmf/X-PciMmio64Mb'>1</entry></sysinfo>",
    NULL, NULL, "the names under 'opt/ovmf/' are reserved" },
  { "fwcfg-qemu", NULL, "<sysinfo type='fwcfg'><entry name='opt/org.qemu/x'>1</entry></sysinfo>",
    NULL, NULL, "the names under 'opt/org.qemu/' are reserved" },
  { "fwcfg-long", NULL, "<sysinfo type='fwcfg'><entry name='opt/com.example/a-name-much-longer-than-fifty-five-"
    "bytes'>1</entry></sysinfo>", NULL, NULL, "is longer than QEMU's 55 bytes" },
  { "efi-unfilled", NULL, NULL, "<os firmware='efi'><type arch='x86_64' machine='q35'>hvm</type></os>", NULL,
    "no UEFI firmware (OVMF) found" },
};

static void
test_validate_error (gconstpointer data)
{
  const ErrorCase *ec = data;
  g_autofree char *xml = NULL;
  g_autoptr(VbDomainDef) def = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = NULL;
  VbQemuCaps caps;
  VbQemuCommandContext ctx = { EMULATOR, "/tmp/run", "/tmp/log", "/tmp/run/qmp", NULL, NULL, FALSE, FALSE };

  if (!have_qemu ())
    return;
  caps = *host_caps;
  caps.kvm_available = FALSE;
  xml = g_strdup_printf ("<domain type='%s'><name>bad</name><memory>65536</memory>%s%s<devices>%s</devices>"
                         "</domain>",
                         ec->type ? ec->type : "qemu",
                         ec->os ? ec->os : "<os><type arch='x86_64' machine='pc'>hvm</type></os>",
                         ec->extra ? ec->extra : "", ec->devices ? ec->devices : "");
  def = vb_domain_def_parse (xml, &error);
  g_assert_no_error (error);
  g_assert_false (vb_qemu_domain_validate (def, &caps, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED);
  if (strstr (error->message, ec->message) == NULL)
    g_printerr ("message: %s\n", error->message);
  g_assert_nonnull (strstr (error->message, ec->message));
  g_clear_error (&error);
  /* build refuses the same way */
  argv = vb_qemu_build_command (def, &caps, &ctx, &error);
  g_assert_null (argv);
  g_assert_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED);
}

/* <os><smbios>: mode='sysinfo' needs the domain's SMBIOS sysinfo, a
 * fw_cfg file must exist; mode='host' takes the host's (read by the
 * backend), without its UUID, checked as the domain's would be. */
static void
test_sysinfo_host (void)
{
  static const char *const head =
    "<domain type='qemu'><name>s</name><uuid>6f0c1a52-3b1e-4c55-9d0a-1a2b3c4d5e0a</uuid><memory>65536</memory>";
  VbQemuCommandContext ctx = { EMULATOR, "/tmp/run", "/tmp/log", "/tmp/run/qmp", NULL, NULL, FALSE, FALSE };
  g_autoptr(GError) error = NULL;
  g_autoptr(VbDomainDef) def = NULL;
  g_autoptr(VbSysinfoDef) host = NULL;
  g_auto(GStrv) argv = NULL;
  g_autofree char *joined = NULL;
  g_autofree char *xml = NULL;
  VbQemuCaps caps;

  if (!have_qemu ())
    return;
  caps = *host_caps;
  caps.kvm_available = FALSE;

  xml = g_strconcat (head, "<os><type arch='x86_64' machine='pc'>hvm</type><smbios mode='sysinfo'/></os></domain>",
                     NULL);
  def = vb_domain_def_parse (xml, &error);
  g_assert_no_error (error);
  g_assert_false (vb_qemu_domain_validate (def, &caps, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_XML);
  g_assert_nonnull (strstr (error->message, "<smbios mode='sysinfo'> needs a <sysinfo type='smbios'>"));
  g_clear_error (&error);
  g_clear_pointer (&def, vb_domain_def_free);
  g_free (xml);

  xml = g_strconcat (head, "<sysinfo type='fwcfg'><entry name='opt/x' file='/nonexistent/x'/></sysinfo>"
                     "<os><type arch='x86_64' machine='pc'>hvm</type></os></domain>", NULL);
  def = vb_domain_def_parse (xml, &error);
  g_assert_no_error (error);
  /* Defined as it is (the file may come later), not started. */
  g_assert_true (vb_qemu_domain_validate (def, &caps, &error));
  g_assert_null (vb_qemu_build_command (def, &caps, &ctx, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_XML);
  g_assert_nonnull (strstr (error->message, "fw_cfg entry 'opt/x': file /nonexistent/x does not exist"));
  g_clear_error (&error);
  g_clear_pointer (&def, vb_domain_def_free);
  g_free (xml);

  /* mode='host': the domain's own <sysinfo type='smbios'> is not used. */
  xml = g_strconcat (head, "<sysinfo type='smbios'><bios><entry name='vendor'>mine</entry></bios></sysinfo>"
                     "<os><type arch='x86_64' machine='pc'>hvm</type><smbios mode='host'/></os></domain>", NULL);
  def = vb_domain_def_parse (xml, &error);
  g_assert_no_error (error);
  g_assert_true (vb_qemu_domain_validate (def, &caps, &error));
  g_assert_null (vb_qemu_build_command (def, &caps, &ctx, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_FAILED);
  g_clear_error (&error);
  host = vb_sysinfo_def_parse_host (
    "<sysinfo type='smbios'><bios><entry name='vendor'>Host BIOS</entry><entry name='release'>4.6</entry></bios>"
    "<system><entry name='manufacturer'>Host, Inc.</entry><entry name='uuid'>00000000-1111-2222-3333-444444444444"
    "</entry></system><processor><entry name='family'>Xeon</entry></processor></sysinfo>", &error);
  g_assert_no_error (error);
  ctx.host_sysinfo = host;
  argv = vb_qemu_build_command (def, &caps, &ctx, &error);
  g_assert_no_error (error);
  joined = g_strjoinv (" ", argv);
  g_assert_nonnull (strstr (joined, " -smbios type=0,vendor=Host BIOS,release=4.6 -smbios type=1,"
                                    "manufacturer=Host,, Inc. "));
  g_assert_null (strstr (joined, "mine"));
  g_assert_null (strstr (joined, "44444444"));
  g_assert_null (strstr (joined, "Xeon"));
  /* The host's release is checked as a domain's. */
  g_clear_pointer (&host, vb_sysinfo_def_free);
  host = vb_sysinfo_def_parse_host (
    "<sysinfo type='smbios'><bios><entry name='release'>Not Specified</entry></bios></sysinfo>", &error);
  g_assert_no_error (error);
  ctx.host_sysinfo = host;
  g_assert_null (vb_qemu_build_command (def, &caps, &ctx, &error));
  g_assert_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "the host's SMBIOS information: BIOS release 'Not Specified'"));
}

static void
test_aliases (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VbDomainDef) def = vb_domain_def_parse (
    "<domain type='qemu'><name>a</name><memory>65536</memory><os><type arch='x86_64' machine='q35'>hvm</type></os>"
    "<devices>"
    "<disk type='file' device='disk'><source file='/a'/><target dev='vdb' bus='virtio'/></disk>"
    "<disk type='file' device='disk'><source file='/b'/><target dev='sdc' bus='sata'/>"
    "<alias name='ua-data'/></disk>"
    "<disk type='file' device='disk'><source file='/c'/><target dev='sdb' bus='scsi'/></disk>"
    "<interface type='user'/><interface type='user'/>"
    "<serial type='pty'/><console type='pty'/><console type='pty'><target type='virtio'/></console>"
    "<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>"
    "<controller type='usb' index='0' model='qemu-xhci'/><controller type='pci' index='1' model='pcie-root-port'/>"
    "<memballoon model='virtio'/>"
    "</devices></domain>",
    &error);

  g_assert_no_error (error);
  vb_qemu_domain_assign_aliases (def);
#define ALIAS(array, type, i) (((type *) g_ptr_array_index (def->array, i))->info.alias)
  g_assert_cmpstr (ALIAS (disks, VbDomainDiskDef, 0), ==, "virtio-disk1");
  g_assert_cmpstr (ALIAS (disks, VbDomainDiskDef, 1), ==, "ua-data");
  g_assert_cmpstr (ALIAS (disks, VbDomainDiskDef, 2), ==, "scsi0-0-0-1");
  g_assert_cmpstr (ALIAS (nets, VbDomainNetDef, 0), ==, "net0");
  g_assert_cmpstr (ALIAS (nets, VbDomainNetDef, 1), ==, "net1");
  g_assert_cmpstr (ALIAS (serials, VbDomainChrDef, 0), ==, "serial0");
  g_assert_cmpstr (ALIAS (consoles, VbDomainChrDef, 0), ==, "serial0");
  g_assert_cmpstr (ALIAS (consoles, VbDomainChrDef, 1), ==, "console1");
  g_assert_cmpstr (ALIAS (channels, VbDomainChrDef, 0), ==, "channel0");
  g_assert_cmpstr (def->memballoon->info.alias, ==, "balloon0");
  for (guint i = 0; i < def->controllers->len; i++) {
    VbDomainControllerDef *c = g_ptr_array_index (def->controllers, i);
    if (c->type == VB_DOMAIN_CONTROLLER_USB)
      g_assert_cmpstr (c->info.alias, ==, "usb");
    if (c->type == VB_DOMAIN_CONTROLLER_PCI && c->index == 1)
      g_assert_cmpstr (c->info.alias, ==, "pci.1");
  }
  /* Idempotent: a second pass changes nothing. */
  vb_qemu_domain_assign_aliases (def);
  g_assert_cmpstr (ALIAS (disks, VbDomainDiskDef, 0), ==, "virtio-disk1");
#undef ALIAS
}

static void
test_console_path (void)
{
  g_autofree char *p0 = vb_qemu_console_socket_path ("/run/vm", 0);
  g_autofree char *p3 = vb_qemu_console_socket_path ("/run/vm", 3);

  g_assert_cmpstr (p0, ==, "/run/vm/serial0.sock");
  g_assert_cmpstr (p3, ==, "/run/vm/serial3.sock");
}

static void
test_socket_too_long (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VbDomainDef) def = NULL;
  g_autofree char *long_dir = g_strnfill (120, 'r');
  g_auto(GStrv) argv = NULL;
  VbQemuCommandContext ctx = { EMULATOR, long_dir, "/tmp", "/tmp/q", NULL, NULL, FALSE, FALSE };

  if (!have_qemu ())
    return;
  def = vb_domain_def_parse ("<domain type='qemu'><name>s</name><memory>65536</memory>"
                             "<os><type arch='x86_64'>hvm</type></os><devices><serial type='pty'/></devices></domain>",
                             &error);
  g_assert_no_error (error);
  argv = vb_qemu_build_command (def, host_caps, &ctx, &error);
  g_assert_null (argv);
  g_assert_error (error, VB_ERROR, VB_ERROR_INVALID_ARG);
  g_assert_nonnull (strstr (error->message, "too long"));
}

/* Interfaces on taps: the descriptor the daemon hands QEMU, vhost when
 * asked for; user-mode ones stay user-mode; a multiqueue one gets its
 * queues' descriptors (the numbers after its first) and a virtio-net with
 * as many queue pairs and their interrupts. */
static void
test_tap_netdev (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VbDomainDef) def = vb_domain_def_parse (
    "<domain type='qemu'><name>t</name><memory>65536</memory><os><type arch='x86_64' machine='pc'>hvm</type></os>"
    "<devices>"
    "<interface type='network'><source network='default'/><mac address='52:54:00:00:00:01'/>"
    "<model type='virtio'/></interface>"
    "<interface type='user'><mac address='52:54:00:00:00:02'/></interface>"
    "<interface type='bridge'><source bridge='br0'/><mac address='52:54:00:00:00:03'/><model type='virtio'/>"
    "<driver name='vhost'/></interface>"
    "<interface type='ethernet'><mac address='52:54:00:00:00:04'/><model type='virtio'/>"
    "<driver name='vhost' queues='3'/></interface>"
    "<interface type='direct'><source dev='eth0' mode='bridge'/><mac address='52:54:00:00:00:05'/>"
    "<model type='virtio'/><driver queues='1'/></interface>"
    "</devices></domain>",
    &error);
  VbQemuCommandContext ctx = { EMULATOR, "/tmp/run", "/tmp/log", "/tmp/run/qmp", NULL, NULL, FALSE, FALSE };
  const int fds[] = { 3, -1, 4, 5, 8 };
  g_auto(GStrv) argv = NULL;
  g_autofree char *joined = NULL;

  g_assert_no_error (error);
  if (!have_qemu ())
    return;
  ctx.tap_fds = fds;
  argv = vb_qemu_build_command (def, host_caps, &ctx, &error);
  g_assert_no_error (error);
  joined = g_strjoinv ("\n", argv);
  g_assert_nonnull (strstr (joined, "-netdev\ntap,id=hostnet0,fd=3\n"));
  g_assert_nonnull (strstr (joined, "-netdev\nuser,id=hostnet1\n"));
  g_assert_nonnull (strstr (joined, "-netdev\ntap,id=hostnet2,fd=4,vhost=on\n"));
  g_assert_nonnull (strstr (joined, "netdev=hostnet0,mac=52:54:00:00:00:01"));
  g_assert_nonnull (strstr (joined, "netdev=hostnet2,mac=52:54:00:00:00:03"));
  g_assert_nonnull (strstr (joined, "-netdev\ntap,id=hostnet3,fds=5:6:7,vhost=on\n"));
  g_assert_nonnull (strstr (joined, "netdev=hostnet3,mq=on,vectors=8,mac=52:54:00:00:00:04"));
  g_assert_nonnull (strstr (joined, "-netdev\ntap,id=hostnet4,fd=8\n"));
  g_assert_nonnull (strstr (joined, "netdev=hostnet4,mac=52:54:00:00:00:05"));
  g_assert_null (strstr (joined, "netdev=hostnet0,mq"));
}

/* The process model of the backend: system mode (the full -sandbox set,
 * no -daemonize), the pidfile and a monitor socket the caller listens on
 * before QEMU runs: a client connects at once, gets the greeting once QEMU
 * is ready, and QEMU quits when told. */
static void
test_process_model (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VbDomainDef) def = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *run_dir = NULL;
  g_autofree char *qmp = NULL;
  g_autofree char *pidfile = NULL;
  g_autofree char *pidtext = NULL;
  g_autoptr(GSocket) listener = NULL;
  g_autoptr(GSocketAddress) addr = NULL;
  g_autoptr(GSocketClient) client = NULL;
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GDataInputStream) in = NULL;
  g_auto(GStrv) argv = NULL;
  g_autofree char *joined = NULL;
  g_autofree char *greeting = NULL;
  g_autofree char *reply = NULL;
  VbQemuCommandContext ctx = { 0 };
  const char *cmds = "{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"quit\"}\n";
  int source_fd, target_fd = 3, status = 0;
  GPid pid;

  if (!have_qemu ())
    return;
  dir = g_dir_make_tmp ("vbq-XXXXXX", &error);
  g_assert_no_error (error);
  run_dir = g_build_filename (dir, "run", NULL);
  g_mkdir (run_dir, 0700);
  qmp = g_build_filename (run_dir, "qmp.sock", NULL);
  pidfile = g_build_filename (run_dir, "qemu.pid", NULL);
  ctx.emulator = EMULATOR;
  ctx.run_dir = run_dir;
  ctx.log_dir = run_dir;
  ctx.qmp_socket = qmp;
  ctx.qmp_fd = target_fd;
  ctx.pidfile = pidfile;
  ctx.system = TRUE;
  def = vb_domain_def_parse ("<domain type='qemu'><name>d</name><memory>65536</memory>"
                             "<os><type arch='x86_64'>hvm</type></os><devices><serial type='pty'/></devices></domain>",
                             &error);
  g_assert_no_error (error);
  argv = vb_qemu_build_command (def, host_caps, &ctx, &error);
  g_assert_no_error (error);
  joined = g_strjoinv ("\n", argv);
  g_assert_null (strstr (joined, "-daemonize"));
  g_assert_null (strstr (joined, "-qmp"));
  g_assert_nonnull (strstr (joined, "\n-sandbox\non,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny\n"));
  g_assert_nonnull (strstr (joined, "\n-chardev\nsocket,id=charmonitor,fd=3,server=on,wait=off\n"
                                    "-mon\nchardev=charmonitor,id=monitor,mode=control\n"));

  listener = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, &error);
  g_assert_no_error (error);
  addr = g_unix_socket_address_new (qmp);
  g_assert_true (g_socket_bind (listener, addr, FALSE, &error));
  g_assert_true (g_socket_listen (listener, &error));
  source_fd = g_socket_get_fd (listener);
  g_assert_true (g_spawn_async_with_pipes_and_fds (NULL, (const char *const *) argv, NULL,
                                                   G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, -1, -1, -1, &source_fd,
                                                   &target_fd, 1, &pid, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_socket_close (listener, NULL);

  /* Connecting needs no QEMU yet: the socket listens already. */
  client = g_socket_client_new ();
  conn = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (addr), NULL, &error);
  g_assert_no_error (error);
  in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (conn)));
  greeting = g_data_input_stream_read_line (in, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (greeting, "\"QMP\""));
  /* Ready: the pidfile and the serial socket are there. */
  g_file_get_contents (pidfile, &pidtext, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint ((GPid) g_ascii_strtoll (pidtext, NULL, 10), ==, pid);
  {
    g_autofree char *serial = vb_qemu_console_socket_path (run_dir, 0);
    g_assert_true (g_file_test (serial, G_FILE_TEST_EXISTS));
  }
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)), cmds, strlen (cmds), NULL, NULL,
                             &error);
  g_assert_no_error (error);
  reply = g_data_input_stream_read_line (in, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (reply, "\"return\""));
  /* quit: QEMU goes away, with status 0 (the sandbox let it run). */
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  rm_rf (dir);
}

/* The command line of domain @xml (validated first) with @ctx, its
 * arguments joined by newlines; NULL without QEMU. */
static char *
command_of (const char *xml, const VbQemuCommandContext *ctx)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VbDomainDef) def = vb_domain_def_parse (xml, &error);
  g_auto(GStrv) argv = NULL;

  g_assert_no_error (error);
  if (!have_qemu ())
    return NULL;
  g_assert_true (vb_qemu_domain_validate (def, host_caps, &error));
  g_assert_no_error (error);
  argv = vb_qemu_build_command (def, host_caps, ctx, &error);
  g_assert_no_error (error);
  return g_strjoinv ("\n", argv);
}

/* <clock offset='variable'>: the RTC starts at now + adjustment (UTC
 * basis here; ctx.now stands for the start's time); offset='timezone':
 * localtime (QEMU gets the zone as TZ). */
static void
test_clock_offsets (void)
{
  VbQemuCommandContext ctx = { EMULATOR, "/tmp/run", "/tmp/log", "/tmp/run/qmp", NULL, NULL, FALSE, FALSE };
  g_autofree char *variable = NULL;
  g_autofree char *behind = NULL;
  g_autofree char *zone = NULL;

  ctx.now = 1700000000; /* 2023-11-14T22:13:20Z */
  variable = command_of ("<domain type='qemu'><name>c</name><memory>65536</memory><os><type>hvm</type></os>"
                         "<clock offset='variable' adjustment='3600' basis='utc'/></domain>", &ctx);
  if (variable == NULL)
    return;
  g_assert_nonnull (strstr (variable, "\n-rtc\nbase=2023-11-14T23:13:20\n"));
  /* An adjusted utc clock is a variable one. */
  behind = command_of ("<domain type='qemu'><name>c</name><memory>65536</memory><os><type>hvm</type></os>"
                       "<clock offset='utc' adjustment='-86400'><timer name='rtc' tickpolicy='catchup'/></clock>"
                       "</domain>", &ctx);
  g_assert_nonnull (strstr (behind, "\n-rtc\nbase=2023-11-13T22:13:20,driftfix=slew\n"));
  zone = command_of ("<domain type='qemu'><name>c</name><memory>65536</memory><os><type>hvm</type></os>"
                     "<clock offset='timezone' timezone='Asia/Kolkata'/></domain>", &ctx);
  g_assert_nonnull (strstr (zone, "\n-rtc\nbase=localtime\n"));
}

/* An emulated TPM: QEMU connects to the swtpm socket the backend gives. */
static void
test_tpm_emulator (void)
{
  VbQemuCommandContext ctx = { EMULATOR, "/tmp/run", "/tmp/log", "/tmp/run/qmp", NULL, NULL, FALSE, FALSE };
  g_autofree char *joined = NULL;

  ctx.tpm_socket = "/tmp/run/swtpm.sock";
  joined = command_of ("<domain type='qemu'><name>t</name><memory>65536</memory>"
                       "<os><type arch='x86_64' machine='q35'>hvm</type></os><devices><tpm model='tpm-crb'>"
                       "<backend type='emulator' version='2.0'/></tpm></devices></domain>",
                       &ctx);
  if (joined == NULL)
    return;
  g_assert_nonnull (strstr (joined, "\n-chardev\nsocket,id=chrtpm0,path=/tmp/run/swtpm.sock\n"
                                    "-tpmdev\nemulator,id=tpm-tpm0,chardev=chrtpm0\n"
                                    "-device\ntpm-crb,id=tpm0,tpmdev=tpm-tpm0"));
}

/* A shared directory: guest RAM as a shared memfd, QEMU's vhost-user-fs
 * device on the virtiofsd socket the backend gives. */
static void
test_virtiofs (void)
{
  VbQemuCommandContext ctx = { EMULATOR, "/tmp/run", "/tmp/log", "/tmp/run/qmp", NULL, NULL, FALSE, FALSE };
  const char *const sockets[] = { "/tmp/run/fs0.sock", NULL };
  g_autofree char *joined = NULL;

  ctx.fs_sockets = sockets;
  joined = command_of ("<domain type='qemu'><name>t</name><memory unit='MiB'>128</memory>"
                       "<memoryBacking><source type='memfd'/><access mode='shared'/><allocation mode='immediate'/>"
                       "<nosharepages/></memoryBacking><os><type arch='x86_64' machine='q35'>hvm</type></os>"
                       "<devices><filesystem type='mount' accessmode='passthrough'><driver type='virtiofs'/>"
                       "<source dir='/srv/share'/><target dir='share0'/></filesystem></devices></domain>",
                       &ctx);
  if (joined == NULL)
    return;
  g_assert_nonnull (strstr (joined, "\n-machine\npc-q35-7.2,usb=off,dump-guest-core=off,acpi=off,memory-backend=pc.ram,"
                                    "mem-merge=off\n"));
  g_assert_nonnull (strstr (joined, "\n-object\nmemory-backend-memfd,id=pc.ram,size=131072k,share=on,prealloc=on\n"));
  g_assert_nonnull (strstr (joined, "\n-chardev\nsocket,id=chr-vu-fs0,path=/tmp/run/fs0.sock\n"
                                    "-device\nvhost-user-fs-pci,id=fs0,chardev=chr-vu-fs0,tag=share0,"
                                    "queue-size=1024"));
}

/* hotplug: the JSON shared by -blockdev and QMP blockdev-add, the bus
 * rules, and q35's spare root ports. */
static void
test_blockdev_json (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VbDomainDeviceDef) dev = vb_domain_device_def_parse (
    "<disk type='file' device='disk'><driver name='qemu' type='qcow2' cache='none' discard='unmap'/>"
    "<source file='/img/a.qcow2'/><target dev='vdb' bus='virtio'/></disk>", &error);
  g_autoptr(JsonNode) file = NULL;
  g_autoptr(JsonNode) fmt = NULL;
  g_autofree char *file_text = NULL;
  g_autofree char *fmt_text = NULL;

  g_assert_no_error (error);
  file = vb_qemu_blockdev_json ("file", "virtio-disk1-file", "/img/a.qcow2", NULL, FALSE, dev->data.disk);
  fmt = vb_qemu_blockdev_json ("qcow2", "virtio-disk1-fmt", NULL, "virtio-disk1-file", TRUE, dev->data.disk);
  file_text = json_to_string (file, FALSE);
  fmt_text = json_to_string (fmt, FALSE);
  g_assert_cmpstr (file_text, ==,
                   "{\"driver\":\"file\",\"filename\":\"/img/a.qcow2\",\"node-name\":\"virtio-disk1-file\","
                   "\"read-only\":false,\"cache\":{\"direct\":true,\"no-flush\":false},\"discard\":\"unmap\"}");
  g_assert_cmpstr (fmt_text, ==,
                   "{\"driver\":\"qcow2\",\"node-name\":\"virtio-disk1-fmt\",\"file\":\"virtio-disk1-file\","
                   "\"read-only\":true,\"discard\":\"unmap\"}");
}

static void
test_disk_bus_rules (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(VbDomainDeviceDef) hd = vb_domain_device_def_parse (
    "<disk type='file' device='cdrom'><target dev='hdc'/></disk>", &error);
  g_autoptr(VbDomainDeviceDef) sd = vb_domain_device_def_parse (
    "<disk type='file' device='disk'><source file='/x'/><target dev='sdb'/></disk>", &error);

  g_assert_no_error (error);
  /* The parser already gives "hd*" targets bus='ide'. */
  g_assert_cmpint (vb_qemu_disk_bus (hd->data.disk, "pc"), ==, VB_DOMAIN_DISK_BUS_IDE);
  g_assert_cmpint (vb_qemu_disk_bus (sd->data.disk, "q35"), ==, VB_DOMAIN_DISK_BUS_SCSI);
  g_assert_true (vb_qemu_machine_is_q35 ("q35"));
  g_assert_false (vb_qemu_machine_is_q35 ("pc-i440fx-7.2"));
  g_assert_false (vb_qemu_machine_is_q35 (NULL));
}

static void
test_root_ports (void)
{
  g_autoptr(GError) error = NULL;
#define ROOT_PORTS_XML(machine, devices)                                             \
  "<domain type='qemu'><name>r</name><memory>65536</memory><os><type arch='x86_64' " \
  "machine='" machine "'>hvm</type></os><devices>" devices "</devices></domain>"
  const char *q35_xml = ROOT_PORTS_XML ("q35", "");
  const char *pc_xml = ROOT_PORTS_XML ("pc", "");
  const char *own_xml = ROOT_PORTS_XML ("q35", "<controller type='pci' index='1' model='pcie-root-port'/>");
#undef ROOT_PORTS_XML
  g_autoptr(VbDomainDef) q35 = vb_domain_def_parse (q35_xml, &error);
  g_autoptr(VbDomainDef) pc = vb_domain_def_parse (pc_xml, &error);
  g_autoptr(VbDomainDef) own = vb_domain_def_parse (own_xml, &error);
  guint ports = 0, n_pc, n_own;

  g_assert_no_error (error);
  n_pc = pc->controllers->len;
  n_own = own->controllers->len;
  vb_qemu_hotplug_add_root_ports (q35);
  vb_qemu_hotplug_add_root_ports (pc);
  vb_qemu_hotplug_add_root_ports (own);
  for (guint i = 0; i < q35->controllers->len; i++) {
    VbDomainControllerDef *c = g_ptr_array_index (q35->controllers, i);
    if (c->type == VB_DOMAIN_CONTROLLER_PCI && g_strcmp0 (c->model, "pcie-root-port") == 0) {
      g_assert_cmpuint (c->index, ==, ports + 1);
      ports++;
    }
  }
  g_assert_cmpuint (ports, ==, 4);
  /* Not on pc, and not when the definition has root ports of its own. */
  g_assert_cmpuint (pc->controllers->len, ==, n_pc);
  g_assert_cmpuint (own->controllers->len, ==, n_own);
  g_assert_true (vb_domain_def_validate (q35, &error));
  if (have_qemu ())
    g_assert_true (vb_qemu_domain_validate (q35, host_caps, &error));
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* A QEMU refusing its command line must fail an assertion, not kill us. */
  signal (SIGPIPE, SIG_IGN);
  if (g_file_test (EMULATOR, G_FILE_TEST_IS_EXECUTABLE))
    host_caps = probe ();
  for (guint i = 0; i < G_N_ELEMENTS (golden_cases); i++) {
    g_autofree char *path = g_strdup_printf ("/qemu-command/golden/%s", golden_cases[i].name);
    g_test_add_data_func (path, &golden_cases[i], test_golden);
  }
  for (guint i = 0; i < G_N_ELEMENTS (error_cases); i++) {
    g_autofree char *path = g_strdup_printf ("/qemu-command/error/%s", error_cases[i].what);
    g_test_add_data_func (path, &error_cases[i], test_validate_error);
  }
  g_test_add_func ("/qemu-command/aliases", test_aliases);
  g_test_add_func ("/qemu-command/sysinfo-host", test_sysinfo_host);
  g_test_add_func ("/qemu-command/clock-offsets", test_clock_offsets);
  g_test_add_func ("/qemu-command/console-path", test_console_path);
  g_test_add_func ("/qemu-command/socket-too-long", test_socket_too_long);
  g_test_add_func ("/qemu-command/process-model", test_process_model);
  g_test_add_func ("/qemu-command/tap-netdev", test_tap_netdev);
  g_test_add_func ("/qemu-command/tpm-emulator", test_tpm_emulator);
  g_test_add_func ("/qemu-command/virtiofs", test_virtiofs);
  g_test_add_func ("/qemu-command/blockdev-json", test_blockdev_json);
  g_test_add_func ("/qemu-command/disk-bus-rules", test_disk_bus_rules);
  g_test_add_func ("/qemu-command/root-ports", test_root_ports);
  return g_test_run ();
}
