/* VbDomainOps: what a backend implements to manage domains (and their
 * snapshots). One entry per operation of org.libvirt.Domain,
 * org.libvirt.DomainSnapshot and the domain part of org.libvirt.Connect.
 *
 * Calling convention: the service parses nothing but D-Bus; arguments arrive
 * as plain C values with libvirt's meaning (flags are libvirt's flag bits),
 * and the operation completes @task — now or later, on the main loop — as the
 * bracket says:
 *   [void]   g_task_return_boolean (task, TRUE)
 *   [s]      g_task_return_pointer (task, char *, g_free)
 *   [o]      g_task_return_pointer (task, g_object_ref (VbObj *), g_object_unref)
 *   [ao]     g_task_return_pointer (task, GPtrArray of owned VbObj *, g_ptr_array_unref)
 *   [T]      g_task_return_pointer (task, g_variant_ref_sink (value of D-Bus type T), g_variant_unref)
 * or g_task_return_error() with a VB_ERROR. The service drops its reference
 * to @task when the call returns: an operation that completes later keeps
 * its own (g_object_ref). GVariant arguments typed a{sv}
 * carry libvirt typed parameters. A NULL entry means "not supported by this
 * backend" and the service says so.
 */
#pragma once

#include "vb-backend.h"

/* The most BlockPeek and MemoryPeek read in one call (bytes). */
#define VB_DOMAIN_PEEK_MAX 65536

G_BEGIN_DECLS

#define VB_TYPE_DOMAIN_OPS (vb_domain_ops_get_type ())
G_DECLARE_INTERFACE (VbDomainOps, vb_domain_ops, VB, DOMAIN_OPS, VbBackend)

typedef void (*VbDomainFlagsOp) (VbBackend *backend, VbObj *dom, guint flags, GTask *task);

struct _VbDomainOpsInterface {
  GTypeInterface parent_iface;

  /* ---- org.libvirt.Connect ---- */
  void (*define_xml) (VbBackend *backend, const char *xml, guint flags, GTask *task);          /* [o] */
  void (*create_xml) (VbBackend *backend, const char *xml, GUnixFDList *fds, guint flags, GTask *task); /* [o] */
  void (*restore) (VbBackend *backend, const char *from, const char *xml, guint flags, GTask *task);  /* [void] */
  void (*save_image_get_xml_desc) (VbBackend *backend, const char *file, guint flags, GTask *task); /* [s] */
  void (*save_image_define_xml) (VbBackend *backend, const char *file, const char *xml, guint flags,
                                 GTask *task); /* [void] */
  void (*get_all_domain_stats) (VbBackend *backend, guint stats, guint flags, GTask *task); /* [a(sa{sv})] */

  /* ---- org.libvirt.Domain: properties ---- */
  /* Scheduler type and number of parameters, for the SchedulerType property. */
  char *(*get_scheduler_type) (VbBackend *backend, VbObj *dom, int *nparams);
  gboolean (*set_autostart) (VbBackend *backend, VbObj *dom, gboolean autostart, GError **error);

  /* ---- lifecycle ---- */
  VbDomainFlagsOp create;      /* [void] Create; @fds for CreateWithFiles via create_with_files */
  void (*create_with_files) (VbBackend *backend, VbObj *dom, GUnixFDList *fds, guint flags, GTask *task);
  VbDomainFlagsOp shutdown;    /* [void] */
  VbDomainFlagsOp reboot;      /* [void] */
  VbDomainFlagsOp reset;       /* [void] */
  VbDomainFlagsOp destroy;     /* [void] */
  void (*suspend) (VbBackend *backend, VbObj *dom, GTask *task); /* [void] */
  void (*resume) (VbBackend *backend, VbObj *dom, GTask *task);  /* [void] */
  VbDomainFlagsOp undefine;    /* [void] */
  VbDomainFlagsOp pm_wakeup;   /* [void] */
  VbDomainFlagsOp inject_nmi;  /* [void] */
  void (*rename) (VbBackend *backend, VbObj *dom, const char *name, guint flags, GTask *task); /* [void] */
  void (*save) (VbBackend *backend, VbObj *dom, const char *to, const char *xml, guint flags, GTask *task); /* [void] */
  VbDomainFlagsOp managed_save;          /* [void] */
  VbDomainFlagsOp has_managed_save_image; /* [b] */
  VbDomainFlagsOp managed_save_remove;   /* [void] */
  void (*core_dump) (VbBackend *backend, VbObj *dom, const char *to, guint dumpformat, guint flags,
                     GTask *task); /* [void] */
  void (*send_key) (VbBackend *backend, VbObj *dom, guint codeset, guint holdtime, GVariant *keycodes /* au */,
                    guint flags, GTask *task); /* [void] */
  void (*send_process_signal) (VbBackend *backend, VbObj *dom, gint64 pid, guint signum, guint flags,
                               GTask *task); /* [void] */

