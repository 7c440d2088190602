/* The domain snapshot XML model: libvirt's <domainsnapshot> document
 * (schema domainsnapshot.rng) parsed into typed structures and formatted
 * back. The embedded <domain> / <inactiveDomain> use the domain model.
 */
#pragma once

#include <glib.h>

#include "vb-domain-def.h"

G_BEGIN_DECLS

/* Flags of vb_snapshot_def_format(): libvirt's virDomainSnapshotXMLFlags. */
typedef enum {
  VB_SNAPSHOT_XML_SECURE = 1 << 0, /* include passwords in the embedded domain */
} VbSnapshotXmlFlags;

/* Flags of vb_snapshot_def_parse_full(). */
typedef enum {
  /* SnapshotCreateXML input: only <name>, <description>, <memory> and
   * <disks> are allowed; a missing name is generated from the creation
   * time, which is set to now. Without this flag (redefine / internal
   * storage) everything is accepted and <name> and <creationTime> are
   * required. */
  VB_SNAPSHOT_PARSE_USER = 1 << 0,
} VbSnapshotParseFlags;

/* The domain state recorded by the snapshot. */
typedef enum {
  VB_SNAPSHOT_STATE_NONE = 0, /* absent */
  VB_SNAPSHOT_STATE_RUNNING,
  VB_SNAPSHOT_STATE_BLOCKED,
  VB_SNAPSHOT_STATE_PAUSED,
  VB_SNAPSHOT_STATE_SHUTDOWN,
  VB_SNAPSHOT_STATE_SHUTOFF,
  VB_SNAPSHOT_STATE_CRASHED,
  VB_SNAPSHOT_STATE_DISK_SNAPSHOT,
  VB_SNAPSHOT_STATE_LAST
} VbSnapshotState;

/* How memory or a disk is captured. */
typedef enum {
  VB_SNAPSHOT_LOCATION_DEFAULT = 0, /* snapshot= absent: the hypervisor decides */
  VB_SNAPSHOT_LOCATION_NO,
  VB_SNAPSHOT_LOCATION_INTERNAL,
  VB_SNAPSHOT_LOCATION_EXTERNAL,
  VB_SNAPSHOT_LOCATION_MANUAL, /* disks only */
  VB_SNAPSHOT_LOCATION_LAST
} VbSnapshotLocation;

typedef enum {
  VB_SNAPSHOT_DISK_TYPE_FILE,
  VB_SNAPSHOT_DISK_TYPE_BLOCK,
  VB_SNAPSHOT_DISK_TYPE_LAST
} VbSnapshotDiskType;

typedef struct {
  char *name;                 /* the domain disk: target ("vda") or source path */
  VbSnapshotLocation snapshot;
  VbSnapshotDiskType type;    /* external only */
  char *driver_type;          /* <driver type=>: storage format of the new file */
  char *src_path;             /* <source file=> / <source dev=>: the new overlay */
} VbSnapshotDiskDef;

void vb_snapshot_disk_def_free (gpointer disk);

typedef struct {
  char *name;         /* always set after parsing */
  char *description;
  VbSnapshotState state;
  gboolean has_creation_time;
  gint64 creation_time; /* seconds since the epoch */
  char *parent;         /* parent snapshot's name; NULL for a root */
  VbSnapshotLocation memory;
  char *memory_file;    /* external memory state */
  GPtrArray *disks;     /* VbSnapshotDiskDef, in document order */
  int active;           /* <active>: -1 absent, 0 or 1 (libvirt's internal "current" marker) */
  VbDomainDef *domain;          /* the domain at snapshot time; NULL when absent */
  VbDomainDef *inactive_domain; /* its persistent config when it differed */
  char *cookie;         /* the <cookie> element, serialized verbatim; NULL when absent */
} VbSnapshotDef;

VbSnapshotDef *vb_snapshot_def_new (void);

/* Parses a full document (redefine semantics: everything accepted). */
VbSnapshotDef *vb_snapshot_def_parse (const char *xml, GError **error);
/* @flags: VbSnapshotParseFlags. */
VbSnapshotDef *vb_snapshot_def_parse_full (const char *xml, guint flags, GError **error);

/* @flags: VbSnapshotXmlFlags. The embedded domains are written as
 * persistent config (no id, no live-only data), as libvirt does. */
char *vb_snapshot_def_format (const VbSnapshotDef *def, guint flags);

VbSnapshotDef *vb_snapshot_def_copy (const VbSnapshotDef *def);
void vb_snapshot_def_free (VbSnapshotDef *def);

/* Snapshot names follow the domain-name rule: non-empty, no '/', no
 * control characters. */
gboolean vb_snapshot_def_validate_name (const char *name, GError **error);

const char *vb_snapshot_state_to_string (VbSnapshotState state);
int vb_snapshot_state_from_string (const char *str);
const char *vb_snapshot_location_to_string (VbSnapshotLocation location);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbSnapshotDef, vb_snapshot_def_free)

G_END_DECLS
