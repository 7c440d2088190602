#define G_LOG_DOMAIN "virtbus"

#include "config.h"

#include "vb-gatekeeper.h"

#include <glib/gi18n-lib.h>
#include <unistd.h>

#include "vb-client.h"
#include "vb-connect.h"
#include "vb-error.h"
#include "vb-xml.h"

/* ---- the table ---------------------------------------------------------
 *
 * Permissions follow libvirt's per-API ACL checks (libvirt.org/acl.html),
 * i.e. the "@acl:" annotations of the REMOTE_PROC_* that the libvirt-dbus
 * method calls (src/remote/remote_protocol.x, current libvirt):
 * object.permission, with libvirt's underscores as hyphens (domain:
 * read_secure is "domain.read-secure"). Where libvirt checks more than
 * one, all are checked, in order; list filters ("@aclfilter:") are
 * getattr, except GetAllDomainStats' domain.read. Deliberate deviations:
 * policy/README.md. */

typedef enum {
  T_SELF,        /* the object the call is made on (Connect: the connection) */
  T_CONNECT,     /* no object yet (defines, creates, host queries) */
  T_LOOKUP_NAME, /* arg 0 names an object of the permission's kind */
  T_LOOKUP_UUID, /* arg 0 is the UUID of one */
  T_LOOKUP_ID,   /* arg 0 is a running domain's id */
  T_LOOKUP_KEY,  /* arg 0 is the key (node device name, interface MAC) */
  T_LOOKUP_VOL,  /* arg 0 is a volume's key or path */
  T_LOOKUP_CHILD /* arg 0 names a child (volume, snapshot) of the object */
} Target;

/* libvirt's flag-dependent checks ("@acl: domain:save:!VIR_DOMAIN_AFFECT_LIVE|
 * VIR_DOMAIN_AFFECT_CONFIG"): the extra permission is needed when the
 * call's flags (its last argument, a uint32) have any bit of flag_set, or
 * lack every bit of flag_unset. */
typedef struct {
  guint32 flag_set;
  guint32 flag_unset;
  const char *perm;
} FlagCheck;

/* libvirt's checks on a parameter's value ("@acl: domain:write::source:
 * VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT"): the extra permission is
 * needed when argument @arg (a uint32) equals @value. */
typedef struct {
  guint arg;
  guint32 value;
  const char *perm;
} ArgCheck;

typedef struct {
  const char *interface; /* without "org.libvirt." */
  const char *member;
  gboolean property;
  Target target;
  const char *perms[3];
  FlagCheck flag_check; /* perm NULL: none */
  ArgCheck arg_check;   /* perm NULL: none */
  const char *new_xml;  /* arg 0 is the XML of a new object with this root */
} Rule;

#define M(i, m, t, ...) { .interface = i, .member = m, .target = t, .perms = { __VA_ARGS__ } }
#define P(i, m, t, ...) { .interface = i, .member = m, .property = TRUE, .target = t, .perms = { __VA_ARGS__ } }
/* A method whose flags may change the persistent config (virDomainModificationImpact
 * or virNetworkUpdateFlags: LIVE 1, CONFIG 2): save is needed with CONFIG, and
 * with CURRENT (neither), which is the config of an inactive object. */
#define AFFECT_SAVE(object) { .flag_set = 2, .flag_unset = 3, .perm = object ".save" }
#define MF(i, m, t, check, ...) { .interface = i, .member = m, .target = t, .perms = { __VA_ARGS__ }, .flag_check = check }
/* Defines and creates: the new object's identity goes to polkit. */
#define MD(i, m, t, root, ...) { .interface = i, .member = m, .target = t, .perms = { __VA_ARGS__ }, .new_xml = root }
/* VIR_DOMAIN_XML_SECURE (1) or VIR_DOMAIN_XML_MIGRATABLE (8): libvirt's
 * virDomainGetXMLDesc checks read_secure for either. */
#define SECURE_XML { .flag_set = 1 | 8, .perm = "domain.read-secure" }
/* VIR_DOMAIN_SNAPSHOT_XML_SECURE (1). */
#define SNAPSHOT_SECURE_XML { .flag_set = 1, .perm = "domain.read-secure" }
/* VIR_DOMAIN_VCPU_GUEST (8): the guest agent's view. */
#define VCPU_GUEST_WRITE { .flag_set = 8, .perm = "domain.write" }
/* VIR_DOMAIN_SHUTDOWN_GUEST_AGENT / VIR_DOMAIN_REBOOT_GUEST_AGENT (2). */
#define AGENT_WRITE { .flag_set = 2, .perm = "domain.write" }

