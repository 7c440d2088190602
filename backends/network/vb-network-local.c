/* Local virtual networks: definitions, start/stop, live updates, leases.
 *
 * Files: <config>/<name>.xml (persistent definitions), <config>/autostart/
 * <name>.xml (a link to it), <run>/<name>.xml (the live definition of an
 * active network, so that a restarted daemon finds its networks as they
 * were), <run>/<uuid>.pid (dnsmasq's), <lib>/<uuid>.conf, .hostsfile,
 * .addnhosts (dnsmasq's configuration, rewritten at each start) and
 * <lib>/<uuid>.leases (kept across restarts, so guests keep their
 * addresses). dnsmasq's files go by uuid: its configuration cannot quote
 * a path, and a network's name may hold any character but '/'.
 *
 * Starting a network of ours: the bridge (down), its addresses and routes,
 * up; the nftables table; dnsmasq. Each step is undone when a later one
 * fails, so a failed start leaves nothing behind; it reports its error
 * only once that is done. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <glib-unix.h>

#include "vb-child.h"
#include "vb-error.h"
#include "vb-netlink.h"
#include "vb-network-bandwidth.h"
#include "vb-network-dnsmasq.h"
#include "vb-network-firewall.h"
#include "vb-network-local.h"
#include "vb-network-tool.h"
#include "vb-state-dir.h"

/* How long dnsmasq has to exit after SIGTERM, then after SIGKILL. */
#define DNSMASQ_EXIT_TIMEOUT_MS 5000
/* libvirt's: more than this many networks asking for a bridge name is a
 * configuration problem, not a reason to loop. */
#define MAX_BRIDGE_INDEX 4096

typedef struct {
  VbStateDirs *dirs;
} Local;

/* Per network (VbObj.backend_data).
 *
 * @busy also orders what a network runs: a start, stop, live update or
 * restore holds it until its last nft and dnsmasq run has finished,
 * cleanup included (a transient network whose start failed is removed
 * only then), and a network takes no other operation while it is set.
 * So one network's nft runs never overlap, and an apply cannot overtake a
 * deletion still pending, without a queue of nft runs of its own. */
typedef struct {
  gboolean busy; /* a start, stop, live update or restore is under way */
} NetData;

static GQuark local_quark;

static void
local_free (gpointer p)
{
  Local *local = p;

  vb_state_dirs_free (local->dirs);
  g_free (local);
}

static Local *
local_get (VbBackend *backend)
{
  return local_quark ? g_object_get_qdata (G_OBJECT (backend), local_quark) : NULL;
}

static NetData *
net_data (VbObj *net)
{
  if (net->backend_data == NULL) {
    net->backend_data = g_new0 (NetData, 1);
    net->backend_data_free = g_free;
  }
  return net->backend_data;
}

static VbNetworkDef *
net_def (VbObj *net)
{
  return net->def;
}

/* Modes whose bridge is ours: we make it, address it, firewall it. */
static gboolean
mode_has_own_bridge (VbNetworkForwardMode mode)
{
  return mode == VB_NETWORK_FORWARD_NONE || mode == VB_NETWORK_FORWARD_NAT || mode == VB_NETWORK_FORWARD_ROUTE
         || mode == VB_NETWORK_FORWARD_OPEN;
}

/* A network of macvtaps: guests go straight onto one of its host
 * interfaces (modes private, vepa, passthrough, and bridge without a
 * bridge name). No bridge, firewall or dnsmasq of ours. */
static gboolean
is_macvtap_network (const VbNetworkDef *def)
{
  switch (def->forward.mode) {
  case VB_NETWORK_FORWARD_PRIVATE:
  case VB_NETWORK_FORWARD_VEPA:
  case VB_NETWORK_FORWARD_PASSTHROUGH:
    return TRUE;
  case VB_NETWORK_FORWARD_BRIDGE:
    return def->bridge == NULL || def->bridge->name == NULL;
  default:
    return FALSE;
  }
}

/* The host interfaces of a network of macvtaps: <interface dev>s, else
 * <forward dev>. */
static GPtrArray *
forward_devices (const VbNetworkDef *def)
{
  GPtrArray *devs = g_ptr_array_new ();

  for (guint i = 0; def->forward.interfaces != NULL && i < def->forward.interfaces->len; i++)
    g_ptr_array_add (devs, ((VbNetworkForwardInterface *) g_ptr_array_index (def->forward.interfaces, i))->dev);
  if (devs->len == 0 && def->forward.dev != NULL)
    g_ptr_array_add (devs, def->forward.dev);
  return devs;
}

static gboolean
prepare_macvtap_def (VbNetworkDef *def, GError **error)
{
  g_autoptr(GPtrArray) devs = forward_devices (def);

  if (def->forward.pf_dev != NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                 "network '%s': SR-IOV physical functions (<pf dev=...>) are not supported by virtbus", def->name);
    return FALSE;
  }
  if (devs->len == 0) {
    g_set_error (error, VB_ERROR, VB_ERROR_XML,
                 "network '%s' with forward mode '%s' needs the host interfaces its guests go onto "
                 "(<forward dev=...> or <interface dev=...>)%s", def->name,
                 vb_network_forward_mode_to_string (def->forward.mode),
                 def->forward.mode == VB_NETWORK_FORWARD_BRIDGE ? ", or a host bridge (<bridge name=...>)" : "");
    return FALSE;
  }
  for (guint i = 0; i < devs->len; i++)
    if (!vb_netlink_name_is_valid (g_ptr_array_index (devs, i))) {
      g_set_error (error, VB_ERROR, VB_ERROR_XML, "invalid forward interface name '%s'",
                   (const char *) g_ptr_array_index (devs, i));
      return FALSE;
    }
  if (def->ips->len > 0 || def->dns != NULL || def->domain_name != NULL || def->mac != NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_XML,
                 "network '%s' puts guests straight onto host interfaces: <ip>, <dns>, <domain> and <mac> belong "
                 "to the host's own setup",
                 def->name);
    return FALSE;
  }
  return TRUE;
}

/* ---- files ---- */

static char *
file_in (const char *dir, const char *name, const char *suffix)
{
  g_autofree char *file = g_strconcat (name, suffix, NULL);
  return g_build_filename (dir, file, NULL);
}

static char *
config_path (VbBackend *backend, const char *name)
{
  return file_in (local_get (backend)->dirs->config_dir, name, ".xml");
}

static char *
state_path (VbBackend *backend, const char *name)
{
  return file_in (local_get (backend)->dirs->run_dir, name, ".xml");
}

/* dnsmasq's files, by the network's uuid. */
static char *
pid_path (VbBackend *backend, const char *uuid)
{
  return file_in (local_get (backend)->dirs->run_dir, uuid, ".pid");
}

static char *
lib_path (VbBackend *backend, const char *uuid, const char *suffix)
{
  return file_in (local_get (backend)->dirs->lib_dir, uuid, suffix);
}

static gboolean
save_config (VbBackend *backend, const VbNetworkDef *def, GError **error)
{
  g_autofree char *path = config_path (backend, def->name);
  g_autofree char *xml = vb_network_def_format (def, VB_NETWORK_XML_INACTIVE);

  return vb_file_write_atomic (path, xml, -1, 0600, error);
}

static gboolean
save_state (VbBackend *backend, VbObj *net, GError **error)
{
  g_autofree char *path = state_path (backend, net->name);
  g_autofree char *xml = vb_network_def_format (net_def (net), VB_NETWORK_XML_INACTIVE);

  return vb_file_write_runtime (path, xml, -1, 0600, error);
}

static void
remove_runtime (const char *path)
{
  g_autoptr(GError) error = NULL;

  if (!vb_file_remove_runtime (path, &error))
    g_warning ("%s", error->message);
}

/* ---- host checks ---- */

/* CAP_NET_ADMIN in our effective set: needed for bridges, taps, nft. */
static gboolean
check_net_admin (GError **error)
{
  g_autofree char *status = NULL;
  const char *line;
  guint64 caps = 0;

  if (g_file_get_contents ("/proc/self/status", &status, NULL, NULL) &&
      (line = strstr (status, "\nCapEff:")) != NULL)
    caps = g_ascii_strtoull (line + strlen ("\nCapEff:"), NULL, 16);
  if (caps & (G_GUINT64_CONSTANT (1) << 12))
    return TRUE;
  g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
               "virtual networks need a virtbusd that may manage the host's network (CAP_NET_ADMIN): use the "
               "system instance (qemu:///system)");
  return FALSE;
}

/* The IPv4 routes of the host that overlap @address/@prefix, as "the
 * network 192.168.122.0/24 is already in use by interface eth0". */
