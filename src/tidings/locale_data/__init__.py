"""The built-in labels of every supported language, as plain data (no formatting code).

Kept on the base floor so that the settings can check a community's label overrides against
the known keys; ``tidings.labels`` builds the per-language text from these tables.
"""

from __future__ import annotations

from tidings.locale_data import de, el, en, fi, zh

BUILTIN: dict[str, dict[str, str]] = {
    "en": en.LABELS, "fi": fi.LABELS, "de": de.LABELS, "el": el.LABELS, "zh": zh.LABELS,
}
# The languages whose every label is written out (others fall back to English labels).
LANGUAGES: tuple[str, ...] = tuple(BUILTIN)
KEYS: frozenset[str] = frozenset(en.LABELS)


def base_language(language: str) -> str:
    """``pt-BR`` → ``pt``: the table a regional code falls back to."""
    return language.replace("-", "_").split("_")[0].lower()