  /* ---- description ---- */
  VbDomainFlagsOp get_xml_desc; /* [s] */
  VbDomainFlagsOp get_state;    /* [(ii)] */
  VbDomainFlagsOp get_control_info; /* [(uut)] */
  void (*get_metadata) (VbBackend *backend, VbObj *dom, int type, const char *uri, guint flags, GTask *task); /* [s] */
  void (*set_metadata) (VbBackend *backend, VbObj *dom, int type, const char *metadata, const char *key,
                        const char *uri, guint flags, GTask *task); /* [void] */
  VbDomainFlagsOp get_hostname;     /* [s] */
  VbDomainFlagsOp get_time;         /* [(tu)] */
  void (*set_time) (VbBackend *backend, VbObj *dom, guint64 seconds, guint nseconds, guint flags, GTask *task); /* [void] */
  VbDomainFlagsOp get_security_label_list; /* [a(sb)]; flags ignored (always 0) */
  VbDomainFlagsOp get_disk_errors;  /* [a(si)] */
  VbDomainFlagsOp get_fs_info;      /* [a(sssas)] */
  void (*fs_freeze) (VbBackend *backend, VbObj *dom, const char *const *mountpoints, guint flags, GTask *task); /* [u] */
  void (*fs_thaw) (VbBackend *backend, VbObj *dom, const char *const *mountpoints, guint flags, GTask *task);   /* [u] */
  void (*fs_trim) (VbBackend *backend, VbObj *dom, const char *mountpoint, guint64 minimum, guint flags,
                   GTask *task); /* [void] */
  void (*interface_addresses) (VbBackend *backend, VbObj *dom, guint source, guint flags, GTask *task); /* [a(ssa(isu))] */
  void (*set_user_password) (VbBackend *backend, VbObj *dom, const char *user, const char *password, guint flags,
                             GTask *task); /* [void] */

  /* ---- devices ---- */
  void (*attach_device) (VbBackend *backend, VbObj *dom, const char *xml, guint flags, GTask *task); /* [void] */
  void (*detach_device) (VbBackend *backend, VbObj *dom, const char *xml, guint flags, GTask *task); /* [void] */
  void (*update_device) (VbBackend *backend, VbObj *dom, const char *xml, guint flags, GTask *task); /* [void] */
  void (*open_graphics_fd) (VbBackend *backend, VbObj *dom, guint idx, guint flags, GTask *task);
  /* [h]: return a GVariant "h" index into a GUnixFDList set with g_object_set_data_full (task, "fd-list") */
  /* org.virtbus.Domain.OpenConsole (QEMU backend): a socket connected to
   * serial console @index, returned like open_graphics_fd. Backends that
   * set it get org.virtbus.Domain on their domain objects. */
  void (*open_console) (VbBackend *backend, VbObj *dom, guint index, guint flags, GTask *task);

