"""SMBIOS tables of the tests' own making: the structures GetSysinfo reads
(BIOS, system, base board, chassis, processors, OEM strings, memory
devices), written as sysfs shows them (/sys/firmware/dmi/tables/DMI and
smbios_entry_point) and as a dmidecode --dump-bin file, so dmidecode and
libvirt can read the same table."""
import struct


class Table:
    def __init__(self, version=(3, 2)):
        self.version = version
        self.structs = []
        self.handle = 0

    def add(self, type_, fields, strings=()):
        """@fields: the formatted area after the 4-byte header; @strings:
        the string set (indexes from 1)."""
        body = struct.pack("<BBH", type_, 4 + len(fields), self.handle) + fields
        self.handle += 1
        if strings:
            body += b"".join(s.encode() + b"\0" for s in strings) + b"\0"
        else:
            body += b"\0\0"
        self.structs.append(body)

    def table(self):
        end = struct.pack("<BBH", 127, 4, self.handle) + b"\0\0"
        return b"".join(self.structs) + end

    def entry_point(self, address):
        table = self.table()
        ep = bytearray(struct.pack("<5sBBBBBBBIQ", b"_SM3_", 0, 0x18, self.version[0], self.version[1], 0, 1, 0,
                                   len(table), address))
        ep[5] = (-sum(ep)) & 0xff
        return bytes(ep)

    def write_sysfs(self, root):
        import os
        d = os.path.join(root, "sys/firmware/dmi/tables")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "DMI"), "wb") as f:
            f.write(self.table())
        with open(os.path.join(d, "smbios_entry_point"), "wb") as f:
            f.write(self.entry_point(0))

    def write_dump(self, path):
        with open(path, "wb") as f:
            f.write(self.entry_point(0x20).ljust(0x20, b"\0") + self.table())


def sample():
    """A table like a server's, every field GetSysinfo reports set."""
    t = Table()
    # BIOS: vendor, version, start segment, date, ROM size, characteristics,
    # extensions, release 2.61, EC 255.255
    t.add(0, struct.pack("<BBHBBQBBBBBB", 1, 2, 0xE800, 3, 0x7F, 0x08, 0x03, 0x0D, 2, 61, 0xFF, 0xFF),
          ["LENOVO", "G4ETA1WW (2.61 )", "05/07/2014"])
    uuid = bytes.fromhex("33221100554477668899aabbccddeeff")
    t.add(1, struct.pack("<BBBB16sBBB", 1, 2, 3, 4, uuid, 6, 5, 6),
          ["Lenovo", "20BE0061MC", "ThinkPad T440p", "PB0ABCDE", "LENOVO_MT_20BE", "ThinkPad T440p"])
    t.add(2, struct.pack("<BBBBBBBHBB", 1, 2, 3, 4, 5, 0x09, 6, 3, 0x0A, 0),
          ["LENOVO", "20BE0061MC", "0B98401 Pro", "W1KS427111E", "Not Available", "Part Component"])
    # chassis: …, states, security, OEM, height, cords, no contained elements, SKU
    t.add(3, struct.pack("<BBBBBBBBBIBBBBB", 1, 0x0A, 2, 3, 4, 3, 3, 3, 3, 0, 0, 1, 0, 3, 5),
          ["LENOVO", "Not Available", "PB0ABCDE", "No Asset Information", "LENOVO_MT_20BE"])
    for i in range(2):
        cpuid = struct.pack("<II", 0x000306C3, 0xBFEBFBFF)
        t.add(4, struct.pack("<BBBB8sBBHHHBBHHHBBBBBBHHHH", 1, 3, 0xC6, 2, cpuid, 3, 0x8A, 100, 3800, 2500,
                             0x41, 0x2C, 0xFFFF, 0xFFFF, 0xFFFF, 4, 5, 6, 4, 4, 8, 0xEC, 0xC6, 4, 4),
              ["CPU Socket - U3E1" if i == 0 else "CPU Socket - U3E2", "GenuineIntel",
               "Intel(R) Core(TM) i7-4800MQ CPU @ 2.70GHz", "None", "Not Specified", "To Be Filled By O.E.M."])
    t.add(11, struct.pack("<B", 2), ["myappname:some arbitrary data", "otherappname:more arbitrary data"])
    for i, (size, speed) in enumerate(((8192, 1600), (0x7FFF, 2400))):
        ext = 32768 if size == 0x7FFF else 0
        t.add(17, struct.pack("<HHHHHBBBBBHHBBBBBIHH", 0x1000, 0xFFFE, 64, 64, size, 0x0D, 0, 1, 2, 0x1A, 0x0080,
                              speed, 3, 4, 5, 6, 2, ext, speed, 1200),
              ["ChannelA-DIMM%d" % i, "BANK %d" % i, "Samsung", "12161217", "None", "M471B1G73QH0-YK0  "])
    return t


