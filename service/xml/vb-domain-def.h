/* The domain XML model: libvirt's <domain> document (schema domain.rng)
 * parsed into typed structures and formatted back.
 *
 * The supported subset is what a QEMU/KVM backend and the test driver need;
 * anything else in a document is refused with a VB_ERROR_XML error naming the
 * element or attribute, never silently dropped.
 *
 * Conventions used by every struct below:
 *  - strings are owned, NULL when the element/attribute is absent;
 *  - memory sizes are KiB, other sizes bytes;
 *  - "0 = absent" is stated per field where 0 is not a meaningful value,
 *    otherwise a has_* flag or VbDomainTristate tells presence;
 *  - GPtrArrays own their elements (they are created with a free func).
 */
#pragma once

#include <glib.h>

#include "vb-bandwidth-def.h"
#include "vb-sysinfo-def.h"

G_BEGIN_DECLS

/* Flags of vb_domain_def_format(): libvirt's virDomainXMLFlags values. */
typedef enum {
  VB_DOMAIN_XML_SECURE = 1 << 0,      /* include passwords */
  VB_DOMAIN_XML_INACTIVE = 1 << 1,    /* the persistent config: no id, no live-only data */
  VB_DOMAIN_XML_UPDATE_CPU = 1 << 2,  /* accepted; the backend updates def->cpu before formatting */
  VB_DOMAIN_XML_MIGRATABLE = 1 << 3,  /* accepted; formats like without it */
  /* Internal (a backend's runtime state, never a client's): also what a
   * 'volume' disk was resolved to. */
  VB_DOMAIN_XML_STATUS = 1 << 16,
} VbDomainXmlFlags;

#define VB_DOMAIN_XML_ALL_FLAGS \
  (VB_DOMAIN_XML_SECURE | VB_DOMAIN_XML_INACTIVE | VB_DOMAIN_XML_UPDATE_CPU | VB_DOMAIN_XML_MIGRATABLE)

/* Flags of vb_domain_def_parse_full(). */
typedef enum {
  /* Parse as persistent config (DefineXML): the id and live-only data
   * (generated aliases, generated tap names, dynamic seclabel labels,
   * graphics ports of autoport graphics) are dropped. */
  VB_DOMAIN_PARSE_INACTIVE = 1 << 0,
  /* A <disk> that only says where an image is (BlockCopy's destination):
   * type, <driver>, <source> and <backingStore>; the rest is ignored. */
  VB_DOMAIN_PARSE_DISK_SOURCE = 1 << 1,
  /* The status form (VB_DOMAIN_XML_STATUS): a 'volume' disk's resolved file
   * or device is read too. */
  VB_DOMAIN_PARSE_STATUS = 1 << 2,
} VbDomainParseFlags;

/* virDomainMetadataType */
typedef enum {
  VB_DOMAIN_METADATA_DESCRIPTION = 0,
  VB_DOMAIN_METADATA_TITLE = 1,
  VB_DOMAIN_METADATA_ELEMENT = 2,
} VbDomainMetadataType;

/* An optional boolean attribute: absent, yes/on, no/off. */
typedef enum {
  VB_DOMAIN_TRISTATE_ABSENT = 0,
  VB_DOMAIN_TRISTATE_YES,
  VB_DOMAIN_TRISTATE_NO,
} VbDomainTristate;

typedef enum {
  VB_DOMAIN_VIRT_QEMU,
  VB_DOMAIN_VIRT_KVM,
  VB_DOMAIN_VIRT_TEST,
  VB_DOMAIN_VIRT_LAST
} VbDomainVirtType;

/* ------------------------------------------------------------------ */
/* Device addresses and the info every device carries                  */

typedef enum {
  VB_DOMAIN_ADDRESS_NONE = 0,
  VB_DOMAIN_ADDRESS_PCI,
  VB_DOMAIN_ADDRESS_DRIVE,
  VB_DOMAIN_ADDRESS_VIRTIO_SERIAL,
  VB_DOMAIN_ADDRESS_USB,
  VB_DOMAIN_ADDRESS_ISA,
  VB_DOMAIN_ADDRESS_CCID,
  VB_DOMAIN_ADDRESS_LAST
} VbDomainAddressType;

typedef struct {
  VbDomainAddressType type;
  union {
    struct {
      guint domain;   /* 0..0xffff */
      guint bus;      /* 0..0xff */
      guint slot;     /* 0..0x1f */
      guint function; /* 0..7 */
      VbDomainTristate multifunction;
    } pci;
    struct {
      guint controller, bus, target, unit;
    } drive;
    struct {
      guint controller, bus;
      guint port; /* 0 = absent (libvirt assigns) */
    } virtio_serial;
    struct {
      guint bus;
      char *port; /* "1" or "1.2.3" (hub path); NULL = absent */
    } usb;
    struct {
      gboolean has_iobase, has_irq;
      guint iobase, irq;
    } isa;
    struct {
      guint controller, slot;
    } ccid;
  } u;
} VbDomainDeviceAddress;

typedef struct {
  char *alias;      /* <alias name=>; live-only unless it starts with "ua-" */
  guint boot_order; /* <boot order=>; 0 = absent (disk, interface, hostdev, redirdev only) */
  VbDomainDeviceAddress address;
} VbDomainDeviceInfo;

/* ------------------------------------------------------------------ */
/* Disks                                                               */

typedef enum {
  VB_DOMAIN_DISK_TYPE_FILE,
  VB_DOMAIN_DISK_TYPE_BLOCK,
  VB_DOMAIN_DISK_TYPE_DIR,
  VB_DOMAIN_DISK_TYPE_VOLUME, /* a volume of a storage pool, by pool and volume name */
  VB_DOMAIN_DISK_TYPE_LAST
} VbDomainDiskType;

typedef enum {
  VB_DOMAIN_DISK_DEVICE_DISK,
  VB_DOMAIN_DISK_DEVICE_CDROM,
  VB_DOMAIN_DISK_DEVICE_FLOPPY,
  VB_DOMAIN_DISK_DEVICE_LUN,
  VB_DOMAIN_DISK_DEVICE_LAST
} VbDomainDiskDevice;

typedef enum {
  VB_DOMAIN_DISK_BUS_NONE = 0, /* absent: libvirt guesses from the target name */
  VB_DOMAIN_DISK_BUS_IDE,
  VB_DOMAIN_DISK_BUS_FDC,
  VB_DOMAIN_DISK_BUS_SCSI,
  VB_DOMAIN_DISK_BUS_VIRTIO,
  VB_DOMAIN_DISK_BUS_USB,
  VB_DOMAIN_DISK_BUS_SATA,
  VB_DOMAIN_DISK_BUS_SD,
  VB_DOMAIN_DISK_BUS_LAST
} VbDomainDiskBus;

typedef enum {
  VB_DOMAIN_DISK_CACHE_NONE = 0, /* attribute absent */
  VB_DOMAIN_DISK_CACHE_DEFAULT,
  VB_DOMAIN_DISK_CACHE_DISABLE, /* cache='none' */
  VB_DOMAIN_DISK_CACHE_WRITETHROUGH,
  VB_DOMAIN_DISK_CACHE_WRITEBACK,
  VB_DOMAIN_DISK_CACHE_DIRECTSYNC,
  VB_DOMAIN_DISK_CACHE_UNSAFE,
  VB_DOMAIN_DISK_CACHE_LAST
} VbDomainDiskCache;

typedef enum {
  VB_DOMAIN_DISK_IO_NONE = 0, /* absent */
  VB_DOMAIN_DISK_IO_NATIVE,
  VB_DOMAIN_DISK_IO_THREADS,
  VB_DOMAIN_DISK_IO_IO_URING,
  VB_DOMAIN_DISK_IO_LAST
} VbDomainDiskIo;

typedef enum {
  VB_DOMAIN_DISK_DISCARD_NONE = 0, /* absent */
  VB_DOMAIN_DISK_DISCARD_UNMAP,
  VB_DOMAIN_DISK_DISCARD_IGNORE,
  VB_DOMAIN_DISK_DISCARD_LAST
} VbDomainDiskDiscard;

typedef enum {
  VB_DOMAIN_DISK_DETECT_ZEROES_NONE = 0, /* absent */
  VB_DOMAIN_DISK_DETECT_ZEROES_OFF,
  VB_DOMAIN_DISK_DETECT_ZEROES_ON,
  VB_DOMAIN_DISK_DETECT_ZEROES_UNMAP,
  VB_DOMAIN_DISK_DETECT_ZEROES_LAST
} VbDomainDiskDetectZeroes;

