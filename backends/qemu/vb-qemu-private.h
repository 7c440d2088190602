/* Shared between the parts of the QEMU backend: vb-qemu-backend.c (the
 * class, host queries, caps), vb-qemu-domain.c (VbDomainOps) and
 * vb-qemu-process.c (QEMU processes, QMP events, reattach). */
#pragma once

#include <sys/types.h>

#include "vb-child.h"
#include "vb-domain-def.h"
#include "vb-domain-ops.h"
#include "vb-error.h"
#include "vb-path-policy.h"
#include "vb-qemu-backend.h"
#include "vb-qemu-caps.h"
#include "vb-qmp.h"

G_BEGIN_DECLS

/* ---- libvirt's numeric codes ---- */

/* virDomainEventType and its details. */
enum {
  VB_QEMU_EV_DEFINED = 0, VB_QEMU_EV_UNDEFINED = 1, VB_QEMU_EV_STARTED = 2, VB_QEMU_EV_SUSPENDED = 3,
  VB_QEMU_EV_RESUMED = 4, VB_QEMU_EV_STOPPED = 5, VB_QEMU_EV_SHUTDOWN = 6, VB_QEMU_EV_PMSUSPENDED = 7,
  VB_QEMU_EV_CRASHED = 8,
};
enum { VB_QEMU_DEFINED_ADDED = 0, VB_QEMU_DEFINED_UPDATED = 1, VB_QEMU_DEFINED_RENAMED = 2,
       VB_QEMU_DEFINED_FROM_SNAPSHOT = 3 };
enum { VB_QEMU_UNDEFINED_REMOVED = 0, VB_QEMU_UNDEFINED_RENAMED = 1 };
enum { VB_QEMU_STARTED_BOOTED = 0, VB_QEMU_STARTED_MIGRATED = 1, VB_QEMU_STARTED_RESTORED = 2,
       VB_QEMU_STARTED_FROM_SNAPSHOT = 3, VB_QEMU_STARTED_WAKEUP = 4 };
enum { VB_QEMU_SUSPENDED_PAUSED = 0, VB_QEMU_SUSPENDED_MIGRATED = 1, VB_QEMU_SUSPENDED_IOERROR = 2,
       VB_QEMU_SUSPENDED_RESTORED = 4, VB_QEMU_SUSPENDED_FROM_SNAPSHOT = 5, VB_QEMU_SUSPENDED_API_ERROR = 6,
       VB_QEMU_SUSPENDED_POSTCOPY = 7 };
enum { VB_QEMU_RESUMED_UNPAUSED = 0, VB_QEMU_RESUMED_MIGRATED = 1, VB_QEMU_RESUMED_FROM_SNAPSHOT = 2,
       VB_QEMU_RESUMED_POSTCOPY = 3 };
enum {
  VB_QEMU_STOPPED_SHUTDOWN = 0, VB_QEMU_STOPPED_DESTROYED = 1, VB_QEMU_STOPPED_CRASHED = 2,
  VB_QEMU_STOPPED_MIGRATED = 3, VB_QEMU_STOPPED_SAVED = 4, VB_QEMU_STOPPED_FAILED = 5,
  VB_QEMU_STOPPED_FROM_SNAPSHOT = 6,
};
enum { VB_QEMU_SHUTDOWN_FINISHED = 0, VB_QEMU_SHUTDOWN_GUEST = 1, VB_QEMU_SHUTDOWN_HOST = 2 };
enum { VB_QEMU_PMSUSPENDED_MEMORY = 0 };
enum { VB_QEMU_CRASHED_PANICKED = 0 };

