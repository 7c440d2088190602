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

G_END_DECLS