typedef enum {
  VB_DOMAIN_STARTUP_POLICY_NONE = 0, /* absent */
  VB_DOMAIN_STARTUP_POLICY_MANDATORY,
  VB_DOMAIN_STARTUP_POLICY_REQUISITE,
  VB_DOMAIN_STARTUP_POLICY_OPTIONAL,
  VB_DOMAIN_STARTUP_POLICY_LAST
} VbDomainStartupPolicy;

typedef enum {
  VB_DOMAIN_DISK_TRAY_NONE = 0, /* absent */
  VB_DOMAIN_DISK_TRAY_CLOSED,
  VB_DOMAIN_DISK_TRAY_OPEN,
  VB_DOMAIN_DISK_TRAY_LAST
} VbDomainDiskTray;

/* One <backingStore> level. */
typedef struct {
  VbDomainDiskType type;
  char *format; /* <format type=>; one of the storage formats, NULL = absent */
  char *path;   /* file / dev / dir of <source> */
  guint index;  /* index= (live); 0 = absent */
} VbDomainDiskBacking;

typedef struct {
  /* iotune subset; 0 = absent */
  guint64 total_bytes_sec, read_bytes_sec, write_bytes_sec;
  guint64 total_iops_sec, read_iops_sec, write_iops_sec;
} VbDomainDiskIotune;

typedef struct {
  VbDomainDiskType type;
  VbDomainDiskDevice device;
  /* <driver> */
  char *driver_name;   /* "qemu" */
  char *driver_format; /* type=: raw, qcow2, ... (see vb_domain_disk_format_is_valid) */
  VbDomainDiskCache cache;
  VbDomainDiskIo io;
  VbDomainDiskDiscard discard;
  VbDomainDiskDetectZeroes detect_zeroes;
  guint driver_iothread; /* 0 = absent */
  /* <source>; path NULL = no medium (cdrom/floppy only) */
  char *src_path;
  /* type 'volume': <source pool= volume=>. src_path is then the volume's
   * file or device once a backend resolved it (a running domain), and
   * src_actual says which (FILE or BLOCK); neither is in the XML except in
   * the status form (VB_DOMAIN_XML_STATUS). */
  char *src_pool;
  char *src_volume;
  VbDomainDiskType src_actual;
  VbDomainStartupPolicy startup_policy;
  guint src_index; /* index= (live); 0 = absent */
  /* <backingStore> chain, outermost first; GPtrArray of VbDomainDiskBacking */
  GPtrArray *backing;
  gboolean backing_terminated; /* an empty <backingStore/> ends the chain */
  /* <target> */
  char *dst; /* dev=, required: "vda", "sdb", "hdc" */
  VbDomainDiskBus bus;
  VbDomainDiskTray tray;
  gboolean readonly;
  gboolean shareable;
  gboolean transient;
  char *serial;
  gboolean has_iotune;
  VbDomainDiskIotune iotune;
  VbDomainDeviceInfo info;
} VbDomainDiskDef;

/* What a disk's src_path is on this host: FILE, BLOCK or DIR; for a
 * 'volume' disk, what it was resolved to. */
static inline VbDomainDiskType
vb_domain_disk_local_type (const VbDomainDiskDef *disk)
{
  return disk->type == VB_DOMAIN_DISK_TYPE_VOLUME ? disk->src_actual : disk->type;
}

/* Whether src_path is a file or block device of this host (a resolved
 * 'volume' disk's too). */
static inline gboolean
vb_domain_disk_is_local_image (const VbDomainDiskDef *disk)
{
  VbDomainDiskType t = vb_domain_disk_local_type (disk);
  return disk->src_path != NULL && (t == VB_DOMAIN_DISK_TYPE_FILE || t == VB_DOMAIN_DISK_TYPE_BLOCK);
}

/* ------------------------------------------------------------------ */
/* Controllers                                                          */

typedef enum {
  VB_DOMAIN_CONTROLLER_IDE,
  VB_DOMAIN_CONTROLLER_FDC,
  VB_DOMAIN_CONTROLLER_SCSI,
  VB_DOMAIN_CONTROLLER_SATA,
  VB_DOMAIN_CONTROLLER_VIRTIO_SERIAL,
  VB_DOMAIN_CONTROLLER_CCID,
  VB_DOMAIN_CONTROLLER_USB,
  VB_DOMAIN_CONTROLLER_PCI,
  VB_DOMAIN_CONTROLLER_LAST
} VbDomainControllerType;

typedef struct {
  VbDomainControllerType type;
  guint index;
  char *model; /* validated against the type's model list; NULL = absent */
  /* virtio-serial / usb */
  gboolean has_ports;
  guint ports;
  gboolean has_vectors;
  guint vectors;
  /* usb companion controllers: <master startport=> */
  gboolean has_master_startport;
  guint master_startport;
  /* scsi / virtio-serial <driver queues= iothread=>; 0 = absent */
  guint driver_queues;
  guint driver_iothread;
  /* pci: <model name=> and <target chassisNr= chassis= port= busNr= index=>;
   * -1 = absent */
  char *model_name;
  gint64 target_chassis_nr, target_chassis, target_port, target_bus_nr, target_index;
  VbDomainDeviceInfo info;
} VbDomainControllerDef;

/* ------------------------------------------------------------------ */
/* Network interfaces                                                   */

typedef enum {
  VB_DOMAIN_NET_TYPE_USER,
  VB_DOMAIN_NET_TYPE_NETWORK,
  VB_DOMAIN_NET_TYPE_BRIDGE,
  VB_DOMAIN_NET_TYPE_ETHERNET,
  VB_DOMAIN_NET_TYPE_DIRECT,
  VB_DOMAIN_NET_TYPE_LAST
} VbDomainNetType;

typedef enum {
  VB_DOMAIN_NET_DIRECT_MODE_NONE = 0, /* absent (libvirt default vepa) */
  VB_DOMAIN_NET_DIRECT_MODE_VEPA,
  VB_DOMAIN_NET_DIRECT_MODE_PRIVATE,
  VB_DOMAIN_NET_DIRECT_MODE_BRIDGE,
  VB_DOMAIN_NET_DIRECT_MODE_PASSTHROUGH,
  VB_DOMAIN_NET_DIRECT_MODE_LAST
} VbDomainNetDirectMode;

typedef enum {
  VB_DOMAIN_NET_LINK_NONE = 0, /* absent */
  VB_DOMAIN_NET_LINK_UP,
  VB_DOMAIN_NET_LINK_DOWN,
  VB_DOMAIN_NET_LINK_LAST
} VbDomainNetLinkState;

typedef enum {
  VB_DOMAIN_NET_DRIVER_NONE = 0, /* absent */
  VB_DOMAIN_NET_DRIVER_QEMU,
  VB_DOMAIN_NET_DRIVER_VHOST,
  VB_DOMAIN_NET_DRIVER_LAST
} VbDomainNetDriverName;

/* <interface><ip>: for type='ethernet' an address of the host's side of
 * the tap (libvirt ≥ 5.6). */
typedef struct {
  char *family;    /* "ipv4", "ipv6" as given, or NULL */
  char *address;
  guint prefix;    /* valid when has_prefix */
  gboolean has_prefix;
  char *peer;      /* the guest's end of a point-to-point link, or NULL */
} VbDomainNetIp;

/* <interface><route>: for type='ethernet' a host route through the tap. */
typedef struct {
  char *family;
  char *address;
  char *netmask;   /* IPv4, as given (instead of prefix) */
  guint prefix;
  gboolean has_prefix;
  char *gateway;
  guint metric;
  gboolean has_metric;
} VbDomainNetRoute;

