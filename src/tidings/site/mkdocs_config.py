"""The staged mkdocs.yml: the community's own mkdocs.yml (its look) plus what tidings generates."""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from tidings.errors import ContentError, Problem
from tidings.locale_data import base_language


class Tagged:
    """A YAML value with a tag PyYAML's safe loader does not know (``!!python/name:…``, ``!ENV``)."""

    def __init__(self, tag: str, value: Any) -> None:
        self.tag, self.value = tag, value


class _Loader(yaml.SafeLoader):
    pass


class _Dumper(yaml.SafeDumper):
    pass


def _construct_tagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Tagged:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:
        value = None
    return Tagged(suffix, value)


def _represent_tagged(dumper: yaml.SafeDumper, data: Tagged) -> yaml.Node:
    if isinstance(data.value, list):
        return dumper.represent_sequence(data.tag, data.value)
    if isinstance(data.value, dict):
        return dumper.represent_mapping(data.tag, data.value)
    return dumper.represent_scalar(data.tag, str(data.value))


def _construct_python_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Tagged:
    return _construct_tagged(loader, "tag:yaml.org,2002:python/" + suffix, node)


_Loader.add_multi_constructor("!", _construct_tagged)
_Loader.add_multi_constructor("tag:yaml.org,2002:python/", _construct_python_tag)
_Dumper.add_representer(Tagged, _represent_tagged)


def read_user_config(root: Path) -> dict[str, Any]:
    """The community's mkdocs.yml as a dict (unknown tags kept as they are)."""
    path = root / "mkdocs.yml"
    if not path.exists():
        return {}
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise ContentError([Problem("mkdocs.yml", line, f"YAML syntax error: {exc.problem}")]) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ContentError([Problem("mkdocs.yml", 1, "mkdocs.yml must be a mapping of settings")])
    return data


def dump_config(config: dict[str, Any]) -> str:
    return yaml.dump(config, Dumper=_Dumper, sort_keys=False, allow_unicode=True)


def _names(items: list[Any]) -> set[str]:
    return {next(iter(item)) if isinstance(item, dict) else str(item) for item in items}


def merge_config(user: dict[str, Any], generated: dict[str, Any], root: Path) -> dict[str, Any]:
    """User settings win on look; tidings owns paths and nav and adds what its pages need."""
    merged = dict(user)
    if isinstance(merged.get("INHERIT"), str):
        merged["INHERIT"] = str((root / merged["INHERIT"]).resolve())
    if isinstance(merged.get("hooks"), list):  # paths relative to the community's mkdocs.yml
        merged["hooks"] = [str((root / h).resolve()) if isinstance(h, str) else h for h in merged["hooks"]]
    for key in ("docs_dir", "site_dir", "site_url", "use_directory_urls", "not_in_nav"):
        if key in generated:
            merged[key] = generated[key]
    merged.setdefault("site_name", generated["site_name"])
    for key in ("site_description", "copyright", "repo_url"):
        if generated.get(key):
            merged.setdefault(key, generated[key])
    theme = merged.get("theme") or {}
    if isinstance(theme, str):
        theme = {"name": theme}
    for key, value in generated["theme"].items():
        theme.setdefault(key, value)
    if theme.get("custom_dir"):
        theme["custom_dir"] = generated["theme"]["custom_dir"]
    merged["theme"] = theme
    user_nav = merged.get("nav") or []
    merged["nav"] = generated["nav"] + [item for item in user_nav if item not in generated["nav"]]
    plugins = merged.get("plugins") or ["search"]
    merged["plugins"] = plugins if "search" in _names(plugins) else ["search", *plugins]
    extensions = list(merged.get("markdown_extensions") or [])
    have = _names(extensions)
    for extension in generated["markdown_extensions"]:
        name = next(iter(extension)) if isinstance(extension, dict) else extension
        if name not in have:
            extensions.append(extension)
    merged["markdown_extensions"] = extensions
    for key in ("extra_css", "extra_javascript"):
        merged[key] = [*(merged.get(key) or []), *generated[key]]
    return merged


def theme_language(language: str) -> str:
    """The closest language Material has a translation for (``pt-BR``, else ``pt``, else ``en``)."""
    languages = resources.files("material") / "templates" / "partials" / "languages"
    tag = language.replace("_", "-")
    for candidate in (tag, tag.split("-")[0].lower()):
        if (languages / f"{candidate}.html").is_file():
            return candidate
    return "en"


# -- languages: the search index, the hooks and the theme overrides of a multilingual site ------

HOOKS_FILE = Path(__file__).with_name("mkdocs_hooks.py")
# Material's Chinese separator plus the zero-width space its search plugin puts between the words
# jieba finds (Material's docs, "Chinese search support"): Chinese has no spaces between words.
CHINESE_SEPARATOR = r"[\s\u200b\u3000\-、。，．？！；]+"


def search_languages(languages: Sequence[str]) -> list[str]:
    """The languages lunr can index, as Material ships them (``pt-BR`` → ``pt``); others are left out.

    A language left out is indexed with the default pipeline: its words are still found whole,
    without stemming.
    """
    shipped = resources.files("material") / "templates" / "assets" / "javascripts" / "lunr" / "min"
    found: list[str] = []
    for language in languages:
        code = base_language(language)
        if (code == "en" or (shipped / f"lunr.{code}.min.js").is_file()) and code not in found:
            found.append(code)
    return found


def _search_entry(plugins: list[Any]) -> tuple[int, dict[str, Any]]:
    for position, item in enumerate(plugins):
        name = next(iter(item)) if isinstance(item, dict) else str(item)
        if name in ("search", "material/search"):
            options = item[name] if isinstance(item, dict) else None
            return position, dict(options or {})
    return -1, {}


def with_languages(config: dict[str, Any], languages: Sequence[str]) -> dict[str, Any]:
    """The mkdocs config of a site in ``languages`` (the first is the default).

    Adds the hooks (tidings.site.mkdocs_hooks) that give each page its language, alternates and
    navigation, and a search index for every language lunr knows. A ``search: lang:`` the
    community wrote in its mkdocs.yml wins over the site's languages.
    """
    merged = dict(config)
    plugins = list(merged.get("plugins") or ["search"])
    position, search = _search_entry(plugins)
    if position < 0:
        position = len(plugins)
        plugins.append("search")
    wanted = search.get("lang") or list(languages)
    lang = search_languages([wanted] if isinstance(wanted, str) else [str(w) for w in wanted])
    search["lang"] = lang
    if "zh" in lang:
        search.setdefault("separator", CHINESE_SEPARATOR)
    plugins[position] = {"search": search}
    merged["plugins"] = plugins
    extra = dict(merged.get("extra") or {})
    # MkDocs drops search languages it has no lunr file for (Greek): the hooks put them back.
    extra["tidings"] = {"languages": list(languages), "search_lang": list(lang)}  # a copy: no YAML alias
    merged["extra"] = extra
    merged["hooks"] = [*(merged.get("hooks") or []), str(HOOKS_FILE)]
    return merged


def theme_overrides() -> dict[str, str]:
    """The theme override files (``main.html``, ``partials/*.html``) by their path in custom_dir."""
    folder = resources.files("tidings") / "templates" / "site"
    files = {"main.html": (folder / "main.html").read_text(encoding="utf-8")}
    for file in sorted((folder / "partials").iterdir(), key=lambda f: f.name):
        if file.name.endswith(".html"):
            files[f"partials/{file.name}"] = file.read_text(encoding="utf-8")
    return files
