/* GetSysinfo on qemu://: the host's SMBIOS tables, as the kernel exports
 * them (/sys/firmware/dmi/tables/DMI and smbios_entry_point), decoded into
 * libvirt's host <sysinfo type='smbios'>: the BIOS, the system, its base
 * boards and chassis, the processors, the memory devices and the OEM
 * strings. libvirt gets the same from dmidecode's text; the values here are
 * written as dmidecode writes them (string 0 "Not Specified", sizes in the
 * largest exact unit, the processor family's name, …), so both agree on
 * one host. */
#include "config.h"

#include <string.h>

#include "vb-qemu-private.h"
#include "vb-xml.h"

typedef struct {
  const guint8 *data; /* the formatted area, from the header on */
  guint8 length;      /* of the formatted area */
  const guint8 *strings;
  const guint8 *end;  /* of the string set */
} Structure;

/* ---- the table ---- */

/* The next structure at *@pos of @table, or FALSE at its end or where it is
 * cut short. */
static gboolean
next_structure (const guint8 *table, gsize size, gsize *pos, Structure *s)
{
  gsize p = *pos;
  gsize q;

  if (p + 4 > size || table[p + 1] < 4 || p + table[p + 1] > size)
    return FALSE;
  s->data = table + p;
  s->length = table[p + 1];
  s->strings = table + p + s->length;
  /* The string set ends with two NULs. */
  for (q = p + s->length; q + 1 < size && !(table[q] == 0 && table[q + 1] == 0); q++)
    ;
  if (q + 1 >= size)
    return FALSE;
  s->end = table + q;
  *pos = q + 2;
  return TRUE;
}

static guint8
byte_at (const Structure *s, guint offset)
{
  return offset < s->length ? s->data[offset] : 0;
}

static guint16
word_at (const Structure *s, guint offset)
{
  return offset + 1 < s->length ? (guint16) (s->data[offset] | s->data[offset + 1] << 8) : 0;
}

static guint32
dword_at (const Structure *s, guint offset)
{
  return offset + 3 < s->length ? (guint32) word_at (s, offset) | (guint32) word_at (s, offset + 2) << 16 : 0;
}

/* String @index of @s as dmidecode prints it: "Not Specified" for none,
 * "<BAD INDEX>" past the set, control characters as dots. */
static char *
string_at (const Structure *s, guint offset)
{
  guint8 index = byte_at (s, offset);
  const guint8 *p = s->strings;

  if (index == 0)
    return g_strdup ("Not Specified");
  for (guint i = 1; i < index && p < s->end; i++)
    p += strnlen ((const char *) p, (gsize) (s->end - p)) + 1;
  if (p >= s->end || *p == '\0')
    return g_strdup ("<BAD INDEX>");
  {
    gsize len = strnlen ((const char *) p, (gsize) (s->end - p));
    char *out = g_strndup ((const char *) p, len);

    for (char *c = out; *c; c++)
      if ((guchar) *c < 32 || (guchar) *c == 127)
        *c = '.';
    return out;
  }
}

/* The raw string @index (OEM strings keep their characters), or NULL. */
static char *
raw_string (const Structure *s, guint index)
{
  const guint8 *p = s->strings;

  if (index == 0)
    return NULL;
  for (guint i = 1; i < index && p < s->end; i++)
    p += strnlen ((const char *) p, (gsize) (s->end - p)) + 1;
  if (p >= s->end || *p == '\0')
    return NULL;
  return g_strndup ((const char *) p, strnlen ((const char *) p, (gsize) (s->end - p)));
}

/* ---- writing entries ---- */

/* An <entry name='@name'> (no name: a bare <entry>) of @value with
 * trailing blanks removed, none for a blank value (libvirt's reading of
 * dmidecode). Takes @value. */
static void
entry (VbXmlWriter *w, const char *name, char *value)
{
  gsize len = value ? strlen (value) : 0;
  g_autofree char *valid = NULL;

  while (len > 0 && g_ascii_isspace (value[len - 1]))
    value[--len] = '\0';
  if (len > 0) {
    /* XML 1.0 has no room for the other control characters. */
    for (char *c = value; *c; c++)
      if ((guchar) *c < 32 && *c != '\t' && *c != '\n' && *c != '\r')
        *c = '.';
    valid = g_utf8_make_valid (value, -1);
    if (name != NULL)
      vb_xml_writer_element (w, "entry", valid, "name", name, NULL);
    else
      vb_xml_writer_element (w, "entry", valid, NULL);
  }
  g_free (value);
}