static gboolean
check_ipv4_free (GInetAddress *address, guint prefix, GError **error)
{
  g_autofree char *routes = NULL;
  g_auto(GStrv) lines = NULL;
  guint32 ours, ours_mask;

  if (!g_file_get_contents ("/proc/net/route", &routes, NULL, NULL))
    return TRUE;
  memcpy (&ours, g_inet_address_to_bytes (address), 4);
  ours = g_ntohl (ours);
  ours_mask = prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
  lines = g_strsplit (routes, "\n", -1);
  for (guint i = 1; lines[i] != NULL; i++) {
    char iface[64];
    unsigned int dest, gw, flags, refcnt, use, metric, mask;
    guint32 common;

    if (sscanf (lines[i], "%63s %x %x %x %u %u %u %x", iface, &dest, &gw, &flags, &refcnt, &use, &metric, &mask)
        != 8)
      continue;
    /* /proc/net/route prints addresses in host order of network bytes. */
    dest = g_ntohl (dest);
    mask = g_ntohl (mask);
    if (mask == 0) /* a default route overlaps everything, and means nothing here */
      continue;
    common = ours_mask & mask;
    if ((ours & common) == (dest & common)) {
      g_autofree char *net = g_inet_address_to_string (address);
      g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                   "the network %s/%u is already in use by interface %s", net, prefix, iface);
      return FALSE;
    }
  }
  return TRUE;
}

static void
write_sysctl (const char *path, const char *value)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *current = NULL;

  if (g_file_get_contents (path, &current, NULL, NULL) && g_str_equal (g_strstrip (current), value))
    return;
  if (!g_file_set_contents_full (path, value, -1, G_FILE_SET_CONTENTS_NONE, 0644, &error))
    g_warning ("cannot set %s to %s: %s", path, value, error->message);
}

/* ---- definitions ---- */

static gboolean
bridge_name_taken (VbBackend *backend, const VbNetworkDef *def, const char *name)
{
  g_autoptr(GPtrArray) nets = vb_backend_list (backend, VB_OBJ_NETWORK);

  for (guint i = 0; i < nets->len; i++) {
    VbObj *other = g_ptr_array_index (nets, i);
    const VbNetworkDef *defs[] = { other->def, other->newdef };

    if (g_strcmp0 (other->uuid, def->uuid) == 0)
      continue;
    for (guint j = 0; j < G_N_ELEMENTS (defs); j++)
      if (defs[j] != NULL && defs[j]->bridge != NULL && g_strcmp0 (defs[j]->bridge->name, name) == 0)
        return TRUE;
  }
  return FALSE;
}

/* What libvirt fills in and checks when a network is defined: a bridge
 * name (virbrN) and a MAC address for a bridge of ours, and that no other
 * network has the bridge. */
static gboolean
prepare_def (VbBackend *backend, VbNetworkDef *def, VbObj *existing, GError **error)
{
  VbNetworkForwardMode mode = def->forward.mode;
  const VbNetworkDef *old = existing ? vb_obj_get_persistent_def (existing) : NULL;

  if (vb_bandwidth_is_set (def->bandwidth) && !mode_has_own_bridge (mode)) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                 "network '%s': a network-wide <bandwidth> needs a bridge of the network's own (forward modes none, "
                 "nat, route and open), not forward mode '%s' (a <portgroup>'s <bandwidth> shapes each guest)",
                 def->name, vb_network_forward_mode_to_string (mode));
    return FALSE;
  }
  if (is_macvtap_network (def))
    return prepare_macvtap_def (def, error);
  if (!mode_has_own_bridge (mode) && mode != VB_NETWORK_FORWARD_BRIDGE) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                 "forward mode '%s' is not supported by virtbus (none, nat, route, open, bridge, private, vepa and "
                 "passthrough are)",
                 vb_network_forward_mode_to_string (mode));
    return FALSE;
  }
  if (mode == VB_NETWORK_FORWARD_BRIDGE) {
    if (def->bridge == NULL || def->bridge->name == NULL) {
      g_set_error (error, VB_ERROR, VB_ERROR_XML, "network '%s' with forward mode 'bridge' needs <bridge name=...>",
                   def->name);
      return FALSE;
    }
    if (def->ips->len > 0 || def->dns != NULL || def->domain_name != NULL) {
      g_set_error (error, VB_ERROR, VB_ERROR_XML,
                   "network '%s' uses a host bridge: <ip>, <dns> and <domain> belong to the host's own setup",
                   def->name);
      return FALSE;
    }
  }
  if (def->forward.dev != NULL && !vb_netlink_name_is_valid (def->forward.dev)) {
    g_set_error (error, VB_ERROR, VB_ERROR_XML, "invalid forward device name '%s'", def->forward.dev);
    return FALSE;
  }
  if (def->bridge == NULL)
    def->bridge = g_new0 (VbNetworkBridge, 1);
  if (def->bridge->name == NULL && old != NULL && old->bridge != NULL && old->bridge->name != NULL &&
      mode_has_own_bridge (old->forward.mode))
    def->bridge->name = g_strdup (old->bridge->name); /* a redefinition keeps the name it was given */
  if (def->bridge->name == NULL) {
    for (guint n = 0; n < MAX_BRIDGE_INDEX && def->bridge->name == NULL; n++) {
      g_autofree char *candidate = g_strdup_printf ("virbr%u", n);
      if (!bridge_name_taken (backend, def, candidate) && !vb_netlink_link_exists (candidate))
        def->bridge->name = g_steal_pointer (&candidate);
    }
    if (def->bridge->name == NULL) {
      g_set_error (error, VB_ERROR, VB_ERROR_FAILED, "no free bridge name virbr0..virbr%u", MAX_BRIDGE_INDEX - 1);
      return FALSE;
    }
  } else if (!vb_netlink_name_is_valid (def->bridge->name)) {
    g_set_error (error, VB_ERROR, VB_ERROR_XML,
                 "invalid bridge name '%s' (1 to 15 letters, digits, '-', '_' or '.')", def->bridge->name);
    return FALSE;
  } else if (bridge_name_taken (backend, def, def->bridge->name)) {
    g_set_error (error, VB_ERROR, VB_ERROR_EXISTS, "bridge name '%s' is already in use by another network",
                 def->bridge->name);
    return FALSE;
  }
  if (mode_has_own_bridge (mode) && def->mac == NULL) {
    if (old != NULL && old->mac != NULL)
      def->mac = g_strdup (old->mac);
    else
      def->mac = g_strdup_printf ("52:54:00:%02x:%02x:%02x", g_random_int_range (0, 256),
                                  g_random_int_range (0, 256), g_random_int_range (0, 256));
  }
  return TRUE;
}

static VbNetworkDef *
parse_def (VbBackend *backend, const char *xml, gboolean live, VbObj **existing, GError **error)
{
  g_autoptr(VbNetworkDef) def = vb_network_def_parse (xml, error);

  if (def == NULL || !vb_network_check_collision (backend, def, live, existing, error) ||
      !prepare_def (backend, def, *existing, error))
    return NULL;
  return g_steal_pointer (&def);
}

/* ---- subprocesses: nft, dnsmasq ---- */

char *
vb_network_find_tool (const char *name)
{
  const char *dirs[] = { "/usr/sbin", "/sbin", "/usr/bin" };
  char *path = g_find_program_in_path (name);

  for (guint i = 0; path == NULL && i < G_N_ELEMENTS (dirs); i++) {
    g_autofree char *candidate = g_build_filename (dirs[i], name, NULL);
    if (g_file_test (candidate, G_FILE_TEST_IS_EXECUTABLE))
      path = g_steal_pointer (&candidate);
  }
  return path;
}

static void
on_tool_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  const char *what = g_task_get_task_data (task);
  GSubprocess *proc = G_SUBPROCESS (source);
  g_autofree char *err = NULL;
  GError *error = NULL;

  if (!g_subprocess_communicate_utf8_finish (proc, result, NULL, &err, &error)) {
    g_task_return_error (task, error);
    return;
  }
  vb_child_reap_orphans_soon ();
  if (!g_subprocess_get_successful (proc)) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_FAILED, "cannot %s: %s", what,
                             err && *err ? g_strstrip (err) : "the tool failed");
    return;
  }
  g_task_return_boolean (task, TRUE);
}

void
vb_network_run_tool_async (const char *const *argv, const char *input, const char *what,
                           GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, NULL, callback, user_data);
  g_autoptr(GSubprocess) proc = NULL;
  GError *error = NULL;

  g_task_set_task_data (task, g_strdup (what), g_free);
  proc = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE
                                      | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  if (proc == NULL) {
    g_prefix_error (&error, "cannot %s: ", what);
    g_task_return_error (task, error);
    return;
  }
  vb_child_track (proc);
  g_subprocess_communicate_utf8_async (proc, input, NULL, on_tool_done, g_steal_pointer (&task));
}

gboolean
vb_network_run_tool_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
run_nft_async (const char *script, const char *what, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree char *nft = vb_network_find_tool ("nft");
  const char *argv[] = { nft, "-f", "-", NULL };

  if (nft == NULL) {
    g_autoptr(GTask) task = g_task_new (NULL, NULL, callback, user_data);
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_FAILED,
                             "cannot %s: nft is not installed (Debian package nftables)", what);
    return;
  }
  vb_network_run_tool_async (argv, script, what, callback, user_data);
}

/* Deletes @def's table; completes once nft is done. Always waited for
 * before the operation reports: a start right after it must not have its
 * new table deleted by this removal running late. */