static const Rule rules[] = {
  /* org.libvirt.Connect: host queries */
  M ("Connect", "BaselineCPU", T_CONNECT, "connect.read"),
  M ("Connect", "CompareCPU", T_CONNECT, "connect.read"),
  M ("Connect", "GetCapabilities", T_CONNECT, "connect.read"),
  M ("Connect", "GetCPUModelNames", T_CONNECT, "connect.read"),
  M ("Connect", "GetDomainCapabilities", T_CONNECT, "connect.write"),
  M ("Connect", "GetSysinfo", T_CONNECT, "connect.read"),
  M ("Connect", "NodeGetCPUMap", T_CONNECT, "connect.read"),
  M ("Connect", "NodeGetCPUStats", T_CONNECT, "connect.read"),
  M ("Connect", "NodeGetFreeMemory", T_CONNECT, "connect.read"),
  M ("Connect", "NodeGetMemoryParameters", T_CONNECT, "connect.read"),
  M ("Connect", "NodeGetMemoryStats", T_CONNECT, "connect.read"),
  M ("Connect", "NodeGetSecurityModel", T_CONNECT, "connect.read"),
  M ("Connect", "NodeSetMemoryParameters", T_CONNECT, "connect.write"),
  M ("Connect", "FindStoragePoolSources", T_CONNECT, "connect.detect-storage-pools"),
  M ("Connect", "InterfaceChangeBegin", T_CONNECT, "connect.interface-transaction"),
  M ("Connect", "InterfaceChangeCommit", T_CONNECT, "connect.interface-transaction"),
  M ("Connect", "InterfaceChangeRollback", T_CONNECT, "connect.interface-transaction"),
  /* Connect: lists (results filtered by getattr) */
  M ("Connect", "ListDomains", T_CONNECT, "connect.search-domains"),
  M ("Connect", "GetAllDomainStats", T_CONNECT, "connect.search-domains"),
  M ("Connect", "ListNetworks", T_CONNECT, "connect.search-networks"),
  M ("Connect", "ListStoragePools", T_CONNECT, "connect.search-storage-pools"),
  M ("Connect", "ListNodeDevices", T_CONNECT, "connect.search-node-devices"),
  M ("Connect", "ListInterfaces", T_CONNECT, "connect.search-interfaces"),
  M ("Connect", "ListSecrets", T_CONNECT, "connect.search-secrets"),
  M ("Connect", "ListNWFilters", T_CONNECT, "connect.search-nwfilters"),
  /* Connect: domains */
  MD ("Connect", "DomainCreateXML", T_CONNECT, "domain", "domain.write", "domain.start"),
  MD ("Connect", "DomainCreateXMLWithFiles", T_CONNECT, "domain", "domain.write", "domain.start"),
  MD ("Connect", "DomainDefineXML", T_CONNECT, "domain", "domain.write", "domain.save"),
  M ("Connect", "DomainLookupByID", T_LOOKUP_ID, "domain.getattr"),
  M ("Connect", "DomainLookupByName", T_LOOKUP_NAME, "domain.getattr"),
  M ("Connect", "DomainLookupByUUID", T_LOOKUP_UUID, "domain.getattr"),
  M ("Connect", "DomainRestore", T_CONNECT, "domain.write", "domain.start"),
  M ("Connect", "DomainSaveImageDefineXML", T_CONNECT, "domain.write", "domain.hibernate"),
  /* write, whatever the flags: the image is any host path (CVE-2019-10161). */
  M ("Connect", "DomainSaveImageGetXMLDesc", T_CONNECT, "domain.write"),
  /* Connect: other kinds */
  MD ("Connect", "InterfaceDefineXML", T_CONNECT, "interface", "interface.write", "interface.save"),
  M ("Connect", "InterfaceLookupByMAC", T_LOOKUP_KEY, "interface.getattr"),
  M ("Connect", "InterfaceLookupByName", T_LOOKUP_NAME, "interface.getattr"),
  MD ("Connect", "NetworkCreateXML", T_CONNECT, "network", "network.write", "network.start"),
  MD ("Connect", "NetworkDefineXML", T_CONNECT, "network", "network.write", "network.save"),
  M ("Connect", "NetworkLookupByName", T_LOOKUP_NAME, "network.getattr"),
  M ("Connect", "NetworkLookupByUUID", T_LOOKUP_UUID, "network.getattr"),
  MD ("Connect", "NodeDeviceCreateXML", T_CONNECT, "device", "node-device.write", "node-device.start"),
  M ("Connect", "NodeDeviceLookupByName", T_LOOKUP_KEY, "node-device.getattr"),
  M ("Connect", "NodeDeviceLookupSCSIHostByWWN", T_CONNECT, "node-device.getattr"),
  MD ("Connect", "NWFilterDefineXML", T_CONNECT, "filter", "nwfilter.write", "nwfilter.save"),
  M ("Connect", "NWFilterLookupByName", T_LOOKUP_NAME, "nwfilter.getattr"),
  M ("Connect", "NWFilterLookupByUUID", T_LOOKUP_UUID, "nwfilter.getattr"),
  MD ("Connect", "SecretDefineXML", T_CONNECT, "secret", "secret.write", "secret.save"),
  M ("Connect", "SecretLookupByUUID", T_LOOKUP_UUID, "secret.getattr"),
  M ("Connect", "SecretLookupByUsage", T_CONNECT, "secret.getattr"),
  MD ("Connect", "StoragePoolCreateXML", T_CONNECT, "pool", "storage-pool.write", "storage-pool.start"),
  MD ("Connect", "StoragePoolDefineXML", T_CONNECT, "pool", "storage-pool.write", "storage-pool.save"),
  M ("Connect", "StoragePoolLookupByName", T_LOOKUP_NAME, "storage-pool.getattr"),
  M ("Connect", "StoragePoolLookupByUUID", T_LOOKUP_UUID, "storage-pool.getattr"),
  M ("Connect", "StorageVolLookupByKey", T_LOOKUP_VOL, "storage-vol.getattr"),
  M ("Connect", "StorageVolLookupByPath", T_LOOKUP_VOL, "storage-vol.getattr"),

  /* org.libvirt.Domain */
  M ("Domain", "AbortJob", T_SELF, "domain.write"),
  MF ("Domain", "AddIOThread", T_SELF, AFFECT_SAVE ("domain"), "domain.write"),
  MF ("Domain", "AttachDevice", T_SELF, AFFECT_SAVE ("domain"), "domain.write"),
  M ("Domain", "BlockCommit", T_SELF, "domain.block-write"),
  M ("Domain", "BlockCopy", T_SELF, "domain.block-write"),
  M ("Domain", "BlockJobAbort", T_SELF, "domain.write"),
  M ("Domain", "BlockJobSetSpeed", T_SELF, "domain.write"),
  M ("Domain", "BlockPeek", T_SELF, "domain.block-read"),
  M ("Domain", "BlockPull", T_SELF, "domain.block-write"),
  M ("Domain", "BlockRebase", T_SELF, "domain.block-write"),
  M ("Domain", "BlockResize", T_SELF, "domain.block-write"),
  M ("Domain", "CoreDump", T_SELF, "domain.core-dump"),
  M ("Domain", "Create", T_SELF, "domain.start"),
  M ("Domain", "CreateWithFiles", T_SELF, "domain.start"),
  MF ("Domain", "DelIOThread", T_SELF, AFFECT_SAVE ("domain"), "domain.write"),
  M ("Domain", "Destroy", T_SELF, "domain.stop"),
  MF ("Domain", "DetachDevice", T_SELF, AFFECT_SAVE ("domain"), "domain.write"),
  M ("Domain", "FSFreeze", T_SELF, "domain.fs-freeze"),
  M ("Domain", "FSThaw", T_SELF, "domain.fs-freeze"),
  M ("Domain", "FSTrim", T_SELF, "domain.fs-trim"),
  M ("Domain", "GetBlockIOParameters", T_SELF, "domain.read"),
  M ("Domain", "GetBlockIOTune", T_SELF, "domain.read"),
  M ("Domain", "GetBlockJobInfo", T_SELF, "domain.read"),
  M ("Domain", "GetControlInfo", T_SELF, "domain.read"),
  M ("Domain", "GetDiskErrors", T_SELF, "domain.read"),
  /* The *PinInfo/IOThreadInfo calls also read the host's CPU map
   * (virNodeGetCPUMap: connect:read). */
  M ("Domain", "GetEmulatorPinInfo", T_SELF, "domain.read", "connect.read"),
  M ("Domain", "GetFSInfo", T_SELF, "domain.fs-freeze"),
  M ("Domain", "GetGuestVcpus", T_SELF, "domain.write"),
  M ("Domain", "GetHostname", T_SELF, "domain.write"),
  M ("Domain", "GetInterfaceParameters", T_SELF, "domain.read"),
  M ("Domain", "GetIOThreadInfo", T_SELF, "domain.read", "connect.read"),
  M ("Domain", "GetJobInfo", T_SELF, "domain.read"),
  M ("Domain", "GetJobStats", T_SELF, "domain.read"),
  M ("Domain", "GetMemoryParameters", T_SELF, "domain.read"),
  M ("Domain", "GetMetadata", T_SELF, "domain.read"),
  M ("Domain", "GetNumaParameters", T_SELF, "domain.read"),
  M ("Domain", "GetPerfEvents", T_SELF, "domain.read"),
  M ("Domain", "GetSchedulerParameters", T_SELF, "domain.read"),
  M ("Domain", "GetSecurityLabelList", T_SELF, "domain.read"),
  M ("Domain", "GetState", T_SELF, "domain.read"),
  /* virDomainListGetStats: connect:search_domains, and domain:read as
   * the filter (here: of the one domain asked for). */
  M ("Domain", "GetStats", T_SELF, "connect.search-domains", "domain.read"),
  M ("Domain", "GetTime", T_SELF, "domain.write"),
  M ("Domain", "GetVcpuPinInfo", T_SELF, "domain.read", "connect.read"),
  MF ("Domain", "GetVcpus", T_SELF, VCPU_GUEST_WRITE, "domain.read"),
  MF ("Domain", "GetXMLDesc", T_SELF, SECURE_XML, "domain.read"),
  M ("Domain", "HasManagedSaveImage", T_SELF, "domain.read"),
  M ("Domain", "InjectNMI", T_SELF, "domain.inject-nmi"),
  /* source VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT (1) asks the guest agent. */
  { .interface = "Domain", .member = "InterfaceAddresses", .target = T_SELF, .perms = { "domain.read" },
    .arg_check = { .arg = 0, .value = 1, .perm = "domain.write" } },
  M ("Domain", "ListDomainSnapshots", T_SELF, "domain.read"),
  M ("Domain", "ManagedSave", T_SELF, "domain.hibernate"),
  M ("Domain", "ManagedSaveRemove", T_SELF, "domain.hibernate"),
  M ("Domain", "MemoryPeek", T_SELF, "domain.mem-read"),
  M ("Domain", "MemoryStats", T_SELF, "domain.read"),
  M ("Domain", "MigrateGetCompressionCache", T_SELF, "domain.migrate"),
  M ("Domain", "MigrateGetMaxSpeed", T_SELF, "domain.migrate"),
  M ("Domain", "MigrateSetCompressionCache", T_SELF, "domain.migrate"),
  M ("Domain", "MigrateSetMaxDowntime", T_SELF, "domain.migrate"),
  M ("Domain", "MigrateSetMaxSpeed", T_SELF, "domain.migrate"),
  M ("Domain", "MigrateStartPostCopy", T_SELF, "domain.migrate"),
  M ("Domain", "MigrateToURI3", T_SELF, "domain.migrate"),
  M ("Domain", "OpenGraphicsFD", T_SELF, "domain.open-graphics"),
  MF ("Domain", "PinEmulator", T_SELF, AFFECT_SAVE ("domain"), "domain.write"),
  MF ("Domain", "PinIOThread", T_SELF, AFFECT_SAVE ("domain"), "domain.write"),
  MF ("Domain", "PinVcpu", T_SELF, AFFECT_SAVE ("domain"), "domain.write"),
  M ("Domain", "PMWakeup", T_SELF, "domain.pm-control"),
  MF ("Domain", "Reboot", T_SELF, AGENT_WRITE, "domain.init-control"),
  M ("Domain", "Rename", T_SELF, "domain.write", "domain.save"),
  M ("Domain", "Reset", T_SELF, "domain.reset"),
  M ("Domain", "Resume", T_SELF, "domain.suspend"),
  M ("Domain", "Save", T_SELF, "domain.hibernate"),
  M ("Domain", "SendKey", T_SELF, "domain.send-input"),
  M ("Domain", "SendProcessSignal", T_SELF, "domain.send-signal"),
  MF ("Domain", "SetBlockIOParameters", T_SELF, AFFECT_SAVE ("domain"), "domain.write"),
  MF ("Domain", "SetBlockIOTune", T_SELF, AFFECT_SAVE ("domain"), "domain.write"),
  M ("Domain", "SetGuestVcpus", T_SELF, "domain.write"),
  MF ("Domain", "SetInterfaceParameters", T_SELF, AFFECT_SAVE ("domain"), "domain.write"),
  MF ("Domain", "SetMemory", T_SELF, AFFECT_SAVE ("domain"), "domain.write"),
  MF ("Domain", "SetMemoryParameters", T_SELF, AFFECT_SAVE ("domain"), "domain.write"),
  MF ("Domain", "SetMemoryStatsPeriod", T_SELF, AFFECT_SAVE ("domain"), "domain.write"),
  MF ("Domain", "SetMetadata", T_SELF, AFFECT_SAVE ("domain"), "domain.write"),
  MF ("Domain", "SetNumaParameters", T_SELF, AFFECT_SAVE ("domain"), "domain.write"),
  /* libvirt checks write only here, whatever the flags. */
  M ("Domain", "SetPerfEvents", T_SELF, "domain.write"),
  MF ("Domain", "SetSchedulerParameters", T_SELF, AFFECT_SAVE ("domain"), "domain.write"),
  M ("Domain", "SetTime", T_SELF, "domain.set-time"),
  M ("Domain", "SetUserPassword", T_SELF, "domain.set-password"),
  MF ("Domain", "SetVcpus", T_SELF, AFFECT_SAVE ("domain"), "domain.write"),
  /* The guest agent way (VIR_DOMAIN_SHUTDOWN_GUEST_AGENT) also takes write. */
  MF ("Domain", "Shutdown", T_SELF, AGENT_WRITE, "domain.init-control"),
  /* VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE (64) freezes the guest's filesystems. */
  { .interface = "Domain", .member = "SnapshotCreateXML", .target = T_SELF, .perms = { "domain.snapshot" },
    .new_xml = "domainsnapshot", .flag_check = { .flag_set = 64, .perm = "domain.fs-freeze" } },
  M ("Domain", "SnapshotCurrent", T_SELF, "domain.read"),
  M ("Domain", "SnapshotLookupByName", T_SELF, "domain.read"),
  M ("Domain", "Suspend", T_SELF, "domain.suspend"),
  M ("Domain", "Undefine", T_SELF, "domain.delete"),
  MF ("Domain", "UpdateDevice", T_SELF, AFFECT_SAVE ("domain"), "domain.write"),
  P ("Domain", "Autostart", T_SELF, "domain.write"),

  /* org.virtbus.Domain: our additions (libvirt's virDomainOpenConsole) */
  M ("virtbus.Domain", "OpenConsole", T_SELF, "domain.open-device"),
  /* migration: libvirt's virDomainMigrate* checks (migrate; PERSIST_DEST 8
   * also saves at the destination) */
  M ("virtbus.Domain", "Migrate", T_SELF, "domain.migrate"),
  /* org.virtbus.Migration (destination side, on the connection object):
   * as libvirt's MigratePrepare3 (migrate + start + write on the new
   * domain; PERSIST_DEST also saves it) and Finish3/Confirm3 (migrate). */
  { .interface = "virtbus.Migration", .member = "Prepare", .target = T_CONNECT,
    .perms = { "domain.migrate", "domain.start", "domain.write" }, .new_xml = "domain",
    .flag_check = { .flag_set = 8, .perm = "domain.save" } },
  M ("virtbus.Migration", "Finish", T_CONNECT, "domain.migrate"),
  M ("virtbus.Migration", "Cancel", T_CONNECT, "domain.migrate"),
  /* end migration */

  /* org.libvirt.DomainSnapshot: libvirt checks the domain's permissions */
  M ("DomainSnapshot", "Delete", T_SELF, "domain.snapshot"),
  M ("DomainSnapshot", "GetParent", T_SELF, "domain.read"),
  MF ("DomainSnapshot", "GetXMLDesc", T_SELF, SNAPSHOT_SECURE_XML, "domain.read"),
  M ("DomainSnapshot", "IsCurrent", T_SELF, "domain.read"),
  M ("DomainSnapshot", "ListChildren", T_SELF, "domain.read"),
  M ("DomainSnapshot", "Revert", T_SELF, "domain.snapshot"),

  M ("Interface", "Create", T_SELF, "interface.start"),
  M ("Interface", "Destroy", T_SELF, "interface.stop"),
  M ("Interface", "GetXMLDesc", T_SELF, "interface.read"),
  M ("Interface", "Undefine", T_SELF, "interface.delete"),

  M ("NWFilter", "GetXMLDesc", T_SELF, "nwfilter.read"),
  M ("NWFilter", "Undefine", T_SELF, "nwfilter.delete"),

  M ("Network", "Create", T_SELF, "network.start"),
  M ("Network", "Destroy", T_SELF, "network.stop"),
  M ("Network", "GetDHCPLeases", T_SELF, "network.read"),
  M ("Network", "GetXMLDesc", T_SELF, "network.read"),
  M ("Network", "Undefine", T_SELF, "network.delete"),
  MF ("Network", "Update", T_SELF, AFFECT_SAVE ("network"), "network.write"),
  P ("Network", "Autostart", T_SELF, "network.write"),

  M ("NodeDevice", "Destroy", T_SELF, "node-device.stop"),
  M ("NodeDevice", "Detach", T_SELF, "node-device.detach"),
  M ("NodeDevice", "GetXMLDesc", T_SELF, "node-device.read"),
  M ("NodeDevice", "ListCaps", T_SELF, "node-device.read"),
  M ("NodeDevice", "ReAttach", T_SELF, "node-device.detach"),
  M ("NodeDevice", "Reset", T_SELF, "node-device.detach"),

  M ("Secret", "GetValue", T_SELF, "secret.read-secure"),
  M ("Secret", "GetXMLDesc", T_SELF, "secret.read"),
  M ("Secret", "SetValue", T_SELF, "secret.write"),
  M ("Secret", "Undefine", T_SELF, "secret.delete"),

  M ("StoragePool", "Build", T_SELF, "storage-pool.format"),
  M ("StoragePool", "Create", T_SELF, "storage-pool.start"),
  M ("StoragePool", "Delete", T_SELF, "storage-pool.format"),
  M ("StoragePool", "Destroy", T_SELF, "storage-pool.stop"),
  M ("StoragePool", "GetInfo", T_SELF, "storage-pool.read"),
  M ("StoragePool", "GetXMLDesc", T_SELF, "storage-pool.read"),
  M ("StoragePool", "ListStorageVolumes", T_SELF, "storage-pool.search-storage-vols"),
  M ("StoragePool", "Refresh", T_SELF, "storage-pool.refresh"),
  MD ("StoragePool", "StorageVolCreateXML", T_SELF, "volume", "storage-vol.create"),
  MD ("StoragePool", "StorageVolCreateXMLFrom", T_SELF, "volume", "storage-vol.create"),
  M ("StoragePool", "StorageVolLookupByName", T_LOOKUP_CHILD, "storage-vol.getattr"),
  M ("StoragePool", "Undefine", T_SELF, "storage-pool.delete"),
  P ("StoragePool", "Autostart", T_SELF, "storage-pool.write"),

  M ("StorageVol", "Delete", T_SELF, "storage-vol.delete"),
  M ("StorageVol", "GetInfo", T_SELF, "storage-vol.read"),
  M ("StorageVol", "GetXMLDesc", T_SELF, "storage-vol.read"),
  M ("StorageVol", "Resize", T_SELF, "storage-vol.resize"),
  /* virStorageVolWipePattern */
  M ("StorageVol", "Wipe", T_SELF, "storage-vol.format"),
};