/* Per-state reasons (virDomainRunningReason, …). */
enum { VB_QEMU_RUNNING_UNKNOWN = 0, VB_QEMU_RUNNING_BOOTED = 1, VB_QEMU_RUNNING_MIGRATED = 2,
       VB_QEMU_RUNNING_RESTORED = 3, VB_QEMU_RUNNING_FROM_SNAPSHOT = 4, VB_QEMU_RUNNING_UNPAUSED = 5,
       VB_QEMU_RUNNING_MIGRATION_CANCELED = 6, VB_QEMU_RUNNING_SAVE_CANCELED = 7, VB_QEMU_RUNNING_WAKEUP = 8,
       VB_QEMU_RUNNING_POSTCOPY = 10 };
enum { VB_QEMU_PAUSED_UNKNOWN = 0, VB_QEMU_PAUSED_USER = 1, VB_QEMU_PAUSED_MIGRATION = 2, VB_QEMU_PAUSED_SAVE = 3,
       VB_QEMU_PAUSED_DUMP = 4, VB_QEMU_PAUSED_IOERROR = 5, VB_QEMU_PAUSED_FROM_SNAPSHOT = 7,
       VB_QEMU_PAUSED_SHUTTING_DOWN = 8, VB_QEMU_PAUSED_SNAPSHOT = 9, VB_QEMU_PAUSED_CRASHED = 10,
       VB_QEMU_PAUSED_STARTING_UP = 11, VB_QEMU_PAUSED_POSTCOPY = 12 };
enum { VB_QEMU_SHUTDOWN_REASON_USER = 1 };
enum {
  VB_QEMU_SHUTOFF_UNKNOWN = 0, VB_QEMU_SHUTOFF_SHUTDOWN = 1, VB_QEMU_SHUTOFF_DESTROYED = 2,
  VB_QEMU_SHUTOFF_CRASHED = 3, VB_QEMU_SHUTOFF_MIGRATED = 4, VB_QEMU_SHUTOFF_SAVED = 5, VB_QEMU_SHUTOFF_FAILED = 6,
  VB_QEMU_SHUTOFF_FROM_SNAPSHOT = 7,
};
enum { VB_QEMU_CRASHED_REASON_PANICKED = 1 };

/* virDomainCreateFlags, virDomainShutdownFlagValues, virDomainDestroyFlags. */
enum {
  VB_QEMU_START_PAUSED = 1 << 0, VB_QEMU_START_AUTODESTROY = 1 << 1, VB_QEMU_START_BYPASS_CACHE = 1 << 2,
  VB_QEMU_START_FORCE_BOOT = 1 << 3, VB_QEMU_START_VALIDATE = 1 << 4, VB_QEMU_START_RESET_NVRAM = 1 << 5,
};
enum {
  VB_QEMU_SHUTDOWN_ACPI = 1 << 0, VB_QEMU_SHUTDOWN_AGENT = 1 << 1, VB_QEMU_SHUTDOWN_INITCTL = 1 << 2,
  VB_QEMU_SHUTDOWN_SIGNAL = 1 << 3, VB_QEMU_SHUTDOWN_PARAVIRT = 1 << 4,
};
enum { VB_QEMU_DESTROY_GRACEFUL = 1 << 0 };

/* Why a running QEMU is going away (decides the STOPPED detail). */
typedef enum {
  VB_QEMU_STOP_NONE = 0,   /* not asked: an exit now is a failure */
  VB_QEMU_STOP_SHUTDOWN,   /* the guest powered off and on_poweroff destroys it */
  VB_QEMU_STOP_DESTROY,    /* Destroy */
  VB_QEMU_STOP_CRASH,      /* the guest panicked and on_crash destroys it */
  VB_QEMU_STOP_SAVED,      /* Save/ManagedSave wrote its state: STOPPED SAVED */
  VB_QEMU_STOP_MIGRATED,   /* migrated away: STOPPED MIGRATED */
  VB_QEMU_STOP_SNAPSHOT,   /* reverted to a snapshot of the shut-off domain */
} VbQemuStopCause;

/* Per-domain state of the parts in their own files (each defines its
 * struct; NULL while unused). */