def edge():
    """The cases dmidecode writes differently: SMBIOS 2.4 (a big-endian
    UUID), strings not set, a processor of family "Other" with no CPUID
    signature (QEMU's), an AMD one, an empty socket, a chassis with
    contained elements before its SKU, memory sizes in kB and past 32 GiB,
    an empty memory slot, an unknown speed."""
    t = Table(version=(2, 4))
    t.add(0, struct.pack("<BBHBBQ", 1, 0, 0xE800, 2, 0, 0x08), ["SeaBIOS", "2014-01-01"])
    uuid = bytes(range(16))
    t.add(1, struct.pack("<BBBB16sBBB", 1, 0, 2, 0, uuid, 6, 0, 3), ["QEMU", "pc-q35-7.2", "Virtual Machine"])
    t.add(2, struct.pack("<BBBBBBBHBB", 1, 2, 0, 0, 0, 0x01, 0, 3, 0x0A, 0), ["Board Co", "B-1"])
    t.add(2, struct.pack("<BBBB", 1, 2, 3, 0), ["Second Co", "B-2", "v2"])
    t.add(3, struct.pack("<BBBBBBBBBIBBBB6sB", 1, 0x01, 0, 2, 0, 3, 3, 3, 2, 0, 0, 0, 2, 3,
                         bytes((0x81, 1, 2, 0x03, 1, 1)), 3),
          ["QEMU", "CH-1", "SKU-7"])
    qemu_cpu = struct.pack("<II", 0x000806F8, 0x0F8BFBFF)
    t.add(4, struct.pack("<BBBB8sBBHHHBBHHHBBB", 1, 3, 0x01, 2, qemu_cpu, 3, 0, 0, 2000, 2000, 0x41, 0x01,
                         0xFFFF, 0xFFFF, 0xFFFF, 0, 0, 0),
          ["CPU 0", "QEMU", "pc-q35-7.2"])
    amd_cpu = struct.pack("<II", 0x00A00F11, 0x178BFBFF)
    t.add(4, struct.pack("<BBBB8sBBHHHBBHHHBBB", 1, 3, 0x6B, 2, amd_cpu, 3, 0x8A, 0, 3700, 3700, 0x43, 0x01,
                         0xFFFF, 0xFFFF, 0xFFFF, 4, 0, 5),
          ["P1", "Advanced Micro Devices, Inc.", "AMD EPYC 7313 16-Core Processor", "SN-77", "PN-88"])
    t.add(4, struct.pack("<BBBB8sBBHHHBBHHHBBB", 1, 3, 0xBE, 2, qemu_cpu, 0, 0, 0, 0, 0, 0x00, 0x01,
                         0xFFFF, 0xFFFF, 0xFFFF, 0, 0, 0),
          ["P2", "Intel"])
    for size, ext, speed, ff, mtype, detail in ((0x8200, 0, 0, 0x09, 0x07, 0x0002), (0x7FFF, 65536, 3200, 0x09,
                                                0x22, 0x2080), (0, 0, 0, 0x02, 0x02, 0x0004),
                                                (0xFFFF, 0, 4800, 0x10, 0x23, 0x4000)):
        t.add(17, struct.pack("<HHHHHBBBBBHHBBBBBI", 0x1000, 0xFFFE, 64, 64, size, ff, 0, 1, 2, mtype, detail,
                              speed, 3, 0, 0, 4, 1, ext),
              ["DIMM %d" % size, "Bank", "Maker", "Part  "])
    t.add(11, struct.pack("<B", 1), ["only one"])
    return t