#undef M
#undef P
#undef MF
#undef MD
#undef AFFECT_SAVE
#undef SECURE_XML
#undef SNAPSHOT_SECURE_XML
#undef VCPU_GUEST_WRITE
#undef AGENT_WRITE

/* The object kinds of the permission vocabulary, with libvirt's polkit
 * detail keys for each. */
static const struct {
  VbObjKind kind;
  const char *object; /* permission prefix */
  const char *interface;
  const char *getattr; /* what seeing one takes */
} kinds[] = {
  { VB_OBJ_DOMAIN, "domain", "Domain", "domain.getattr" },
  /* libvirt has no snapshot object: listing snapshots is domain.read */
  { VB_OBJ_SNAPSHOT, "domain", "DomainSnapshot", "domain.read" },
  { VB_OBJ_NETWORK, "network", "Network", "network.getattr" },
  { VB_OBJ_STORAGE_POOL, "storage-pool", "StoragePool", "storage-pool.getattr" },
  { VB_OBJ_STORAGE_VOL, "storage-vol", "StorageVol", "storage-vol.getattr" },
  { VB_OBJ_NODE_DEVICE, "node-device", "NodeDevice", "node-device.getattr" },
  { VB_OBJ_INTERFACE, "interface", "Interface", "interface.getattr" },
  { VB_OBJ_SECRET, "secret", "Secret", "secret.getattr" },
  { VB_OBJ_NWFILTER, "nwfilter", "NWFilter", "nwfilter.getattr" },
  /* QEMU backend: org.virtbus.Domain, on domain objects */
  { VB_OBJ_DOMAIN, "domain", "virtbus.Domain", "domain.getattr" },
};

static const char *
short_interface (const char *interface)
{
  /* QEMU backend: our own interfaces (org.virtbus.Domain) are spelled
   * "virtbus.<Name>" in the tables. */
  if (g_str_has_prefix (interface, "org.virtbus."))
    return interface + strlen ("org.");
  return g_str_has_prefix (interface, "org.libvirt.") ? interface + strlen ("org.libvirt.") : NULL;
}

static const Rule *
lookup_rule (const char *interface, const char *member, gboolean is_property)
{
  const char *iface = short_interface (interface);

  if (iface == NULL)
    return NULL;
  for (gsize i = 0; i < G_N_ELEMENTS (rules); i++)
    if (rules[i].property == is_property && strcmp (rules[i].interface, iface) == 0 &&
        strcmp (rules[i].member, member) == 0)
      return &rules[i];
  return NULL;
}

const char *const *
vb_gatekeeper_lookup_permissions (const char *interface, const char *member, gboolean is_property)
{
  const Rule *rule = lookup_rule (interface, member, is_property);
  return rule ? (const char *const *) rule->perms : NULL;
}

/* The flags argument of a call: its last argument, when that is a uint32. */
static gboolean
call_flags (GVariant *params, guint32 *flags)
{
  gsize n = params ? g_variant_n_children (params) : 0;
  g_autoptr(GVariant) last = n ? g_variant_get_child_value (params, n - 1) : NULL;

  if (last == NULL || !g_variant_is_of_type (last, G_VARIANT_TYPE_UINT32))
    return FALSE;
  *flags = g_variant_get_uint32 (last);
  return TRUE;
}

/* The rule's permissions, plus its flag- and argument-dependent ones when
 * @params call for them. Fills @perms (room for 5 + NULL); returns how many. */
static guint
rule_permissions (const Rule *rule, GVariant *params, const char **perms)
{
  guint n = 0;
  guint32 flags;

  for (gsize i = 0; i < G_N_ELEMENTS (rule->perms) && rule->perms[i]; i++)
    perms[n++] = rule->perms[i];
  if (rule->flag_check.perm != NULL && call_flags (params, &flags) &&
      ((flags & rule->flag_check.flag_set) != 0 ||
       (rule->flag_check.flag_unset != 0 && (flags & rule->flag_check.flag_unset) == 0)))
    perms[n++] = rule->flag_check.perm;
  if (rule->arg_check.perm != NULL && params != NULL && rule->arg_check.arg < g_variant_n_children (params)) {
    g_autoptr(GVariant) arg = g_variant_get_child_value (params, rule->arg_check.arg);
    if (g_variant_is_of_type (arg, G_VARIANT_TYPE_UINT32) && g_variant_get_uint32 (arg) == rule->arg_check.value)
      perms[n++] = rule->arg_check.perm;
  }
  perms[n] = NULL;
  return n;
}

GStrv
vb_gatekeeper_permissions_for_call (const char *interface, const char *member, GVariant *params)
{
  const Rule *rule = lookup_rule (interface, member, FALSE);
  const char *perms[6];

  if (rule == NULL)
    return NULL;
  rule_permissions (rule, params, perms);
  return g_strdupv ((char **) perms);
}