typedef struct _VbQemuAgent VbQemuAgent;       /* vb-qemu-agent.c */
typedef struct _VbQemuJob VbQemuJob;           /* vb-qemu-job.c */
typedef struct _VbQemuHotplug VbQemuHotplug;   /* vb-qemu-hotplug.c */
typedef struct _VbQemuSnapshots VbQemuSnapshots; /* vb-qemu-snapshot.c */
typedef struct _VbQemuStats VbQemuStats;       /* vb-qemu-stats.c */
typedef struct _VbQemuMigration VbQemuMigration; /* vb-qemu-migrate.c */
typedef struct _VbQemuBlockJobs VbQemuBlockJobs; /* vb-qemu-blockjob.c */

struct _VbQemuBackend {
  VbBackend parent_instance;

  char *emulator;        /* the QEMU binary domains run with */
  char *qemu_user;       /* system mode: user QEMU runs as; NULL = stay root */
  uid_t qemu_uid;
  gid_t qemu_gid;
  GError *user_error;    /* qemu_user could not be resolved */

  VbQemuCaps *caps;      /* NULL until probed (or when the probe failed) */
  GError *caps_error;
  gboolean caps_done;
  GPtrArray *caps_waiters; /* GTask: run once the probe finished */
  GTask *open_task;      /* open_async, completed when the probe and the storage load finished */
  guint open_pending;    /* of those two */
  gint64 open_started;   /* monotonic µs, to log how long opening took */

  int next_id;           /* ids of running domains, as libvirt hands them out */
  gboolean index_dirty;  /* definitions changed since the domain index was written */
  GHashTable *load_dirs; /* while loading: directory → set of its entries (vb_qemu_lib_entry_exists) */
  GCancellable *cancellable;
  gboolean closing;
};

/* Per-domain backend data (VbObj->backend_data). */
typedef struct {
  VbQemuBackend *backend; /* not owned: outlives its domains */
  VbObj *dom;             /* not owned: the VbObj owns us */

  GPid pid;               /* 0 when not running */
  guint64 start_time;     /* /proc/<pid>/stat field 22, against pid reuse */
  int pidfd;              /* -1 when not running */
  GArray *helpers;        /* int: pidfds of the helpers this daemon started for the QEMU (swtpm, virtiofsd) */
  gboolean remove_tpm;    /* undefined while running: its TPM state goes when it stops */
  guint pidfd_watch;
  VbQmp *qmp;
  guint kill_timer;
  int kill_stage;

  guint save_state_id;    /* a state change's runtime file write, pending */
  gboolean starting;      /* start in progress: QMP STOP/RESUME are ours */
  gboolean silent_exit;   /* a failed start killed it: no STOPPED event */
  gboolean fake_reboot;   /* Reboot by ACPI: reset at the guest's power-off */
  VbQemuStopCause stop_cause;
  gboolean guest_shutdown;
  GPtrArray *exit_waiters; /* GTask completed (void) when the process is gone */
  GPtrArray *grants;      /* VbQemuGrant: image access given to the QEMU user */

  /* A job that stops the CPUs itself (save, migration, snapshot) sets
   * these first, so the QMP STOP it causes is reported with its reason
   * and SUSPENDED detail instead of as a user pause; -1 = not expected. */
  int pause_reason;
  int pause_detail;
  /* Likewise for a `cont` a part sends to undo its pause (a failed save,
   * dump or migration, a recovery): the RESUME is reported with this
   * running reason and RESUMED detail, once; -1 = a plain unpause. */
  int resume_reason;
  int resume_detail;

  JsonObject *reattach_state; /* the state file of a reattach, until QMP is connected */
  /* <clock offset='variable'>: the adjustment this QEMU's RTC started
   * with; QEMU's RTC_CHANGE offsets are relative to it. */
  gint64 rtc_adjustment0;
  /* Create/CreateXML with AUTODESTROY: the client (vb-client.h) whose
   * leaving destroys this run: pending until the start is over, then
   * watched. */
  char *autodestroy_pending;
  char *autodestroy_client;
  guint autodestroy_watch;

  VbQemuAgent *agent;
  VbQemuJob *job;
  VbQemuHotplug *hotplug;
  VbQemuSnapshots *snapshots;
  VbQemuStats *stats;
  VbQemuMigration *migration;
  VbQemuBlockJobs *blockjobs;
} VbQemuDom;

