/* Replying to D-Bus method calls: every reply of the daemon goes through
 * here, so foreign error domains are converted in exactly one place. */
#pragma once

#include <gio/gio.h>

#include "vb-obj.h"
#include "vb-path-policy.h"

G_BEGIN_DECLS

typedef struct _VbConnect VbConnect;

/* What a backend completes an operation's GTask with. */
typedef enum {
  VB_REPLY_VOID,        /* g_task_return_boolean (task, TRUE) */
  VB_REPLY_STRING,      /* g_task_return_pointer (task, char *, g_free) → s */
  VB_REPLY_OBJECT,      /* g_task_return_pointer (task, g_object_ref (VbObj), g_object_unref) → o */
  VB_REPLY_OBJECT_LIST, /* g_task_return_pointer (task, GPtrArray of VbObj (owning), g_ptr_array_unref) → ao */
  VB_REPLY_VALUE,       /* g_task_return_pointer (task, g_variant_ref_sink (v), g_variant_unref):
                         * the single out argument, of the method's out type */
  VB_REPLY_DOMAIN_STATS, /* as VB_REPLY_VALUE, an a(sa{sv}) of per-domain records (name, stats):
                          * a restricted caller gets only the records of the domains it may
                          * domain.read (libvirt's GetAllDomainStats filter) */
} VbReplyKind;

/* Replies with @error (consumed) under its D-Bus error name. */
void vb_invocation_return_gerror (GDBusMethodInvocation *invocation, GError *error);
void vb_invocation_return_error (GDBusMethodInvocation *invocation, int code, const char *format, ...)
  G_GNUC_PRINTF (3, 4);

/* A task whose completion replies to @invocation (taking over the reference
 * the method handler was given) as @kind says. Object
 * results are turned into paths through @connect. */
GTask *vb_invocation_task_new (VbConnect *connect, GDBusMethodInvocation *invocation, VbReplyKind kind);

/* For backends: the credentials of the caller an operation's task (from
 * vb_invocation_task_new) acts for, when that caller is restricted; NULL
 * for root on the system bus, the session's own user, and tasks not made
 * for a D-Bus call. Host paths in the caller's definitions are checked
 * with vb_path_policy_check (creds, …). Plain data: no D-Bus involved. */
const VbCallerCreds *vb_task_get_caller_creds (GTask *task);

/* Replies at once with a value of the method's single out type (floating ok). */
void vb_invocation_return_value (GDBusMethodInvocation *invocation, GVariant *value);
void vb_invocation_return_object (VbConnect *connect, GDBusMethodInvocation *invocation, VbObj *obj);
void vb_invocation_return_object_list (VbConnect *connect, GDBusMethodInvocation *invocation, GPtrArray *objs);

G_END_DECLS
