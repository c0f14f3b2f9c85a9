"""Which language a message is written in (ISO 639-1), for routing, search and replies.

py3langid ships its model inside the package (nothing is downloaded), and covers every target
locale, Lao included; a script check first settles the scripts that belong to one language.
"""

from __future__ import annotations

import re

import py3langid

# Scripts that identify one of our target languages outright.
_SCRIPTS = [
    (re.compile(r"[\u0e80-\u0eff]"), "lo"),
    (re.compile(r"[\u0c00-\u0c7f]"), "te"),
    (re.compile(r"[\u0980-\u09ff]"), "bn"),
    (re.compile(r"[\u0e00-\u0e7f]"), "th"),
    (re.compile(r"[\u3040-\u30ff]"), "ja"),
    (re.compile(r"[\uac00-\ud7af]"), "ko"),
]
_HAN = re.compile(r"[\u4e00-\u9fff]")
_LETTER = re.compile(r"\w", re.UNICODE)


def detect_language(text: str) -> str:
    """An ISO 639-1 code, or "" when the text is too short or too mixed to tell."""
    sample = (text or "")[:4000]
    letters = len(_LETTER.findall(sample))
    if letters < 3:
        return ""
    for pattern, code in _SCRIPTS:
        if len(pattern.findall(sample)) >= max(2, letters // 5):
            return code
    if len(_HAN.findall(sample)) >= max(2, letters // 5):
        return "zh"
    if letters < 12:
        return ""
    code, _score = py3langid.classify(sample)
    return str(code)