  /* ---- resources ---- */
  void (*set_memory) (VbBackend *backend, VbObj *dom, guint64 memory_kib, guint flags, GTask *task); /* [void] */
  void (*set_memory_stats_period) (VbBackend *backend, VbObj *dom, int period, guint flags, GTask *task); /* [void] */
  VbDomainFlagsOp memory_stats;     /* [a{it}] */
  void (*memory_peek) (VbBackend *backend, VbObj *dom, guint64 start, guint64 size, guint flags, GTask *task); /* [ay] */
  void (*set_vcpus) (VbBackend *backend, VbObj *dom, guint vcpus, guint flags, GTask *task); /* [void] */
  VbDomainFlagsOp get_vcpus;        /* [u] */
  VbDomainFlagsOp get_vcpu_pin_info; /* [aab] */
  void (*pin_vcpu) (VbBackend *backend, VbObj *dom, guint vcpu, GVariant *cpumap /* ab */, guint flags,
                    GTask *task); /* [void] */
  VbDomainFlagsOp get_emulator_pin_info; /* [ab] */
  void (*pin_emulator) (VbBackend *backend, VbObj *dom, GVariant *cpumap /* ab */, guint flags, GTask *task); /* [void] */
  VbDomainFlagsOp get_guest_vcpus;  /* [a{sv}] */
  void (*set_guest_vcpus) (VbBackend *backend, VbObj *dom, GVariant *cpumap /* ab */, int state, guint flags,
                           GTask *task); /* [void] */
  void (*add_iothread) (VbBackend *backend, VbObj *dom, guint id, guint flags, GTask *task); /* [void] */
  void (*del_iothread) (VbBackend *backend, VbObj *dom, guint id, guint flags, GTask *task); /* [void] */
  VbDomainFlagsOp get_iothread_info; /* [a(uab)] */
  void (*pin_iothread) (VbBackend *backend, VbObj *dom, guint id, GVariant *cpumap /* ab */, guint flags,
                        GTask *task); /* [void] */
  /* Typed-parameter groups: @group is one of "blkio" (Get/SetBlockIOParameters),
   * "memory", "numa", "perf", "scheduler". Get: [a{sv}]; Set: [void]. */
  void (*get_parameters) (VbBackend *backend, VbObj *dom, const char *group, guint flags, GTask *task);
  void (*set_parameters) (VbBackend *backend, VbObj *dom, const char *group, GVariant *params, guint flags,
                          GTask *task);
  /* Per-device typed parameters: "blkiotune" (disk) and "interface" (net). */
  void (*get_device_parameters) (VbBackend *backend, VbObj *dom, const char *group, const char *device, guint flags,
                                 GTask *task); /* [a{sv}] */
  void (*set_device_parameters) (VbBackend *backend, VbObj *dom, const char *group, const char *device,
                                 GVariant *params, guint flags, GTask *task); /* [void] */

  /* ---- statistics and jobs ---- */
  void (*get_stats) (VbBackend *backend, VbObj *dom, guint stats, guint flags, GTask *task); /* [a{sv}] */
  void (*get_job_info) (VbBackend *backend, VbObj *dom, GTask *task); /* [(ittttttttttt)] */
  VbDomainFlagsOp get_job_stats;    /* [(ia{sv})] */
  void (*abort_job) (VbBackend *backend, VbObj *dom, GTask *task); /* [void] */

  /* ---- block devices ---- */
  void (*block_peek) (VbBackend *backend, VbObj *dom, const char *disk, guint64 offset, guint64 size, guint flags,
                      GTask *task); /* [ay] */
  void (*block_resize) (VbBackend *backend, VbObj *dom, const char *disk, guint64 size, guint flags,
                        GTask *task); /* [void] */
  void (*block_commit) (VbBackend *backend, VbObj *dom, const char *disk, const char *base, const char *top,
                        guint64 bandwidth, guint flags, GTask *task); /* [void] */
  void (*block_copy) (VbBackend *backend, VbObj *dom, const char *disk, const char *destxml, GVariant *params,
                      guint flags, GTask *task); /* [void] */
  void (*block_job_abort) (VbBackend *backend, VbObj *dom, const char *disk, guint flags, GTask *task); /* [void] */
  void (*block_pull) (VbBackend *backend, VbObj *dom, const char *disk, guint64 bandwidth, guint flags,
                      GTask *task); /* [void] */
  void (*block_rebase) (VbBackend *backend, VbObj *dom, const char *disk, const char *base, guint64 bandwidth,
                        guint flags, GTask *task); /* [void] */
  void (*block_job_set_speed) (VbBackend *backend, VbObj *dom, const char *disk, guint64 bandwidth, guint flags,
                               GTask *task); /* [void] */
  void (*get_block_job_info) (VbBackend *backend, VbObj *dom, const char *disk, guint flags, GTask *task); /* [(ittt)] */

