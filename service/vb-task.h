/* Helpers for backend operations that complete a GTask (the ops
 * interfaces, vb-*-ops.h): early returns with an error, libvirt's flag
 * checks, and libvirt's "modification impact" rules (AFFECT_* flags).
 * Included by backend files only; the short macro names are theirs. */
#pragma once

#include <gio/gio.h>

#include "vb-error.h"
#include "vb-obj.h"

G_BEGIN_DECLS

/* Returns a VB_ERROR @code error on @task, then returns from the caller. */
#define FAIL(task, code, ...)                                        \
  G_STMT_START {                                                     \
    g_task_return_new_error ((task), VB_ERROR, (code), __VA_ARGS__); \
    return;                                                          \
  } G_STMT_END

/* Fails @task with VB_ERROR_UNSUPPORTED_FLAGS for flags outside @allowed. */
#define CHECK_FLAGS(task, flags, allowed, method)                        \
  G_STMT_START {                                                         \
    GError *flags_error_ = NULL;                                         \
    if (!vb_check_flags ((flags), (allowed), (method), &flags_error_)) { \
      g_task_return_error ((task), flags_error_);                        \
      return;                                                            \
    }                                                                    \
  } G_STMT_END

#define REQUIRE_ACTIVE(task, dom)                                                          \
  G_STMT_START {                                                                           \
    if (!(dom)->active)                                                                    \
      FAIL ((task), VB_ERROR_OPERATION_INVALID, "domain '%s' is not running", (dom)->name); \
  } G_STMT_END

/* virDomainModificationImpact */
enum { AFFECT_LIVE = 1 << 0, AFFECT_CONFIG = 1 << 1 };

/* libvirt's rules for @flags' AFFECT_LIVE/AFFECT_CONFIG: neither means the
 * live domain when it runs, its config otherwise; live needs a running
 * domain, config a persistent one. */
static inline gboolean
vb_resolve_affect (VbObj *dom, guint flags, gboolean *live, gboolean *config, GError **error)
{
  *live = (flags & AFFECT_LIVE) != 0;
  *config = (flags & AFFECT_CONFIG) != 0;
  if (!*live && !*config) {
    *live = dom->active;
    *config = !dom->active;
  }
  if (*live && !dom->active) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "domain '%s' is not running", dom->name);
    return FALSE;
  }
  if (*config && !dom->persistent) {
    g_set_error (error, VB_ERROR, VB_ERROR_OPERATION_INVALID, "transient domains do not have any persistent config");
    return FALSE;
  }
  return TRUE;
}

/* virConnectGetAllDomainStatsFlags */
enum {
  GETSTATS_ACTIVE = 1 << 0, GETSTATS_INACTIVE = 1 << 1, GETSTATS_PERSISTENT = 1 << 2,
  GETSTATS_TRANSIENT = 1 << 3, GETSTATS_RUNNING = 1 << 4, GETSTATS_PAUSED = 1 << 5,
  GETSTATS_SHUTOFF = 1 << 6, GETSTATS_OTHER = 1 << 7,
  GETSTATS_NOWAIT = 1 << 29, GETSTATS_BACKING = 1 << 30, GETSTATS_ENFORCE = 1u << 31,
};

/* Whether @dom passes GetAllDomainStats' state filters in @flags: within
 * each group (active/inactive, persistent/transient, run state) a domain
 * must match one of the flags given; a group without flags passes all. */
static inline gboolean
vb_domain_stats_filter (VbObj *dom, guint flags)
{
  if ((flags & (GETSTATS_ACTIVE | GETSTATS_INACTIVE)) &&
      !((flags & GETSTATS_ACTIVE && dom->active) || (flags & GETSTATS_INACTIVE && !dom->active)))
    return FALSE;
  if ((flags & (GETSTATS_PERSISTENT | GETSTATS_TRANSIENT)) &&
      !((flags & GETSTATS_PERSISTENT && dom->persistent) || (flags & GETSTATS_TRANSIENT && !dom->persistent)))
    return FALSE;
  if (flags & (GETSTATS_RUNNING | GETSTATS_PAUSED | GETSTATS_SHUTOFF | GETSTATS_OTHER)) {
    gboolean running = dom->state == VB_DOMAIN_RUNNING, paused = dom->state == VB_DOMAIN_PAUSED;
    gboolean shutoff = dom->state == VB_DOMAIN_SHUTOFF;
    if (!((flags & GETSTATS_RUNNING && running) || (flags & GETSTATS_PAUSED && paused) ||
          (flags & GETSTATS_SHUTOFF && shutoff) || (flags & GETSTATS_OTHER && !running && !paused && !shutoff)))
      return FALSE;
  }
  return TRUE;
}

G_END_DECLS
