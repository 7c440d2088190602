/* libvirt's <sysinfo> (schema domaincommon.rng): what a domain's firmware
 * tells its guest about the machine, as SMBIOS strings (type='smbios': the
 * BIOS, the system, base boards, the chassis, OEM strings) or as fw_cfg
 * entries (type='fwcfg'). Also reads the host's own <sysinfo> (GetSysinfo)
 * for <smbios mode='host'>. */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

#include "vb-xml.h"

G_BEGIN_DECLS

typedef enum {
  VB_SYSINFO_BIOS,
  VB_SYSINFO_SYSTEM,
  VB_SYSINFO_BASE_BOARD,
  VB_SYSINFO_CHASSIS,
  VB_SYSINFO_SECTION_LAST
} VbSysinfoSectionKind;

#define VB_SYSINFO_MAX_FIELDS 7

/* One of <bios>, <system>, <baseBoard>, <chassis>: its entries by field
 * (vb_sysinfo_field_names() order), NULL where absent. Never all NULL. */
typedef struct {
  VbSysinfoSectionKind kind;
  char *fields[VB_SYSINFO_MAX_FIELDS];
} VbSysinfoSection;

typedef enum {
  VB_SYSINFO_TYPE_SMBIOS,
  VB_SYSINFO_TYPE_FWCFG,
  VB_SYSINFO_TYPE_LAST
} VbSysinfoType;

/* <entry name=''>: a value (its text) or a file's content (file=). */
typedef struct {
  char *name;
  char *value; /* NULL when file is set */
  char *file;
} VbSysinfoFwcfgEntry;

typedef struct {
  VbSysinfoType type;
  /* type smbios; NULL when absent */
  VbSysinfoSection *bios, *system, *chassis;
  GPtrArray *base_boards; /* VbSysinfoSection, in order */
  GPtrArray *oem_strings; /* char *, in order */
  /* type fwcfg */
  GPtrArray *fwcfg;       /* VbSysinfoFwcfgEntry, in order */
} VbSysinfoDef;

/* The element name of a section ("bios", "system", "baseBoard",
 * "chassis") and its entries' names (NULL-terminated; libvirt's order). */
const char *vb_sysinfo_section_name (VbSysinfoSectionKind kind);
const char *const *vb_sysinfo_field_names (VbSysinfoSectionKind kind);
/* Entry @field of @section, NULL when absent (or @section NULL). */
const char *vb_sysinfo_get (const VbSysinfoSection *section, const char *field);

VbSysinfoDef *vb_sysinfo_def_new (VbSysinfoType type);
void vb_sysinfo_def_free (VbSysinfoDef *def);
VbSysinfoDef *vb_sysinfo_def_copy (const VbSysinfoDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbSysinfoDef, vb_sysinfo_def_free)

/* Parses <sysinfo> element @node (every node read is marked consumed).
 * Empty entries are left out as libvirt does; a section left without
 * entries goes. Checks the BIOS date (mm/dd/yy or mm/dd/yyyy) and the
 * system UUID (written back canonical). */
VbSysinfoDef *vb_sysinfo_def_parse_node (xmlNode *node, GError **error);
/* The host's <sysinfo type='smbios'> as GetSysinfo gives it: its
 * <processor> and <memory_device> sections (a guest's sysinfo has none)
 * are skipped, the values taken as they are. */
VbSysinfoDef *vb_sysinfo_def_parse_host (const char *xml, GError **error);
void vb_sysinfo_def_format (VbXmlWriter *w, const VbSysinfoDef *def);

G_END_DECLS