static void
drop_firewall_async (const VbNetworkDef *def, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree char *script = vb_network_firewall_delete_script (def);
  g_autofree char *what = g_strdup_printf ("remove the firewall rules of network '%s'", def->name);

  run_nft_async (script, what, callback, user_data);
}

/* A table that cannot be removed is logged: the network goes all the same,
 * and a failed start keeps its own error. */
static void
drop_firewall_finish (GAsyncResult *result)
{
  g_autoptr(GError) error = NULL;

  if (!vb_network_run_tool_finish (result, &error))
    g_warning ("%s", error->message);
}

/* The pid of the dnsmasq of network @uuid when it is running: the pid file
 * names a live process whose command line has our configuration file. */
static GPid
dnsmasq_pid (VbBackend *backend, const char *uuid)
{
  g_autofree char *pidfile = pid_path (backend, uuid);
  g_autofree char *conf = lib_path (backend, uuid, ".conf");
  g_autofree char *conf_arg = g_strconcat ("--conf-file=", conf, NULL);
  g_autofree char *text = NULL;
  g_autofree char *cmdline = NULL;
  g_autofree char *cmdline_path = NULL;
  gsize len = 0;
  guint64 pid;
  char state = 0;

  if (!g_file_get_contents (pidfile, &text, NULL, NULL) ||
      !g_ascii_string_to_unsigned (g_strstrip (text), 10, 2, G_MAXINT32, &pid, NULL))
    return 0;
  cmdline_path = g_strdup_printf ("/proc/%" G_GUINT64_FORMAT "/cmdline", pid);
  if (!vb_child_proc_stat ((GPid) pid, &state, NULL, NULL) || state == 'Z' ||
      !g_file_get_contents (cmdline_path, &cmdline, &len, NULL))
    return 0;
  for (gsize off = 0; off < len; off += strlen (cmdline + off) + 1)
    if (g_str_equal (cmdline + off, conf_arg))
      return (GPid) pid;
  return 0;
}

typedef struct {
  GPid pid;
  int pidfd;
  guint watch_id, timeout_id;
  gboolean killed;
} Kill;

static void
kill_free (gpointer p)
{
  Kill *k = p;

  g_clear_handle_id (&k->watch_id, g_source_remove);
  g_clear_handle_id (&k->timeout_id, g_source_remove);
  if (k->pidfd >= 0)
    close (k->pidfd);
  g_free (k);
}

static gboolean
on_killed (int fd, GIOCondition condition, gpointer user_data)
{
  GTask *task = user_data;
  Kill *k = g_task_get_task_data (task);

  k->watch_id = 0;
  g_clear_handle_id (&k->timeout_id, g_source_remove);
  vb_child_reap_orphans_soon ();
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

static gboolean
on_kill_timeout (gpointer user_data)
{
  GTask *task = user_data;
  Kill *k = g_task_get_task_data (task);

  k->timeout_id = 0;
  if (!k->killed) {
    g_warning ("dnsmasq (pid %d) did not end after SIGTERM: killing it", k->pid);
    k->killed = TRUE;
    kill (k->pid, SIGKILL);
    k->timeout_id = g_timeout_add (DNSMASQ_EXIT_TIMEOUT_MS, on_kill_timeout, task);
    return G_SOURCE_REMOVE;
  }
  g_warning ("dnsmasq (pid %d) did not end after SIGKILL", k->pid);
  g_clear_handle_id (&k->watch_id, g_source_remove);
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

/* Stops the dnsmasq of network @uuid, if running, and completes once it
 * has exited (a new one may then bind the same addresses). */
static void
stop_dnsmasq_async (VbBackend *backend, const char *uuid, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (backend, NULL, callback, user_data);
  Kill *k = g_new0 (Kill, 1);
  g_autofree char *pidfile = pid_path (backend, uuid);

  k->pidfd = -1;
  k->pid = dnsmasq_pid (backend, uuid);
  g_task_set_task_data (task, k, kill_free);
  remove_runtime (pidfile);
  if (k->pid == 0) {
    g_task_return_boolean (task, TRUE);
    g_object_unref (task);
    return;
  }
  k->pidfd = (int) syscall (SYS_pidfd_open, k->pid, 0);
  if (kill (k->pid, SIGTERM) < 0 || k->pidfd < 0) {
    g_task_return_boolean (task, TRUE);
    g_object_unref (task);
    return;
  }
  k->watch_id = g_unix_fd_add (k->pidfd, G_IO_IN, on_killed, task);
  k->timeout_id = g_timeout_add (DNSMASQ_EXIT_TIMEOUT_MS, on_kill_timeout, task);
}

static gboolean
stop_dnsmasq_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static gboolean
write_dnsmasq_files (VbBackend *backend, const VbNetworkDef *def, char **conf_out, GError **error)
{
  g_autofree char *pidfile = pid_path (backend, def->uuid);
  g_autofree char *leases = lib_path (backend, def->uuid, ".leases");
  g_autofree char *hosts = lib_path (backend, def->uuid, ".hostsfile");
  g_autofree char *addn = lib_path (backend, def->uuid, ".addnhosts");
  g_autofree char *conf = lib_path (backend, def->uuid, ".conf");
  VbDnsmasqPaths paths = { pidfile, leases, hosts, addn };
  g_autofree char *conf_text = vb_dnsmasq_config (def, &paths, error);
  g_autofree char *hosts_text = NULL;
  g_autofree char *addn_text = NULL;

  if (conf_text == NULL)
    return FALSE;
  hosts_text = vb_dnsmasq_hosts_file (def);
  addn_text = vb_dnsmasq_addn_hosts (def);
  /* dnsmasq reads these as root at startup, before dropping privileges. */
  if (!vb_file_write_runtime (hosts, hosts_text, -1, 0600, error) ||
      !vb_file_write_runtime (addn, addn_text, -1, 0600, error) ||
      !vb_file_write_runtime (conf, conf_text, -1, 0600, error))
    return FALSE;
  *conf_out = g_steal_pointer (&conf);
  return TRUE;
}

/* Starts network @def's dnsmasq; completes once it runs (dnsmasq's first
 * process exits when the daemon is serving, or with its error). */
static void
start_dnsmasq_async (VbBackend *backend, const VbNetworkDef *def, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autofree char *dnsmasq = vb_network_find_tool ("dnsmasq");
  g_autofree char *conf = NULL;
  g_autofree char *conf_arg = NULL;
  g_autofree char *what = g_strdup_printf ("start dnsmasq for network '%s'", def->name);
  GError *error = NULL;

  if (dnsmasq == NULL || !write_dnsmasq_files (backend, def, &conf, &error)) {
    g_autoptr(GTask) task = g_task_new (NULL, NULL, callback, user_data);
    if (error == NULL)
      error = g_error_new (VB_ERROR, VB_ERROR_FAILED,
                           "cannot %s: dnsmasq is not installed (Debian package dnsmasq-base)", what);
    g_task_return_error (task, error);
    return;
  }
  conf_arg = g_strconcat ("--conf-file=", conf, NULL);
  {
    const char *argv[] = { dnsmasq, conf_arg, NULL };
    vb_network_run_tool_async (argv, NULL, what, callback, user_data);
  }
}

/* ---- start ---- */

/* Forgets the network's runtime state; a persistent network goes back to
 * its persistent definition, a transient one is gone. */
static void
mark_inactive (VbBackend *backend, VbObj *net, gboolean emit)
{
  g_autofree char *state = state_path (backend, net->name);

  remove_runtime (state);
  vb_obj_set_active (net, FALSE);
  if (emit)
    vb_backend_emit_event (backend, net, VB_NETWORK_EVENT_STOPPED, 0);
  if (!net->persistent) {
    vb_backend_remove_object (backend, net);
    return;
  }
  vb_obj_apply_newdef (net);
}

typedef struct {
  VbBackend *backend;
  VbObj *net;
  gboolean restore;      /* bringing back a network that was active before a daemon restart */
  gboolean made_bridge;  /* steps done, undone on failure */
  gboolean made_firewall;
  gboolean made_dnsmasq;
  GError *error;         /* why it failed, reported once undone */
} Start;

static void
start_free (gpointer p)
{
  Start *st = p;

  g_object_unref (st->net);
  g_clear_error (&st->error);
  g_free (st);
}

/* The last step of a failed start: the bridge goes; a network that was
 * being restored is inactive; the error is reported. */
static void
start_failed_finish (GTask *task)
{
  Start *st = g_task_get_task_data (task);
  const VbNetworkDef *def = net_def (st->net);
  gboolean own_bridge = mode_has_own_bridge (def->forward.mode);
  g_autoptr(GError) error = NULL;

  if ((st->made_bridge || (st->restore && own_bridge && vb_netlink_link_exists (def->bridge->name))) &&
      !vb_netlink_link_delete (def->bridge->name, &error))
    g_warning ("%s", error->message);
  if (own_bridge)
    vb_bandwidth_release (def->bridge->name);
  net_data (st->net)->busy = FALSE;
  if (st->restore)
    mark_inactive (st->backend, st->net, TRUE);
  g_task_return_error (task, g_steal_pointer (&st->error));
  g_object_unref (task);
}

static void
on_start_failed_firewall_dropped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  drop_firewall_finish (result);
  start_failed_finish (user_data);
}

static void
start_failed_drop_firewall (GTask *task)
{
  Start *st = g_task_get_task_data (task);
  const VbNetworkDef *def = net_def (st->net);

  if (st->made_firewall || (st->restore && mode_has_own_bridge (def->forward.mode))) {
    drop_firewall_async (def, on_start_failed_firewall_dropped, task);
    return;
  }
  start_failed_finish (task);
}

static void
on_start_failed_dnsmasq_stopped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  stop_dnsmasq_finish (result, NULL);
  start_failed_drop_firewall (user_data);
}

