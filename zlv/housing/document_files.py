"""What a document upload may be (DOMAIN.md §1.11): its type is read from its first bytes, and must
agree with the file name's extension — a browser's Content-Type or an extension alone proves nothing.
"""

import io
import zipfile
from dataclasses import dataclass

import pillow_heif
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.defaultfilters import filesizeformat
from PIL import Image, ImageOps, UnidentifiedImageError

pillow_heif.register_heif_opener()

# Overridable in settings (tests use a small one).
DEFAULT_MAX_SIZE_BYTES = 25 * 1024 * 1024

# Extension → (detected kind, Content-Type we serve it with).
ACCEPTED_EXTENSIONS: dict[str, tuple[str, str]] = {
    "pdf": ("pdf", "application/pdf"),
    "png": ("png", "image/png"),
    "jpg": ("jpeg", "image/jpeg"),
    "jpeg": ("jpeg", "image/jpeg"),
    "heic": ("heic", "image/heic"),
    "webp": ("webp", "image/webp"),
    "doc": ("ole2", "application/msword"),
    "xls": ("ole2", "application/vnd.ms-excel"),
    "ppt": ("ole2", "application/vnd.ms-powerpoint"),
    "docx": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pptx": ("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
}
# The file input's `accept`: a hint for the picker only, the server checks the bytes.
ACCEPT_ATTRIBUTE = "image/*," + ",".join(f".{extension}" for extension in ACCEPTED_EXTENSIONS)
ACCEPTED_LABEL = "PDF, PNG, JPG, HEIC, WEBP, DOC, DOCX, XLS, XLSX, PPT, PPTX"

# ISO-BMFF brands of HEIF/HEIC pictures (what phones write).
HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"heif"}
OLE2_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
# Office Open XML: the folder of the main part tells the application.
OOXML_FOLDERS = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}
# JPEG copies of pictures browsers cannot draw (Document.has_converted_preview).
PREVIEW_MAX_SIDE = 1600
PREVIEW_JPEG_QUALITY = 85


@dataclass(frozen=True)
class CheckedFile:
    file: object
    filename: str
    extension: str
    content_type: str
    size_bytes: int


def max_size_bytes() -> int:
    return getattr(settings, "DOCUMENT_MAX_SIZE_BYTES", DEFAULT_MAX_SIZE_BYTES)


def extension_of(filename: str) -> str:
    _, dot, extension = filename.rpartition(".")
    return extension.lower() if dot else ""


def detect_kind(uploaded_file) -> str | None:
    """The kind of file its bytes say it is ("pdf", "png", "ole2", "docx"…), or None."""
    uploaded_file.seek(0)
    head = uploaded_file.read(16)
    uploaded_file.seek(0)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return "heic"
    if head.startswith(OLE2_SIGNATURE):
        return "ole2"
    if head.startswith(b"PK\x03\x04"):
        return _ooxml_kind(uploaded_file)
    return None


def _ooxml_kind(uploaded_file) -> str | None:
    """docx/xlsx/pptx from the archive's directory (no member is extracted)."""
    try:
        with zipfile.ZipFile(uploaded_file) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    finally:
        uploaded_file.seek(0)
    if "[Content_Types].xml" not in names:
        return None
    for kind, folder in OOXML_FOLDERS.items():
        if any(name.startswith(folder) for name in names):
            return kind
    return None


def clean_filename(filename: str) -> str:
    """The display name: no folders (some browsers send a path), no control characters, ≤ 255."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if char.isprintable()).strip()
    if len(name) > 255:
        stem, dot, extension = name.rpartition(".")
        name = f"{stem[: 254 - len(extension)]}{dot}{extension}" if dot else name[:255]
    return name


def check_upload(uploaded_file) -> CheckedFile:
    """Validate one uploaded file; ValidationError with a French message naming the file otherwise."""
    filename = clean_filename(getattr(uploaded_file, "name", "") or "")
    label = f"« {filename} »" if filename else "Le fichier"
    if not filename:
        raise ValidationError("Le fichier n’a pas de nom.", code="name")
    extension = extension_of(filename)
    if extension not in ACCEPTED_EXTENSIONS:
        raise ValidationError(
            f"{label} n’est pas d’un format accepté. Formats acceptés : {ACCEPTED_LABEL}.",
            code="extension",
        )
    size = uploaded_file.size or 0
    if size == 0:
        raise ValidationError(f"{label} est vide.", code="empty")
    limit = max_size_bytes()
    if size > limit:
        raise ValidationError(
            f"{label} pèse {filesizeformat(size)} : la taille maximale est de {filesizeformat(limit)}.",
            code="size",
        )
    expected_kind, content_type = ACCEPTED_EXTENSIONS[extension]
    if detect_kind(uploaded_file) != expected_kind:
        raise ValidationError(
            f"Le contenu de {label} ne correspond pas à un fichier .{extension} : "
            "le fichier a peut-être été renommé. Enregistrez-le dans un format accepté et réessayez.",
            code="content",
        )
    return CheckedFile(
        file=uploaded_file,
        filename=filename,
        extension=extension,
        content_type=content_type,
        size_bytes=size,
    )


class PreviewError(Exception):
    """The picture cannot be decoded (damaged, or only its first bytes look like a picture)."""


def jpeg_preview(document) -> bytes:
    """A JPEG copy of a picture browsers cannot draw (HEIC), at most PREVIEW_MAX_SIDE pixels wide or
    high. Converted once, then kept in the storage next to the original (`<name>.preview.jpg`)."""
    name = preview_name(document.file.name)
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as cached:
            return cached.read()
    try:
        with document.file.open("rb") as original, Image.open(original, formats=["HEIF"]) as picture:
            picture = ImageOps.exif_transpose(picture).convert("RGB")
            picture.thumbnail((PREVIEW_MAX_SIDE, PREVIEW_MAX_SIDE))
            buffer = io.BytesIO()
            picture.save(buffer, format="JPEG", quality=PREVIEW_JPEG_QUALITY, optimize=True)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as error:
        raise PreviewError(str(error)) from error
    default_storage.save(name, ContentFile(buffer.getvalue()))
    return buffer.getvalue()


def preview_name(stored_name: str) -> str:
    return f"{stored_name}.preview.jpg"