GStrv
vb_gatekeeper_list_permissions (void)
{
  g_autoptr(GHashTable) set = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree const char **keys = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  guint n;

  for (gsize i = 0; i < G_N_ELEMENTS (rules); i++)
    for (gsize j = 0; j < G_N_ELEMENTS (rules[i].perms) && rules[i].perms[j]; j++)
      g_hash_table_add (set, (gpointer) rules[i].perms[j]);
  for (gsize i = 0; i < G_N_ELEMENTS (rules); i++)
    if (rules[i].flag_check.perm != NULL)
      g_hash_table_add (set, (gpointer) rules[i].flag_check.perm);
  for (gsize i = 0; i < G_N_ELEMENTS (rules); i++)
    if (rules[i].arg_check.perm != NULL)
      g_hash_table_add (set, (gpointer) rules[i].arg_check.perm);
  /* Get/GetAll and object visibility use getattr. */
  g_hash_table_add (set, "connect.getattr");
  g_hash_table_add (set, "domain.getattr");
  g_hash_table_add (set, "domain.read-secure");
  for (gsize i = 0; i < G_N_ELEMENTS (kinds); i++)
    g_hash_table_add (set, (gpointer) kinds[i].getattr);
  keys = (const char **) g_hash_table_get_keys_as_array (set, &n);
  for (guint i = 0; i < n; i++)
    g_strv_builder_add (builder, keys[i]);
  {
    GStrv result = g_strv_builder_end (builder);
    qsort (result, n, sizeof (char *), (GCompareFunc) g_strcmp0);
    return result;
  }
}

/* ---- the object --------------------------------------------------------- */

struct _VbGatekeeper {
  GObject parent_instance;

  GDBusConnection *connection;
  VbGatekeeperMode mode;
  GMainContext *context;
  GPtrArray *connects; /* VbConnect, not owned: they unregister themselves */
  GDBusObjectManagerServer *manager;
  GHashTable *uids; /* unique bus name → VbCallerCreds; names are never reused */
  guint filter_id;
  /* Read by the filter in GDBus' worker thread, under fast_lock: */
  GMutex fast_lock;
  GHashTable *fast_senders; /* unique names that pass every check (owned) */
  GHashTable *fast_props;   /* object path → (interface → a{sv}) published */
  GHashTable *fast_replies; /* object path → ("iface.member(arg)" → reply body) */
  guint name_owner_sub;
};

G_DEFINE_FINAL_TYPE (VbGatekeeper, vb_gatekeeper, G_TYPE_OBJECT)

static VbGatekeeper *default_gatekeeper;

static void
vb_gatekeeper_finalize (GObject *object)
{
  VbGatekeeper *self = VB_GATEKEEPER (object);

  if (self->filter_id)
    g_dbus_connection_remove_filter (self->connection, self->filter_id);
  if (self->name_owner_sub)
    g_dbus_connection_signal_unsubscribe (self->connection, self->name_owner_sub);
  g_clear_object (&self->manager);
  g_clear_object (&self->connection);
  g_main_context_unref (self->context);
  g_ptr_array_unref (self->connects);
  g_hash_table_unref (self->uids);
  g_hash_table_unref (self->fast_senders);
  g_hash_table_unref (self->fast_props);
  g_hash_table_unref (self->fast_replies);
  g_mutex_clear (&self->fast_lock);
  G_OBJECT_CLASS (vb_gatekeeper_parent_class)->finalize (object);
}

static void
vb_gatekeeper_class_init (VbGatekeeperClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vb_gatekeeper_finalize;
}

static void
vb_gatekeeper_init (VbGatekeeper *self)
{
  self->connects = g_ptr_array_new ();
  self->uids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) vb_caller_creds_free);
  self->context = g_main_context_ref_thread_default ();
  g_mutex_init (&self->fast_lock);
  self->fast_senders = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->fast_props = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_hash_table_unref);
  self->fast_replies = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_hash_table_unref);
}

static void
on_name_owner_changed (GDBusConnection *connection, const char *sender, const char *path, const char *interface,
                       const char *signal, GVariant *params, gpointer user_data)
{
  VbGatekeeper *self = user_data;
  const char *name, *old_owner, *new_owner;

  g_variant_get (params, "(&s&s&s)", &name, &old_owner, &new_owner);
  if (name[0] == ':' && new_owner[0] == '\0') {
    g_hash_table_remove (self->uids, name);
    g_mutex_lock (&self->fast_lock);
    g_hash_table_remove (self->fast_senders, name);
    g_mutex_unlock (&self->fast_lock);
  }
}

static GDBusMessage *gmo_filter (GDBusConnection *connection, GDBusMessage *message, gboolean incoming,
                                 gpointer user_data);

VbGatekeeper *
vb_gatekeeper_install (GDBusConnection *connection, VbGatekeeperMode mode)
{
  VbGatekeeper *self = g_object_new (VB_TYPE_GATEKEEPER, NULL);

  self->connection = g_object_ref (connection);
  self->mode = mode;
  vb_client_set_connection (connection);
  self->name_owner_sub = g_dbus_connection_signal_subscribe (
    connection, "org.freedesktop.DBus", "org.freedesktop.DBus", "NameOwnerChanged", "/org/freedesktop/DBus", NULL,
    G_DBUS_SIGNAL_FLAGS_NONE, on_name_owner_changed, self, NULL);
  /* The filter holds no reference: the installed gatekeeper lives as long
   * as the process. */
  self->filter_id = g_dbus_connection_add_filter (connection, gmo_filter, self, NULL);
  g_set_object (&default_gatekeeper, self);
  g_object_unref (self);
  return self;
}

VbGatekeeper *
vb_gatekeeper_get_default (GDBusConnection *connection)
{
  if (default_gatekeeper == NULL)
    vb_gatekeeper_install (connection, VB_GATEKEEPER_SESSION);
  return default_gatekeeper;
}

void
vb_gatekeeper_add_connect (VbGatekeeper *self, VbConnect *connect)
{
  g_ptr_array_add (self->connects, connect);
}

void
vb_gatekeeper_remove_connect (VbGatekeeper *self, VbConnect *connect)
{
  g_ptr_array_remove (self->connects, connect);
}

void
vb_gatekeeper_set_object_manager (VbGatekeeper *self, GDBusObjectManagerServer *manager)
{
  g_set_object (&self->manager, manager);
}

/* ---- objects and details ---- */

static VbConnect *
connect_for_path (VbGatekeeper *self, const char *path)
{
  for (guint i = 0; i < self->connects->len; i++) {
    VbConnect *connect = g_ptr_array_index (self->connects, i);
    const char *base = vb_connect_get_path (connect);
    gsize len = strlen (base);
    if (strncmp (path, base, len) == 0 && (path[len] == '\0' || path[len] == '/'))
      return connect;
  }
  return NULL;
}