typedef struct {
  VbDomainNetType type;
  char mac[18];          /* "52:54:00:12:34:56", always set (generated if absent) */
  gboolean mac_generated; /* TRUE when the XML had no <mac>: not used for matching */
  /* <source>: network= portgroup= portid= bridge= (live for network) | bridge= | dev= mode= */
  char *src_network;
  char *src_portgroup;
  char *src_portid; /* canonical UUID; live-only */
  char *src_bridge;
  char *src_dev;
  VbDomainNetDirectMode src_mode;
  char *model;      /* <model type=>: virtio, e1000, ... */
  char *target_dev; /* <target dev=> */
  VbDomainTristate target_managed; /* <target managed=>: NO = a tap the host made (type='ethernet') */
  GPtrArray *ips;    /* VbDomainNetIp, NULL when none */
  GPtrArray *routes; /* VbDomainNetRoute, NULL when none */
  VbDomainNetDriverName driver_name;
  guint driver_queues; /* 0 = absent */
  VbDomainNetLinkState link_state;
  guint mtu; /* 0 = absent */
  char *filterref;           /* <filterref filter=>: an nwfilter name, or NULL */
  GPtrArray *filter_params;  /* char *: name, value, name, value, … (NULL when none) */
  VbBandwidth *bandwidth;    /* <bandwidth>: NULL when the NIC is not shaped */
  VbDomainDeviceInfo info;
} VbDomainNetDef;

/* ------------------------------------------------------------------ */
/* Character devices: serial, parallel, console, channel                */

typedef enum {
  VB_DOMAIN_CHR_TYPE_NULL,
  VB_DOMAIN_CHR_TYPE_VC,
  VB_DOMAIN_CHR_TYPE_PTY,
  VB_DOMAIN_CHR_TYPE_DEV,
  VB_DOMAIN_CHR_TYPE_FILE,
  VB_DOMAIN_CHR_TYPE_PIPE,
  VB_DOMAIN_CHR_TYPE_STDIO,
  VB_DOMAIN_CHR_TYPE_TCP,
  VB_DOMAIN_CHR_TYPE_UNIX,
  VB_DOMAIN_CHR_TYPE_SPICEVMC,
  VB_DOMAIN_CHR_TYPE_LAST
} VbDomainChrType;

typedef enum {
  VB_DOMAIN_CHR_MODE_NONE = 0, /* absent */
  VB_DOMAIN_CHR_MODE_BIND,
  VB_DOMAIN_CHR_MODE_CONNECT,
  VB_DOMAIN_CHR_MODE_LAST
} VbDomainChrSourceMode;

typedef enum {
  VB_DOMAIN_CHR_PROTOCOL_NONE = 0, /* absent */
  VB_DOMAIN_CHR_PROTOCOL_RAW,
  VB_DOMAIN_CHR_PROTOCOL_TELNET,
  VB_DOMAIN_CHR_PROTOCOL_TELNETS,
  VB_DOMAIN_CHR_PROTOCOL_TLS,
  VB_DOMAIN_CHR_PROTOCOL_LAST
} VbDomainChrProtocol;

typedef enum {
  VB_DOMAIN_CHR_STATE_NONE = 0, /* absent; live-only */
  VB_DOMAIN_CHR_STATE_CONNECTED,
  VB_DOMAIN_CHR_STATE_DISCONNECTED,
  VB_DOMAIN_CHR_STATE_LAST
} VbDomainChrState;

typedef struct {
  VbDomainChrType type;
  char *tty; /* tty= of pty consoles (live) */
  /* <source> */
  char *src_path;   /* pty (live), dev, file, pipe, unix */
  VbDomainChrSourceMode src_mode; /* tcp, unix */
  char *src_host;   /* tcp */
  char *src_service; /* tcp */
  VbDomainTristate src_append; /* file: append= on/off */
  VbDomainChrProtocol protocol; /* tcp */
  /* <target>: type= is validated per device kind:
   * serial: isa-serial usb-serial pci-serial spapr-vio-serial system-serial sclp-serial isa-debug;
   * console: serial virtio xen lxc openvz sclp sclplm; channel: virtio (guestfwd rejected);
   * parallel: none */
  char *target_type;
  gboolean has_target_port;
  guint target_port;
  char *target_name;  /* channel virtio name= */
  VbDomainChrState target_state;
  char *target_model; /* serial <target><model name=> */
  /* <log file= append=> */
  char *log_file;
  VbDomainTristate log_append;
  VbDomainDeviceInfo info;
} VbDomainChrDef;

/* ------------------------------------------------------------------ */
/* Graphics                                                             */

typedef enum {
  VB_DOMAIN_GRAPHICS_VNC,
  VB_DOMAIN_GRAPHICS_SPICE,
  VB_DOMAIN_GRAPHICS_LAST
} VbDomainGraphicsType;

typedef enum {
  VB_DOMAIN_GRAPHICS_LISTEN_ADDRESS,
  VB_DOMAIN_GRAPHICS_LISTEN_NETWORK,
  VB_DOMAIN_GRAPHICS_LISTEN_SOCKET,
  VB_DOMAIN_GRAPHICS_LISTEN_NONE,
  VB_DOMAIN_GRAPHICS_LISTEN_LAST
} VbDomainGraphicsListenType;

typedef struct {
  VbDomainGraphicsListenType type;
  char *address; /* address (or the network's address, live) */
  char *network; /* network */
  char *socket;  /* socket */
} VbDomainGraphicsListen;

/* SPICE's options (children of <graphics type='spice'>). Each value is an
 * index into the names vb_domain_spice_option_to_string() gives, from 1;
 * 0 = absent. */
typedef enum {
  VB_DOMAIN_SPICE_IMAGE,       /* <image compression=>: auto_glz auto_lz quic glz lz off */
  VB_DOMAIN_SPICE_JPEG,        /* <jpeg compression=>: auto never always */
  VB_DOMAIN_SPICE_ZLIB,        /* <zlib compression=>: auto never always */
  VB_DOMAIN_SPICE_PLAYBACK,    /* <playback compression=>: on off */
  VB_DOMAIN_SPICE_STREAMING,   /* <streaming mode=>: filter all off */
  VB_DOMAIN_SPICE_COPYPASTE,   /* <clipboard copypaste=>: yes no */
  VB_DOMAIN_SPICE_MOUSE,       /* <mouse mode=>: server client */
  VB_DOMAIN_SPICE_FILETRANSFER, /* <filetransfer enable=>: yes no */
  VB_DOMAIN_SPICE_GL,          /* <gl enable=>: yes no */
  VB_DOMAIN_SPICE_DEFAULT_MODE, /* <graphics defaultMode=>: any secure insecure */
  VB_DOMAIN_SPICE_OPTION_LAST
} VbDomainSpiceOption;

/* SPICE's channels, in the order libvirt lists them (<channel name= mode=>;
 * modes as VB_DOMAIN_SPICE_DEFAULT_MODE's). */
typedef enum {
  VB_DOMAIN_SPICE_CHANNEL_MAIN,
  VB_DOMAIN_SPICE_CHANNEL_DISPLAY,
  VB_DOMAIN_SPICE_CHANNEL_INPUTS,
  VB_DOMAIN_SPICE_CHANNEL_CURSOR,
  VB_DOMAIN_SPICE_CHANNEL_PLAYBACK,
  VB_DOMAIN_SPICE_CHANNEL_RECORD,
  VB_DOMAIN_SPICE_CHANNEL_SMARTCARD,
  VB_DOMAIN_SPICE_CHANNEL_USBREDIR,
  VB_DOMAIN_SPICE_CHANNEL_LAST
} VbDomainSpiceChannel;

typedef struct {
  VbDomainGraphicsType type;
  int port;         /* 0 = none (yet); port='-1' parses as autoport with port 0 */
  int tls_port;     /* spice tlsPort; 0 = none, -1 = auto */
  int websocket;    /* vnc; 0 = absent, -1 = auto */
  gboolean websocket_auto; /* live: websocket was -1 and got a port at the start */
  gboolean autoport;
  char *keymap;
  char *passwd;     /* only formatted with VB_DOMAIN_XML_SECURE */
  char *passwd_valid_to;
  /* <listen> children in order; the first address listen is also written
   * as the listen= attribute, as libvirt does. GPtrArray of VbDomainGraphicsListen */
  GPtrArray *listens;
  /* SPICE only: the options (VbDomainSpiceOption), the channels' modes
   * (VbDomainSpiceChannel), <gl rendernode=> */
  int spice[VB_DOMAIN_SPICE_OPTION_LAST];
  int spice_channel[VB_DOMAIN_SPICE_CHANNEL_LAST];
  char *spice_rendernode;
} VbDomainGraphicsDef;

/* The name of value @value (from 1) of SPICE option @option, or of a
 * channel's mode when @option is VB_DOMAIN_SPICE_DEFAULT_MODE; NULL when
 * out of range. */
