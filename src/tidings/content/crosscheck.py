"""Checks across files: slugs, links, rule ids, newsletter references and feedback files.

A file with its own errors is not in the model; it is passed here as ``Unloaded`` so that its
links are still checked and nothing pointing at it repeats its problem as "points at nothing".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tidings.content import model
from tidings.content.feedback_csv import FeedbackRow, load_feedback_file
from tidings.content.kinds import KINDS, NEWSLETTER_TEMPLATES, SURVEYS, Kind
from tidings.content.paths import body_links, resolve_link, slugify
from tidings.content.rules import rule_headings, rule_history
from tidings.errors import Problem


@dataclass(frozen=True)
class Unloaded:
    """A content file that has errors of its own (already reported), so it is not in the model."""

    kind: str
    path: str
    body: str = ""
    body_line: int = 1
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def names(self) -> set[str]:
        """What other files may call it by: its path, and for a survey its id and file name."""
        found = {self.path}
        if self.kind == "survey":
            found |= {str(self.meta.get("id")), Path(self.path).stem}
        return found


# Names of the pages and folders tidings generates at the site root, besides each kind's folder.
SITE_ROOT_NAMES = {"index", "assets", "search", "tags", "feed", "atom", "404", "subscribe"}


def check_duplicates(community: model.Community, kinds: Sequence[Kind[Any]] = KINDS) -> list[Problem]:
    """Two files of one kind must not share a slug, nor a root page a generated section's URL."""
    problems = []
    reserved = SITE_ROOT_NAMES | {k.url_folder.rstrip("/") for k in kinds if k.url_folder}
    for kind in kinds:
        seen: dict[str, model.Entry] = {}
        what = "id" if kind.slug_key else "slug"
        for entry in community.of_kind(kind.name):
            if not kind.url_folder and entry.slug in reserved:
                problems.append(Problem(entry.path, 1, f"page name '{Path(entry.path).stem}' is taken "
                                                       "by a section tidings generates; rename the file"))
            if entry.slug in seen:
                problems.append(Problem(entry.path, entry.line_of(kind.slug_key) if kind.slug_key else 1,
                                        f"duplicate {kind.name} {what} '{entry.slug}' "
                                        f"(also used by {seen[entry.slug].path})", what))
            else:
                seen[entry.slug] = entry
    return problems


def _link_problem(root: Path, by_path: Mapping[str, model.Entry], unloaded: set[str],
                  source: str, target: str) -> str | None:
    """Why the link ``target`` written in ``source`` is broken; None when it is fine."""
    resolved = resolve_link(source, target)
    if resolved is None:
        return None
    path, anchor = resolved
    if path.startswith("../") or path == "..":
        return "points outside the repo"
    if path in unloaded:
        return None  # the linked file reports its own errors; saying it again would hide the cause
    if path.endswith(".md"):
        linked = by_path.get(path)
        if linked is None:
            return "no such file" if not (root / path).exists() else "not a content file"
        if anchor and isinstance(linked, model.Guideline) and anchor not in {r.id for r in linked.rules}:
            return f"{path} has no rule '#{anchor}'"
        return None
    return None if (root / path).exists() else "no such file"


def check_links(community: model.Community, root: Path,
                unloaded: Sequence[Unloaded] = ()) -> list[Problem]:
    """Relative links must point at files that exist (and rule anchors at rules that exist)."""
    problems = []
    by_path = community.by_path()
    broken = {u.path for u in unloaded}
    items: list[model.Entry | Unloaded] = [*by_path.values(), *unloaded]  # translations too
    for item in items:
        for line, _, target in body_links(item):
            why = _link_problem(root, by_path, broken, item.path, target)
            if why:
                problems.append(Problem(item.path, line, f"broken link '{target}': {why}"))
    return problems


def check_guidelines(community: model.Community, root: Path, *, history: bool) -> list[Problem]:
    """Every rule has a permanent id; ids are unique; removed ids must be listed as retired."""
    problems = []
    for guideline in community.guidelines:
        seen: set[str] = set()
        for heading in rule_headings(guideline.body):
            line = guideline.body_line + heading.index
            if heading.id is None:
                suggestion = slugify(heading.title)
                problems.append(Problem(guideline.path, line,
                                        f"rule '{heading.title}' has no permanent id: write "
                                        f"'## {heading.title} {{#{suggestion}}}'"))
            elif heading.id in seen:
                problems.append(Problem(guideline.path, line, f"duplicate rule id '{heading.id}'"))
            elif heading.id in guideline.retired:
                problems.append(Problem(guideline.path, line,
                                        f"rule id '{heading.id}' is listed under 'retired' and "
                                        "must not be used again (ids never change meaning)"))
            if heading.id:
                seen.add(heading.id)
        if history:
            problems.extend(_gone_rules(guideline, root))
    return problems