static inline VbQemuDom *
vb_qemu_dom (VbObj *dom)
{
  return dom->backend_data;
}

/* ---- parts ----
 *
 * Besides the core lifecycle (vb-qemu-domain.c, vb-qemu-process.c) the
 * backend is made of parts, one file each (guest agent, hotplug, jobs and
 * save/restore, snapshots, stats, migration). A part plugs its VbDomainOps
 * vfuncs in and hears about the life of each domain through these hooks
 * (every member may be NULL). */
typedef struct {
  const char *name;
  /* Sets the part's VbDomainOps vfuncs. */
  void (*ops_init) (VbDomainOpsInterface *iface);
  /* A domain was loaded from its config at daemon start, or defined. */
  void (*loaded) (VbQemuBackend *self, VbObj *dom);
  /* @dom's QEMU runs and its QMP is connected: after a start (before the
   * STARTED event) and after a reattach. */
  void (*running) (VbObj *dom);
  /* @dom's QEMU process is gone, or no longer watched (daemon shutdown,
   * @detached TRUE): drop per-process state (sockets, pending requests). */
  void (*stopped) (VbObj *dom, gboolean detached);
  /* A QMP event of a running domain; TRUE when the part consumed it (the
   * core then ignores it). */
  gboolean (*event) (VbObj *dom, const char *name, JsonObject *data);
  /* Undefine (with its flags) and Rename of an inactive domain: refuse
   * with @error, or move/remove what the part keeps on disk. Called before
   * the core acts; the first refusal stops the operation. */
  gboolean (*undefine) (VbObj *dom, guint flags, GError **error);
  gboolean (*rename) (VbObj *dom, const char *new_name, GError **error);
  /* The VbObj goes away: free the part's per-domain state. */
  void (*dom_free) (VbQemuDom *d);
  /* The runtime state file is written: add members a later daemon needs
   * to pick up what the part was doing (@b is inside the file's object). */
  void (*save_state) (VbObj *dom, JsonBuilder *b);
  /* A new daemon reattached to @dom's QEMU (QMP connected, after
   * .running): @state is the runtime state file it found. */
  void (*reattached) (VbObj *dom, JsonObject *state);
} VbQemuPart;

extern const VbQemuPart vb_qemu_part_agent;
extern const VbQemuPart vb_qemu_part_hotplug;
extern const VbQemuPart vb_qemu_part_job;
extern const VbQemuPart vb_qemu_part_snapshot;
extern const VbQemuPart vb_qemu_part_stats;
extern const VbQemuPart vb_qemu_part_migrate;
extern const VbQemuPart vb_qemu_part_save; /* vb-qemu-save.c (save/restore part) */
extern const VbQemuPart vb_qemu_part_blockjob;
/* NULL-terminated. */
extern const VbQemuPart *const vb_qemu_parts[];

/* ---- vb-qemu-blockjob.c ---- */
/* The block node at the top of running @disk's chain, the one QMP commands
 * on the disk name: "<alias>-fmt" as the command line and hotplug make it,
 * until a block job pivots the disk onto another image. */
char *vb_qemu_disk_root_node (VbObj *dom, const VbDomainDiskDef *disk);
/* The disk was unplugged or got a new medium: its root is "<alias>-fmt"
 * again (or gone). */
void vb_qemu_disk_root_reset (VbObj *dom, const char *alias);
/* Reads every disk's top image, format and backing chain (and the node it
 * sits on) back from QEMU into the live definition, as after a block job;
 * completes @task [void] (its source object must be @dom). */
