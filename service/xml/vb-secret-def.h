/* The libvirt <secret> XML format (schema secret.rng) as a typed structure.
 *
 * The secret's value is not part of the XML: backends store it apart.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Values match libvirt's virSecretUsageType, as they travel on the wire. */
typedef enum {
  VB_SECRET_USAGE_NONE = 0,
  VB_SECRET_USAGE_VOLUME = 1,
  VB_SECRET_USAGE_CEPH = 2,
  VB_SECRET_USAGE_ISCSI = 3,
  VB_SECRET_USAGE_TLS = 4,
  VB_SECRET_USAGE_VTPM = 5,
} VbSecretUsageType;

typedef struct {
  gboolean ephemeral;         /* never written to disk */
  gboolean private;           /* value never revealed to clients */
  char uuid[37];              /* canonical; generated when the XML has none */
  char *description;          /* NULL when absent */
  VbSecretUsageType usage_type;
  /* What the secret is used for: the volume path (volume), the user/key name
   * (ceph, tls, vtpm) or the target IQN (iscsi). NULL when usage is none. */
  char *usage_id;
} VbSecretDef;

const char *vb_secret_usage_type_to_string (VbSecretUsageType type);
/* Returns the type, or -1 for an unknown string. */
int vb_secret_usage_type_from_string (const char *str);

VbSecretDef *vb_secret_def_parse (const char *xml, GError **error);
/* No flags are defined yet. */
char *vb_secret_def_format (const VbSecretDef *def, guint flags);
VbSecretDef *vb_secret_def_copy (const VbSecretDef *def);
void vb_secret_def_free (VbSecretDef *def);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbSecretDef, vb_secret_def_free)

G_END_DECLS
