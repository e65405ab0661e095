"""Customer photo uploads: checked by content (JPEG, PNG, HEIC, WebP), re-encoded without EXIF, thumbnailed."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

try:  # HEIC/HEIF from iPhones
    from pillow_heif import register_heif_opener

    register_heif_opener()
except ImportError:  # pragma: no cover - pillow-heif is a dependency
    pass

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 60_000_000
THUMB_PX = 320
ACCEPTED = "JPEG, PNG, HEIC or WebP"
#: Pillow format → the format we store (HEIC is converted to JPEG so every browser can show it).
STORE_AS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "HEIF": "JPEG"}
MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


class PhotoError(ValueError):
    """Why a file is not an acceptable photo (a sentence for the customer); `too_large` maps to HTTP 413."""

    def __init__(self, message: str, *, too_large: bool = False):
        super().__init__(message)
        self.too_large = too_large


@dataclass
class CleanPhoto:
    data: bytes
    thumbnail: bytes
    content_type: str
    filename: str
    size: int


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def too_large(filename: str, size: int) -> PhotoError:
    return PhotoError(f"{_name(filename)} is {_mb(size)}; each photo must be 10 MB or smaller.", too_large=True)


def _name(filename: str) -> str:
    return (filename or "photo").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:200]


def _megapixels(n: int) -> str:
    return f"{n / 1_000_000:.0f} megapixels" if n >= 10_000_000 else f"{n / 1_000_000:.1f} megapixels"


def check_pixels(raw: bytes, filename: str = "", max_pixels: int = MAX_PIXELS) -> None:
    """Refuse an image whose header declares more than `max_pixels`, reading the header only (no pixel is
    decoded, so a small file declaring a huge picture costs nothing). Unreadable files are left to the caller."""
    name = _name(filename)
    try:
        with Image.open(io.BytesIO(raw)) as probe:  # reads the header only
            width, height = probe.size
    except Image.DecompressionBombError:
        raise PhotoError(f"{name} declares far more than {_megapixels(max_pixels)}; send a smaller picture.",
                         too_large=True) from None
    except Exception:
        return
    if width * height > max_pixels:
        raise PhotoError(f"{name} is {width}×{height} pixels ({_megapixels(width * height)}); pictures can have "
                         f"at most {_megapixels(max_pixels)}. Send a smaller one.", too_large=True)


def process(raw: bytes, filename: str = "", max_pixels: int = MAX_PIXELS) -> CleanPhoto:
    """Validate by content, strip metadata (EXIF, GPS, XMP) by re-encoding, and make a thumbnail."""
    name = _name(filename)
    if len(raw) > MAX_BYTES:
        raise too_large(name, len(raw))
    if not raw:
        raise PhotoError(f"{name} is empty; choose a {ACCEPTED} photo.")
    check_pixels(raw, name, max_pixels)
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            fmt = probe.format or ""
            if fmt not in STORE_AS:
                raise PhotoError(f"{name} is not a {ACCEPTED} photo (it looks like {fmt or 'another kind of file'}).")
            probe.verify()
        with Image.open(io.BytesIO(raw)) as img:
            img.load()
            upright = ImageOps.exif_transpose(img)
    except PhotoError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise PhotoError(f"{name} is not a {ACCEPTED} photo; choose a picture from your camera or gallery.") from None
    target = STORE_AS[fmt]
    clean = _encode(upright, target)
    thumb = upright.copy()
    thumb.thumbnail((THUMB_PX, THUMB_PX))
    stem = name.rsplit(".", 1)[0] if "." in name else name
    ext = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}[target]
    return CleanPhoto(clean, _encode(thumb, "JPEG", quality=80), MIME[target], f"{stem}.{ext}", len(clean))


def _encode(img: Image.Image, fmt: str, quality: int = 88) -> bytes:
    """Save pixels only: no `exif`, `icc_profile` or XMP is passed on, so location data is gone."""
    if fmt == "JPEG" and img.mode not in ("RGB", "L"):
        rgba = img.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        img = flat
    elif fmt in ("PNG", "WEBP") and img.mode not in ("RGB", "RGBA", "L", "LA"):
        img = img.convert("RGBA")
    if img.mode == "P":
        img = img.convert("RGBA")
    fresh = Image.new(img.mode, img.size)  # a new image carries no metadata at all
    fresh.paste(img)
    out = io.BytesIO()
    kwargs: dict[str, object] = {"quality": quality} if fmt in ("JPEG", "WEBP") else {"optimize": True}
    fresh.save(out, fmt, **kwargs)
    return out.getvalue()