void vb_qemu_disk_refresh_all (VbObj *dom, GTask *task);
/* The index= of each image of running @disk's chain in the live XML, which
 * "<target>[N]" names in block job calls: 1 at the bottom, counting up to
 * the top, so that overlays added on top leave the lower ones' alone. */
void vb_qemu_disk_number_chain (VbDomainDiskDef *disk);
/* Whether a block job runs on running @dom's disk @target (any disk when
 * NULL). */
gboolean vb_qemu_disk_has_block_job (VbObj *dom, const char *target);
/* Commits image @top of running @dom's disk @target into the image right
 * below it (@remove: then deletes @top), as BlockCommit with SHALLOW (and
 * DELETE) would, and, when @top is the disk's active layer, pivots the
 * disk onto that image as soon as the commit is ready. The BlockJob signal
 * tells its progress as for any commit. Completes @task [void] when the
 * job ended: an error when it failed, was cancelled or did not pivot. A
 * merge found again by a restarted daemon is finished by it (pivot,
 * definitions, images), which then calls vb_qemu_snapshot_merge_ended. */
void vb_qemu_disk_merge (VbObj *dom, const char *target, const char *top, gboolean remove, GTask *task);

/* ---- vb-qemu-snapshot.c ---- */
/* A merge of a snapshot deletion ended after a daemon restart: the
 * deletion is finished from the images as they are now. */
void vb_qemu_snapshot_merge_ended (VbObj *dom);

/* vb-qemu-save.c, for external memory snapshots: writes running or paused
 * @dom's memory to a save image at @path (created, or an existing file
 * truncated) with QEMU's migration, and completes with the guest's CPUs
 * stopped and QEMU still there — stopped first (or, @live, by QEMU once
 * the state is written, the guest running meanwhile). The caller has begun
 * a job (uses_migration) and ends it; what it does after must also let
 * the CPUs run again (or take the disks back, vb_qemu_job_reactivate_async),
 * also on failure, when a file it created is removed (QEMU itself runs a
 * live guest again when its migration fails). */
void vb_qemu_save_memory_async (VbObj *dom, const char *path, gboolean live, GAsyncReadyCallback callback,
                                gpointer user_data);
gboolean vb_qemu_save_memory_finish (GAsyncResult *result, GError **error);

/* ---- vb-qemu-tpm.c ---- */
/* @def's <tpm> with an emulator backend, or NULL. */
const VbDomainTpmDef *vb_qemu_tpm_emulator (const VbDomainDef *def);
/* Version 2.0 (the default) rather than 1.2. */
gboolean vb_qemu_tpm_is_v2 (const VbDomainTpmDef *tpm);
/* Where @def's emulated TPM keeps its state: <lib>/swtpm/<uuid>/tpm2. */
char *vb_qemu_tpm_state_dir (VbQemuBackend *self, const VbDomainDef *def);
/* Makes the state of @dom's emulated TPM with swtpm_setup unless it has
 * one; completes at once without an emulated TPM. @dom is the task's
 * source object. */
void vb_qemu_tpm_setup_async (VbQemuBackend *self, VbObj *dom, GAsyncReadyCallback callback, gpointer user_data);
gboolean vb_qemu_tpm_setup_finish (GAsyncResult *result, GError **error);
/* Starts @dom's swtpm with its control channel listening at @socket_path;
 * a pidfd of it, or -1 with @error. */
int vb_qemu_tpm_spawn (VbQemuBackend *self, VbObj *dom, const char *socket_path, GError **error);
/* Removes everything of the emulated TPMs of the domain @uuid (its
 * directory under <lib>/swtpm). */
gboolean vb_qemu_tpm_remove_state (VbQemuBackend *self, const char *uuid, GError **error);

/* ---- vb-qemu-host.c, vb-qemu-smbios.c: the host's own queries ---- */
/* @path (relative: "proc/stat") on the host, under VIRTBUS_HOST_ROOT when
 * set (tests). */