/* Undoes what the start made, in a stop's order (dnsmasq, the table, the
 * bridge), each step waited for, and only then reports @error and frees
 * the network: a start right after it finds nothing of this one left, and
 * nothing of this one still running to remove what it makes. A restore
 * undoes all the network had (its dnsmasq and table from before the
 * daemon's restart). What cannot be undone is logged; @error stays the
 * start's. */
static void
start_failed (GTask *task, GError *error)
{
  Start *st = g_task_get_task_data (task);

  st->error = error;
  if (st->made_dnsmasq || st->restore) {
    stop_dnsmasq_async (st->backend, st->net->uuid, on_start_failed_dnsmasq_stopped, task);
    return;
  }
  start_failed_drop_firewall (task);
}

static void
start_done (GTask *task)
{
  Start *st = g_task_get_task_data (task);
  GError *error = NULL;

  if (!save_state (st->backend, st->net, &error)) {
    start_failed (task, error);
    return;
  }
  net_data (st->net)->busy = FALSE;
  if (!st->restore) {
    if (st->net->persistent && st->net->newdef == NULL)
      vb_obj_set_newdef (st->net, vb_network_def_copy (st->net->def));
    vb_obj_set_active (st->net, TRUE);
    vb_backend_emit_event (st->backend, st->net, VB_NETWORK_EVENT_STARTED, 0);
  }
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static void
on_dnsmasq_started (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  Start *st = g_task_get_task_data (task);
  GError *error = NULL;

  /* Its pid file names it even when it failed late: stop it then. */
  st->made_dnsmasq = TRUE;
  if (!vb_network_run_tool_finish (result, &error)) {
    start_failed (task, error);
    return;
  }
  start_done (task);
}

static void
start_dnsmasq_step (GTask *task)
{
  Start *st = g_task_get_task_data (task);
  const VbNetworkDef *def = net_def (st->net);

  if (!vb_dnsmasq_needed (def) || (st->restore && dnsmasq_pid (st->backend, def->uuid) != 0)) {
    start_done (task);
    return;
  }
  start_dnsmasq_async (st->backend, def, on_dnsmasq_started, task);
}

static void
on_firewall_applied (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  Start *st = g_task_get_task_data (task);
  GError *error = NULL;

  if (!vb_network_run_tool_finish (result, &error)) {
    start_failed (task, error);
    return;
  }
  st->made_firewall = TRUE;
  start_dnsmasq_step (task);
}

/* The bridge, its addresses and routes, the forwarding sysctls. */
static gboolean
make_bridge (Start *st, GError **error)
{
  const VbNetworkDef *def = net_def (st->net);
  const char *br = def->bridge->name;
  gboolean v4 = FALSE, v6 = FALSE;
  g_autofree char *ipv6_conf = NULL;

  for (guint i = 0; i < def->ips->len; i++) {
    const VbNetworkIp *ip = g_ptr_array_index (def->ips, i);
    g_autoptr(GInetAddress) addr = g_inet_address_new_from_string (ip->address);

    if (addr == NULL) {
      g_set_error (error, VB_ERROR, VB_ERROR_XML, "invalid address '%s'", ip->address);
      return FALSE;
    }
    if (vb_network_ip_is_ipv6 (ip))
      v6 = TRUE;
    else if ((v4 = TRUE) && !check_ipv4_free (addr, vb_network_ip_prefix (ip), error))
      return FALSE;
  }
  if (vb_netlink_link_exists (br)) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                 "bridge name '%s' is already in use by an interface of the host", br);
    return FALSE;
  }
  if (!vb_netlink_bridge_add (br, def->mac, def->mtu, def->bridge->stp != VB_NETWORK_TRISTATE_NO,
                              def->bridge->has_delay ? (guint) MIN (def->bridge->delay, G_MAXUINT) : 0, error))
    return FALSE;
  st->made_bridge = TRUE;

  /* Before any address: the kernel would configure IPv6 on a bridge the
   * network gives none. */
  ipv6_conf = g_strdup_printf ("/proc/sys/net/ipv6/conf/%s/", br);
  if (g_file_test (ipv6_conf, G_FILE_TEST_IS_DIR)) {
    g_autofree char *disable = g_strconcat (ipv6_conf, "disable_ipv6", NULL);
    g_autofree char *accept_ra = g_strconcat (ipv6_conf, "accept_ra", NULL);
    write_sysctl (disable, v6 ? "0" : "1");
    if (v6)
      write_sysctl (accept_ra, "0");
  }
  for (guint i = 0; i < def->ips->len; i++) {
    const VbNetworkIp *ip = g_ptr_array_index (def->ips, i);
    g_autoptr(GInetAddress) addr = g_inet_address_new_from_string (ip->address);

    if (!vb_netlink_address_add (br, addr, vb_network_ip_prefix (ip), error))
      return FALSE;
  }
  if (!vb_netlink_link_set_up (br, TRUE, error))
    return FALSE;
  for (guint i = 0; i < def->routes->len; i++) {
    const VbNetworkRoute *r = g_ptr_array_index (def->routes, i);
    g_autoptr(GInetAddress) dest = g_inet_address_new_from_string (r->address);
    g_autoptr(GInetAddress) gw = r->gateway ? g_inet_address_new_from_string (r->gateway) : NULL;
    guint prefix = r->prefix >= 0 ? (guint) r->prefix : 0;

    if (r->prefix < 0 && r->netmask != NULL) {
      g_autoptr(GInetAddress) mask = g_inet_address_new_from_string (r->netmask);
      const guint8 *b = mask ? g_inet_address_to_bytes (mask) : NULL;
      for (gsize k = 0; b != NULL && k < g_inet_address_get_native_size (mask); k++)
        prefix += (guint) __builtin_popcount (b[k]);
    }
    if (dest == NULL || (r->gateway != NULL && gw == NULL)) {
      g_set_error (error, VB_ERROR, VB_ERROR_XML, "invalid route to '%s'", r->address);
      return FALSE;
    }
    if (!vb_netlink_route_add (br, dest, prefix, gw, r->has_metric ? r->metric : 0, error))
      return FALSE;
  }
  if (def->forward.mode == VB_NETWORK_FORWARD_NAT || def->forward.mode == VB_NETWORK_FORWARD_ROUTE) {
    if (v4)
      write_sysctl ("/proc/sys/net/ipv4/ip_forward", "1");
    if (v6)
      write_sysctl ("/proc/sys/net/ipv6/conf/all/forwarding", "1");
  }
  return TRUE;
}

/* Brings @net up; @restore: it was active before a daemon restart, bring
 * back what is missing (its bridge must still be there). */
static void on_bridge_shaped (GObject *source, GAsyncResult *result, gpointer user_data);
static void firewall_step (GTask *task);

static void
start_network (VbBackend *backend, VbObj *net, gboolean restore, GTask *task)
{
  const VbNetworkDef *def = net_def (net);
  Start *st = g_new0 (Start, 1);
  GError *error = NULL;

  st->backend = backend;
  st->net = g_object_ref (net);
  st->restore = restore;
  g_task_set_task_data (task, st, start_free);
  net_data (net)->busy = TRUE;

  if (is_macvtap_network (def)) {
    g_autoptr(GPtrArray) devs = forward_devices (def);
    for (guint i = 0; i < devs->len; i++)
      if (!vb_netlink_link_exists (g_ptr_array_index (devs, i))) {
        start_failed (task, g_error_new (VB_ERROR, VB_ERROR_OPERATION_INVALID,
                                         "network '%s' forwards to host interface '%s', which does not exist",
                                         def->name, (const char *) g_ptr_array_index (devs, i)));
        return;
      }
    start_done (task);
    return;
  }
  if (def->forward.mode == VB_NETWORK_FORWARD_BRIDGE) {
    if (!vb_netlink_link_exists (def->bridge->name))
      start_failed (task, g_error_new (VB_ERROR, VB_ERROR_OPERATION_INVALID,
                                       "network '%s' uses host bridge '%s', which does not exist", def->name,
                                       def->bridge->name));
    else
      start_done (task);
    return;
  }
  if (!check_net_admin (&error)) {
    start_failed (task, error);
    return;
  }
  if (restore) {
    if (!vb_netlink_link_exists (def->bridge->name)) {
      start_failed (task, g_error_new (VB_ERROR, VB_ERROR_FAILED, "its bridge '%s' is gone", def->bridge->name));
      return;
    }
  } else if (!make_bridge (st, &error)) {
    start_failed (task, error);
    return;
  } else if (vb_bandwidth_is_set (def->bandwidth)) {
    /* The bridge's own traffic: what goes into the network (to its
     * guests) and what comes out of it. */
    vb_bandwidth_apply_async (def->bridge->name, def->bandwidth, VB_SHAPE_TAP, TRUE, on_bridge_shaped, task);
    return;
  }
  firewall_step (task);
}