const char *vb_domain_spice_option_to_string (VbDomainSpiceOption option, int value);
/* The name of SPICE channel @channel ("main", "display", …). */
const char *vb_domain_spice_channel_to_string (VbDomainSpiceChannel channel);

/* ------------------------------------------------------------------ */
/* Video, input, sound, audio                                           */

typedef enum {
  VB_DOMAIN_VIDEO_VGA,
  VB_DOMAIN_VIDEO_CIRRUS,
  VB_DOMAIN_VIDEO_VMVGA,
  VB_DOMAIN_VIDEO_QXL,
  VB_DOMAIN_VIDEO_VIRTIO,
  VB_DOMAIN_VIDEO_BOCHS,
  VB_DOMAIN_VIDEO_RAMFB,
  VB_DOMAIN_VIDEO_NONE,
  VB_DOMAIN_VIDEO_LAST
} VbDomainVideoModel;

typedef struct {
  VbDomainVideoModel model;
  /* KiB; 0 = absent */
  guint vram, ram, vgamem, vram64;
  guint heads; /* 0 = absent */
  gboolean primary;
  VbDomainDeviceInfo info;
} VbDomainVideoDef;

typedef enum {
  VB_DOMAIN_INPUT_MOUSE,
  VB_DOMAIN_INPUT_TABLET,
  VB_DOMAIN_INPUT_KEYBOARD,
  VB_DOMAIN_INPUT_LAST
} VbDomainInputType;

typedef enum {
  VB_DOMAIN_INPUT_BUS_NONE = 0, /* absent */
  VB_DOMAIN_INPUT_BUS_PS2,
  VB_DOMAIN_INPUT_BUS_USB,
  VB_DOMAIN_INPUT_BUS_VIRTIO,
  VB_DOMAIN_INPUT_BUS_LAST
} VbDomainInputBus;

typedef struct {
  VbDomainInputType type;
  VbDomainInputBus bus;
  VbDomainDeviceInfo info;
} VbDomainInputDef;

typedef enum {
  VB_DOMAIN_SOUND_SB16,
  VB_DOMAIN_SOUND_ES1370,
  VB_DOMAIN_SOUND_PCSPK,
  VB_DOMAIN_SOUND_AC97,
  VB_DOMAIN_SOUND_ICH6,
  VB_DOMAIN_SOUND_ICH7,
  VB_DOMAIN_SOUND_ICH9,
  VB_DOMAIN_SOUND_USB,
  VB_DOMAIN_SOUND_LAST
} VbDomainSoundModel;

typedef struct {
  VbDomainSoundModel model;
  guint audio_id; /* <audio id=>; 0 = absent */
  VbDomainDeviceInfo info;
} VbDomainSoundDef;

typedef enum {
  VB_DOMAIN_AUDIO_NONE,
  VB_DOMAIN_AUDIO_ALSA,
  VB_DOMAIN_AUDIO_OSS,
  VB_DOMAIN_AUDIO_PULSEAUDIO,
  VB_DOMAIN_AUDIO_SDL,
  VB_DOMAIN_AUDIO_SPICE,
  VB_DOMAIN_AUDIO_FILE,
  VB_DOMAIN_AUDIO_DBUS,
  VB_DOMAIN_AUDIO_LAST
} VbDomainAudioType;

/* <audio id= type=/> backends (no child elements supported). */
typedef struct {
  guint id; /* >= 1 */
  VbDomainAudioType type;
} VbDomainAudioDef;

/* ------------------------------------------------------------------ */
/* Host devices                                                         */

typedef enum {
  VB_DOMAIN_HOSTDEV_PCI,
  VB_DOMAIN_HOSTDEV_USB,
  VB_DOMAIN_HOSTDEV_LAST
} VbDomainHostdevType;

typedef struct {
  VbDomainHostdevType type; /* mode is always 'subsystem' */
  gboolean managed;
  /* pci: <source><address domain bus slot function/> */
  guint pci_domain, pci_bus, pci_slot, pci_function;
  /* usb: vendor/product and/or bus/device */
  gboolean has_usb_vendor;
  guint usb_vendor, usb_product;
  gboolean has_usb_address;
  guint usb_bus, usb_device;
  VbDomainStartupPolicy startup_policy; /* usb */
  char *driver_name; /* pci <driver name=>: vfio, kvm, xen */
  VbDomainDeviceInfo info;
} VbDomainHostdevDef;

/* ------------------------------------------------------------------ */
/* USB redirection                                                      */

/* <redirdev bus='usb'>: a USB device of a SPICE client (spicevmc) or of a
 * usbredir server (tcp) plugged into the guest. */
typedef struct {
  VbDomainChrType type; /* VB_DOMAIN_CHR_TYPE_SPICEVMC or VB_DOMAIN_CHR_TYPE_TCP */
  /* tcp: <source mode= host= service=> (host and service required) */
  VbDomainChrSourceMode src_mode;
  char *src_host;
  char *src_service;
  VbDomainChrProtocol protocol; /* tcp: <protocol type=> */
  VbDomainDeviceInfo info;      /* <alias>, <address type='usb'>, <boot order=> */
} VbDomainRedirdevDef;

/* One <redirfilter><usbdev> rule; -1 in a field means "any" ('-1' or the
 * attribute absent; written by leaving the attribute out, as libvirt does). */
typedef struct {
  int usb_class; /* class=: 0x00..0xff */
  int vendor;    /* vendor=: 0x0000..0xffff */
  int product;   /* product=: 0x0000..0xffff */
  int version;   /* version=: the bcdUSB value, "1.10" is 0x0110 */
  gboolean allow;
} VbDomainRedirFilterUsbDev;

/* ------------------------------------------------------------------ */
/* Memballoon, RNG, watchdog, panic, filesystem, TPM                    */

typedef enum {
  VB_DOMAIN_MEMBALLOON_VIRTIO,
  VB_DOMAIN_MEMBALLOON_VIRTIO_TRANSITIONAL,
  VB_DOMAIN_MEMBALLOON_VIRTIO_NON_TRANSITIONAL,
  VB_DOMAIN_MEMBALLOON_NONE,
  VB_DOMAIN_MEMBALLOON_LAST
} VbDomainMemballoonModel;

typedef struct {
  VbDomainMemballoonModel model;
  VbDomainTristate autodeflate;       /* on/off */
  VbDomainTristate free_page_reporting; /* on/off */
  guint stats_period; /* <stats period=>; 0 = absent */
  VbDomainDeviceInfo info;
} VbDomainMemballoonDef;

typedef enum {
  VB_DOMAIN_RNG_VIRTIO,
  VB_DOMAIN_RNG_VIRTIO_TRANSITIONAL,
  VB_DOMAIN_RNG_VIRTIO_NON_TRANSITIONAL,
  VB_DOMAIN_RNG_LAST
} VbDomainRngModel;

typedef enum {
  VB_DOMAIN_RNG_BACKEND_RANDOM,
  VB_DOMAIN_RNG_BACKEND_BUILTIN,
  VB_DOMAIN_RNG_BACKEND_LAST
} VbDomainRngBackend;

typedef struct {
  VbDomainRngModel model;
  VbDomainRngBackend backend;
  char *source; /* random: /dev/urandom, /dev/random or /dev/hwrng; NULL = default */
  guint rate_bytes;  /* 0 = no <rate> */
  guint rate_period; /* 0 = absent */
  VbDomainDeviceInfo info;
} VbDomainRngDef;

typedef enum {
  VB_DOMAIN_WATCHDOG_I6300ESB,
  VB_DOMAIN_WATCHDOG_IB700,
  VB_DOMAIN_WATCHDOG_DIAG288,
  VB_DOMAIN_WATCHDOG_ITCO,
  VB_DOMAIN_WATCHDOG_LAST
} VbDomainWatchdogModel;

typedef enum {
  VB_DOMAIN_WATCHDOG_ACTION_NONE_SET = 0, /* absent (libvirt default reset) */
  VB_DOMAIN_WATCHDOG_ACTION_RESET,
  VB_DOMAIN_WATCHDOG_ACTION_SHUTDOWN,
  VB_DOMAIN_WATCHDOG_ACTION_POWEROFF,
  VB_DOMAIN_WATCHDOG_ACTION_PAUSE,
  VB_DOMAIN_WATCHDOG_ACTION_NONE, /* action='none' */
  VB_DOMAIN_WATCHDOG_ACTION_DUMP,
  VB_DOMAIN_WATCHDOG_ACTION_INJECT_NMI,
  VB_DOMAIN_WATCHDOG_ACTION_LAST
} VbDomainWatchdogAction;

