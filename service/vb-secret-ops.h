/* VbSecretOps: what a backend implements to manage secrets (passphrases and
 * keys that other objects refer to by uuid or usage). One entry per
 * operation of org.libvirt.Secret and SecretDefineXML of org.libvirt.Connect;
 * listing and the lookups are answered by the service from the backend's
 * object registry (the VbSecretDef on each VbObj's ->def).
 *
 * Same calling convention as VbDomainOps (see vb-domain-ops.h): plain C
 * arguments with libvirt's meaning, the operation completes @task as the
 * bracket says, a NULL entry means "not supported by this backend".
 */
#pragma once

#include "vb-backend.h"

G_BEGIN_DECLS

/* libvirt's virSecretEventLifecycleType: the event argument of
 * org.libvirt.Connect.SecretEvent (detail is always 0). libvirt reports
 * value changes through a separate event id that libvirt-dbus does not
 * carry, so there is no code for them here. */
typedef enum {
  VB_SECRET_EVENT_DEFINED = 0,
  VB_SECRET_EVENT_UNDEFINED = 1,
} VbSecretEventType;

/* libvirt's virConnectListAllSecretsFlags (ListSecrets). */
enum {
  VB_LIST_SECRETS_EPHEMERAL = 1 << 0,
  VB_LIST_SECRETS_NO_EPHEMERAL = 1 << 1,
  VB_LIST_SECRETS_PRIVATE = 1 << 2,
  VB_LIST_SECRETS_NO_PRIVATE = 1 << 3,
  VB_LIST_SECRETS_ALL_FLAGS = (1 << 4) - 1,
};

/* Largest secret value accepted by SetValue. */
#define VB_SECRET_VALUE_MAX (1024 * 1024)

#define VB_TYPE_SECRET_OPS (vb_secret_ops_get_type ())
G_DECLARE_INTERFACE (VbSecretOps, vb_secret_ops, VB, SECRET_OPS, VbBackend)

struct _VbSecretOpsInterface {
  GTypeInterface parent_iface;

  /* ---- org.libvirt.Connect ---- */
  void (*define_xml) (VbBackend *backend, const char *xml, guint flags, GTask *task); /* [o] SecretDefineXML */

  /* ---- org.libvirt.Secret: methods ---- */
  /* [VALUE ay] the secret's bytes. */
  void (*get_value) (VbBackend *backend, VbObj *secret, guint flags, GTask *task);
  /* [void] @value: @size bytes, owned by the caller. */
  void (*set_value) (VbBackend *backend, VbObj *secret, const guint8 *value, gsize size, guint flags,
                     GTask *task);
  void (*get_xml_desc) (VbBackend *backend, VbObj *secret, guint flags, GTask *task); /* [s] */
  void (*undefine) (VbBackend *backend, VbObj *secret, GTask *task);                  /* [void] */
};

G_END_DECLS