static void
on_bridge_shaped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  Start *st = g_task_get_task_data (task);
  GError *error = NULL;

  if (!vb_bandwidth_apply_finish (result, &error)) {
    g_prefix_error (&error, "network '%s': ", net_def (st->net)->name);
    start_failed (task, error);
    return;
  }
  firewall_step (task);
}

static void
firewall_step (GTask *task)
{
  Start *st = g_task_get_task_data (task);
  const VbNetworkDef *def = net_def (st->net);
  g_autofree char *script = NULL;
  g_autofree char *what = NULL;
  GError *error = NULL;

  script = vb_network_firewall_script (def, &error);
  if (script == NULL && error != NULL) {
    start_failed (task, error);
    return;
  }
  if (script == NULL) {
    start_dnsmasq_step (task);
    return;
  }
  what = g_strdup_printf ("set up the firewall rules of network '%s'", def->name);
  run_nft_async (script, what, on_firewall_applied, task);
}

/* ---- stop ---- */

typedef struct {
  VbBackend *backend;
  VbObj *net;
} Stop;

static void
stop_free (gpointer p)
{
  Stop *sp = p;

  g_object_unref (sp->net);
  g_free (sp);
}

/* The last step of a stop: the bridge goes, the network is inactive. */
static void
stop_finish (GTask *task)
{
  Stop *sp = g_task_get_task_data (task);
  const VbNetworkDef *def = net_def (sp->net);
  g_autoptr(GError) error = NULL;

  if (mode_has_own_bridge (def->forward.mode) && vb_netlink_link_exists (def->bridge->name) &&
      !vb_netlink_link_delete (def->bridge->name, &error))
    g_warning ("%s", error->message);
  if (mode_has_own_bridge (def->forward.mode))
    vb_bandwidth_release (def->bridge->name);
  net_data (sp->net)->busy = FALSE;
  mark_inactive (sp->backend, sp->net, TRUE);
  g_task_return_boolean (task, TRUE);
}

static void
on_stop_firewall_dropped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data; /* stop_network's */

  drop_firewall_finish (result);
  stop_finish (task);
}

static void
on_stop_dnsmasq_stopped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data; /* stop_network's */
  Stop *sp = g_task_get_task_data (task);
  const VbNetworkDef *def = net_def (sp->net);

  stop_dnsmasq_finish (result, NULL);
  if (mode_has_own_bridge (def->forward.mode)) {
    drop_firewall_async (def, on_stop_firewall_dropped, g_steal_pointer (&task));
    return;
  }
  stop_finish (task);
}

static void
stop_network (VbBackend *backend, VbObj *net, GTask *task)
{
  Stop *sp = g_new0 (Stop, 1);

  sp->backend = backend;
  sp->net = g_object_ref (net);
  g_task_set_task_data (task, sp, stop_free);
  net_data (net)->busy = TRUE;
  stop_dnsmasq_async (backend, net->uuid, on_stop_dnsmasq_stopped, task);
}

/* ---- operations ---- */

static gboolean
check_idle (VbObj *net, GError **error)
{
  if (net_data (net)->busy) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                 "network '%s' is being started, stopped or updated; try again", net->name);
    return FALSE;
  }
  return TRUE;
}

static void
local_network_define_xml (VbBackend *backend, const char *xml, GTask *task)
{
  GError *error = NULL;
  VbObj *net = NULL;
  g_autoptr(VbNetworkDef) def = parse_def (backend, xml, FALSE, &net, &error);

  /* A start in progress works from the definition it was given. */
  if (def == NULL || (net != NULL && !check_idle (net, &error)) || !save_config (backend, def, &error)) {
    g_task_return_error (task, error);
    return;
  }
  net = vb_network_define (backend, net, g_steal_pointer (&def));
  g_task_return_pointer (task, g_object_ref (net), g_object_unref);
}

typedef struct {
  GTask *task;           /* the caller's */
  VbObj *net;
  gboolean added;        /* a new transient network, removed when its start fails */
  VbNetworkDef *old_def; /* an inactive persistent network's definition, back on failure */
} CreateXml;

static void
create_xml_free (CreateXml *cx)
{
  g_object_unref (cx->task);
  g_object_unref (cx->net);
  g_clear_pointer (&cx->old_def, vb_network_def_free);
  g_free (cx);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CreateXml, create_xml_free)

static void
on_create_xml_started (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(CreateXml) cx = user_data;
  VbBackend *backend = VB_BACKEND (source);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    if (cx->added)
      vb_backend_remove_object (backend, cx->net);
    else if (cx->old_def != NULL)
      vb_obj_set_def (cx->net, g_steal_pointer (&cx->old_def));
    g_task_return_error (cx->task, error);
    return;
  }
  /* @xml is the persistent network's definition from now on (see below). */
  if (!cx->added && cx->net->persistent && !save_config (backend, cx->net->def, &error)) {
    g_warning ("%s", error->message);
    g_clear_error (&error);
  }
  g_task_return_pointer (cx->task, g_object_ref (cx->net), g_object_unref);
}

static void
local_network_create_xml (VbBackend *backend, const char *xml, GTask *task)
{
  GError *error = NULL;
  VbObj *net = NULL;
  g_autoptr(VbNetworkDef) def = parse_def (backend, xml, TRUE, &net, &error);
  CreateXml *cx;

  if (def == NULL || (net != NULL && !check_idle (net, &error))) {
    g_task_return_error (task, error);
    return;
  }
  cx = g_new0 (CreateXml, 1);
  cx->task = g_object_ref (task);
  if (net == NULL) {
    net = vb_network_obj_new (g_steal_pointer (&def));
    vb_backend_add_object (backend, net);
    cx->added = TRUE;
  } else {
    /* As libvirt: @xml runs now and becomes the inactive network's definition. */
    g_object_ref (net);
    cx->old_def = vb_network_def_copy (net->def);
    vb_obj_set_def (net, g_steal_pointer (&def));
  }
  cx->net = net;
  start_network (backend, net, FALSE, g_task_new (backend, NULL, on_create_xml_started, cx));
}

static gboolean
local_network_set_autostart (VbBackend *backend, VbObj *net, gboolean autostart, GError **error)
{
  if (!net->persistent) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "cannot set autostart for transient network '%s'",
                 net->name);
    return FALSE;
  }
  if (!vb_autostart_link_set (local_get (backend)->dirs->config_dir, net->name, autostart, error))
    return FALSE;
  vb_obj_set_autostart (net, autostart);
  return TRUE;
}

/* Completes the caller's task (@user_data) with an inner one's result. */
static void
on_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
local_network_create (VbBackend *backend, VbObj *net, GTask *task)
{
  GError *error = NULL;

  if (net->active) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_OPERATION_INVALID, "network '%s' is already running",
                             net->name);
    return;
  }
  if (!check_idle (net, &error)) {
    g_task_return_error (task, error);
    return;
  }
  start_network (backend, net, FALSE, g_task_new (backend, NULL, on_done, g_object_ref (task)));
}

static void
local_network_destroy (VbBackend *backend, VbObj *net, GTask *task)
{
  GError *error = NULL;

  if (!net->active) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_OPERATION_INVALID, "network '%s' is not active", net->name);
    return;
  }
  if (!check_idle (net, &error)) {
    g_task_return_error (task, error);
    return;
  }
  stop_network (backend, net, g_task_new (backend, NULL, on_done, g_object_ref (task)));
}

static void
local_network_undefine (VbBackend *backend, VbObj *net, GTask *task)
{
  g_autofree char *path = NULL;
  GError *error = NULL;

  if (!net->persistent) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_OPERATION_INVALID, "cannot undefine transient network '%s'",
                             net->name);
    return;
  }
  if (!check_idle (net, &error) ||
      !vb_autostart_link_set (local_get (backend)->dirs->config_dir, net->name, FALSE, &error)) {
    g_task_return_error (task, error);
    return;
  }
  path = config_path (backend, net->name);
  if (!vb_file_remove (path, &error)) {
    g_task_return_error (task, error);
    return;
  }
  vb_backend_emit_event (backend, net, VB_NETWORK_EVENT_UNDEFINED, 0);
  if (!net->active) {
    g_autofree char *leases = lib_path (backend, net->uuid, ".leases");
    (void) unlink (leases);
    vb_backend_remove_object (backend, net);
  } else {
    /* A running network lives on as a transient one until destroyed. */
    vb_obj_set_newdef (net, NULL);
    vb_obj_set_autostart (net, FALSE);
    vb_obj_set_persistent (net, FALSE);
  }
  g_task_return_boolean (task, TRUE);
}