static gboolean
kind_for_interface (const char *iface, VbObjKind *kind)
{
  if (g_str_has_prefix (iface, "virtbus."))
    iface += strlen ("virtbus.");
  for (gsize i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (g_strcmp0 (kinds[i].interface, iface) == 0) {
      *kind = kinds[i].kind;
      return TRUE;
    }
  return FALSE;
}

static gboolean
kind_for_permission (const char *perm, VbObjKind *kind)
{
  for (gsize i = 0; i < G_N_ELEMENTS (kinds); i++) {
    gsize len = strlen (kinds[i].object);
    if (strncmp (perm, kinds[i].object, len) == 0 && perm[len] == '.') {
      *kind = kinds[i].kind;
      return TRUE;
    }
  }
  return FALSE;
}

static const char *
getattr_permission (VbObjKind kind)
{
  for (gsize i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (kinds[i].kind == kind)
      return kinds[i].getattr;
  return "connect.getattr";
}

/* The VbObj a D-Bus object path names (NULL for a connection's own path or
 * a path of no object). */
static VbObj *
obj_for_path (VbGatekeeper *self, const char *path, const char *interface, VbConnect **connect_out)
{
  VbConnect *connect = connect_for_path (self, path);
  const char *iface = interface ? short_interface (interface) : NULL;
  VbObjKind kind;

  *connect_out = connect;
  if (connect == NULL || g_strcmp0 (path, vb_connect_get_path (connect)) == 0)
    return NULL;
  if (iface != NULL) {
    if (!kind_for_interface (iface, &kind))
      return NULL;
    return vb_connect_obj_for_path (connect, path, kind, NULL);
  }
  /* No interface given (GetManagedObjects): try every kind. */
  for (gsize i = 0; i < G_N_ELEMENTS (kinds); i++) {
    VbObj *obj = vb_connect_obj_for_path (connect, path, kinds[i].kind, NULL);
    if (obj != NULL)
      return obj;
  }
  return NULL;
}

static void
add_detail (GVariantBuilder *builder, const char *key, const char *value)
{
  if (value != NULL)
    g_variant_builder_add (builder, "{ss}", key, value);
}

/* polkit's details for @obj, with libvirt's keys, and the message the
 * authentication dialog shows. polkit translates polkit.message in the
 * subject's locale through polkit.gettext_domain and fills in $(key). */
static GVariant *
build_details (VbConnect *connect, VbObj *obj, const char *permission, GPtrArray *extra)
{
  GVariantBuilder builder;
  const char *message = N_("Authentication is required to use $(connect_driver) virtualization ($(permission))");

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{ss}"));
  if (connect != NULL)
    add_detail (&builder, "connect_driver", vb_backend_get_driver (vb_connect_get_backend (connect)));
  add_detail (&builder, "permission", permission);
  /* A connection permission is about the connection, as in libvirt, even
   * when a call on an object checks it too (Domain.GetStats). */
  if (g_str_has_prefix (permission, "connect."))
    obj = NULL;
  if (obj != NULL && obj->kind == VB_OBJ_SNAPSHOT && obj->parent != NULL) {
    add_detail (&builder, "snapshot_name", obj->name);
    obj = obj->parent;
  }
  if (obj != NULL) {
    switch (obj->kind) {
    case VB_OBJ_DOMAIN:
      add_detail (&builder, "domain_name", obj->name);
      add_detail (&builder, "domain_uuid", obj->uuid);
      message = N_("Authentication is required for $(permission) on the virtual machine '$(domain_name)'");
      break;
    case VB_OBJ_NETWORK:
      add_detail (&builder, "network_name", obj->name);
      add_detail (&builder, "network_uuid", obj->uuid);
      message = N_("Authentication is required for $(permission) on the virtual network '$(network_name)'");
      break;
    case VB_OBJ_STORAGE_POOL:
      add_detail (&builder, "pool_name", obj->name);
      add_detail (&builder, "pool_uuid", obj->uuid);
      message = N_("Authentication is required for $(permission) on the storage pool '$(pool_name)'");
      break;
    case VB_OBJ_STORAGE_VOL:
      if (obj->parent != NULL) {
        add_detail (&builder, "pool_name", obj->parent->name);
        add_detail (&builder, "pool_uuid", obj->parent->uuid);
      }
      add_detail (&builder, "vol_name", obj->name);
      add_detail (&builder, "vol_key", obj->key);
      message = N_("Authentication is required for $(permission) on the storage volume '$(vol_name)'");
      break;
    case VB_OBJ_NODE_DEVICE:
      add_detail (&builder, "node_device_name", obj->name);
      message = N_("Authentication is required for $(permission) on the host device '$(node_device_name)'");
      break;
    case VB_OBJ_INTERFACE:
      add_detail (&builder, "interface_name", obj->name);
      add_detail (&builder, "interface_macaddr", obj->key);
      message = N_("Authentication is required for $(permission) on the host interface '$(interface_name)'");
      break;
    case VB_OBJ_SECRET:
      add_detail (&builder, "secret_uuid", obj->uuid);
      message = N_("Authentication is required for $(permission) on the secret '$(secret_uuid)'");
      break;
    case VB_OBJ_NWFILTER:
      add_detail (&builder, "nwfilter_name", obj->name);
      add_detail (&builder, "nwfilter_uuid", obj->uuid);
      message = N_("Authentication is required for $(permission) on the network filter '$(nwfilter_name)'");
      break;
    case VB_OBJ_SNAPSHOT:
      break;
    }
  }
  /* A new object (define, create): its identity from the XML. */
  for (guint i = 0; extra != NULL && i + 1 < extra->len; i += 2) {
    const char *key = g_ptr_array_index (extra, i);
    add_detail (&builder, key, g_ptr_array_index (extra, i + 1));
    if (strcmp (key, "domain_name") == 0)
      message = N_("Authentication is required for $(permission) on the virtual machine '$(domain_name)'");
    else if (strcmp (key, "network_name") == 0)
      message = N_("Authentication is required for $(permission) on the virtual network '$(network_name)'");
    else if (strcmp (key, "pool_name") == 0 && obj == NULL)
      message = N_("Authentication is required for $(permission) on the storage pool '$(pool_name)'");
    else if (strcmp (key, "vol_name") == 0)
      message = N_("Authentication is required for $(permission) on the storage volume '$(vol_name)'");
  }
  add_detail (&builder, "polkit.message", message);
  add_detail (&builder, "polkit.gettext_domain", GETTEXT_PACKAGE);
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

/* ---- the new object of a define or create ----
 *
 * libvirt checks defines against the new definition, so a rule can allow
 * defining only a domain named X. The XML is read here with the safe parser
 * for its name and UUID only; the backend parses it in full. Malformed XML
 * gives no details (the check is then the connection-level one, and the
 * backend reports the error). */

static void
add_pair (GPtrArray *pairs, const char *key, char *value)
{
  if (value == NULL || value[0] == '\0') {
    g_free (value);
    return;
  }
  g_ptr_array_add (pairs, g_strdup (key));
  g_ptr_array_add (pairs, value);
}

static char *
canonical_uuid (char *text)
{
  char uuid[37];
  g_autofree char *owned = text;

  return text && vb_uuid_parse (g_strstrip (text), uuid) ? g_strdup (uuid) : NULL;
}

static char *
stripped (char *text)
{
  return text ? g_strstrip (text) : NULL;
}

/* key, value, key, value … (owned strings), or NULL when @xml is not a
 * well-formed document with root @root. */
static GPtrArray *
new_object_pairs (const char *root_name, const char *xml)
{
  g_autoptr(xmlDoc) doc = NULL;
  g_autoptr(GPtrArray) pairs = g_ptr_array_new_with_free_func (g_free);
  xmlNode *root;

  doc = vb_xml_parse (xml, -1, root_name, NULL);
  if (doc == NULL || (root = xmlDocGetRootElement (doc)) == NULL)
    return NULL;
  if (strcmp (root_name, "domain") == 0) {
    add_pair (pairs, "domain_name", stripped (vb_xml_child_text (root, "name")));
    add_pair (pairs, "domain_uuid", canonical_uuid (vb_xml_child_text (root, "uuid")));
  } else if (strcmp (root_name, "network") == 0) {
    add_pair (pairs, "network_name", stripped (vb_xml_child_text (root, "name")));
    add_pair (pairs, "network_uuid", canonical_uuid (vb_xml_child_text (root, "uuid")));
  } else if (strcmp (root_name, "pool") == 0) {
    add_pair (pairs, "pool_name", stripped (vb_xml_child_text (root, "name")));
    add_pair (pairs, "pool_uuid", canonical_uuid (vb_xml_child_text (root, "uuid")));
  } else if (strcmp (root_name, "volume") == 0) {
    add_pair (pairs, "vol_name", stripped (vb_xml_child_text (root, "name")));
  } else if (strcmp (root_name, "interface") == 0) {
    xmlNode *mac = vb_xml_child (root, "mac");
    add_pair (pairs, "interface_name", vb_xml_prop (root, "name"));
    if (mac != NULL)
      add_pair (pairs, "interface_macaddr", vb_xml_prop (mac, "address"));
  } else if (strcmp (root_name, "secret") == 0) {
    /* libvirt's keys: the usage's volume path, ceph/tls/vtpm name or iSCSI target. */
    xmlNode *usage = vb_xml_child (root, "usage");
    g_autofree char *type = usage ? vb_xml_prop (usage, "type") : NULL;
    add_pair (pairs, "secret_uuid", canonical_uuid (vb_xml_child_text (root, "uuid")));
    if (g_strcmp0 (type, "volume") == 0)
      add_pair (pairs, "secret_usage_volume", stripped (vb_xml_child_text (usage, "volume")));
    else if (g_strcmp0 (type, "ceph") == 0)
      add_pair (pairs, "secret_usage_ceph", stripped (vb_xml_child_text (usage, "name")));
    else if (g_strcmp0 (type, "iscsi") == 0)
      add_pair (pairs, "secret_usage_target", stripped (vb_xml_child_text (usage, "target")));
    else if (g_strcmp0 (type, "tls") == 0 || g_strcmp0 (type, "vtpm") == 0)
      add_pair (pairs, "secret_usage_name", stripped (vb_xml_child_text (usage, "name")));
  } else if (strcmp (root_name, "filter") == 0) {
    add_pair (pairs, "nwfilter_name", vb_xml_prop (root, "name"));
    add_pair (pairs, "nwfilter_uuid", canonical_uuid (vb_xml_child_text (root, "uuid")));
  } else if (strcmp (root_name, "device") == 0) {
    add_pair (pairs, "node_device_name", stripped (vb_xml_child_text (root, "name")));
  } else if (strcmp (root_name, "domainsnapshot") == 0) {
    add_pair (pairs, "snapshot_name", stripped (vb_xml_child_text (root, "name")));
  }
  return g_steal_pointer (&pairs);
}

static GPtrArray *
rule_new_object_pairs (const Rule *rule, GVariant *params)
{
  g_autoptr(GVariant) first = NULL;

  if (rule->new_xml == NULL || params == NULL || g_variant_n_children (params) < 1)
    return NULL;
  first = g_variant_get_child_value (params, 0);
  if (!g_variant_is_of_type (first, G_VARIANT_TYPE_STRING))
    return NULL;
  return new_object_pairs (rule->new_xml, g_variant_get_string (first, NULL));
}

GVariant *
vb_gatekeeper_new_object_details (const char *interface, const char *member, GVariant *params)
{
  const Rule *rule = lookup_rule (interface, member, FALSE);
  g_autoptr(GPtrArray) pairs = rule ? rule_new_object_pairs (rule, params) : NULL;
  GVariantBuilder builder;

  if (pairs == NULL)
    return NULL;
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{ss}"));
  for (guint i = 0; i + 1 < pairs->len; i += 2)
    g_variant_builder_add (&builder, "{ss}", g_ptr_array_index (pairs, i), g_ptr_array_index (pairs, i + 1));
  return g_variant_ref_sink (g_variant_builder_end (&builder));
}

/* The object a lookup-style call will return, when it exists. */
static VbObj *
resolve_target (VbConnect *connect, VbObj *self_obj, const Rule *rule, GVariant *params)
{
  VbBackend *backend = connect ? vb_connect_get_backend (connect) : NULL;
  VbObjKind kind;
  const char *arg = NULL;
  char uuid[37];

  if (rule->target == T_SELF)
    return self_obj;
  if (rule->target == T_CONNECT || backend == NULL || params == NULL || g_variant_n_children (params) < 1)
    return NULL;
  if (rule->target == T_LOOKUP_ID) {
    gint32 id;
    if (!g_variant_is_of_type (params, G_VARIANT_TYPE ("(i)")))
      return NULL;
    g_variant_get (params, "(i)", &id);
    return vb_backend_lookup_domain_by_id (backend, id);
  }
  {
    g_autoptr(GVariant) first = g_variant_get_child_value (params, 0);
    if (!g_variant_is_of_type (first, G_VARIANT_TYPE_STRING))
      return NULL;
    arg = g_variant_get_string (first, NULL);
    if (!kind_for_permission (rule->perms[0], &kind))
      return NULL;
    switch (rule->target) {
    case T_LOOKUP_NAME: return vb_backend_lookup_by_name (backend, kind, arg);
    case T_LOOKUP_UUID: return vb_uuid_parse (arg, uuid) ? vb_backend_lookup (backend, kind, uuid) : NULL;
    case T_LOOKUP_KEY: return vb_backend_lookup (backend, kind, arg);
    case T_LOOKUP_VOL: return vb_backend_lookup_volume (backend, arg);
    case T_LOOKUP_CHILD: return self_obj ? vb_obj_lookup_child (self_obj, arg) : NULL;
    default: return NULL;
    }
  }
}

/* ---- caller identity and polkit ---- */

static void
on_creds_reply (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  VbGatekeeper *self = g_task_get_source_object (task);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) dict = NULL;
  g_autoptr(GVariant) groups = NULL;
  GError *error = NULL;
  VbCallerCreds *creds;
  guint32 uid, pid = 0;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply == NULL) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_NOT_AUTHORIZED, "cannot identify the caller: %s",
                             error->message);
    g_error_free (error);
    return;
  }
  dict = g_variant_get_child_value (reply, 0);
  if (!g_variant_lookup (dict, "UnixUserID", "u", &uid)) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_NOT_AUTHORIZED, "the bus does not know the caller's uid");
    return;
  }
  groups = g_variant_lookup_value (dict, "UnixGroupIDs", G_VARIANT_TYPE ("au"));
  g_variant_lookup (dict, "ProcessID", "u", &pid);
  if (groups != NULL && g_variant_n_children (groups) > 0) {
    gsize n;
    const guint32 *ids = g_variant_get_fixed_array (groups, &n, sizeof (guint32));
    g_autofree gid_t *gids = g_new (gid_t, n);
    for (gsize i = 0; i < n; i++)
      gids[i] = ids[i];
    creds = vb_caller_creds_new (uid, gids[0], gids, n);
  } else {
    /* Older buses: the groups from /proc (the caller is connected, so the
     * pid cannot have been reused yet). */
    creds = pid ? vb_caller_creds_new_for_pid (pid, NULL, NULL) : NULL;
    if (creds == NULL || creds->uid != uid) {
      vb_caller_creds_free (creds);
      creds = vb_caller_creds_new (uid, (gid_t) -1, NULL, 0);
    }
  }
  g_hash_table_insert (self->uids, g_strdup (g_task_get_task_data (task)), creds);
  g_task_return_int (task, uid);
}

