#!/usr/bin/python3
"""Builds hostile and ordinary archives for fetch's tests.

Usage: fetch_archives.py KIND OUT [ARG]
"""
import gzip
import io
import struct
import sys
import tarfile
import zipfile

kind, out = sys.argv[1], sys.argv[2]
arg = sys.argv[3] if len(sys.argv) > 3 else None


class Zeros(io.RawIOBase):
    def __init__(self, size):
        self.left = size

    def readable(self):
        return True

    def readinto(self, b):
        n = min(len(b), self.left)
        b[:n] = bytes(n)
        self.left -= n
        return n


def add_file(tar, name, data=b"data\n", mode=0o644):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    tar.addfile(info, io.BytesIO(data))


def add_link(tar, name, target, type_=tarfile.SYMTYPE):
    info = tarfile.TarInfo(name)
    info.type = type_
    info.linkname = target
    tar.addfile(info)


def zip_link(z, name, target):
    """A symlink as Info-ZIP stores it: the target as the data, S_IFLNK in the Unix mode."""
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = 0o120777 << 16
    z.writestr(info, target)


def rewrite_central(path, change):
    """Rewrites a zip's central directory: change(entries) edits the list of central
    records, each a dict with "fixed" (the 46-byte header as a bytearray), "name" and
    "rest" (extra field and comment); lengths and the end record are recomputed."""
    data = open(path, "rb").read()
    eocd = data.rfind(b"PK\x05\x06")
    count, size, offset = struct.unpack("<HII", data[eocd + 10:eocd + 20])
    entries, p = [], offset
    for _ in range(count):
        fixed = bytearray(data[p:p + 46])
        n, e, c = struct.unpack("<HHH", fixed[28:34])
        entries.append({"fixed": fixed, "name": data[p + 46:p + 46 + n],
                        "rest": data[p + 46 + n:p + 46 + n + e + c]})
        p += 46 + n + e + c
    change(entries)
    directory = b""
    for entry in entries:
        entry["fixed"][28:30] = struct.pack("<H", len(entry["name"]))
        directory += bytes(entry["fixed"]) + entry["name"] + entry["rest"]
    end = bytearray(data[eocd:])
    end[8:16] = struct.pack("<HHI", len(entries), len(entries), len(directory))
    end[16:20] = struct.pack("<I", offset)
    open(path, "wb").write(data[:offset] + directory + bytes(end))