/* The unexpired leases of active network @net (for @mac, or all). */
static GPtrArray *
read_leases (VbBackend *backend, VbObj *net, const char *mac, GError **error)
{
  g_autofree char *path = lib_path (backend, net->uuid, ".leases");
  g_autofree char *contents = NULL;
  g_autoptr(GError) local = NULL;

  if (!net->active) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "network '%s' is not active", net->name);
    return NULL;
  }
  /* No file yet: dnsmasq has handed out nothing (or the network has no DHCP). */
  if (!g_file_get_contents (path, &contents, NULL, &local) &&
      !g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
    g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot read the leases of network '%s': %s", net->name,
                 local->message);
    return NULL;
  }
  return vb_dnsmasq_parse_leases (contents ? contents : "", net_def (net), mac, g_get_real_time () / G_USEC_PER_SEC);
}

GPtrArray *
vb_network_local_leases (VbBackend *backend, const char *network_name, const char *mac, GError **error)
{
  VbObj *net = vb_backend_lookup_by_name (backend, VB_OBJ_NETWORK, network_name);

  if (net == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_FOUND, "no network with matching name '%s'", network_name);
    return NULL;
  }
  return read_leases (backend, net, mac, error);
}

static void
local_network_get_dhcp_leases (VbBackend *backend, VbObj *net, const char *mac, guint flags, GTask *task)
{
  const VbNetworkDef *def = net_def (net);
  g_autoptr(GPtrArray) leases = NULL;
  GVariantBuilder builder;
  GError *error = NULL;

  if (!vb_check_flags (flags, 0, "GetDHCPLeases", &error) || (leases = read_leases (backend, net, mac, &error)) == NULL) {
    g_task_return_error (task, error);
    return;
  }
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(sxisssuss)"));
  for (guint i = 0; i < leases->len; i++) {
    const VbDnsmasqLease *l = g_ptr_array_index (leases, i);
    g_variant_builder_add (&builder, "(sxisssuss)", def->bridge && def->bridge->name ? def->bridge->name : "",
                           l->expiry_time, l->type, l->mac, l->iaid, l->ip_address, l->prefix, l->hostname,
                           l->client_id);
  }
  g_task_return_pointer (task, g_variant_ref_sink (g_variant_builder_end (&builder)),
                         (GDestroyNotify) g_variant_unref);
}

/* ---- live updates ---- */

typedef struct {
  VbBackend *backend;
  VbObj *net;
  VbNetworkDef *live, *config; /* the edited definitions, swapped in at the end */
  VbNetworkDef *old_live;      /* for the dnsmasq restart to fall back on */
  GError *error;               /* why the restart failed, reported once the old dnsmasq runs again */
} Update;

static void
update_free (gpointer p)
{
  Update *up = p;

  g_object_unref (up->net);
  g_clear_pointer (&up->live, vb_network_def_free);
  g_clear_pointer (&up->config, vb_network_def_free);
  g_clear_pointer (&up->old_live, vb_network_def_free);
  g_clear_error (&up->error);
  g_free (up);
}

static void
update_commit (GTask *task)
{
  Update *up = g_task_get_task_data (task);
  GError *error = NULL;

  if (up->config != NULL) {
    if (!save_config (up->backend, up->config, &error)) {
      net_data (up->net)->busy = FALSE;
      g_task_return_error (task, error);
      return;
    }
    if (up->net->active)
      vb_obj_set_newdef (up->net, g_steal_pointer (&up->config));
    else
      vb_obj_set_def (up->net, g_steal_pointer (&up->config));
  }
  if (up->live != NULL) {
    vb_obj_set_def (up->net, g_steal_pointer (&up->live));
    if (!save_state (up->backend, up->net, &error)) {
      g_warning ("%s", error->message);
      g_clear_error (&error);
    }
  }
  net_data (up->net)->busy = FALSE;
  g_task_return_boolean (task, TRUE);
}

static void
on_update_rolled_back (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Update *up = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!vb_network_run_tool_finish (result, &error))
    g_warning ("network '%s' has no DHCP and DNS server any more: %s", up->net->name, error->message);
  net_data (up->net)->busy = FALSE;
  g_task_return_error (task, g_steal_pointer (&up->error));
}

static void
on_update_failed_dnsmasq_stopped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  Update *up = g_task_get_task_data (task);

  stop_dnsmasq_finish (result, NULL);
  start_dnsmasq_async (up->backend, up->old_live, on_update_rolled_back, task);
}

static void
on_update_dnsmasq_restarted (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Update *up = g_task_get_task_data (task);

  if (!vb_network_run_tool_finish (result, &up->error)) {
    /* Nothing changes then: dnsmasq runs again on the old definition (the
     * new one stopped first, should it have failed late), and the network
     * is free, and the error reported, only once it does. */
    stop_dnsmasq_async (up->backend, up->net->uuid, on_update_failed_dnsmasq_stopped, g_steal_pointer (&task));
    return;
  }
  update_commit (task);
}

static void
on_update_dnsmasq_stopped (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  Update *up = g_task_get_task_data (task);

  stop_dnsmasq_finish (result, NULL);
  start_dnsmasq_async (up->backend, up->live, on_update_dnsmasq_restarted, task);
}

/* Sections libvirt changes on a running network, all of them dnsmasq's
 * (portgroups and forward interfaces are plain bookkeeping). */
static gboolean
section_is_live (guint section, gboolean *dnsmasq)
{
  *dnsmasq = section == VB_NETWORK_SECTION_IP_DHCP_HOST || section == VB_NETWORK_SECTION_IP_DHCP_RANGE ||
             section == VB_NETWORK_SECTION_DNS_HOST || section == VB_NETWORK_SECTION_DNS_TXT ||
             section == VB_NETWORK_SECTION_DNS_SRV;
  return *dnsmasq || section == VB_NETWORK_SECTION_PORTGROUP || section == VB_NETWORK_SECTION_FORWARD_INTERFACE;
}

static void
local_network_update (VbBackend *backend, VbObj *net, guint command, guint section, int parent_index,
                      const char *xml, guint flags, GTask *task)
{
  GError *error = NULL;
  Update *up;
  gboolean dnsmasq = FALSE;

  if (!vb_network_update_check_flags (net, &flags, &error) || !check_idle (net, &error)) {
    g_task_return_error (task, error);
    return;
  }
  if ((flags & VB_NETWORK_UPDATE_AFFECT_LIVE) && section != VB_NETWORK_SECTION_NONE && section <= VB_NETWORK_SECTION_DNS_SRV &&
      !section_is_live (section, &dnsmasq)) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                             "this section of running network '%s' cannot change live: change the persistent "
                             "definition (--config) and restart the network",
                             net->name);
    return;
  }

  up = g_new0 (Update, 1);
  up->backend = backend;
  up->net = g_object_ref (net);
  task = g_task_new (backend, NULL, on_done, g_object_ref (task));
  g_task_set_task_data (task, up, update_free);
  /* Both definitions are edited as copies and swapped in only when every
   * edit (and dnsmasq's restart) succeeded: a failed call changes nothing. */
  if (flags & VB_NETWORK_UPDATE_AFFECT_LIVE) {
    up->live = vb_network_def_copy (net->def);
    if (!vb_network_def_update_section (up->live, command, section, parent_index, xml, &error)) {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  }
  if (flags & VB_NETWORK_UPDATE_AFFECT_CONFIG) {
    up->config = vb_network_def_copy (vb_obj_get_persistent_def (net));
    if (!vb_network_def_update_section (up->config, command, section, parent_index, xml, &error)) {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  }
  net_data (net)->busy = TRUE;
  if (up->live != NULL && dnsmasq && vb_dnsmasq_needed (up->live)) {
    g_autofree char *check = NULL;
    g_autofree char *pidfile = pid_path (backend, net->uuid);
    g_autofree char *leases = lib_path (backend, net->uuid, ".leases");
    g_autofree char *hosts = lib_path (backend, net->uuid, ".hostsfile");
    g_autofree char *addn = lib_path (backend, net->uuid, ".addnhosts");
    VbDnsmasqPaths paths = { pidfile, leases, hosts, addn };

    /* The new configuration must be one dnsmasq takes before the running one goes. */
    check = vb_dnsmasq_config (up->live, &paths, &error);
    if (check == NULL) {
      net_data (net)->busy = FALSE;
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
    up->old_live = vb_network_def_copy (net->def);
    stop_dnsmasq_async (backend, net->uuid, on_update_dnsmasq_stopped, task);
    return;
  }
  update_commit (task);
  g_object_unref (task);
}

void
vb_network_local_ops_init (VbNetworkOpsInterface *iface)
{
  iface->define_xml = local_network_define_xml;
  iface->create_xml = local_network_create_xml;
  iface->set_autostart = local_network_set_autostart;
  iface->create = local_network_create;
  iface->destroy = local_network_destroy;
  iface->undefine = local_network_undefine;
  iface->get_xml_desc = vb_network_ops_get_xml_desc;
  iface->get_dhcp_leases = local_network_get_dhcp_leases;
  iface->update = local_network_update;
}

/* ---- guests ---- */

/* Network @network_name, which must exist and be active; NULL with
 * @error. */
static VbObj *
running_network (VbBackend *backend, const char *network_name, GError **error)
{
  VbObj *net = vb_backend_lookup_by_name (backend, VB_OBJ_NETWORK, network_name);

  if (net == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_FOUND, "no network with matching name '%s'", network_name);
    return NULL;
  }
  if (!net->active || net_data (net)->busy) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "network '%s' is not active", network_name);
    return NULL;
  }
  return net;
}