/* The caller's uid, from the bus (credentials cached per unique name). */
static void
caller_uid_async (VbGatekeeper *self, const char *sender, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);
  VbCallerCreds *cached;

  if (sender == NULL) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_NOT_AUTHORIZED, "calls without a bus name are refused");
    g_object_unref (task);
    return;
  }
  cached = g_hash_table_lookup (self->uids, sender);
  if (cached != NULL) {
    g_task_return_int (task, cached->uid);
    g_object_unref (task);
    return;
  }
  g_task_set_task_data (task, g_strdup (sender), g_free);
  g_dbus_connection_call (self->connection, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                          "GetConnectionCredentials", g_variant_new ("(s)", sender), G_VARIANT_TYPE ("(a{sv})"),
                          G_DBUS_CALL_FLAGS_NONE, -1, NULL, on_creds_reply, task);
}

static gssize
caller_uid_finish (VbGatekeeper *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_int (G_TASK (result), error);
}

/* Whether a caller with @uid passes without polkit: TRUE/FALSE, or -1 when
 * polkit must decide. */
static int
decide_by_uid (VbGatekeeper *self, guint uid, GError **error)
{
  if (self->mode == VB_GATEKEEPER_SESSION) {
    if (uid == getuid ())
      return TRUE;
    g_set_error (error, VB_ERROR, VB_ERROR_NOT_AUTHORIZED,
                 "only uid %u may use this session's virtbusd (caller is uid %u)", (guint) getuid (), uid);
    return FALSE;
  }
  return uid == 0 ? TRUE : -1;
}

typedef struct {
  char *action;
} PolkitData;

static void
on_polkit_reply (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GTask) task = user_data;
  const char *action = g_task_get_task_data (task);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) details = NULL;
  g_autoptr(GError) error = NULL;
  gboolean authorized, challenge;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply == NULL) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_NOT_AUTHORIZED, "cannot check authorization for %s: %s",
                             action, error->message);
    return;
  }
  g_variant_get (reply, "((bb@a{ss}))", &authorized, &challenge, &details);
  if (authorized) {
    g_task_return_boolean (task, TRUE);
    return;
  }
  if (g_variant_lookup (details, "polkit.dismissed", "&s", NULL)) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_AUTH_CANCELLED, "authentication for %s was dismissed",
                             action);
    return;
  }
  if (challenge) {
    g_task_return_new_error (task, VB_ERROR, VB_ERROR_NOT_AUTHORIZED,
                             "%s needs interactive authentication: call with the "
                             "ALLOW_INTERACTIVE_AUTHORIZATION flag",
                             action);
    return;
  }
  g_task_return_new_error (task, VB_ERROR, VB_ERROR_NOT_AUTHORIZED, "not authorized: %s", action);
}

static void
polkit_check_async (VbGatekeeper *self, const char *sender, const char *permission, GVariant *details,
                    gboolean interactive, GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);
  char *action = g_strconcat (VB_POLKIT_ACTION_PREFIX, permission, NULL);
  GVariantBuilder subject;

  g_task_set_task_data (task, action, g_free);
  g_variant_builder_init (&subject, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&subject, "{sv}", "name", g_variant_new_string (sender));
  /* Timeout: an open dialog may wait for the user as long as it takes. */
  g_dbus_connection_call (self->connection, "org.freedesktop.PolicyKit1", "/org/freedesktop/PolicyKit1/Authority",
                          "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization",
                          g_variant_new ("((sa{sv})s@a{ss}us)", "system-bus-name", &subject, action, details,
                                         interactive ? 1u : 0u, ""),
                          G_VARIANT_TYPE ("((bba{ss}))"), G_DBUS_CALL_FLAGS_NONE, interactive ? G_MAXINT : -1, NULL,
                          on_polkit_reply, task);
}

/* ---- authorizing one call ---- */

typedef struct {
  GDBusMethodInvocation *invocation;
  VbConnect *connect;
  VbObj *obj; /* the target, or NULL */
  const char *perms[6];
  guint next;
  gboolean interactive;
  GPtrArray *extra; /* details of a new object (define, create), or NULL */
} AuthData;

static void
auth_data_free (AuthData *data)
{
  g_object_unref (data->invocation);
  g_clear_object (&data->obj);
  g_clear_pointer (&data->extra, g_ptr_array_unref);
  g_free (data);
}

static void auth_next (GTask *task);

static void
on_auth_polkit (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error)) {
    g_task_return_error (task, error);
    g_object_unref (task);
    return;
  }
  auth_next (task);
}

static void
auth_next (GTask *task)
{
  VbGatekeeper *self = g_task_get_source_object (task);
  AuthData *data = g_task_get_task_data (task);
  const char *perm = data->perms[data->next];
  g_autoptr(GVariant) details = NULL;

  if (data->next >= G_N_ELEMENTS (data->perms) || perm == NULL) {
    g_task_return_boolean (task, TRUE);
    g_object_unref (task);
    return;
  }
  data->next++;
  details = build_details (data->connect, data->obj, perm, data->extra);
  polkit_check_async (self, g_dbus_method_invocation_get_sender (data->invocation), perm, details,
                      data->interactive, on_auth_polkit, task);
}

static GQuark
creds_quark (void)
{
  return g_quark_from_static_string ("vb-caller-creds");
}

const VbCallerCreds *
vb_gatekeeper_get_caller_creds (GDBusMethodInvocation *invocation)
{
  return g_object_get_qdata (G_OBJECT (invocation), creds_quark ());
}

static void
on_auth_uid (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  VbGatekeeper *self = VB_GATEKEEPER (source);
  AuthData *data = g_task_get_task_data (task);
  GError *error = NULL;
  gssize uid = caller_uid_finish (self, result, &error);
  int decided;

  if (uid < 0) {
    g_task_return_error (task, error);
    g_object_unref (task);
    return;
  }
  decided = decide_by_uid (self, uid, &error);
  if (decided < 0) {
    /* A restricted caller: its credentials go with the call, for the
     * checks of host paths in its XML (vb-path-policy.h). */
    VbCallerCreds *creds = g_hash_table_lookup (self->uids, g_dbus_method_invocation_get_sender (data->invocation));
    /* Never unmarked (NULL reads as unrestricted): without the cached
     * entry (the caller just left), the uid alone, with no groups. */
    g_object_set_qdata_full (G_OBJECT (data->invocation), creds_quark (),
                             creds ? vb_caller_creds_copy (creds) : vb_caller_creds_new (uid, (gid_t) -1, NULL, 0),
                             (GDestroyNotify) vb_caller_creds_free);
  }
  if (decided >= 0) {
    if (decided)
      g_task_return_boolean (task, TRUE);
    else
      g_task_return_error (task, error);
    g_object_unref (task);
    return;
  }
  auth_next (task);
}

/* The rule of a call (NULL for unmapped ones and for property reads), and
 * whether it reads properties, of which interface. */
static void
classify_call (GDBusMethodInvocation *invocation, const Rule **rule, gboolean *getattr, const char **target_iface)
{
  const char *interface = g_dbus_method_invocation_get_interface_name (invocation);
  const char *member = g_dbus_method_invocation_get_method_name (invocation);
  GVariant *params = g_dbus_method_invocation_get_parameters (invocation);

  *rule = NULL;
  *getattr = FALSE;
  *target_iface = interface;
  if (g_strcmp0 (interface, "org.freedesktop.DBus.Properties") == 0) {
    const char *prop_iface = NULL, *prop = NULL;
    g_variant_get_child (params, 0, "&s", &prop_iface);
    *target_iface = prop_iface;
    if (g_strcmp0 (member, "Set") == 0) {
      g_variant_get_child (params, 1, "&s", &prop);
      *rule = lookup_rule (prop_iface, prop, TRUE);
    } else if (g_strcmp0 (member, "Get") == 0 || g_strcmp0 (member, "GetAll") == 0) {
      *getattr = TRUE;
    }
  } else {
    *rule = lookup_rule (interface, member, FALSE);
  }
}

gboolean
vb_gatekeeper_sees_everything (VbGatekeeper *self, const char *sender)
{
  VbCallerCreds *cached = sender ? g_hash_table_lookup (self->uids, sender) : NULL;

  /* Callers that pass without polkit whatever they call (root on the
   * system bus, the user of a session instance), already known. */
  return cached != NULL && decide_by_uid (self, cached->uid, NULL) == TRUE;
}

