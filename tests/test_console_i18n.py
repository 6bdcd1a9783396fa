"""Every text the console shows exists in Chinese as well as English."""

from __future__ import annotations

import re
from pathlib import Path

import console
from console.i18n import catalog

ROOT = Path(console.__file__).parent
# _("...") / _('...') in templates and code; view._("...") too.
_TEXT = re.compile(r"""\b_\(\s*(["'])((?:\\.|(?!\1).)*)\1\s*\)""")


def _texts() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in [*ROOT.rglob("*.html"), *ROOT.rglob("*.py")]:
        for match in _TEXT.finditer(path.read_text("utf-8")):
            found.setdefault(match.group(2), str(path.relative_to(ROOT)))
    return found


def test_the_console_has_texts_to_translate() -> None:
    assert "Sign in" in _texts()


def test_every_text_has_chinese() -> None:
    chinese = catalog("zh-CN")
    missing = {text: where for text, where in _texts().items() if text not in chinese}
    assert not missing, f"no zh-CN for: {missing}"


def test_chinese_keeps_the_placeholders() -> None:
    for english, chinese in catalog("zh-CN").items():
        assert sorted(re.findall(r"\{\w+\}", english)) == sorted(re.findall(r"\{\w+\}", chinese)), (
            english
        )


def test_each_text_is_translated_in_one_place() -> None:
    """A word the hub says (a kind, a state, an outcome) or a label two pages share lives in
    words.json, once: two part files saying it differently would show it two ways."""
    import json

    seen: dict[str, str] = {}
    for part in sorted((ROOT / "locales" / "zh-CN").glob("*.json")):
        for text in json.loads(part.read_text("utf-8")):
            assert text not in seen, f"{text!r} is in {seen[text]} and {part.name}"
            seen[text] = part.name