typedef struct {
  VbDomainWatchdogModel model;
  VbDomainWatchdogAction action;
  VbDomainDeviceInfo info;
} VbDomainWatchdogDef;

typedef enum {
  VB_DOMAIN_PANIC_DEFAULT = 0, /* model absent */
  VB_DOMAIN_PANIC_ISA,
  VB_DOMAIN_PANIC_PSERIES,
  VB_DOMAIN_PANIC_HYPERV,
  VB_DOMAIN_PANIC_S390,
  VB_DOMAIN_PANIC_PVPANIC,
  VB_DOMAIN_PANIC_LAST
} VbDomainPanicModel;

typedef struct {
  VbDomainPanicModel model;
  VbDomainDeviceInfo info;
} VbDomainPanicDef;

typedef enum {
  VB_DOMAIN_FS_DRIVER_NONE = 0, /* absent */
  VB_DOMAIN_FS_DRIVER_PATH,
  VB_DOMAIN_FS_DRIVER_HANDLE,
  VB_DOMAIN_FS_DRIVER_VIRTIOFS,
  VB_DOMAIN_FS_DRIVER_LAST
} VbDomainFsDriver;

typedef enum {
  VB_DOMAIN_FS_ACCESS_NONE = 0, /* absent */
  VB_DOMAIN_FS_ACCESS_PASSTHROUGH,
  VB_DOMAIN_FS_ACCESS_MAPPED,
  VB_DOMAIN_FS_ACCESS_SQUASH,
  VB_DOMAIN_FS_ACCESS_LAST
} VbDomainFsAccessMode;

/* <filesystem type='mount'> only. */
typedef struct {
  VbDomainFsDriver driver;
  VbDomainFsAccessMode accessmode;
  char *src_dir;
  char *dst; /* <target dir=>: a mount tag */
  gboolean readonly;
  VbDomainDeviceInfo info;
} VbDomainFsDef;

typedef enum {
  VB_DOMAIN_TPM_MODEL_DEFAULT = 0, /* absent */
  VB_DOMAIN_TPM_MODEL_TIS,
  VB_DOMAIN_TPM_MODEL_CRB,
  VB_DOMAIN_TPM_MODEL_SPAPR,
  VB_DOMAIN_TPM_MODEL_SPAPR_PROXY,
  VB_DOMAIN_TPM_MODEL_LAST
} VbDomainTpmModel;

typedef enum {
  VB_DOMAIN_TPM_BACKEND_PASSTHROUGH,
  VB_DOMAIN_TPM_BACKEND_EMULATOR,
  VB_DOMAIN_TPM_BACKEND_LAST
} VbDomainTpmBackend;

typedef struct {
  VbDomainTpmModel model;
  VbDomainTpmBackend backend;
  char *device_path; /* passthrough <device path=> */
  char *version;     /* emulator version=: "1.2" or "2.0"; NULL = absent */
  VbDomainDeviceInfo info;
} VbDomainTpmDef;

/* ------------------------------------------------------------------ */
/* A single device, as given to AttachDevice/DetachDevice/UpdateDevice  */

typedef enum {
  VB_DOMAIN_DEVICE_DISK,
  VB_DOMAIN_DEVICE_CONTROLLER,
  VB_DOMAIN_DEVICE_INTERFACE,
  VB_DOMAIN_DEVICE_SERIAL,
  VB_DOMAIN_DEVICE_PARALLEL,
  VB_DOMAIN_DEVICE_CONSOLE,
  VB_DOMAIN_DEVICE_CHANNEL,
  VB_DOMAIN_DEVICE_GRAPHICS,
  VB_DOMAIN_DEVICE_VIDEO,
  VB_DOMAIN_DEVICE_INPUT,
  VB_DOMAIN_DEVICE_SOUND,
  VB_DOMAIN_DEVICE_AUDIO,
  VB_DOMAIN_DEVICE_HOSTDEV,
  VB_DOMAIN_DEVICE_MEMBALLOON,
  VB_DOMAIN_DEVICE_RNG,
  VB_DOMAIN_DEVICE_WATCHDOG,
  VB_DOMAIN_DEVICE_PANIC,
  VB_DOMAIN_DEVICE_FILESYSTEM,
  VB_DOMAIN_DEVICE_TPM,
  VB_DOMAIN_DEVICE_REDIRDEV,
  VB_DOMAIN_DEVICE_LAST
} VbDomainDeviceType;

typedef struct {
  VbDomainDeviceType type;
  union {
    VbDomainDiskDef *disk;
    VbDomainControllerDef *controller;
    VbDomainNetDef *net;
    VbDomainChrDef *chr; /* serial, parallel, console, channel */
    VbDomainGraphicsDef *graphics;
    VbDomainVideoDef *video;
    VbDomainInputDef *input;
    VbDomainSoundDef *sound;
    VbDomainAudioDef *audio;
    VbDomainHostdevDef *hostdev;
    VbDomainMemballoonDef *memballoon;
    VbDomainRngDef *rng;
    VbDomainWatchdogDef *watchdog;
    VbDomainPanicDef *panic;
    VbDomainFsDef *fs;
    VbDomainTpmDef *tpm;
    VbDomainRedirdevDef *redirdev;
    gpointer ptr;
  } data;
} VbDomainDeviceDef;

/* ------------------------------------------------------------------ */
/* CPU                                                                  */

typedef enum {
  VB_DOMAIN_CPU_MODE_CUSTOM,
  VB_DOMAIN_CPU_MODE_HOST_MODEL,
  VB_DOMAIN_CPU_MODE_HOST_PASSTHROUGH,
  VB_DOMAIN_CPU_MODE_MAXIMUM,
  VB_DOMAIN_CPU_MODE_LAST
} VbDomainCpuMode;

typedef enum {
  VB_DOMAIN_CPU_MATCH_NONE = 0, /* absent */
  VB_DOMAIN_CPU_MATCH_MINIMUM,
  VB_DOMAIN_CPU_MATCH_EXACT,
  VB_DOMAIN_CPU_MATCH_STRICT,
  VB_DOMAIN_CPU_MATCH_LAST
} VbDomainCpuMatch;

typedef enum {
  VB_DOMAIN_CPU_CHECK_NONE_SET = 0, /* absent */
  VB_DOMAIN_CPU_CHECK_NONE,
  VB_DOMAIN_CPU_CHECK_PARTIAL,
  VB_DOMAIN_CPU_CHECK_FULL,
  VB_DOMAIN_CPU_CHECK_LAST
} VbDomainCpuCheck;

typedef enum {
  VB_DOMAIN_CPU_FALLBACK_NONE = 0, /* absent */
  VB_DOMAIN_CPU_FALLBACK_ALLOW,
  VB_DOMAIN_CPU_FALLBACK_FORBID,
  VB_DOMAIN_CPU_FALLBACK_LAST
} VbDomainCpuFallback;

typedef enum {
  VB_DOMAIN_CPU_FEATURE_FORCE,
  VB_DOMAIN_CPU_FEATURE_REQUIRE,
  VB_DOMAIN_CPU_FEATURE_OPTIONAL,
  VB_DOMAIN_CPU_FEATURE_DISABLE,
  VB_DOMAIN_CPU_FEATURE_FORBID,
  VB_DOMAIN_CPU_FEATURE_LAST
} VbDomainCpuFeaturePolicy;

typedef struct {
  VbDomainCpuFeaturePolicy policy;
  char *name;
} VbDomainCpuFeature;

typedef enum {
  VB_DOMAIN_NUMA_MEM_ACCESS_NONE = 0, /* absent */
  VB_DOMAIN_NUMA_MEM_ACCESS_SHARED,
  VB_DOMAIN_NUMA_MEM_ACCESS_PRIVATE,
  VB_DOMAIN_NUMA_MEM_ACCESS_LAST
} VbDomainNumaMemAccess;

typedef struct {
  guint id;
  char *cpus; /* cpuset syntax; NULL = absent (memory-only node) */
  guint64 memory_kib;
  VbDomainNumaMemAccess mem_access;
} VbDomainNumaCell;