gboolean
vb_gatekeeper_allows_at_once (VbGatekeeper *self, GDBusMethodInvocation *invocation)
{
  const char *target_iface;
  const Rule *rule;
  gboolean getattr;
  VbObjKind kind;

  if (!vb_gatekeeper_sees_everything (self, g_dbus_method_invocation_get_sender (invocation)))
    return FALSE;
  classify_call (invocation, &rule, &getattr, &target_iface);
  if (!getattr)
    return rule != NULL; /* unmapped: denied, by the full path */
  target_iface = short_interface (target_iface);
  return g_strcmp0 (target_iface, "Connect") == 0 ||
         (target_iface != NULL && kind_for_interface (target_iface, &kind));
}

void
vb_gatekeeper_authorize (VbGatekeeper *self, GDBusMethodInvocation *invocation, GAsyncReadyCallback callback,
                         gpointer user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);
  AuthData *data = g_new0 (AuthData, 1);
  const char *interface = g_dbus_method_invocation_get_interface_name (invocation);
  const char *member = g_dbus_method_invocation_get_method_name (invocation);
  const char *path = g_dbus_method_invocation_get_object_path (invocation);
  GVariant *params = g_dbus_method_invocation_get_parameters (invocation);
  GDBusMessage *message = g_dbus_method_invocation_get_message (invocation);
  const Rule *rule = NULL;
  const char *target_iface = interface;
  gboolean getattr = FALSE;
  VbObj *self_obj;
  guint n = 0;

  data->invocation = g_object_ref (invocation);
  data->interactive = (g_dbus_message_get_flags (message) & G_DBUS_MESSAGE_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION) != 0;
  g_task_set_task_data (task, data, (GDestroyNotify) auth_data_free);

  classify_call (invocation, &rule, &getattr, &target_iface);

  self_obj = obj_for_path (self, path, target_iface, &data->connect);
  if (getattr) {
    /* Reading an object's properties is seeing it. */
    VbObjKind kind;
    const char *iface = short_interface (target_iface);
    if (g_strcmp0 (iface, "Connect") == 0) {
      data->perms[n++] = "connect.getattr";
    } else if (iface != NULL && kind_for_interface (iface, &kind)) {
      data->perms[n++] = getattr_permission (kind);
    }
    if (n == 0) {
      g_task_return_new_error (task, VB_ERROR, VB_ERROR_NOT_AUTHORIZED, "no permission is defined for %s on %s",
                               member, target_iface);
      g_object_unref (task);
      return;
    }
    data->obj = self_obj ? g_object_ref (self_obj) : NULL;
  } else {
    VbObj *target;
    if (rule == NULL) {
      /* Unmapped means denied, for everyone. */
      g_task_return_new_error (task, VB_ERROR, VB_ERROR_NOT_AUTHORIZED, "no permission is defined for %s.%s",
                               target_iface, member);
      g_object_unref (task);
      return;
    }
    /* With the flag-dependent one (SECURE XML, AFFECT_CONFIG, …). */
    n = rule_permissions (rule, params, data->perms);
    data->extra = rule_new_object_pairs (rule, params);
    target = resolve_target (data->connect, self_obj, rule, params);
    data->obj = target ? g_object_ref (target) : NULL;
  }
  caller_uid_async (self, g_dbus_method_invocation_get_sender (invocation), on_auth_uid, task);
}

gboolean
vb_gatekeeper_authorize_finish (VbGatekeeper *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- filtering what a caller sees ---- */

typedef struct {
  char *sender;
  const char *permission; /* static; NULL: each object's getattr */
  GPtrArray *objs;  /* VbObj */
  GPtrArray *conns; /* VbConnect of each object */
  gboolean *allowed;
  guint pending;
} FilterData;

static void
filter_data_free (FilterData *data)
{
  g_free (data->sender);
  g_ptr_array_unref (data->objs);
  g_ptr_array_unref (data->conns);
  g_free (data->allowed);
  g_free (data);
}

static void
filter_finish_one (GTask *task)
{
  FilterData *data = g_task_get_task_data (task);
  GPtrArray *result;

  if (--data->pending > 0)
    return;
  result = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < data->objs->len; i++)
    if (data->allowed[i])
      g_ptr_array_add (result, g_object_ref (g_ptr_array_index (data->objs, i)));
  g_task_return_pointer (task, result, (GDestroyNotify) g_ptr_array_unref);
  g_object_unref (task);
}

typedef struct {
  GTask *task;
  guint index;
} FilterItem;

static void
on_filter_polkit (GObject *source, GAsyncResult *result, gpointer user_data)
{
  FilterItem *item = user_data;
  FilterData *data = g_task_get_task_data (item->task);

  data->allowed[item->index] = g_task_propagate_boolean (G_TASK (result), NULL);
  filter_finish_one (item->task);
  g_free (item);
}

static void
on_filter_uid (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GTask *task = user_data;
  VbGatekeeper *self = VB_GATEKEEPER (source);
  FilterData *data = g_task_get_task_data (task);
  GError *error = NULL;
  gssize uid = caller_uid_finish (self, result, &error);
  int decided;

  if (uid < 0) {
    g_task_return_error (task, error);
    g_object_unref (task);
    return;
  }
  decided = decide_by_uid (self, uid, &error);
  if (decided == FALSE) {
    g_task_return_error (task, error);
    g_object_unref (task);
    return;
  }
  /* One extra count so the task ends only after every check started. */
  data->pending = data->objs->len + 1;
  for (guint i = 0; i < data->objs->len; i++) {
    VbObj *obj = g_ptr_array_index (data->objs, i);
    if (decided == TRUE) {
      data->allowed[i] = TRUE;
      data->pending--;
    } else {
      const char *perm = data->permission ? data->permission : getattr_permission (obj->kind);
      g_autoptr(GVariant) details = build_details (g_ptr_array_index (data->conns, i), obj, perm, NULL);
      FilterItem *item = g_new0 (FilterItem, 1);
      item->task = task;
      item->index = i;
      polkit_check_async (self, data->sender, perm, details, FALSE, on_filter_polkit, item);
    }
  }
  filter_finish_one (task);
}

static void
filter_start (VbGatekeeper *self, const char *sender, GPtrArray *objs, GPtrArray *conns, const char *permission,
              GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);
  FilterData *data = g_new0 (FilterData, 1);

  data->sender = g_strdup (sender);
  data->permission = permission;
  data->objs = g_ptr_array_ref (objs);
  data->conns = g_ptr_array_ref (conns);
  data->allowed = g_new0 (gboolean, objs->len + 1);
  g_task_set_task_data (task, data, (GDestroyNotify) filter_data_free);
  caller_uid_async (self, sender, on_filter_uid, task);
}

void
vb_gatekeeper_filter_objects (VbGatekeeper *self, GDBusMethodInvocation *invocation, GPtrArray *objs,
                              GAsyncReadyCallback callback, gpointer user_data)
{
  vb_gatekeeper_filter_objects_for (self, invocation, objs, NULL, callback, user_data);
}

void
vb_gatekeeper_filter_objects_for (VbGatekeeper *self, GDBusMethodInvocation *invocation, GPtrArray *objs,
                                  const char *permission, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GPtrArray) conns = g_ptr_array_new ();
  VbConnect *connect = connect_for_path (self, g_dbus_method_invocation_get_object_path (invocation));

  for (guint i = 0; i < objs->len; i++)
    g_ptr_array_add (conns, connect);
  filter_start (self, g_dbus_method_invocation_get_sender (invocation), objs, conns, permission, callback,
                user_data);
}

GPtrArray *
vb_gatekeeper_filter_objects_finish (VbGatekeeper *self, GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- ObjectManager.GetManagedObjects ----
 *
 * GDBusObjectManagerServer answers it itself, for everyone, and cannot be
 * told who asks. A connection filter takes these calls away from it (the
 * filter runs in GDBus' worker thread, so the call is passed to the main
 * context) and they are answered here with only the objects the caller may
 * getattr. Root and session callers get exactly what the server would say. */

typedef struct {
  VbGatekeeper *self;
  GDBusMessage *message;
  GPtrArray *objs;    /* VbObj (ref) of every connection: need a check */
  GPtrArray *conns;   /* their VbConnect */
  GPtrArray *always;  /* connection objects: visible to anyone let in */
} GmoData;

static void
gmo_data_free (GmoData *data)
{
  g_object_unref (data->message);
  g_ptr_array_unref (data->objs);
  g_ptr_array_unref (data->conns);
  g_ptr_array_unref (data->always);
  g_free (data);
}

static void
add_object_entry (GVariantBuilder *builder, GDBusObject *object)
{
  g_autolist(GDBusInterface) interfaces = g_dbus_object_get_interfaces (object);
  GVariantBuilder ifaces;

  g_variant_builder_init (&ifaces, G_VARIANT_TYPE ("a{sa{sv}}"));
  for (GList *l = interfaces; l != NULL; l = l->next) {
    GDBusInterfaceSkeleton *skeleton = G_DBUS_INTERFACE_SKELETON (l->data);
    /* get_properties returns a full (non-floating) reference. */
    g_autoptr(GVariant) props = g_dbus_interface_skeleton_get_properties (skeleton);
    g_variant_builder_add_value (&ifaces,
                                 g_variant_new ("{s@a{sv}}", g_dbus_interface_skeleton_get_info (skeleton)->name, props));
  }
  g_variant_builder_add (builder, "{oa{sa{sv}}}", g_dbus_object_get_object_path (object), &ifaces);
}

static void
on_gmo_filtered (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GmoData *data = user_data;
  VbGatekeeper *self = data->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) allowed = vb_gatekeeper_filter_objects_finish (self, result, &error);
  g_autoptr(GDBusMessage) reply = NULL;
  GVariantBuilder builder;

  if (allowed == NULL) {
    reply = g_dbus_message_new_method_error_literal (data->message, vb_error_dbus_name (error), error->message);
  } else {
    g_autoptr(GHashTable) visible = g_hash_table_new (g_direct_hash, g_direct_equal);
    g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{oa{sa{sv}}}"));
    for (guint i = 0; i < allowed->len; i++)
      g_hash_table_add (visible, g_ptr_array_index (allowed, i));
    for (guint i = 0; i < data->always->len; i++)
      add_object_entry (&builder, g_ptr_array_index (data->always, i));
    for (guint i = 0; i < data->objs->len; i++) {
      VbObj *obj = g_ptr_array_index (data->objs, i);
      /* Still there (not removed while polkit thought) and allowed. */
      if (obj->owner != NULL && g_hash_table_contains (visible, obj))
        vb_connect_object_entry (g_ptr_array_index (data->conns, i), obj, &builder);
    }
    reply = g_dbus_message_new_method_reply (data->message);
    g_dbus_message_set_body (reply, g_variant_new ("(a{oa{sa{sv}}})", &builder));
  }
  g_dbus_connection_send_message (self->connection, reply, G_DBUS_SEND_MESSAGE_FLAGS_NONE, NULL, NULL);
  gmo_data_free (data);
}

