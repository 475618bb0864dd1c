"""Which language a reader's tag falls back to: ``zh-Hant-TW`` -> ``zh-Hant`` -> ``zh``, and
``no`` (Norwegian without a written standard) -> ``nb``. Templates, phrases and the exercise
marker all look languages up this way. Pure."""

from __future__ import annotations

_ALIASES = {"no": "nb"}  # Norwegian without a written standard: bokmål


def language_candidates(language: str) -> list[str]:
    parts = language.split("-")
    candidates = ["-".join(parts[:size]) for size in range(len(parts), 0, -1)]
    return candidates + [_ALIASES[c] for c in candidates if c in _ALIASES]