typedef struct {
  VbDomainCpuMode mode;
  VbDomainCpuMatch match;
  VbDomainCpuCheck check;
  VbDomainTristate migratable; /* host-passthrough / maximum: on/off */
  char *model;
  VbDomainCpuFallback fallback;
  char *vendor;
  /* <topology>; all 0 = absent */
  guint sockets, dies, cores, threads;
  GPtrArray *features; /* VbDomainCpuFeature */
  GPtrArray *numa;     /* VbDomainNumaCell, in id order */
} VbDomainCpuDef;

/* ------------------------------------------------------------------ */
/* OS, features, clock, lifecycle, seclabel                             */

typedef enum {
  VB_DOMAIN_OS_HVM,
  VB_DOMAIN_OS_LINUX, /* needs <kernel>; no boot devices */
  VB_DOMAIN_OS_LAST
} VbDomainOsType;

typedef enum {
  VB_DOMAIN_BOOT_FLOPPY, /* fd */
  VB_DOMAIN_BOOT_DISK,   /* hd */
  VB_DOMAIN_BOOT_CDROM,
  VB_DOMAIN_BOOT_NETWORK,
  VB_DOMAIN_BOOT_LAST
} VbDomainBootDev;

#define VB_DOMAIN_MAX_BOOT_DEVS 4

typedef enum {
  VB_DOMAIN_LOADER_TYPE_NONE = 0, /* absent */
  VB_DOMAIN_LOADER_TYPE_ROM,
  VB_DOMAIN_LOADER_TYPE_PFLASH,
  VB_DOMAIN_LOADER_TYPE_LAST
} VbDomainLoaderType;

typedef enum {
  VB_DOMAIN_FIRMWARE_NONE = 0, /* absent */
  VB_DOMAIN_FIRMWARE_BIOS,
  VB_DOMAIN_FIRMWARE_EFI,
  VB_DOMAIN_FIRMWARE_LAST
} VbDomainFirmware;

typedef enum {
  VB_DOMAIN_SMBIOS_NONE = 0, /* absent */
  VB_DOMAIN_SMBIOS_EMULATE,
  VB_DOMAIN_SMBIOS_HOST,
  VB_DOMAIN_SMBIOS_SYSINFO,
  VB_DOMAIN_SMBIOS_LAST
} VbDomainSmbiosMode;

typedef struct {
  VbDomainOsType type;
  char *arch;    /* always set after parsing (defaulted) */
  char *machine;
  VbDomainFirmware firmware;
  VbDomainTristate fw_secure_boot;   /* <firmware><feature name='secure-boot'> */
  VbDomainTristate fw_enrolled_keys; /* <firmware><feature name='enrolled-keys'> */
  /* <loader>; present when loader_path or any attribute is set */
  gboolean has_loader;
  char *loader_path;
  VbDomainTristate loader_readonly;
  VbDomainTristate loader_secure;
  VbDomainLoaderType loader_type;
  /* <nvram> */
  gboolean has_nvram;
  char *nvram_path;
  char *nvram_template;
  VbDomainBootDev boot_devs[VB_DOMAIN_MAX_BOOT_DEVS];
  guint n_boot_devs;
  VbDomainTristate bootmenu_enable;
  gboolean has_bootmenu_timeout;
  guint bootmenu_timeout; /* ms, <= 65535 */
  char *kernel, *initrd, *cmdline, *dtb;
  VbDomainSmbiosMode smbios;
} VbDomainOsDef;

typedef enum {
  VB_DOMAIN_IOAPIC_NONE = 0, /* absent */
  VB_DOMAIN_IOAPIC_KVM,
  VB_DOMAIN_IOAPIC_QEMU,
  VB_DOMAIN_IOAPIC_LAST
} VbDomainIoapicDriver;

typedef enum {
  VB_DOMAIN_GIC_NONE = 0, /* <gic> absent */
  VB_DOMAIN_GIC_DEFAULT,  /* <gic/> without version */
  VB_DOMAIN_GIC_2,
  VB_DOMAIN_GIC_3,
  VB_DOMAIN_GIC_HOST,
  VB_DOMAIN_GIC_LAST
} VbDomainGicVersion;

typedef enum {
  VB_DOMAIN_HYPERV_MODE_NONE = 0, /* <hyperv> absent */
  VB_DOMAIN_HYPERV_MODE_CUSTOM,   /* the enlightenments listed */
  VB_DOMAIN_HYPERV_MODE_PASSTHROUGH,
  VB_DOMAIN_HYPERV_MODE_LAST
} VbDomainHypervMode;

/* <features><hyperv> children, in libvirt's order. */
typedef enum {
  VB_DOMAIN_HYPERV_RELAXED,
  VB_DOMAIN_HYPERV_VAPIC,
  VB_DOMAIN_HYPERV_SPINLOCKS,
  VB_DOMAIN_HYPERV_VPINDEX,
  VB_DOMAIN_HYPERV_RUNTIME,
  VB_DOMAIN_HYPERV_SYNIC,
  VB_DOMAIN_HYPERV_STIMER,
  VB_DOMAIN_HYPERV_RESET,
  VB_DOMAIN_HYPERV_VENDOR_ID,
  VB_DOMAIN_HYPERV_FREQUENCIES,
  VB_DOMAIN_HYPERV_REENLIGHTENMENT,
  VB_DOMAIN_HYPERV_TLBFLUSH,
  VB_DOMAIN_HYPERV_IPI,
  VB_DOMAIN_HYPERV_EVMCS,
  VB_DOMAIN_HYPERV_AVIC,
  VB_DOMAIN_HYPERV_LAST
} VbDomainHypervFeature;

const char *vb_domain_hyperv_feature_to_string (VbDomainHypervFeature feature);

/* <features>. Presence-only features are gboolean; features with a
 * state= attribute are tristates (ABSENT = element absent). */
typedef struct {
  gboolean acpi;
  gboolean apic;
  gboolean pae;
  VbDomainTristate hap;
  VbDomainTristate vmport;
  VbDomainTristate smm;
  VbDomainTristate pvspinlock;
  VbDomainTristate pmu;
  VbDomainTristate vmcoreinfo;
  VbDomainTristate kvm_hidden; /* <kvm><hidden state=/></kvm> */
  VbDomainIoapicDriver ioapic;
  VbDomainGicVersion gic;
  /* <hyperv>: Hyper-V enlightenments for Windows guests */
  VbDomainHypervMode hyperv_mode;
  VbDomainTristate hyperv[VB_DOMAIN_HYPERV_LAST];
  guint hyperv_spinlock_retries;       /* <spinlocks retries=>, 0 = absent */
  VbDomainTristate hyperv_stimer_direct; /* <stimer><direct state=> */
  char hyperv_vendor_id[13];           /* <vendor_id value=>, up to 12 characters */
} VbDomainFeatures;

typedef enum {
  VB_DOMAIN_CLOCK_UTC,
  VB_DOMAIN_CLOCK_LOCALTIME,
  VB_DOMAIN_CLOCK_TIMEZONE,
  VB_DOMAIN_CLOCK_VARIABLE,
  VB_DOMAIN_CLOCK_LAST
} VbDomainClockOffset;

typedef enum {
  VB_DOMAIN_CLOCK_BASIS_UTC,
  VB_DOMAIN_CLOCK_BASIS_LOCALTIME,
  VB_DOMAIN_CLOCK_BASIS_LAST
} VbDomainClockBasis;

typedef enum {
  VB_DOMAIN_TIMER_PLATFORM,
  VB_DOMAIN_TIMER_PIT,
  VB_DOMAIN_TIMER_RTC,
  VB_DOMAIN_TIMER_HPET,
  VB_DOMAIN_TIMER_TSC,
  VB_DOMAIN_TIMER_KVMCLOCK,
  VB_DOMAIN_TIMER_HYPERVCLOCK,
  VB_DOMAIN_TIMER_ARMVTIMER,
  VB_DOMAIN_TIMER_LAST
} VbDomainTimerName;

typedef enum {
  VB_DOMAIN_TIMER_TICKPOLICY_NONE = 0, /* absent */
  VB_DOMAIN_TIMER_TICKPOLICY_DELAY,
  VB_DOMAIN_TIMER_TICKPOLICY_CATCHUP,
  VB_DOMAIN_TIMER_TICKPOLICY_MERGE,
  VB_DOMAIN_TIMER_TICKPOLICY_DISCARD,
  VB_DOMAIN_TIMER_TICKPOLICY_LAST
} VbDomainTimerTickPolicy;

