"""The exercise marker in each language: every message of an exercise (a drill, a scheduled
test) starts with the tag ``[EXERCISE]``, which every reader and every mail filter knows, and
then, for a reader of another language, the word in their own (``[EXERCISE] [ØVELSE]``).

A template language with no word here is refused when the playbook is validated
(``validation.py``): nobody may receive an exercise they cannot tell from a crisis. A language
is found as for templates: ``zh-Hant-TW`` -> ``zh-Hant`` -> ``zh``; ``no`` -> ``nb``. Pure.
"""

from __future__ import annotations

from chalicelib.core.wording.languages import language_candidates

EXERCISE_MARKER = "[EXERCISE] "  # what every reader and every mail filter recognises

EXERCISE_WORDS: dict[str, str] = {
    "en": "EXERCISE",
    "da": "ØVELSE",
    "nb": "ØVELSE",
    "nn": "ØVING",
    "sv": "ÖVNING",
    "fi": "HARJOITUS",
    "is": "ÆFING",
    "de": "ÜBUNG",
    "nl": "OEFENING",
    "fr": "EXERCICE",
    "es": "SIMULACRO",
    "pt": "SIMULACRO",
    "it": "ESERCITAZIONE",
    "pl": "ĆWICZENIA",
    "et": "ÕPPUS",
    "lv": "MĀCĪBAS",
    "lt": "PRATYBOS",
    "zh-Hant": "演練",
    "zh-Hans": "演练",
    "zh": "演练",
    "ja": "訓練",
    "ko": "훈련",
}


def exercise_word(language: str) -> str | None:
    """The word in ``language`` (or the nearest it falls back to), None when there is none."""
    for candidate in language_candidates(language):
        if candidate in EXERCISE_WORDS:
            return EXERCISE_WORDS[candidate]
    return None


def exercise_marker(language: str) -> str:
    """``[EXERCISE] `` and, in another language, its word: ``[EXERCISE] [ØVELSE] ``."""
    word = exercise_word(language)
    if word is None or word == EXERCISE_WORDS["en"]:
        return EXERCISE_MARKER
    return f"{EXERCISE_MARKER}[{word}] "