def local_zip_entry(name, data):
    """A stored local header and its data, as zipfile writes them."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as z:
        z.writestr(name, data)
    raw = buffer.getvalue()
    return raw[:raw.find(b"PK\x01\x02")]


def tar_gz():
    return tarfile.open(out, "w:gz", format=tarfile.PAX_FORMAT)


if kind == "dotdot":
    with tar_gz() as t:
        add_file(t, "ok.txt")
        add_file(t, "../evil")
elif kind == "dotdot-middle":
    # ".." in the middle: a/../../evil climbs one level above the destination
    with tar_gz() as t:
        add_file(t, "ok.txt")
        add_file(t, "a/../../evil")
elif kind == "absolute":
    with tar_gz() as t:
        add_file(t, "/tmp/fetch-absolute-evil")
elif kind == "symlink-etc":
    # a symlink to /etc, then a file written through it
    with tar_gz() as t:
        add_link(t, "etc", "/etc")
        add_file(t, "etc/fetch-evil", b"pwned\n")
elif kind == "symlink-climb":
    with tar_gz() as t:
        add_link(t, "up", "../../../../../../tmp")
elif kind == "symlink-through":
    # an allowed symlink inside, then a file written through it
    with tar_gz() as t:
        add_file(t, "real/x.txt")
        add_link(t, "alias", "real")
        add_file(t, "alias/y.txt")
elif kind == "hardlink-outside":
    with tar_gz() as t:
        add_link(t, "passwd", "../../../../etc/passwd", tarfile.LNKTYPE)
elif kind == "hardlink-absolute":
    with tar_gz() as t:
        add_link(t, "passwd", "/etc/passwd", tarfile.LNKTYPE)
elif kind == "hardlink-self":
    with tar_gz() as t:
        add_file(t, "a")
        add_link(t, "a", "a", tarfile.LNKTYPE)
elif kind == "world-writable":
    with tar_gz() as t:
        info = tarfile.TarInfo("shared")
        info.type = tarfile.DIRTYPE
        info.mode = 0o777
        t.addfile(info)
        add_file(t, "shared/notes.txt", mode=0o666)
        add_file(t, "shared/run.sh", mode=0o777)
elif kind == "fifo":
    with tar_gz() as t:
        info = tarfile.TarInfo("pipe")
        info.type = tarfile.FIFOTYPE
        t.addfile(info)
elif kind == "device":
    with tar_gz() as t:
        info = tarfile.TarInfo("null")
        info.type = tarfile.CHRTYPE
        info.devmajor, info.devminor = 1, 3
        t.addfile(info)
elif kind == "setuid":
    with tar_gz() as t:
        add_file(t, "tool", b"#!/bin/sh\n", 0o6755)
elif kind == "many":
    with tar_gz() as t:
        for i in range(int(arg)):
            add_file(t, f"e{i}", b"")
elif kind == "empties":
    # ARG empty regular files as raw ustar headers: a million in a few seconds, where
    # tarfile would take a minute.
    template = bytearray(512)
    template[100:108] = b"0000644\0"
    for field, length in ((108, 8), (116, 8)):
        template[field:field + length] = b"0000000\0"
    template[124:136] = b"00000000000\0"
    template[136:148] = b"00000000000\0"
    template[156:157] = b"0"
    template[257:265] = b"ustar\x0000"
    template[148:156] = b" " * 8
    base = sum(template)
    with gzip.open(out, "wb", compresslevel=1) as gz:
        chunk = []
        for i in range(int(arg)):
            name = b"e%07d" % i
            header = bytearray(template)
            header[0:len(name)] = name
            header[148:156] = b"%06o\0 " % (base + sum(name))
            chunk.append(bytes(header))
            if len(chunk) == 4096:
                gz.write(b"".join(chunk))
                chunk.clear()
        gz.write(b"".join(chunk) + bytes(1024))
elif kind == "zeros":
    # one file of ARG MiB of zeros, gzip-compressed as it is generated
    with gzip.open(out, "wb", compresslevel=6) as gz:
        with tarfile.open(fileobj=gz, mode="w|", format=tarfile.PAX_FORMAT) as t:
            info = tarfile.TarInfo("zeros.bin")
            info.size = int(arg) << 20
            t.addfile(info, Zeros(info.size))
elif kind == "zip":
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("dir/a.txt", "alpha\n")
        info = zipfile.ZipInfo("run.sh")
        info.external_attr = (0o100755 << 16)
        z.writestr(info, "#!/bin/sh\necho hi\n")
elif kind == "zip-dotdot":
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("../zip-evil", "x")
elif kind == "zip-hidden":
    # the central directory lists readme.txt twice; the local headers hold readme.txt
    # and evilpayload, which `unzip -l` never shows
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("readme.txt", "read me\n")
        z.writestr("evilpayload", "#!/bin/sh\necho pwned\n")
    rewrite_central(out, lambda entries: entries[1].update(name=b"readme.txt"))
elif kind == "zip-smuggled":
    # readme.txt is evil in the stream; the central directory points at an innocent
    # readme.txt hidden inside the stored data of the next entry, "pad"
    innocent = local_zip_entry("readme.txt", b"innocent\n")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        z.writestr("readme.txt", b"evil!!!!\n")
        z.writestr("pad", innocent)
    data = open(out, "rb").read()
    hidden = data.find(innocent)

    def point_at_innocent(entries):
        first = entries[0]["fixed"]
        first[16:20] = struct.pack("<I", zipfile.crc32(b"innocent\n"))
        first[42:46] = struct.pack("<I", hidden)

    rewrite_central(out, point_at_innocent)
elif kind == "zip-many":
    # ARG empty entries e0000000, e0000001, ... (stored)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for i in range(int(arg)):
            z.writestr(f"e{i:07d}", b"")
elif kind == "zip-symlinks":
    # as `zip -y` stores them: a file link and a directory link
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo("bin/run.sh")
        info.create_system = 3
        info.external_attr = 0o100755 << 16
        z.writestr(info, "#!/bin/sh\necho hi\n")
        zip_link(z, "bin/latest", "run.sh")
        z.writestr("data/a.txt", "alpha\n")
        zip_link(z, "current", "data")
elif kind == "zip-symlink-etc":
    # a symlink to /etc, then a file written through it
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        zip_link(z, "etc", "/etc")
        z.writestr("etc/fetch-evil", "x")
elif kind == "zip-symlink-absolute":
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("readme.txt", "x")
        zip_link(z, "passwd", "/etc/passwd")
elif kind == "zip-symlink-climb":
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("readme.txt", "x")
        zip_link(z, "up", "../../../../tmp")
elif kind == "zip-symlink-chain":
    # each link alone stays inside; d/t -> l/../.. would climb out through d/l -> ..
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        zip_link(z, "d/l", "..")
        zip_link(z, "d/t", "l/../..")
elif kind == "zip-symlink-long":
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        zip_link(z, "long", "a/" * 2500)
elif kind == "zip-symlink-nul":
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        zip_link(z, "nul", "ok\0/../../../etc")
elif kind == "zip-utf8":
    # non-ASCII names: zipfile sets the UTF-8 flag (bit 11) for them
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("données/été.txt", "x\n")
        z.writestr("日本/テスト.txt", "y\n")
elif kind == "tar-utf8":
    with tarfile.open(out, "w:gz", format=tarfile.PAX_FORMAT) as t:
        add_file(t, "données/été.txt")
else:
    sys.exit(f"unknown kind {kind}")