const VbBandwidth *
vb_network_local_portgroup_bandwidth (VbBackend *backend, const char *network_name, const char *portgroup)
{
  VbObj *net = network_name != NULL ? vb_backend_lookup_by_name (backend, VB_OBJ_NETWORK, network_name) : NULL;
  const VbNetworkDef *def = net != NULL ? net_def (net) : NULL;

  for (guint i = 0; def != NULL && i < def->portgroups->len; i++) {
    const VbNetworkPortGroup *pg = g_ptr_array_index (def->portgroups, i);
    if (portgroup != NULL ? g_strcmp0 (pg->name, portgroup) == 0 : pg->is_default)
      return vb_bandwidth_is_set (pg->bandwidth) ? pg->bandwidth : NULL;
  }
  return NULL;
}

gboolean
vb_network_local_port_for (VbBackend *backend, const char *network_name, GPtrArray *in_use, char **bridge_out,
                           char **dev_out, VbDomainNetDirectMode *mode_out, GError **error)
{
  VbObj *net = running_network (backend, network_name, error);
  g_autoptr(GPtrArray) devs = NULL;
  const VbNetworkDef *def;
  const char *best = NULL;
  guint best_uses = G_MAXUINT;

  if (net == NULL)
    return FALSE;
  def = net_def (net);
  if (!is_macvtap_network (def)) {
    if (def->bridge == NULL || def->bridge->name == NULL) {
      g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED, "network '%s' has no bridge to plug a guest into",
                   network_name);
      return FALSE;
    }
    *bridge_out = g_strdup (def->bridge->name);
    return TRUE;
  }
  /* As libvirt: the interface with the fewest guests on it; in
   * passthrough mode each takes one guest only. */
  devs = forward_devices (def);
  for (guint i = 0; i < devs->len; i++) {
    const char *dev = g_ptr_array_index (devs, i);
    guint uses = 0;

    for (guint j = 0; in_use != NULL && j < in_use->len; j++)
      uses += g_strcmp0 (g_ptr_array_index (in_use, j), dev) == 0;
    if (def->forward.mode == VB_NETWORK_FORWARD_PASSTHROUGH && uses > 0)
      continue;
    if (uses < best_uses) {
      best = dev;
      best_uses = uses;
    }
  }
  if (best == NULL) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                 "network '%s' has no free interface: in passthrough mode each of its %u takes one guest",
                 network_name, devs->len);
    return FALSE;
  }
  *dev_out = g_strdup (best);
  switch (def->forward.mode) {
  case VB_NETWORK_FORWARD_PRIVATE:
    *mode_out = VB_DOMAIN_NET_DIRECT_MODE_PRIVATE;
    break;
  case VB_NETWORK_FORWARD_PASSTHROUGH:
    *mode_out = VB_DOMAIN_NET_DIRECT_MODE_PASSTHROUGH;
    break;
  case VB_NETWORK_FORWARD_BRIDGE:
    *mode_out = VB_DOMAIN_NET_DIRECT_MODE_BRIDGE;
    break;
  case VB_NETWORK_FORWARD_VEPA:
  default:
    *mode_out = VB_DOMAIN_NET_DIRECT_MODE_VEPA;
    break;
  }
  return TRUE;
}

/* The first IPv4 address of host interface @dev, or NULL. */
static char *
interface_ipv4_address (const char *dev)
{
  struct ifaddrs *list = NULL;
  char *found = NULL;

  if (getifaddrs (&list) < 0)
    return NULL;
  for (struct ifaddrs *ifa = list; ifa != NULL && found == NULL; ifa = ifa->ifa_next) {
    char buf[INET_ADDRSTRLEN];

    if (ifa->ifa_addr == NULL || ifa->ifa_addr->sa_family != AF_INET || g_strcmp0 (ifa->ifa_name, dev) != 0)
      continue;
    if (inet_ntop (AF_INET, &((struct sockaddr_in *) ifa->ifa_addr)->sin_addr, buf, sizeof buf) != NULL)
      found = g_strdup (buf);
  }
  freeifaddrs (list);
  return found;
}

char *
vb_network_local_listen_address (VbBackend *backend, const char *network_name, GError **error)
{
  VbObj *net = running_network (backend, network_name, error);
  const VbNetworkDef *def;
  const char *dev = NULL;
  char *address;

  if (net == NULL)
    return NULL;
  def = net_def (net);
  switch (def->forward.mode) {
  case VB_NETWORK_FORWARD_BRIDGE:
  case VB_NETWORK_FORWARD_PRIVATE:
  case VB_NETWORK_FORWARD_VEPA:
  case VB_NETWORK_FORWARD_PASSTHROUGH:
  case VB_NETWORK_FORWARD_HOSTDEV:
    /* A network over host interfaces: the address of its bridge, else
     * of its first interface, as libvirt. */
    if (def->bridge != NULL && def->bridge->name != NULL) {
      dev = def->bridge->name;
    } else {
      g_autoptr(GPtrArray) devs = forward_devices (def);
      if (devs->len > 0)
        dev = g_ptr_array_index (devs, 0);
    }
    if (dev == NULL) {
      g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                   "network '%s' has neither a bridge nor a host interface to listen on", network_name);
      return NULL;
    }
    address = interface_ipv4_address (dev);
    if (address == NULL)
      g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                   "interface '%s' of network '%s' has no IPv4 address to listen on", dev, network_name);
    return address;
  case VB_NETWORK_FORWARD_NONE:
  case VB_NETWORK_FORWARD_NAT:
  case VB_NETWORK_FORWARD_ROUTE:
  case VB_NETWORK_FORWARD_OPEN:
  default:
    /* The network's own first address, on its bridge. */
    if (def->ips == NULL || def->ips->len == 0 || ((VbNetworkIp *) g_ptr_array_index (def->ips, 0))->address == NULL) {
      g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "network '%s' has no IP address to listen on",
                   network_name);
      return NULL;
    }
    return g_strdup (((VbNetworkIp *) g_ptr_array_index (def->ips, 0))->address);
  }
}

static void
close_fds (int *fds, guint n)
{
  for (guint i = 0; i < n; i++)
    close (fds[i]);
}

/* A new tap (@target_dev, or "vnet%d") with the guest's MAC whose first
 * byte is fe (a bridge takes the lowest MAC of its ports; fe:… is never
 * the lowest) and @mtu (0: the kernel's), down; @queues descriptors in
 * @fds. The tap goes with its last descriptor. */
static gboolean
new_tap (const char *target_dev, const char *guest_mac, guint mtu, gboolean vnet_hdr, guint queues, int *fds,
         char **name_out, GError **error)
{
  g_autofree char *name = NULL;
  g_autofree char *tap_mac = g_strdup_printf ("fe%s", guest_mac + 2);

  if (!vb_tap_create (target_dev ? target_dev : "vnet%d", vnet_hdr, queues, fds, &name, error))
    return FALSE;
  if (!vb_netlink_link_set_mac (name, tap_mac, error) || (mtu != 0 && !vb_netlink_link_set_mtu (name, mtu, error))) {
    close_fds (fds, queues);
    return FALSE;
  }
  *name_out = g_steal_pointer (&name);
  return TRUE;
}

static gboolean
check_target_name (const char *target_dev, GError **error)
{
  if (target_dev != NULL && !vb_netlink_name_is_valid (target_dev)) {
    g_set_error (error, VB_ERROR, VB_ERROR_XML, "invalid interface target name '%s'", target_dev);
    return FALSE;
  }
  return TRUE;
}

gboolean
vb_network_tap_open (const char *bridge, const char *target_dev, const char *guest_mac, guint mtu,
                     gboolean vnet_hdr, guint queues, int *fds, char **name_out, GError **error)
{
  g_autofree char *name = NULL;

  if (!check_target_name (target_dev, error))
    return FALSE;
  if (!vb_netlink_link_exists (bridge)) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "bridge '%s' does not exist", bridge);
    return FALSE;
  }
  if (!new_tap (target_dev, guest_mac, mtu != 0 ? mtu : vb_netlink_link_get_mtu (bridge), vnet_hdr, queues, fds,
                &name, error))
    return FALSE;
  if (!vb_netlink_link_set_master (name, bridge, error) || !vb_netlink_link_set_up (name, TRUE, error)) {
    close_fds (fds, queues); /* the tap goes with its last descriptor */
    return FALSE;
  }
  *name_out = g_steal_pointer (&name);
  return TRUE;
}