typedef enum {
  VB_DOMAIN_TIMER_TRACK_NONE = 0, /* absent */
  VB_DOMAIN_TIMER_TRACK_BOOT,
  VB_DOMAIN_TIMER_TRACK_GUEST,
  VB_DOMAIN_TIMER_TRACK_WALL,
  VB_DOMAIN_TIMER_TRACK_REALTIME,
  VB_DOMAIN_TIMER_TRACK_LAST
} VbDomainTimerTrack;

typedef struct {
  VbDomainTimerName name;
  VbDomainTristate present;
  VbDomainTimerTickPolicy tickpolicy;
  VbDomainTimerTrack track; /* rtc only */
} VbDomainTimerDef;

typedef struct {
  VbDomainClockOffset offset;
  gboolean has_adjustment;
  gint64 adjustment;        /* variable: seconds */
  VbDomainClockBasis basis; /* variable */
  char *timezone;           /* timezone */
  GPtrArray *timers;        /* VbDomainTimerDef, one per name */
} VbDomainClockDef;

typedef enum {
  VB_DOMAIN_LIFECYCLE_DESTROY,
  VB_DOMAIN_LIFECYCLE_RESTART,
  VB_DOMAIN_LIFECYCLE_RENAME_RESTART,
  VB_DOMAIN_LIFECYCLE_PRESERVE,
  VB_DOMAIN_LIFECYCLE_COREDUMP_DESTROY, /* on_crash only */
  VB_DOMAIN_LIFECYCLE_COREDUMP_RESTART, /* on_crash only */
  VB_DOMAIN_LIFECYCLE_LAST
} VbDomainLifecycleAction;

typedef enum {
  VB_DOMAIN_LOCKFAILURE_NONE = 0, /* absent */
  VB_DOMAIN_LOCKFAILURE_POWEROFF,
  VB_DOMAIN_LOCKFAILURE_RESTART,
  VB_DOMAIN_LOCKFAILURE_PAUSE,
  VB_DOMAIN_LOCKFAILURE_IGNORE,
  VB_DOMAIN_LOCKFAILURE_LAST
} VbDomainLockFailureAction;

typedef enum {
  VB_DOMAIN_SECLABEL_DYNAMIC,
  VB_DOMAIN_SECLABEL_STATIC,
  VB_DOMAIN_SECLABEL_NONE,
  VB_DOMAIN_SECLABEL_LAST
} VbDomainSeclabelType;

typedef struct {
  VbDomainSeclabelType type;
  char *model;  /* selinux, apparmor, dac, none; NULL = absent */
  VbDomainTristate relabel;
  char *label;      /* live-only for dynamic */
  char *imagelabel; /* live-only for dynamic */
  char *baselabel;  /* dynamic only */
} VbDomainSeclabelDef;

/* ------------------------------------------------------------------ */
/* Memory backing                                                       */

typedef enum {
  VB_DOMAIN_MEMORY_SOURCE_NONE = 0, /* absent */
  VB_DOMAIN_MEMORY_SOURCE_FILE,
  VB_DOMAIN_MEMORY_SOURCE_ANONYMOUS,
  VB_DOMAIN_MEMORY_SOURCE_MEMFD,
  VB_DOMAIN_MEMORY_SOURCE_LAST
} VbDomainMemorySource;

typedef enum {
  VB_DOMAIN_MEMORY_ACCESS_NONE = 0, /* absent */
  VB_DOMAIN_MEMORY_ACCESS_SHARED,
  VB_DOMAIN_MEMORY_ACCESS_PRIVATE,
  VB_DOMAIN_MEMORY_ACCESS_LAST
} VbDomainMemoryAccess;

typedef enum {
  VB_DOMAIN_MEMORY_ALLOCATION_NONE = 0, /* absent */
  VB_DOMAIN_MEMORY_ALLOCATION_IMMEDIATE,
  VB_DOMAIN_MEMORY_ALLOCATION_ONDEMAND,
  VB_DOMAIN_MEMORY_ALLOCATION_LAST
} VbDomainMemoryAllocation;

typedef struct {
  guint64 size_kib;
  char *nodeset; /* NULL = all nodes */
} VbDomainHugepage;

typedef struct {
  gboolean hugepages;   /* <hugepages> present */
  GPtrArray *pages;     /* VbDomainHugepage under <hugepages> */
  gboolean nosharepages;
  gboolean locked;
  gboolean discard;
  VbDomainMemorySource source;
  VbDomainMemoryAccess access;
  VbDomainMemoryAllocation allocation;
} VbDomainMemoryBacking;

/* ------------------------------------------------------------------ */
/* The domain                                                           */

/* One child of <metadata>, serialized verbatim (with its namespace
 * declaration) so it can be written back or handed out by GetMetadata. */
typedef struct {
  char *uri; /* namespace URI; NULL for an element in no namespace */
  char *xml;
} VbDomainMetadataEntry;

typedef enum {
  VB_DOMAIN_VCPU_PLACEMENT_NONE = 0, /* absent */
  VB_DOMAIN_VCPU_PLACEMENT_STATIC,
  VB_DOMAIN_VCPU_PLACEMENT_AUTO,
  VB_DOMAIN_VCPU_PLACEMENT_LAST
} VbDomainVcpuPlacement;

typedef struct {
  VbDomainVirtType virt_type;
  int id;          /* -1 when not running / inactive XML */
  char *name;
  char uuid[37];   /* canonical lowercase, always set */
  gboolean has_genid;
  gboolean genid_generated; /* <genid/> was empty: formatted empty with INACTIVE */
  char genid[37];
  char *title;       /* single line */
  char *description;
  GPtrArray *metadata; /* VbDomainMetadataEntry, document order */

  guint64 memory_kib;         /* <memory>, > 0 */
  guint64 current_memory_kib; /* <currentMemory>, <= memory_kib */
  guint64 max_memory_kib;     /* <maxMemory>; 0 = absent */
  guint max_memory_slots;
  gboolean has_memory_backing;
  VbDomainMemoryBacking memory_backing;

  guint vcpus;          /* maximum, >= 1 */
  guint vcpus_current;  /* 1..vcpus */
  VbDomainVcpuPlacement vcpu_placement;
  char *vcpu_cpuset;
  guint iothreads;      /* 0 = absent */
  GArray *iothread_ids; /* guint, <iothreadids> (iothreads of them); NULL: the ids are 1..iothreads */
  char *resource_partition; /* <resource><partition> */
  GPtrArray *sysinfos;       /* <sysinfo>: VbSysinfoDef, at most one of each type, in order */

  VbDomainOsDef os;
  gboolean has_features;  /* <features> present (possibly empty) */
  VbDomainFeatures features;
  VbDomainCpuDef *cpu;    /* NULL = no <cpu> */
  VbDomainClockDef clock;

  VbDomainLifecycleAction on_poweroff; /* default destroy */
  VbDomainLifecycleAction on_reboot;   /* default restart */
  VbDomainLifecycleAction on_crash;    /* default destroy */
  VbDomainLockFailureAction on_lockfailure;
  VbDomainTristate pm_suspend_to_mem;
  VbDomainTristate pm_suspend_to_disk;

  char *emulator;
  GPtrArray *disks;       /* VbDomainDiskDef */
  GPtrArray *controllers; /* VbDomainControllerDef */
  GPtrArray *filesystems; /* VbDomainFsDef */
  GPtrArray *nets;        /* VbDomainNetDef */
  GPtrArray *serials;     /* VbDomainChrDef */
  GPtrArray *parallels;   /* VbDomainChrDef */
  GPtrArray *consoles;    /* VbDomainChrDef */
  GPtrArray *channels;    /* VbDomainChrDef */
  GPtrArray *inputs;      /* VbDomainInputDef */
  GPtrArray *tpms;        /* VbDomainTpmDef */
  GPtrArray *graphics;    /* VbDomainGraphicsDef */
  GPtrArray *sounds;      /* VbDomainSoundDef */
  GPtrArray *audios;      /* VbDomainAudioDef */
  GPtrArray *videos;      /* VbDomainVideoDef */
  GPtrArray *hostdevs;    /* VbDomainHostdevDef */
  GPtrArray *redirdevs;   /* VbDomainRedirdevDef */
  /* <redirfilter>: VbDomainRedirFilterUsbDev rules in order; empty when
   * absent (an empty <redirfilter/> filters nothing and is dropped) */
  GPtrArray *redirfilter;
  GPtrArray *watchdogs;   /* VbDomainWatchdogDef */
  VbDomainMemballoonDef *memballoon; /* NULL = absent */
  GPtrArray *rngs;        /* VbDomainRngDef */
  GPtrArray *panics;      /* VbDomainPanicDef */

  GPtrArray *seclabels;   /* VbDomainSeclabelDef */
} VbDomainDef;