def _gone_rules(guideline: model.Guideline, root: Path) -> list[Problem]:
    """Rule ids published in an earlier commit that are gone without being listed as retired."""
    current = {rule.id for rule in guideline.rules}
    published: dict[str, str] = {}
    for version in rule_history(root, guideline.path):
        for rule_id in version.rules:
            published.setdefault(rule_id, version.commit[:8])
    return [Problem(guideline.path, 1,
                    f"rule id '{rule_id}' was published (commit {commit}) and is gone: list it "
                    "under 'retired' if it was removed on purpose", "retired")
            for rule_id, commit in sorted(published.items())
            if rule_id not in current and rule_id not in guideline.retired]


def _unpublished(item: model.Entry) -> str:
    """Why an included item stays out of an issue, in the words of the notice."""
    if item.draft:
        return "is a draft: it stays out of the issue until it is published"
    return "is awaiting consent: it stays out of the issue until 'consent: true' is written"


def check_newsletters(community: model.Community, root: Path, unloaded: Sequence[Unloaded] = (),
                      kinds: Sequence[Kind[Any]] = KINDS) -> list[Problem]:
    """A newsletter's ``include`` and ``template`` must point at something (its ``survey``: below)."""
    problems = []
    includable = {e.path: e for k in kinds if k.includable for e in community.of_kind(k.name)}
    what = " or ".join(", ".join(k.name for k in kinds if k.includable).rsplit(", ", 1))
    broken = set().union(*(u.names for u in unloaded))
    for letter in community.newsletters:
        for index, path in enumerate(letter.include if isinstance(letter.include, tuple) else ()):
            line, item = letter.line_of("include", index), includable.get(path.lstrip("./"))
            if item is not None and item.hidden:
                problems.append(Problem(letter.path, line, f"include '{path}' {_unpublished(item)}",
                                        "include", "notice"))
            elif item is None and path.lstrip("./") not in broken:
                exists = (root / path).exists()
                why = f"it is not an {what}" if exists else "no such file"
                problems.append(Problem(letter.path, line,
                                        f"include '{path}' points at nothing ({why})", "include"))
        if letter.template and not (root / NEWSLETTER_TEMPLATES / letter.template).is_file():
            problems.append(Problem(letter.path, letter.line_of("template"),
                                    f"template '{letter.template}' not found in {NEWSLETTER_TEMPLATES}/",
                                    "template"))
    return problems


def check_survey_references(community: model.Community, unloaded: Sequence[Unloaded] = ()) -> list[Problem]:
    """A newsletter's or a topic's ``survey`` must exist (one with errors reports them itself)."""
    surveys = {s.id for s in community.surveys}
    broken = set().union(*(u.names for u in unloaded if u.kind == SURVEYS.name))
    known = ", ".join(sorted(surveys)) or "none"
    users: list[model.Newsletter | model.Topic] = [*community.newsletters, *community.topics]
    return [Problem(item.path, item.line_of("survey"),
                    f"survey '{item.survey}' does not exist (known surveys: {known})", "survey")
            for item in users if item.survey and item.survey not in surveys and item.survey not in broken]


def load_feedback(root: Path, community: model.Community, unloaded: Sequence[Unloaded] = ()
                  ) -> tuple[dict[str, tuple[FeedbackRow, ...]], list[Problem]]:
    """``feedback/*.csv``: each file named after a survey, each answer one of its options."""
    folder = root / "feedback"
    found: dict[str, tuple[FeedbackRow, ...]] = {}
    problems: list[Problem] = []
    surveys = {s.id: s for s in community.surveys}
    broken = set().union(*(u.names for u in unloaded if u.kind == "survey"))
    for file in sorted(folder.glob("*.csv")) if folder.is_dir() else []:
        path = file.relative_to(root).as_posix()
        survey = surveys.get(file.stem)
        if survey is None:
            if file.stem not in broken:  # a survey with errors is reported in its own file
                problems.append(Problem(path, 1,
                                        f"no survey '{file.stem}' in {SURVEYS.folder}/ for this file"))
            continue
        rows, bad = load_feedback_file(file, path)
        problems.extend(bad)
        options = {q.id: q.options for q in survey.questions}
        good = []
        for line, row in rows:
            if row.question not in options:
                problems.append(Problem(path, line,
                                        f"question '{row.question}' is not in survey '{survey.id}'"))
            elif row.answer not in options[row.question]:
                problems.append(Problem(path, line,
                                        f"'{row.answer}' is not an option of question '{row.question}'"))
            else:
                good.append(row)
        found[survey.id] = tuple(good)
    return found, problems
