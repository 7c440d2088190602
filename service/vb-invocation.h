/* Replying to D-Bus method calls: every reply of the daemon goes through
 * here, so foreign error domains are converted in exactly one place. */
#pragma once

#include <gio/gio.h>

#include "vb-obj.h"

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
} VbReplyKind;

/* Replies with @error (consumed) under its D-Bus error name. */
void vb_invocation_return_gerror (GDBusMethodInvocation *invocation, GError *error);
void vb_invocation_return_error (GDBusMethodInvocation *invocation, int code, const char *format, ...)
  G_GNUC_PRINTF (3, 4);

/* A task whose completion replies to @invocation (taking over the reference
 * the method handler was given) as @kind says. Object
 * results are turned into paths through @connect. */
GTask *vb_invocation_task_new (VbConnect *connect, GDBusMethodInvocation *invocation, VbReplyKind kind);

/* Replies at once with a value of the method's single out type (floating ok). */
void vb_invocation_return_value (GDBusMethodInvocation *invocation, GVariant *value);
void vb_invocation_return_object (VbConnect *connect, GDBusMethodInvocation *invocation, VbObj *obj);
void vb_invocation_return_object_list (VbConnect *connect, GDBusMethodInvocation *invocation, GPtrArray *objs);

G_END_DECLS
