"""
The copy file in code: read and checked at start-up (`load_copy`), the question script
the behaviour follows (`script_from`), and the messages it renders (`Composer`).
"""

from __future__ import annotations

from actors.copy.composer import Composer
from actors.copy.file import REQUIRED_MESSAGES, CopyError, CopyFile, WhatsAppLimits, load_copy
from actors.copy.formatting import format_moment, format_money, format_slot, format_span
from actors.copy.script import script_from

__all__ = [
    "REQUIRED_MESSAGES",
    "Composer",
    "CopyError",
    "CopyFile",
    "WhatsAppLimits",
    "format_moment",
    "format_money",
    "format_slot",
    "format_span",
    "load_copy",
    "script_from",
]