static gboolean
handle_gmo (gpointer user_data)
{
  GmoData *data = user_data;
  VbGatekeeper *self = data->self;
  g_autolist(GDBusObject) objects = NULL;

  data->objs = g_ptr_array_new_with_free_func (g_object_unref);
  data->conns = g_ptr_array_new ();
  data->always = g_ptr_array_new_with_free_func (g_object_unref);
  /* The manager holds the connection objects; their domains, networks, …
   * are exported lazily by each VbConnect. */
  if (self->manager != NULL)
    objects = g_dbus_object_manager_get_objects (G_DBUS_OBJECT_MANAGER (self->manager));
  for (GList *l = objects; l != NULL; l = l->next) {
    GDBusObject *object = l->data;
    VbConnect *connect;
    VbObj *obj = obj_for_path (self, g_dbus_object_get_object_path (object), NULL, &connect);
    if (obj == NULL && connect != NULL)
      g_ptr_array_add (data->always, g_object_ref (object));
    /* Anything else (an object of no connection) is not shown. */
  }
  for (guint i = 0; i < self->connects->len; i++) {
    VbConnect *connect = g_ptr_array_index (self->connects, i);
    g_autoptr(GPtrArray) objs = vb_connect_list_objects (connect);
    for (guint j = 0; j < objs->len; j++) {
      g_ptr_array_add (data->objs, g_object_ref (g_ptr_array_index (objs, j)));
      g_ptr_array_add (data->conns, connect);
    }
  }
  filter_start (self, g_dbus_message_get_sender (data->message), data->objs, data->conns, NULL, on_gmo_filtered,
                data);
  return G_SOURCE_REMOVE;
}

/* Stores @value under @path/@key (owned) in @table, and @sender as one that
 * passes every check; nothing for other senders. */
static void
publish (VbGatekeeper *self, GHashTable *table, const char *sender, const char *path, char *key, GVariant *value)
{
  GHashTable *entries;

  if (!vb_gatekeeper_sees_everything (self, sender)) {
    g_free (key);
    return;
  }
  g_mutex_lock (&self->fast_lock);
  if (!g_hash_table_contains (self->fast_senders, sender))
    g_hash_table_add (self->fast_senders, g_strdup (sender));
  entries = g_hash_table_lookup (table, path);
  if (entries == NULL) {
    entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_variant_unref);
    g_hash_table_insert (table, g_strdup (path), entries);
  }
  g_hash_table_insert (entries, key, g_variant_ref_sink (value));
  g_mutex_unlock (&self->fast_lock);
}

static void
withdraw (VbGatekeeper *self, GHashTable *table, const char *path)
{
  g_mutex_lock (&self->fast_lock);
  g_hash_table_remove (table, path);
  g_mutex_unlock (&self->fast_lock);
}

/* What @sender may be answered for @path/@key from @table (a reference), or
 * NULL. Any thread. */
static GVariant *
lookup_published (VbGatekeeper *self, GHashTable *table, const char *sender, const char *path, const char *key)
{
  GVariant *value = NULL;

  g_mutex_lock (&self->fast_lock);
  if (g_hash_table_contains (self->fast_senders, sender)) {
    GHashTable *entries = g_hash_table_lookup (table, path);
    value = entries != NULL ? g_hash_table_lookup (entries, key) : NULL;
    if (value != NULL)
      g_variant_ref (value);
  }
  g_mutex_unlock (&self->fast_lock);
  return value;
}

static gboolean
send_reply (GDBusConnection *connection, GDBusMessage *call, GVariant *body)
{
  g_autoptr(GDBusMessage) reply = g_dbus_message_new_method_reply (call);

  g_dbus_message_set_body (reply, body);
  return g_dbus_connection_send_message (connection, reply, G_DBUS_SEND_MESSAGE_FLAGS_NONE, NULL, NULL);
}

void
vb_gatekeeper_publish_properties (VbGatekeeper *self, const char *sender, const char *path, const char *iface,
                                  GVariant *all)
{
  publish (self, self->fast_props, sender, path, g_strdup (iface), all);
}

void
vb_gatekeeper_withdraw_properties (VbGatekeeper *self, const char *path)
{
  withdraw (self, self->fast_props, path);
}

static char *
reply_key (const char *iface, const char *member, guint32 arg)
{
  return g_strdup_printf ("%s.%s(%u)", iface, member, arg);
}

void
vb_gatekeeper_publish_reply (VbGatekeeper *self, const char *sender, const char *path, const char *iface,
                             const char *member, guint32 arg, GVariant *reply)
{
  publish (self, self->fast_replies, sender, path, reply_key (iface, member, arg), reply);
}

void
vb_gatekeeper_withdraw_replies (VbGatekeeper *self, const char *path)
{
  withdraw (self, self->fast_replies, path);
}

/* In GDBus' worker thread: a published reply to a call with one uint32
 * argument (ListDomains(0), …) for a caller that passes every check. */
static gboolean
answer_published_call (VbGatekeeper *self, GDBusConnection *connection, GDBusMessage *message)
{
  const char *sender = g_dbus_message_get_sender (message);
  const char *path = g_dbus_message_get_path (message);
  const char *iface = g_dbus_message_get_interface (message);
  const char *member = g_dbus_message_get_member (message);
  GVariant *body = g_dbus_message_get_body (message);
  g_autoptr(GVariant) published = NULL;
  g_autofree char *key = NULL;
  guint32 arg;

  if (sender == NULL || path == NULL || iface == NULL || member == NULL || body == NULL ||
      (g_dbus_message_get_flags (message) & G_DBUS_MESSAGE_FLAGS_NO_REPLY_EXPECTED) != 0 ||
      !g_variant_is_of_type (body, G_VARIANT_TYPE ("(u)")))
    return FALSE;
  g_variant_get (body, "(u)", &arg);
  key = reply_key (iface, member, arg);
  published = lookup_published (self, self->fast_replies, sender, path, key);
  return published != NULL && send_reply (connection, message, published);
}

/* In GDBus' worker thread: answers a Properties.Get/GetAll from what was
 * published, when the caller is one that passes every check. FALSE: the
 * call goes the ordinary way (authorization, the object, its errors). */
static gboolean
answer_properties (VbGatekeeper *self, GDBusConnection *connection, GDBusMessage *message)
{
  const char *member = g_dbus_message_get_member (message);
  const char *sender = g_dbus_message_get_sender (message);
  const char *path = g_dbus_message_get_path (message);
  GVariant *body = g_dbus_message_get_body (message);
  gboolean get = g_strcmp0 (member, "Get") == 0;
  const char *iface = NULL, *property = NULL;
  g_autoptr(GVariant) all = NULL;
  g_autoptr(GVariant) value = NULL;

  if ((!get && g_strcmp0 (member, "GetAll") != 0) || sender == NULL || path == NULL || body == NULL ||
      (g_dbus_message_get_flags (message) & G_DBUS_MESSAGE_FLAGS_NO_REPLY_EXPECTED) != 0 ||
      !g_variant_is_of_type (body, get ? G_VARIANT_TYPE ("(ss)") : G_VARIANT_TYPE ("(s)")))
    return FALSE;
  g_variant_get_child (body, 0, "&s", &iface);
  if (get)
    g_variant_get_child (body, 1, "&s", &property);
  all = lookup_published (self, self->fast_props, sender, path, iface);
  if (all == NULL || (get && (value = g_variant_lookup_value (all, property, NULL)) == NULL))
    return FALSE;
  return send_reply (connection, message, get ? g_variant_new ("(v)", value) : g_variant_new ("(@a{sv})", all));
}

static GDBusMessage *
gmo_filter (GDBusConnection *connection, GDBusMessage *message, gboolean incoming, gpointer user_data)
{
  VbGatekeeper *self = user_data;
  GmoData *data;

  if (!incoming || g_dbus_message_get_message_type (message) != G_DBUS_MESSAGE_TYPE_METHOD_CALL)
    return message;
  if (g_strcmp0 (g_dbus_message_get_interface (message), "org.freedesktop.DBus.Properties") == 0) {
    if (answer_properties (self, connection, message)) {
      g_object_unref (message);
      return NULL;
    }
    return message;
  }
  if (answer_published_call (self, connection, message)) {
    g_object_unref (message);
    return NULL;
  }
  if (g_strcmp0 (g_dbus_message_get_member (message), "GetManagedObjects") != 0 ||
      g_strcmp0 (g_dbus_message_get_interface (message), "org.freedesktop.DBus.ObjectManager") != 0)
    return message;
  /* self->manager is set once at start-up, before the bus name is owned. */
  if (self->manager == NULL ||
      g_strcmp0 (g_dbus_message_get_path (message),
                 g_dbus_object_manager_get_object_path (G_DBUS_OBJECT_MANAGER (self->manager))) != 0)
    return message;
  data = g_new0 (GmoData, 1);
  data->self = self;
  data->message = message; /* the filter's reference */
  g_main_context_invoke (self->context, handle_gmo, data);
  return NULL;
}
