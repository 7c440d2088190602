/* The libvirt network filter format, <filter> (schema nwfilter.rng), as a
 * typed structure.
 *
 * A rule's protocol element carries many optional match attributes whose
 * values may be literals or $VARIABLE references resolved when the filter is
 * instantiated. They are kept as an ordered list of name/value pairs, each
 * checked against the kind of value its protocol allows (MAC, IPv4/IPv6
 * address or mask, port or integer range, flag list, string).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  VB_NWFILTER_ACTION_DROP = 0,
  VB_NWFILTER_ACTION_ACCEPT,
  VB_NWFILTER_ACTION_REJECT,
  VB_NWFILTER_ACTION_RETURN,
  VB_NWFILTER_ACTION_CONTINUE,
} VbNWFilterAction;

typedef enum {
  VB_NWFILTER_DIRECTION_IN = 0,
  VB_NWFILTER_DIRECTION_OUT,
  VB_NWFILTER_DIRECTION_INOUT,
} VbNWFilterDirection;

/* The protocol element of a rule; NONE for a rule without one. */
typedef enum {
  VB_NWFILTER_PROTOCOL_NONE = 0,
  VB_NWFILTER_PROTOCOL_MAC,
  VB_NWFILTER_PROTOCOL_VLAN,
  VB_NWFILTER_PROTOCOL_STP,
  VB_NWFILTER_PROTOCOL_ARP,
  VB_NWFILTER_PROTOCOL_RARP,
  VB_NWFILTER_PROTOCOL_IP,
  VB_NWFILTER_PROTOCOL_IPV6,
  VB_NWFILTER_PROTOCOL_TCP,
  VB_NWFILTER_PROTOCOL_UDP,
  VB_NWFILTER_PROTOCOL_SCTP,
  VB_NWFILTER_PROTOCOL_ICMP,
  VB_NWFILTER_PROTOCOL_IGMP,
  VB_NWFILTER_PROTOCOL_ALL,
  VB_NWFILTER_PROTOCOL_ESP,
  VB_NWFILTER_PROTOCOL_AH,
  VB_NWFILTER_PROTOCOL_UDPLITE,
  VB_NWFILTER_PROTOCOL_TCP_IPV6,
  VB_NWFILTER_PROTOCOL_UDP_IPV6,
  VB_NWFILTER_PROTOCOL_SCTP_IPV6,
  VB_NWFILTER_PROTOCOL_ICMPV6,
  VB_NWFILTER_PROTOCOL_ALL_IPV6,
  VB_NWFILTER_PROTOCOL_ESP_IPV6,
  VB_NWFILTER_PROTOCOL_AH_IPV6,
  VB_NWFILTER_PROTOCOL_UDPLITE_IPV6,
} VbNWFilterProtocol;

/* A name/value pair: a match attribute or a filterref parameter. */
typedef struct {
  char *name;
  char *value;
} VbNWFilterAttr;

typedef struct {
  VbNWFilterAction action;
  VbNWFilterDirection direction;
  gboolean has_priority;
  int priority;               /* -1000..1000 */
  gboolean statematch;        /* FALSE for statematch='false' */
  VbNWFilterProtocol protocol;
  GPtrArray *attrs;           /* VbNWFilterAttr, in document order */
} VbNWFilterRule;

typedef struct {
  char *filter;
  GPtrArray *params;          /* VbNWFilterAttr: <parameter name= value=/> */
} VbNWFilterRef;

/* Rules and references keep their relative order: exactly one is set. */
typedef struct {
  VbNWFilterRule *rule;
  VbNWFilterRef *ref;
} VbNWFilterEntry;

typedef struct {
  char *name;
  char uuid[37];
  char *chain;                /* "root" when absent */
  gboolean has_priority;
  int priority;               /* -1000..1000 */
  GPtrArray *entries;         /* VbNWFilterEntry */
} VbNWFilterDef;

const char *vb_nwfilter_action_to_string (VbNWFilterAction action);
int vb_nwfilter_action_from_string (const char *str);
const char *vb_nwfilter_direction_to_string (VbNWFilterDirection direction);
int vb_nwfilter_direction_from_string (const char *str);
/* Element names: "mac", "tcp-ipv6", ...; NONE gives NULL. */
const char *vb_nwfilter_protocol_to_string (VbNWFilterProtocol protocol);
int vb_nwfilter_protocol_from_string (const char *str);

/* The value of match attribute @name of @rule, or NULL. */
const char *vb_nwfilter_rule_get_attr (const VbNWFilterRule *rule, const char *name);

VbNWFilterDef *vb_nwfilter_def_parse (const char *xml, GError **error);
/* No flags are defined yet. */
char *vb_nwfilter_def_format (const VbNWFilterDef *def, guint flags);
VbNWFilterDef *vb_nwfilter_def_copy (const VbNWFilterDef *def);
void vb_nwfilter_def_free (VbNWFilterDef *def);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbNWFilterDef, vb_nwfilter_def_free)

G_END_DECLS
