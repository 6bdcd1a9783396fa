"""The console's words in Chinese and English, and times in the operator's zone.

Templates and code write English (`_("Open cases")`); the files in
console/locales/zh-CN/ (one per part of the console) map each such text to its
Chinese. tests/test_console_i18n.py fails when a text has no Chinese, so a label
cannot ship in one language only. Texts with values use str.format names
("{n} open"), and the Chinese keeps the same names.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo

from wire import wording

LANGUAGES = ("zh-CN", "en")
LANGUAGE_NAMES = {"zh-CN": "中文", "en": "English"}

Translate = Callable[[str], str]


@cache
def catalog(language: str) -> dict[str, str]:
    if language == "en":
        return {}
    words: dict[str, str] = {}
    for part in sorted(
        resources.files("console").joinpath(f"locales/{language}").iterdir(), key=lambda p: p.name
    ):
        if part.name.endswith(".json"):
            words.update(json.loads(part.read_text("utf-8")))
    return words


def translator(language: str) -> Translate:
    words = catalog(language if language in LANGUAGES else "en")
    return lambda text: words.get(text, text)


def local_time(value: dt.datetime | None, zone: ZoneInfo, now: dt.datetime) -> str:
    """`21:04` today, `11-22 21:04` another day, in the operator's zone."""
    if value is None:
        return ""
    local, today = value.astimezone(zone), now.astimezone(zone).date()
    return f"{local:%H:%M}" if local.date() == today else f"{local:%m-%d %H:%M}"


def duration(seconds: float) -> str:
    """`2h05m`, the same two-unit form the desk CLIs print (wire/wording.py)."""
    return wording.duration(max(seconds, 0))
