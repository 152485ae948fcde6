"""Minimal files of each accepted type: just the bytes a type is recognised by (and a real PNG)."""

import io
import struct
import zipfile
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile


def png_bytes(width: int = 4, height: int = 4, rgb=(200, 30, 30)) -> bytes:
    """A real, drawable PNG (no Pillow needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def heic_bytes(width: int = 64, height: int = 48, rgb=(200, 30, 30)) -> bytes:
    """A real HEIC picture, as a phone writes it, encoded by pillow-heif."""
    import pillow_heif

    picture = pillow_heif.from_bytes(mode="RGB", size=(width, height), data=bytes(rgb) * (width * height))
    buffer = io.BytesIO()
    picture.save(buffer, quality=80)
    return buffer.getvalue()


def ooxml_bytes(folder: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{folder}document.xml", "<document/>")
    return buffer.getvalue()


OLE2 = bytes.fromhex("D0CF11E0A1B11AE1") + bytes(504)

SAMPLES = {
    "pdf": b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n",
    "png": png_bytes(),
    "jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(32),
    "jpeg": b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00" + bytes(32),
    "webp": b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(32),
    "heic": b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(32),
    "doc": OLE2,
    "xls": OLE2,
    "ppt": OLE2,
    "docx": ooxml_bytes("word/"),
    "xlsx": ooxml_bytes("xl/"),
    "pptx": ooxml_bytes("ppt/"),
}


def upload(name: str, content: bytes | None = None, content_type: str = "application/octet-stream"):
    if content is None:
        content = SAMPLES[name.rpartition(".")[2].lower()]
    return SimpleUploadedFile(name, content, content_type=content_type)
