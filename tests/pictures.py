"""
Small real pictures for tests and screenshots: PNGs drawn in code (no image library),
so a browser decodes them as a phone's photo would be decoded.
"""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Callable

__all__ = ["healed_arm", "png", "rose_sketch"]

Colour = tuple[int, int, int]


def png(width: int, height: int, pixel: Callable[[float, float], Colour]) -> bytes:
    """An RGB PNG; `pixel(x, y)` gets coordinates from 0 to 1 across and down."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # no filter
        for x in range(width):
            rows.extend(pixel(x / (width - 1), y / (height - 1)))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )


def _rose(x: float, y: float, ground: Colour) -> Colour:
    """A five-petalled rose with a stem and a leaf, over `ground`."""
    dx, dy = x - 0.5, y - 0.38
    r, angle = math.hypot(dx, dy), math.atan2(dy, dx)
    edge = 0.2 + 0.06 * math.cos(5 * angle + r * 14)
    if r < edge:
        shade = 0.55 + 0.45 * math.cos(r * 40 + angle * 2) ** 2
        return (int(200 * shade) + 30, int(30 * shade), int(50 * shade) + 20)
    if abs(x - 0.5) < 0.018 and 0.55 < y < 0.92:
        return (40, 110, 60)
    if ((x - 0.62) / 0.1) ** 2 + ((y - 0.72) / 0.04) ** 2 < 1:
        return (60, 140, 80)
    return ground


def rose_sketch(size: int = 240) -> bytes:
    """A reference picture: a rose drawn on paper."""
    return png(size, size, lambda x, y: _rose(x, y, (246, 240, 228)))


def healed_arm(size: int = 240) -> bytes:
    """A healed-photo stand-in: the same rose, on skin."""
    return png(size, size, lambda x, y: _rose(x, y, (224, 182, 150)))