static const char *
table_name (const char *const *names, guint count, guint code)
{
  return code >= 1 && code <= count && names[code - 1] != NULL ? names[code - 1] : "<OUT OF SPEC>";
}

/* ---- BIOS, system, base board, chassis (types 0-3) ---- */

static void
write_bios (VbXmlWriter *w, const Structure *s)
{
  if (s->length < 0x12)
    return;
  vb_xml_writer_start (w, "bios", NULL);
  entry (w, "vendor", string_at (s, 0x04));
  entry (w, "version", string_at (s, 0x05));
  entry (w, "date", string_at (s, 0x08));
  if (s->length >= 0x18 && byte_at (s, 0x14) != 0xFF)
    entry (w, "release", g_strdup_printf ("%u.%u", byte_at (s, 0x14), byte_at (s, 0x15)));
  vb_xml_writer_end (w);
}

static char *
system_uuid (const Structure *s, guint version)
{
  const guint8 *u = s->data + 0x08;
  gboolean zero = TRUE, ones = TRUE;

  for (guint i = 0; i < 16; i++) {
    zero &= u[i] == 0x00;
    ones &= u[i] == 0xFF;
  }
  if (ones)
    return g_strdup ("Not Present");
  if (zero)
    return g_strdup ("Not Settable");
  /* Since SMBIOS 2.6 the first three fields are little-endian. */
  if (version >= 0x0206)
    return g_strdup_printf ("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[3], u[2], u[1],
                            u[0], u[5], u[4], u[7], u[6], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
  return g_strdup_printf ("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2],
                          u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

static void
write_system (VbXmlWriter *w, const Structure *s, guint version)
{
  if (s->length < 0x08)
    return;
  vb_xml_writer_start (w, "system", NULL);
  entry (w, "manufacturer", string_at (s, 0x04));
  entry (w, "product", string_at (s, 0x05));
  entry (w, "version", string_at (s, 0x06));
  entry (w, "serial", string_at (s, 0x07));
  if (s->length >= 0x19)
    entry (w, "uuid", system_uuid (s, version));
  if (s->length >= 0x1B) {
    entry (w, "sku", string_at (s, 0x19));
    entry (w, "family", string_at (s, 0x1A));
  }
  vb_xml_writer_end (w);
}

static void
write_base_board (VbXmlWriter *w, const Structure *s)
{
  if (s->length < 0x08)
    return;
  vb_xml_writer_start (w, "baseBoard", NULL);
  entry (w, "manufacturer", string_at (s, 0x04));
  entry (w, "product", string_at (s, 0x05));
  entry (w, "version", string_at (s, 0x06));
  entry (w, "serial", string_at (s, 0x07));
  if (s->length >= 0x09)
    entry (w, "asset", string_at (s, 0x08));
  if (s->length >= 0x0E)
    entry (w, "location", string_at (s, 0x0A));
  vb_xml_writer_end (w);
}

static void
write_chassis (VbXmlWriter *w, const Structure *s)
{
  guint sku;

  if (s->length < 0x09)
    return;
  vb_xml_writer_start (w, "chassis", NULL);
  entry (w, "manufacturer", string_at (s, 0x04));
  entry (w, "version", string_at (s, 0x06));
  entry (w, "serial", string_at (s, 0x07));
  entry (w, "asset", string_at (s, 0x08));
  /* The SKU follows the contained elements (count × record length). */
  if (s->length >= 0x15) {
    sku = 0x15 + (guint) byte_at (s, 0x13) * byte_at (s, 0x14);
    if (s->length >= sku + 1)
      entry (w, "sku", string_at (s, sku));
  }
  vb_xml_writer_end (w);
}

/* ---- processors (type 4) ---- */

static const char *const processor_types[] = {
  "Other", "Unknown", "Central Processor", "Math Processor", "DSP Processor", "Video Processor",
};

typedef struct {
  guint16 code;
  const char *name;
} Family;

/* The SMBIOS processor families of x86 hosts (and the generic ones). */
static const Family families[] = {
  { 0x01, "Other" }, { 0x02, "Unknown" }, { 0x03, "8086" }, { 0x04, "80286" }, { 0x05, "80386" },
  { 0x06, "80486" }, { 0x07, "8087" }, { 0x08, "80287" }, { 0x09, "80387" }, { 0x0A, "80487" },
  { 0x0B, "Pentium" }, { 0x0C, "Pentium Pro" }, { 0x0D, "Pentium II" }, { 0x0E, "Pentium MMX" },
  { 0x0F, "Celeron" }, { 0x10, "Pentium II Xeon" }, { 0x11, "Pentium III" }, { 0x12, "M1" }, { 0x13, "M2" },
  { 0x14, "Celeron M" }, { 0x15, "Pentium 4 HT" }, { 0x18, "Duron" }, { 0x19, "K5" }, { 0x1A, "K6" },
  { 0x1B, "K6-2" }, { 0x1C, "K6-3" }, { 0x1D, "Athlon" }, { 0x1E, "AMD29000" }, { 0x1F, "K6-2+" },
  { 0x28, "Core Duo" }, { 0x29, "Core Duo Mobile" }, { 0x2A, "Core Solo Mobile" }, { 0x2B, "Atom" },
  { 0x2C, "Core M" }, { 0x2D, "Core m3" }, { 0x2E, "Core m5" }, { 0x2F, "Core m7" },
  { 0x38, "Turion II Ultra Dual-Core Mobile M" }, { 0x39, "Turion II Dual-Core Mobile M" },
  { 0x3A, "Athlon II Dual-Core M" }, { 0x3B, "Opteron 6100" }, { 0x3C, "Opteron 4100" },
  { 0x3D, "Opteron 6200" }, { 0x3E, "Opteron 4200" }, { 0x3F, "FX" }, { 0x46, "C-Series" },
  { 0x47, "E-Series" }, { 0x48, "A-Series" }, { 0x49, "G-Series" }, { 0x4A, "Z-Series" }, { 0x4B, "R-Series" },
  { 0x4C, "Opteron 4300" }, { 0x4D, "Opteron 6300" }, { 0x4E, "Opteron 3300" }, { 0x4F, "FirePro" },
  { 0x66, "Athlon X4" }, { 0x67, "Opteron X1000" }, { 0x68, "Opteron X2000" }, { 0x69, "Opteron A-Series" },
  { 0x6A, "Opteron X3000" }, { 0x6B, "Zen" }, { 0x83, "Athlon 64" }, { 0x84, "Opteron" }, { 0x85, "Sempron" },
  { 0x86, "Turion 64" }, { 0x87, "Dual-Core Opteron" }, { 0x88, "Athlon 64 X2" }, { 0x89, "Turion 64 X2" },
  { 0x8A, "Quad-Core Opteron" }, { 0x8B, "Third-Generation Opteron" }, { 0x8C, "Phenom FX" },
  { 0x8D, "Phenom X4" }, { 0x8E, "Phenom X2" }, { 0x8F, "Athlon X2" }, { 0xA1, "Quad-Core Xeon 3200" },
  { 0xA2, "Dual-Core Xeon 3000" }, { 0xA3, "Quad-Core Xeon 5300" }, { 0xA4, "Dual-Core Xeon 5100" },
  { 0xA5, "Dual-Core Xeon 5000" }, { 0xA6, "Dual-Core Xeon LV" }, { 0xA7, "Dual-Core Xeon ULV" },
  { 0xA8, "Dual-Core Xeon 7100" }, { 0xA9, "Quad-Core Xeon 5400" }, { 0xAA, "Quad-Core Xeon" },
  { 0xAB, "Dual-Core Xeon 5200" }, { 0xAC, "Dual-Core Xeon 7200" }, { 0xAD, "Quad-Core Xeon 7300" },
  { 0xAE, "Quad-Core Xeon 7400" }, { 0xAF, "Multi-Core Xeon 7400" }, { 0xB0, "Pentium III Xeon" },
  { 0xB1, "Pentium III Speedstep" }, { 0xB2, "Pentium 4" }, { 0xB3, "Xeon" }, { 0xB5, "Xeon MP" },
  { 0xB6, "Athlon XP" }, { 0xB7, "Athlon MP" }, { 0xB9, "Pentium M" }, { 0xBA, "Celeron D" },
  { 0xBB, "Pentium D" }, { 0xBC, "Pentium EE" }, { 0xBD, "Core Solo" }, { 0xBF, "Core 2 Duo" },
  { 0xC0, "Core 2 Solo" }, { 0xC1, "Core 2 Extreme" }, { 0xC2, "Core 2 Quad" }, { 0xC3, "Core 2 Extreme Mobile" },
  { 0xC4, "Core 2 Duo Mobile" }, { 0xC5, "Core 2 Solo Mobile" }, { 0xC6, "Core i7" },
  { 0xC7, "Dual-Core Celeron" }, { 0xCD, "Core i5" }, { 0xCE, "Core i3" }, { 0xCF, "Core i9" },
  { 0xD2, "C7-M" }, { 0xD3, "C7-D" }, { 0xD4, "C7" }, { 0xD5, "Eden" }, { 0xD6, "Multi-Core Xeon" },
  { 0xD7, "Dual-Core Xeon 3xxx" }, { 0xD8, "Quad-Core Xeon 3xxx" }, { 0xD9, "Nano" },
  { 0xDA, "Dual-Core Xeon 5xxx" }, { 0xDB, "Quad-Core Xeon 5xxx" }, { 0xDD, "Dual-Core Xeon 7xxx" },
  { 0xDE, "Quad-Core Xeon 7xxx" }, { 0xDF, "Multi-Core Xeon 7xxx" }, { 0xE0, "Multi-Core Xeon 3400" },
  { 0xE4, "Opteron 3000" }, { 0xE5, "Sempron II" }, { 0xE6, "Embedded Opteron Quad-Core" },
  { 0xE7, "Phenom Triple-Core" }, { 0xE8, "Turion Ultra Dual-Core Mobile" },
  { 0xE9, "Turion Dual-Core Mobile" }, { 0xEA, "Athlon Dual-Core" }, { 0xEB, "Sempron SI" },
  { 0xEC, "Phenom II" }, { 0xED, "Athlon II" }, { 0xEE, "Six-Core Opteron" }, { 0xEF, "Sempron M" },
  { 0x100, "ARMv7" }, { 0x101, "ARMv8" }, { 0x102, "ARMv9" }, { 0x118, "ARM" }, { 0x119, "StrongARM" },
  { 0x12C, "6x86" }, { 0x12D, "MediaGX" }, { 0x12E, "MII" }, { 0x140, "WinChip" }, { 0x15E, "DSP" },
  { 0x1F4, "Video Processor" }, { 0x200, "RV32" }, { 0x201, "RV64" }, { 0x202, "RV128" },
};

enum { SIG_NONE, SIG_INTEL, SIG_AMD };

static gboolean
in_ranges (guint code, const guint16 (*ranges)[2], guint n)
{
  for (guint i = 0; i < n; i++)
    if (code >= ranges[i][0] && code <= ranges[i][1])
      return TRUE;
  return FALSE;
}

/* Which CPUID signature the processor's ID holds, by its family, as
 * dmidecode decides it (families 0x01/0x02 by the version string). */
static int
signature_kind (guint family, const char *manufacturer, const char *version)
{
  static const guint16 intel[][2] = {
    { 0x0B, 0x15 }, { 0x28, 0x2F }, { 0xA1, 0xB3 }, { 0xB5, 0xB5 }, { 0xB9, 0xC7 }, { 0xCD, 0xCF },
    { 0xD2, 0xDB }, { 0xDD, 0xE0 },
  };
  static const guint16 amd[][2] = {
    { 0x18, 0x1D }, { 0x1F, 0x1F }, { 0x38, 0x3F }, { 0x46, 0x4F }, { 0x66, 0x6B }, { 0x83, 0x8F },
    { 0xB6, 0xB7 }, { 0xE4, 0xEF },
  };
  static const char *const intel_versions[] = {
    "Pentium III MMX", "Intel(R) Core(TM)2", "Intel(R) Pentium(R)", "Genuine Intel(R) CPU U1400",
  };
  static const char *const amd_versions[] = { "AMD Athlon(TM)", "AMD Opteron(tm)", "Dual-Core AMD Opteron(tm)" };

  if (family == 0xBE)
    return strstr (manufacturer, "Intel") ? SIG_INTEL : strstr (manufacturer, "AMD") ? SIG_AMD : SIG_NONE;
  if (in_ranges (family, intel, G_N_ELEMENTS (intel)))
    return SIG_INTEL;
  if (in_ranges (family, amd, G_N_ELEMENTS (amd)))
    return SIG_AMD;
  if (family == 0x01 || family == 0x02) {
    for (guint i = 0; i < G_N_ELEMENTS (intel_versions); i++)
      if (g_str_has_prefix (version, intel_versions[i]))
        return SIG_INTEL;
    for (guint i = 0; i < G_N_ELEMENTS (amd_versions); i++)
      if (g_str_has_prefix (version, amd_versions[i]))
        return SIG_AMD;
  }
  return SIG_NONE;
}

static char *
processor_signature (int kind, guint32 eax)
{
  guint base = (eax >> 8) & 0x0F;
  guint family = base == 0x0F ? base + ((eax >> 20) & 0xFF) : base;
  guint model;

  if (kind == SIG_INTEL) {
    model = base == 0x06 || base == 0x0F ? ((eax >> 12) & 0xF0) + ((eax >> 4) & 0x0F) : (eax >> 4) & 0x0F;
    return g_strdup_printf ("Type %u, Family %u, Model %u, Stepping %u", (eax >> 12) & 0x3, family, model,
                            eax & 0x0F);
  }
  model = base == 0x0F ? ((eax >> 12) & 0xF0) + ((eax >> 4) & 0x0F) : (eax >> 4) & 0x0F;
  return g_strdup_printf ("Family %u, Model %u, Stepping %u", family, model, eax & 0x0F);
}

static char *
speed (guint16 mhz)
{
  return mhz == 0 ? g_strdup ("Unknown") : g_strdup_printf ("%u MHz", mhz);
}

static void
write_processor (VbXmlWriter *w, const Structure *s)
{
  static const char *const status[] = {
    "Unknown", "Enabled", "Disabled By User", "Disabled By BIOS", "Idle", "<OUT OF SPEC>", "<OUT OF SPEC>", "Other",
  };
  g_autofree char *manufacturer = NULL;
  g_autofree char *version = NULL;
  guint family;
  const char *family_name = NULL;
  int kind;

  if (s->length < 0x1A)
    return;
  family = byte_at (s, 0x06);
  if (family == 0xFE && s->length >= 0x2A)
    family = word_at (s, 0x28);
  manufacturer = string_at (s, 0x07);
  version = string_at (s, 0x10);
  /* 0xBE is "Core 2" from Intel, "K7" from AMD. */
  if (family == 0xBE)
    family_name = strstr (manufacturer, "Intel") ? "Core 2" : strstr (manufacturer, "AMD") ? "K7" : "Core 2 or K7";
  for (guint i = 0; i < G_N_ELEMENTS (families) && family_name == NULL; i++)
    if (families[i].code == family)
      family_name = families[i].name;

  vb_xml_writer_start (w, "processor", NULL);
  entry (w, "socket_destination", string_at (s, 0x04));
  entry (w, "type", g_strdup (table_name (processor_types, G_N_ELEMENTS (processor_types), byte_at (s, 0x05))));
  entry (w, "family", g_strdup (family_name ? family_name : "<OUT OF SPEC>"));
  entry (w, "manufacturer", g_strdup (manufacturer));
  kind = signature_kind (family, manufacturer, version);
  if (kind != SIG_NONE)
    entry (w, "signature", processor_signature (kind, dword_at (s, 0x08)));
  entry (w, "version", g_strdup (version));
  entry (w, "external_clock", speed (word_at (s, 0x12)));
  entry (w, "max_speed", speed (word_at (s, 0x14)));
  entry (w, "status", byte_at (s, 0x18) & (1 << 6) ? g_strdup_printf ("Populated, %s", status[byte_at (s, 0x18) & 7])
                                                   : g_strdup ("Unpopulated"));
  if (s->length >= 0x23) {
    entry (w, "serial_number", string_at (s, 0x20));
    entry (w, "part_number", string_at (s, 0x22));
  }
  vb_xml_writer_end (w);
}

/* ---- memory devices (type 17) ---- */

static const char *const form_factors[] = {
  "Other", "Unknown", "SIMM", "SIP", "Chip", "DIP", "ZIP", "Proprietary Card", "DIMM", "TSOP", "Row Of Chips",
  "RIMM", "SODIMM", "SRIMM", "FB-DIMM", "Die",
};

static const char *const memory_types[] = {
  "Other", "Unknown", "DRAM", "EDRAM", "VRAM", "SRAM", "RAM", "ROM", "Flash", "EEPROM", "FEPROM", "EPROM", "CDRAM",
  "3DRAM", "SDRAM", "SGRAM", "RDRAM", "DDR", "DDR2", "DDR2 FB-DIMM", "Reserved", "Reserved", "Reserved", "DDR3",
  "FBD2", "DDR4", "LPDDR", "LPDDR2", "LPDDR3", "LPDDR4", "Logical non-volatile device", "HBM", "HBM2", "DDR5",
  "LPDDR5", "HBM3",
};

static const char *const type_details[] = {
  /* bit 1 on */
  "Other", "Unknown", "Fast-paged", "Static Column", "Pseudo-static", "RAMBus", "Synchronous", "CMOS", "EDO",
  "Window DRAM", "Cache DRAM", "Non-Volatile", "Registered (Buffered)", "Unbuffered (Unregistered)", "LRDIMM",
};

/* @kib as dmidecode writes sizes: in the largest unit, or in the one
 * below it when that one is not exact. */
static char *
memory_size (guint64 kib)
{
  static const char *const units[] = { "kB", "MB", "GB", "TB", "PB", "EB" };
  guint split[G_N_ELEMENTS (units)];
  int i;

  for (guint u = 0; u < G_N_ELEMENTS (units); u++) {
    split[u] = (guint) (kib & 0x3FF);
    kib >>= 10;
  }
  for (i = G_N_ELEMENTS (units) - 1; i > 0 && split[i] == 0; i--)
    ;
  if (i > 0 && split[i - 1] != 0)
    return g_strdup_printf ("%u %s", split[i - 1] + (split[i] << 10), units[i - 1]);
  return g_strdup_printf ("%u %s", split[i], units[i]);
}

static void
write_memory_device (VbXmlWriter *w, const Structure *s)
{
  guint16 size, detail, mts;
  char *size_text;

  if (s->length < 0x15)
    return;
  size = word_at (s, 0x0C);
  if (size == 0)
    return; /* "No Module Installed" */
  if (size == 0xFFFF)
    size_text = g_strdup ("Unknown");
  else if (size == 0x7FFF && s->length >= 0x20)
    size_text = memory_size ((guint64) (dword_at (s, 0x1C) & 0x7FFFFFFF) << 10);
  else
    size_text = memory_size (size & 0x8000 ? (guint64) (size & 0x7FFF) : (guint64) size << 10);

  vb_xml_writer_start (w, "memory_device", NULL);
  entry (w, "size", size_text);
  entry (w, "form_factor",
         g_strdup (table_name (form_factors, G_N_ELEMENTS (form_factors), byte_at (s, 0x0E))));
  entry (w, "locator", string_at (s, 0x10));
  entry (w, "bank_locator", string_at (s, 0x11));
  entry (w, "type", g_strdup (table_name (memory_types, G_N_ELEMENTS (memory_types), byte_at (s, 0x12))));
  detail = word_at (s, 0x13);
  if ((detail & 0xFFFE) == 0) {
    entry (w, "type_detail", g_strdup ("None"));
  } else {
    GString *text = g_string_new (NULL);
    for (guint bit = 1; bit < 16; bit++)
      if (detail & (1u << bit))
        g_string_append_printf (text, "%s%s", text->len ? " " : "", type_details[bit - 1]);
    entry (w, "type_detail", g_string_free (text, FALSE));
  }
  if (s->length >= 0x17) {
    mts = word_at (s, 0x15);
    if (mts == 0xFFFF && s->length >= 0x5C)
      entry (w, "speed", g_strdup_printf ("%u MT/s", dword_at (s, 0x54)));
    else
      entry (w, "speed", mts == 0 ? g_strdup ("Unknown") : g_strdup_printf ("%u MT/s", mts));
  }
  if (s->length >= 0x1B) {
    entry (w, "manufacturer", string_at (s, 0x17));
    entry (w, "serial_number", string_at (s, 0x18));
    entry (w, "part_number", string_at (s, 0x1A));
  }
  vb_xml_writer_end (w);
}

/* ---- GetSysinfo ---- */

/* The SMBIOS version (major << 8 | minor) of the entry point. */
static guint
entry_point_version (void)
{
  g_autofree char *path = vb_qemu_host_path ("sys/firmware/dmi/tables/smbios_entry_point");
  g_autofree char *ep = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &ep, &len, NULL))
    return 0;
  if (len >= 0x09 && memcmp (ep, "_SM3_", 5) == 0)
    return (guint) ((guint8) ep[7] << 8 | (guint8) ep[8]);
  if (len >= 0x08 && memcmp (ep, "_SM_", 4) == 0)
    return (guint) ((guint8) ep[6] << 8 | (guint8) ep[7]);
  return 0;
}

char *
vb_qemu_smbios_get_sysinfo (VbBackend *backend, guint flags, GError **error)
{
  g_autofree char *path = NULL;
  g_autofree char *table = NULL;
  g_autoptr(VbXmlWriter) w = NULL;
  g_autoptr(GPtrArray) oem = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) local = NULL;
  gboolean seen_bios = FALSE, seen_system = FALSE, seen_chassis = FALSE;
  gsize size = 0, pos = 0;
  guint version;
  Structure s;

  if (!vb_check_flags (flags, 0, "GetSysinfo", error))
    return NULL;
  path = vb_qemu_host_path ("sys/firmware/dmi/tables/DMI");
  if (!g_file_get_contents (path, &table, &size, &local)) {
    if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
      g_set_error (error, VB_ERROR, VB_ERROR_NOT_SUPPORTED,
                   "the host's SMBIOS information is not available (its firmware has no SMBIOS tables)");
    else if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_ACCES))
      g_set_error (error, VB_ERROR, VB_ERROR_NOT_AUTHORIZED,
                   "the host's SMBIOS tables are readable by root only: ask the system instance (qemu:///system)");
    else
      g_set_error (error, VB_ERROR, VB_ERROR_IO, "cannot read the host's SMBIOS tables: %s", local->message);
    return NULL;
  }
  version = entry_point_version ();

  w = vb_xml_writer_new ();
  vb_xml_writer_start (w, "sysinfo", "type", "smbios", NULL);
  /* libvirt's order: the first BIOS, system and chassis; every base board,
   * processor and memory device; the OEM strings last. */
  for (guint pass = 0; pass < 5; pass++) {
    pos = 0;
    while (next_structure ((const guint8 *) table, size, &pos, &s)) {
      guint8 type = s.data[0];

      if (type == 127)
        break;
      switch (pass) {
      case 0:
        if (type == 0 && !seen_bios) {
          seen_bios = TRUE;
          write_bios (w, &s);
        } else if (type == 1 && !seen_system) {
          seen_system = TRUE;
          write_system (w, &s, version);
        }
        break;
      case 1:
        if (type == 2)
          write_base_board (w, &s);
        break;
      case 2:
        if (type == 3 && !seen_chassis) {
          seen_chassis = TRUE;
          write_chassis (w, &s);
        }
        break;
      case 3:
        if (type == 4)
          write_processor (w, &s);
        break;
      case 4:
        if (type == 17)
          write_memory_device (w, &s);
        else if (type == 11)
          for (guint i = 1; i <= byte_at (&s, 0x04); i++) {
            char *str = raw_string (&s, i);
            if (str != NULL)
              g_ptr_array_add (oem, str);
          }
        break;
      default:
        break;
      }
    }
  }
  if (oem->len > 0) {
    vb_xml_writer_start (w, "oemStrings", NULL);
    for (guint i = 0; i < oem->len; i++)
      entry (w, NULL, g_strdup (g_ptr_array_index (oem, i)));
    vb_xml_writer_end (w);
  }
  vb_xml_writer_end (w);
  return vb_xml_writer_finish (g_steal_pointer (&w));
}