/* The prefix of an address given without one: classful for IPv4, /64 for
 * IPv6 (as libvirt). */
static guint
default_prefix (GInetAddress *addr)
{
  const guint8 *b = g_inet_address_to_bytes (addr);

  if (g_inet_address_get_family (addr) == G_SOCKET_FAMILY_IPV6)
    return 64;
  return b[0] < 128 ? 8 : b[0] < 192 ? 16 : 24;
}

static guint
netmask_prefix (const char *netmask)
{
  g_autoptr(GInetAddress) mask = g_inet_address_new_from_string (netmask);
  const guint8 *b;
  guint bits = 0;

  if (mask == NULL)
    return 32;
  b = g_inet_address_to_bytes (mask);
  for (int i = 0; i < 4; i++)
    for (int j = 7; j >= 0 && (b[i] >> j) & 1; j--)
      bits++;
  return bits;
}

gboolean
vb_network_tap_open_ethernet (const char *target_dev, gboolean managed, const char *guest_mac, guint mtu,
                              GPtrArray *ips, GPtrArray *routes, gboolean vnet_hdr, guint queues, int *fds,
                              char **name_out, GError **error)
{
  g_autofree char *name = NULL;

  if (!check_target_name (target_dev, error))
    return FALSE;
  if (!managed) {
    /* The host made it and set it up: only opened. */
    if (target_dev == NULL || !vb_netlink_link_exists (target_dev)) {
      g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "tap device '%s' does not exist (<target "
                   "managed='no'> names a tap the host made)", target_dev ? target_dev : "(none)");
      return FALSE;
    }
    if (!vb_tap_create (target_dev, vnet_hdr, queues, fds, &name, error)) {
      g_prefix_error (error, "cannot open tap device '%s': ", target_dev);
      return FALSE;
    }
    *name_out = g_steal_pointer (&name);
    return TRUE;
  }
  if (target_dev != NULL && vb_netlink_link_exists (target_dev)) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID,
                 "interface '%s' already exists (a tap the host made needs <target managed='no'/>)", target_dev);
    return FALSE;
  }
  if (!new_tap (target_dev, guest_mac, mtu, vnet_hdr, queues, fds, &name, error))
    return FALSE;
  if (!vb_netlink_link_set_up (name, TRUE, error))
    goto fail;
  for (guint i = 0; ips != NULL && i < ips->len; i++) {
    const VbDomainNetIp *ip = g_ptr_array_index (ips, i);
    g_autoptr(GInetAddress) addr = g_inet_address_new_from_string (ip->address);
    g_autoptr(GInetAddress) peer = ip->peer ? g_inet_address_new_from_string (ip->peer) : NULL;

    if (addr == NULL || !vb_netlink_address_add_peer (name, addr, ip->has_prefix ? ip->prefix : default_prefix (addr),
                                                      peer, error))
      goto fail;
  }
  for (guint i = 0; routes != NULL && i < routes->len; i++) {
    const VbDomainNetRoute *r = g_ptr_array_index (routes, i);
    g_autoptr(GInetAddress) dest = g_inet_address_new_from_string (r->address);
    g_autoptr(GInetAddress) gateway = g_inet_address_new_from_string (r->gateway);
    guint prefix;

    if (dest == NULL || gateway == NULL)
      goto fail;
    prefix = r->has_prefix ? r->prefix : r->netmask != NULL ? netmask_prefix (r->netmask) : default_prefix (dest);
    if (!vb_netlink_route_add (name, dest, prefix, gateway, r->metric, error))
      goto fail;
  }
  *name_out = g_steal_pointer (&name);
  return TRUE;

fail:
  if (error != NULL && *error == NULL)
    g_set_error (error, VB_ERROR, VB_ERROR_XML, "tap '%s': an address of the interface is not valid", name);
  close_fds (fds, queues); /* the tap, its addresses and routes go with its last descriptor */
  return FALSE;
}

/* ---- loading ---- */

typedef struct {
  guint pending;
} Load;

static void
load_step_done (GTask *task)
{
  Load *load = g_task_get_task_data (task);

  if (--load->pending == 0)
    g_task_return_boolean (task, TRUE);
}

/* A restore that failed has cleaned up (start_failed): the network is
 * inactive, its dnsmasq, table and bridge gone. Loading completes (and the
 * daemon serves) only after that. */
static void
on_restored (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Start *st = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_warning ("network '%s' was active and is not any more: %s", st->net->name, error->message);
  load_step_done (task);
}

static gpointer
parse_file (const char *xml, GError **error)
{
  return vb_network_def_parse (xml, error);
}

static const char *
def_name (gconstpointer def)
{
  return ((const VbNetworkDef *) def)->name;
}

void
vb_network_local_load_async (VbBackend *backend, GCancellable *cancellable, GAsyncReadyCallback callback,
                             gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (backend, cancellable, callback, user_data);
  Local *local = g_new0 (Local, 1);
  g_autofree char *autostart_dir = NULL;
  g_autoptr(GPtrArray) configs = NULL;
  g_autoptr(GPtrArray) states = NULL;
  Load *load = g_new0 (Load, 1);
  GError *error = NULL;

  if (local_quark == 0)
    local_quark = g_quark_from_static_string ("vb-network-local");
  local->dirs = vb_state_dirs_new (vb_backend_is_system (backend), vb_backend_get_root_prefix (backend), "network");
  g_object_set_qdata_full (G_OBJECT (backend), local_quark, local, local_free);
  g_task_set_task_data (task, load, g_free);
  load->pending = 1;

  autostart_dir = g_build_filename (local->dirs->config_dir, "autostart", NULL);
  if (!vb_state_dirs_load_definitions (local->dirs, "network", parse_file, def_name,
                                       (GDestroyNotify) vb_network_def_free, &configs, &states, &error)) {
    g_task_return_error (task, error);
    return;
  }

  for (guint i = 0; i < configs->len; i++) {
    VbNetworkDef *def = g_ptr_array_index (configs, i);
    g_autofree char *link = file_in (autostart_dir, def->name, ".xml");
    g_autoptr(VbObj) net = NULL;
    VbObj *existing;

    if (!vb_network_check_collision (backend, def, FALSE, &existing, &error) || existing != NULL) {
      g_warning ("ignoring network '%s': %s", def->name, error ? error->message : "defined twice");
      g_clear_error (&error);
      continue;
    }
    net = vb_network_obj_new (vb_network_def_copy (def));
    net->persistent = TRUE;
    net->autostart = g_file_test (link, G_FILE_TEST_IS_SYMLINK);
    vb_backend_add_object (backend, net);
  }
  for (guint i = 0; i < states->len; i++) {
    VbNetworkDef *def = g_ptr_array_index (states, i);
    VbObj *net = vb_backend_lookup (backend, VB_OBJ_NETWORK, def->uuid);
    g_autoptr(VbObj) transient = NULL;

    if (net == NULL) {
      VbObj *existing;
      if (!vb_network_check_collision (backend, def, FALSE, &existing, &error)) {
        g_warning ("forgetting active network '%s': %s", def->name, error->message);
        g_clear_error (&error);
        continue;
      }
      net = transient = vb_network_obj_new (vb_network_def_copy (def));
      vb_backend_add_object (backend, net);
    } else if (g_strcmp0 (net->name, def->name) != 0) {
      g_warning ("forgetting active network '%s': its uuid is network '%s''s", def->name, net->name);
      continue;
    } else {
      /* Running on the definition it was started with. */
      g_autoptr(VbNetworkDef) persistent = vb_network_def_copy (net->def);
      vb_obj_set_def (net, vb_network_def_copy (def));
      vb_obj_set_newdef (net, g_steal_pointer (&persistent));
    }
    if (!is_macvtap_network (net_def (net)) && (net_def (net)->bridge == NULL || net_def (net)->bridge->name == NULL)) {
      g_warning ("forgetting active network '%s': its state has no bridge", def->name);
      mark_inactive (backend, net, FALSE);
      continue;
    }
    vb_obj_set_active (net, TRUE);
    load->pending++;
    start_network (backend, net, TRUE, g_task_new (backend, NULL, on_restored, g_object_ref (task)));
  }
  load_step_done (task);
}

gboolean
vb_network_local_load_finish (VbBackend *backend, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_autostarted (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  Start *st = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_warning ("cannot autostart network '%s': %s", st->net->name, error->message);
  load_step_done (task);
}

void
vb_network_local_autostart_async (VbBackend *backend, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (backend, NULL, callback, user_data);
  g_autoptr(GPtrArray) nets = vb_backend_list (backend, VB_OBJ_NETWORK);
  Load *load = g_new0 (Load, 1);

  g_task_set_task_data (task, load, g_free);
  load->pending = 1;
  for (guint i = 0; i < nets->len; i++) {
    VbObj *net = g_ptr_array_index (nets, i);
    if (!net->autostart || net->active || net_data (net)->busy)
      continue;
    load->pending++;
    start_network (backend, net, FALSE, g_task_new (backend, NULL, on_autostarted, g_object_ref (task)));
  }
  load_step_done (task);
}