  /* ---- migration ---- */
  VbDomainFlagsOp migrate_get_compression_cache; /* [t] */
  void (*migrate_set_compression_cache) (VbBackend *backend, VbObj *dom, guint64 size, guint flags, GTask *task); /* [void] */
  VbDomainFlagsOp migrate_get_max_speed; /* [t] */
  void (*migrate_set_max_speed) (VbBackend *backend, VbObj *dom, guint64 bandwidth, guint flags, GTask *task); /* [void] */
  void (*migrate_set_max_downtime) (VbBackend *backend, VbObj *dom, guint64 downtime, guint flags, GTask *task); /* [void] */
  VbDomainFlagsOp migrate_start_post_copy; /* [void] */
  /* migration: org.virtbus.Domain.Migrate / org.virtbus.Migration. The
   * service runs the protocol between the two daemons (D-Bus); the backend
   * does each side's half. @flags are virDomainMigrateFlags, @params the
   * Migrate a{sv} (VIR_MIGRATE_PARAM_* names).
   * Source: checks flags and state and begins the outgoing job; returns
   * the definition the destination gets (dest_xml or the live XML). */
  void (*migrate_begin) (VbBackend *backend, VbObj *dom, GVariant *params, guint flags, GTask *task); /* [s] */
  /* Source: sends the guest to @uri; completes once QEMU sent everything
   * (the guest is then paused here). */
  void (*migrate_perform) (VbBackend *backend, VbObj *dom, const char *uri, GVariant *params, guint flags,
                           GTask *task); /* [void] */
  /* Source, last step (also after a failed begin/prepare/perform): on
   * @success the source QEMU stops (STOPPED/MIGRATED) and UNDEFINE_SOURCE
   * applies; otherwise the guest keeps (or goes back to) running here. */
  void (*migrate_confirm) (VbBackend *backend, VbObj *dom, gboolean success, guint flags, GTask *task); /* [void] */
  /* Destination: starts QEMU waiting for the stream; [a{sv}] with "uri"
   * and "cookie" (empty dict for OFFLINE, which only defines). */
  void (*migrate_prepare) (VbBackend *backend, const char *xml, GVariant *params, guint flags, GTask *task);
  /* Destination: the stream is complete: run the guest → [o]. */
  void (*migrate_finish) (VbBackend *backend, const char *cookie, guint flags, GTask *task);
  /* Destination: the migration failed: drop what prepare made → [void]. */
  void (*migrate_cancel) (VbBackend *backend, const char *cookie, guint flags, GTask *task);
  /* end migration */

  /* ---- snapshots (org.libvirt.Domain + org.libvirt.DomainSnapshot) ---- */
  void (*snapshot_create_xml) (VbBackend *backend, VbObj *dom, const char *xml, guint flags, GTask *task); /* [o] */
  VbDomainFlagsOp list_snapshots;   /* [ao] with libvirt's list filter flags */
  VbDomainFlagsOp snapshot_current; /* [o] */
  /* snapshot ops get the snapshot VbObj (its ->parent is the domain) */
  void (*snapshot_delete) (VbBackend *backend, VbObj *snap, guint flags, GTask *task);      /* [void] */
  void (*snapshot_get_parent) (VbBackend *backend, VbObj *snap, guint flags, GTask *task);  /* [o] */
  void (*snapshot_get_xml_desc) (VbBackend *backend, VbObj *snap, guint flags, GTask *task); /* [s] */
  void (*snapshot_is_current) (VbBackend *backend, VbObj *snap, guint flags, GTask *task);  /* [b] */
  void (*snapshot_list_children) (VbBackend *backend, VbObj *snap, guint flags, GTask *task); /* [ao] */
  void (*snapshot_revert) (VbBackend *backend, VbObj *snap, guint flags, GTask *task);      /* [void] */
};

G_END_DECLS