/* ------------------------------------------------------------------ */
/* API                                                                  */

/* A new def with libvirt's defaults (name NULL, fresh uuid, 1 vcpu, ...);
 * mostly for tests and backends building defs by hand. */
VbDomainDef *vb_domain_def_new (void);

/* Parses a full <domain> document (live data such as id= accepted). */
VbDomainDef *vb_domain_def_parse (const char *xml, GError **error);
/* @flags: VbDomainParseFlags. */
VbDomainDef *vb_domain_def_parse_full (const char *xml, guint flags, GError **error);

/* @flags: VbDomainXmlFlags. */
char *vb_domain_def_format (const VbDomainDef *def, guint flags);

VbDomainDef *vb_domain_def_copy (const VbDomainDef *def);

/* IOThreads: the id of the @i-th (0 <= @i < iothreads); whether there is
 * one of id @id. */
guint vb_domain_def_iothread_id (const VbDomainDef *def, guint i);
gboolean vb_domain_def_has_iothread (const VbDomainDef *def, guint id);
/* Adds IOThread @id (it must not exist), or removes it (it must exist,
 * used by no disk or controller): libvirt's AddIOThread/DelIOThread on a
 * definition. */
gboolean vb_domain_def_add_iothread (VbDomainDef *def, guint id, GError **error);
gboolean vb_domain_def_del_iothread (VbDomainDef *def, guint id, GError **error);
void vb_domain_def_free (VbDomainDef *def);

/* Cross-field checks run by the parser (and by vb_domain_def_add_device):
 * memory, vcpus, duplicate disk targets / MACs / controller indexes, boot
 * order conflicts, ... Backends that edit a def by hand may call it too. */
gboolean vb_domain_def_validate (const VbDomainDef *def, GError **error);

/* libvirt's domain-name rule: non-empty, no '/', no control characters. */
gboolean vb_domain_def_validate_name (const char *name, GError **error);

/* Metadata with virDomainGetMetadata/SetMetadata semantics. @type is a
 * VbDomainMetadataType. get fails with VB_ERROR_NOT_FOUND when unset; for
 * ELEMENT it returns the element serialized. set with a NULL or empty
 * @value removes; for ELEMENT @value is a single-element XML fragment that
 * is put in namespace @uri with prefix @key (both required). */
char *vb_domain_def_get_metadata (const VbDomainDef *def, int type, const char *uri, GError **error);
gboolean vb_domain_def_set_metadata (VbDomainDef *def, int type, const char *key,
                                     const char *uri, const char *value, GError **error);

/* Disk look-ups (borrowed pointers, NULL when not found). */
VbDomainDiskDef *vb_domain_def_find_disk_by_target (const VbDomainDef *def, const char *dst);
VbDomainDiskDef *vb_domain_def_find_disk_by_path (const VbDomainDef *def, const char *path);
/* Either a target name or a source path, as virDomainDiskByName. */
VbDomainDiskDef *vb_domain_def_find_disk (const VbDomainDef *def, const char *name);
/* Interface look-ups by MAC (case-insensitive) or by <target dev=>. */
VbDomainNetDef *vb_domain_def_find_net_by_mac (const VbDomainDef *def, const char *mac);
VbDomainNetDef *vb_domain_def_find_net_by_target (const VbDomainDef *def, const char *ifname);

/* Parses a single device element (<disk>, <interface>, <serial>, ...). */
VbDomainDeviceDef *vb_domain_device_def_parse (const char *xml, GError **error);
/* Parses a <disk> for where its image is (VB_DOMAIN_PARSE_DISK_SOURCE):
 * no <target> needed, ->dst NULL. */
VbDomainDiskDef *vb_domain_disk_source_parse (const char *xml, GError **error);
void vb_domain_disk_def_free (VbDomainDiskDef *disk);
char *vb_domain_device_def_format (const VbDomainDeviceDef *dev, guint flags);
VbDomainDeviceDef *vb_domain_device_def_copy (const VbDomainDeviceDef *dev);
void vb_domain_device_def_free (VbDomainDeviceDef *dev);

/* Appends a copy of @dev to @def after checking it does not clash
 * (duplicate disk target, MAC, controller index, boot order, second
 * memballoon, ...); @def is unchanged on failure. */
gboolean vb_domain_def_add_device (VbDomainDef *def, const VbDomainDeviceDef *dev, GError **error);
/* Finds the device of @def that @dev designates, matching as libvirt does:
 * disk by target dev; interface by MAC (when given), else alias / PCI
 * address; controller by type+index; hostdev by host source; chardevs by
 * target port (channels by target name); redirdevs by type (and tcp
 * host/service); others by model. Returns the index in the array of that
 * device type (0 for the memballoon), or -1 with VB_ERROR_NOT_FOUND (or
 * VB_ERROR_INVALID_ARG when ambiguous). */
int vb_domain_def_find_device (const VbDomainDef *def, const VbDomainDeviceDef *dev, GError **error);
/* Removes the device designated by @dev; returns it (caller frees) or NULL
 * with an error. */
VbDomainDeviceDef *vb_domain_def_remove_device (VbDomainDef *def, const VbDomainDeviceDef *dev, GError **error);
/* Replaces the device designated by @dev with a copy of @dev, keeping the
 * old alias and address when @dev has none. */
gboolean vb_domain_def_update_device (VbDomainDef *def, const VbDomainDeviceDef *dev, GError **error);

/* For XML models embedding a domain (<domainsnapshot>). parse_node reads
 * the <domain> (or <inactiveDomain>) element @node of a document made by
 * vb_xml_parse(), including the check that nothing below it was left
 * unread; format_into writes @def as element @element_name. */
struct _xmlNode;
struct _VbXmlWriter;
VbDomainDef *vb_domain_def_parse_node (struct _xmlNode *node, guint flags, GError **error);
void vb_domain_def_format_into (struct _VbXmlWriter *w, const VbDomainDef *def, guint flags,
                                const char *element_name);

/* Enum <-> string tables (the XML spelling). _from_string returns -1 when
 * unknown. */
const char *vb_domain_virt_type_to_string (VbDomainVirtType type);
int vb_domain_virt_type_from_string (const char *str);
const char *vb_domain_device_type_to_string (VbDomainDeviceType type); /* element name */
int vb_domain_device_type_from_string (const char *str);
const char *vb_domain_disk_device_to_string (VbDomainDiskDevice device);
const char *vb_domain_disk_bus_to_string (VbDomainDiskBus bus);
const char *vb_domain_net_type_to_string (VbDomainNetType type);
/* What a NIC is while the guest runs: a type='network' NIC on a network of
 * macvtaps (src_dev set when it was plugged) is a direct one, and its live
 * XML says so, with the network it came from. */
VbDomainNetType vb_domain_net_actual_type (const VbDomainNetDef *net);
const char *vb_domain_controller_type_to_string (VbDomainControllerType type);
const char *vb_domain_graphics_type_to_string (VbDomainGraphicsType type);
const char *vb_domain_lifecycle_action_to_string (VbDomainLifecycleAction action);
int vb_domain_lifecycle_action_from_string (const char *str);
const char *vb_domain_os_type_to_string (VbDomainOsType type); /* "hvm", "linux" */

/* Storage formats accepted in <driver type=> and <format type=>. */
gboolean vb_domain_disk_format_is_valid (const char *format);

/* MAC helpers: validates "xx:xx:xx:xx:xx:xx" (hex, not multicast) and writes
 * the canonical lowercase form; generate makes a 52:54:00:xx:xx:xx one. */
gboolean vb_domain_mac_parse (const char *str, char out[18]);
void vb_domain_mac_generate (char out[18]);

VbDomainCpuDef *vb_domain_cpu_def_copy (const VbDomainCpuDef *cpu);
void vb_domain_cpu_def_free (VbDomainCpuDef *cpu);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbDomainDef, vb_domain_def_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbDomainCpuDef, vb_domain_cpu_def_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbDomainDeviceDef, vb_domain_device_def_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VbDomainDiskDef, vb_domain_disk_def_free)

G_END_DECLS