char *vb_qemu_host_path (const char *path);
/* Sets the host query vfuncs of VbBackendClass. */
void vb_qemu_host_class_init (VbBackendClass *klass);
/* GetSysinfo: the host's SMBIOS tables as libvirt's <sysinfo type='smbios'>. */
char *vb_qemu_smbios_get_sysinfo (VbBackend *backend, guint flags, GError **error);

/* ---- vb-qemu-virtiofs.c ---- */
/* The virtiofsd binary of this host, or NULL. */
char *vb_qemu_virtiofsd_path (void);
/* Starts the virtiofsd of @dom's filesystem @index, listening at
 * @socket_path; its messages go to @log_fd. A pidfd, or -1 with @error. */
int vb_qemu_virtiofs_spawn (VbQemuBackend *self, VbObj *dom, guint index, const char *socket_path, int log_fd,
                            GError **error);

/* ---- vb-qemu-process.c ---- */
/* A unix stream socket bound at @path and listening (close-on-exec), or
 * -1 with @error: what a child gets to accept on, bound before it runs. */
int vb_qemu_listen_unix (const char *path, GError **error);
/* Starts a helper QEMU connects to (not daemonized, in a session of its
 * own, umask 077): @argv, with a socket listening at @socket_path as its
 * descriptor @socket_fd, stdin /dev/null, stdout and stderr to @out_fd
 * (-1: /dev/null); as the QEMU user in system mode when @as_qemu_user.
 * Reaped as an adopted child. A pidfd of it, or -1 with @error. */
int vb_qemu_spawn_helper (VbQemuBackend *self, const char *const *argv, const char *socket_path, int socket_fd,
                          int out_fd, gboolean as_qemu_user, GError **error);

/* ---- vb-qemu-stats.c ---- */
/* The entry of query-block / query-blockstats for the device @alias. */
JsonObject *vb_qemu_find_by_qdev (JsonArray *list, const char *alias);

/* ---- vb-qemu-backend.c ---- */
/* Runs @func(backend, user_data) once the caps probe finished (at once if
 * it has); the probe's failure is handed over as @error. */
typedef void (*VbQemuCapsReadyFunc) (VbQemuBackend *self, const VbQemuCaps *caps, const GError *error,
                                     gpointer user_data);
void vb_qemu_backend_when_caps_ready (VbQemuBackend *self, VbQemuCapsReadyFunc func, gpointer user_data);
/* The qemu-img that comes with the emulator, else the one on $PATH. */
char *vb_qemu_backend_qemu_img (VbQemuBackend *self);
/* Per-domain runtime directory and files. */
char *vb_qemu_domain_run_dir (VbQemuBackend *self, const char *name);
char *vb_qemu_domain_state_path (VbQemuBackend *self, const char *name);
char *vb_qemu_domain_config_path (VbQemuBackend *self, const char *name);
char *vb_qemu_domain_autostart_path (VbQemuBackend *self, const char *name);
char *vb_qemu_domain_log_path (VbQemuBackend *self, const char *name);
/* Where the guests' UEFI variable stores are made: <lib>/nvram. */
char *vb_qemu_nvram_dir (VbQemuBackend *self);
/* <os firmware='efi'>: the loader and NVRAM of the firmware that fits,
 * from the host's firmware descriptors (vb-qemu-firmware.h), written into
 * @def. */
gboolean vb_qemu_domain_fill_firmware (VbQemuBackend *self, VbDomainDef *def, const VbQemuCaps *caps,
                                       GError **error);
/* The host's UEFI firmware for @caps' architecture, as chosen from (the
 * descriptors, else OVMF found at its usual paths). */
GPtrArray *vb_qemu_backend_firmware (VbQemuBackend *self, const VbQemuCaps *caps);
/* Children and orphans: service/vb-child.h. */

/* ---- vb-qemu-access.c ---- */
/* System mode: access for the QEMU user to a domain's images, kernels,
 * loader and nvram (an ACL entry each; read-only where QEMU only reads),
 * and what they looked like before. */
