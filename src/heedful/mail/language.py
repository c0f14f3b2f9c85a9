"""Which language a message is written in (ISO 639-1), for routing, search and replies.

py3langid ships its model inside the package (nothing is downloaded), and covers every target
locale, Lao included; a script check first settles the scripts that belong to one language.
"""

from __future__ import annotations

import re
from functools import cache

from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

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
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
# Addresses, links and quote markers say nothing about the language and fool the classifier.
_NOISE = re.compile(r"\S+@\S+|https?://\S+|www\.\S+|^[ \t]*>+", re.MULTILINE)
# The model knows some languages only by ISO 639-3 codes; where one has a 639-1 code, use it.
_TO_ISO_639_1 = {"yue": "zh", "wuu": "zh", "arz": "ar", "ary": "ar", "uzs": "uz", "gug": "gn", "hbo": "he"}
_ISO_639_1 = re.compile(r"^[a-z]{2}$")
MIN_CONFIDENCE = 0.2  # normalised probability below which the classifier is guessing


@cache
def _identifier() -> LanguageIdentifier:
    return LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> str:
    """An ISO 639-1 code, or "" when the text is too short or too mixed to tell."""
    sample = _NOISE.sub(" ", (text or "")[:4000])
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
    code, confidence = _identifier().classify(sample)
    code = _TO_ISO_639_1.get(str(code), str(code))
    if confidence < MIN_CONFIDENCE or not _ISO_639_1.match(code):
        return ""
    return code