typedef struct _VbQemuGrant VbQemuGrant;
void vb_qemu_grant_free (gpointer grant);
/* The grants made, or NULL and @error (then nothing is changed). */
GPtrArray *vb_qemu_access_grant (const VbDomainDef *def, uid_t uid, GError **error);
/* Puts back what vb_qemu_access_grant changed. */
void vb_qemu_access_restore (GPtrArray *grants);
/* For the runtime state file. */
JsonNode *vb_qemu_access_to_json (GPtrArray *grants);
GPtrArray *vb_qemu_access_from_json (JsonNode *node);

/* ---- vb-qemu-domain.c ---- */
void vb_qemu_domain_ops_init (VbDomainOpsInterface *iface);
/* Loads config_dir/\*.xml, reattaches run_dir/\*.state. */
gboolean vb_qemu_domain_load_all (VbQemuBackend *self, GError **error);
/* Starts the domains marked autostart (after the caps probe). */
void vb_qemu_domain_autostart_all (VbQemuBackend *self);
gboolean vb_qemu_domain_resolve_volumes (VbQemuBackend *self, VbDomainDef *def, gboolean required, GError **error);
gboolean vb_qemu_domain_resolve_volume (VbQemuBackend *self, VbDomainDiskDef *disk, gboolean required,
                                        GError **error);
VbObj *vb_qemu_domain_new_obj (VbQemuBackend *self, VbDomainDef *def);
/* A persistent domain known from the domain index (vb-qemu-index.c): its
 * ->def is NULL until vb_qemu_domain_ensure_def parses its config file. */
VbObj *vb_qemu_domain_new_lazy_obj (VbQemuBackend *self, const char *name, const char *uuid);
/* Makes sure @dom->def is there (parses the config file of a domain loaded
 * lazily). Everything that reads the definition of a domain that may not
 * have been used since start-up goes through this first; calls on the
 * domain's D-Bus object do so through VbBackendClass.prepare_object. */
gboolean vb_qemu_domain_ensure_def (VbObj *dom, GError **error);
/* Whether <lib dir>/@subdir/@name may exist. perf: while the domains are
 * loaded at start-up each directory is read once, so the parts' "loaded"
 * hooks ask about thousands of names without a failed lookup each; at any
 * other time (and for names that are there) it checks the file itself. */
gboolean vb_qemu_lib_entry_exists (VbQemuBackend *self, const char *subdir, const char *name);
/* Writes the domain index again if definitions changed (at close). */
void vb_qemu_domain_write_index (VbQemuBackend *self);
void vb_qemu_emit (VbQemuBackend *self, VbObj *dom, int event, int detail);
/* Writes @dom's persistent definition to its config file (atomically). */
gboolean vb_qemu_domain_save_config (VbQemuBackend *self, VbObj *dom, GError **error);

/* ---- host paths of a definition (authorization) ----
 *
 * Every host file a definition makes the (root) daemon or QEMU open, with
 * the access it needs. For callers that are not root, each is checked with
 * vb_path_policy_check against the caller's credentials before the
 * definition is accepted (vb-path-policy.h). */
typedef struct {
  const char *path; /* borrowed from the def */
  int access;       /* R_OK, W_OK */
  guint flags;      /* VbPathPolicyFlags */
  char *what;       /* "disk 'vda'", "kernel", … */
} VbQemuHostPath;

/* GArray of VbQemuHostPath (clears its `what`s when freed). */
GArray *vb_qemu_domain_host_paths (const VbDomainDef *def);
/* Fails with VB_ERROR_NOT_AUTHORIZED naming the first path the caller may
 * not use; @creds NULL (root, the session's user) passes everything. */
gboolean vb_qemu_domain_check_host_paths (const VbDomainDef *def, const VbCallerCreds *creds, GError **error);

G_END_DECLS
