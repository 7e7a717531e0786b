"""Every CSV tidings writes or reads: quoted so any text round-trips, inert in a spreadsheet.

The rule, the same in every file: a ``'`` is put before a character that a spreadsheet would read
as the start of a formula, where a spreadsheet could start a cell (OWASP "CSV injection"):

* at the start of a cell, before ``= + - @ '``, tab, CR, LF, NUL or a full-width ``＝ ＋ － ＠``;
* inside a cell, after ``,`` ``;`` tab, CR or LF, before ``= + - @ ' "`` or a full-width form
  (a spreadsheet opening the file with another separator, or a naive reader, splits cells there).

Readers remove a ``'`` found in those places when it comes before one of those characters, so
``restore(neutralise(text)) == text`` for every text, and a cell typed by hand as ``'Tis`` stays
as it is. Writes go through tidings.files.write_atomic: never half a file.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from tidings.errors import ContentError, Problem
from tidings.files import write_atomic

FORMULA_START = "=+-@'\uff1d\uff0b\uff0d\uff20\t\r\n\0"
# After a split a '"' could open a field whose rest a spreadsheet appends, formula and all.
FORMULA_INNER = "=+-@'\uff1d\uff0b\uff0d\uff20\""
CELL_BREAKS = ",;\t\r\n"
_INNER_RE = re.compile(f"([{re.escape(CELL_BREAKS)}])(?=[{re.escape(FORMULA_INNER)}])")
_RESTORE_RE = re.compile(f"([{re.escape(CELL_BREAKS)}])'(?=[{re.escape(FORMULA_INNER)}])")
# A cell may be as long as its file: the csv module's default limit (128 KiB) would refuse a
# long comment and leave the file unreadable. Raised once for every reader in the process (the
# limit is global to the csv module); length limits belong to the fields, checked after reading.
FIELD_LIMIT = 2**31 - 1
csv.field_size_limit(max(csv.field_size_limit(), FIELD_LIMIT))
DELIMITERS = (",", ";", "\t")


def _has_break(cell: str) -> bool:
    # Plain substring tests: most cells have no break, and these run far faster than a regex.
    return "," in cell or ";" in cell or "\n" in cell or "\r" in cell or "\t" in cell


def neutralise(cell: str) -> str:
    """``cell`` as written to a file: a ``'`` before every formula start (see the module doc)."""
    if _has_break(cell):
        cell = _INNER_RE.sub(r"\1'", cell)
    return "'" + cell if cell and cell[0] in FORMULA_START else cell


def restore(cell: str) -> str:
    """The text :func:`neutralise` was given; a cell no writer neutralised is returned as is."""
    if "'" not in cell:
        return cell
    if len(cell) >= 2 and cell[0] == "'" and cell[1] in FORMULA_START:
        cell = cell[1:]
    return _RESTORE_RE.sub(r"\1", cell) if _has_break(cell) else cell


def format_cell(cell: str) -> str:
    """One neutralised cell, quoted when it holds a quote, separator or line break."""
    cell = neutralise(cell)
    if _has_break(cell) or '"' in cell:
        return '"' + cell.replace('"', '""') + '"'
    return cell


def format_rows(rows: Iterable[Sequence[str]]) -> str:
    """CSV text: comma-separated, ``\\n`` after each record, every cell neutralised."""
    # A record of one empty cell is written '""': an empty line would read as no cell at all.
    return "".join((",".join(format_cell(cell) for cell in row) or '""') + "\n" for row in rows)


def write_csv(path: Path, rows: Iterable[Sequence[str]], *, only_if_changed: bool = False) -> bool:
    """Write ``rows`` (the header first) atomically as UTF-8; return whether the file changed."""
    data = format_rows(rows).encode("utf-8")
    if only_if_changed and path.exists() and path.read_bytes() == data:
        return False
    write_atomic(path, data)
    return True


def normalize_title(title: str) -> str:
    """A header title as headers are compared: lower case, no BOM, ``_`` and space runs as one space."""
    return re.sub(r"[\s_]+", " ", title.strip().lstrip("\ufeff").strip().lower())


def find_columns(header: Sequence[str], aliases: Mapping[str, Sequence[str]]) -> dict[str, int]:
    """Which column holds each field: the first of its aliases the header has wins (see normalize_title)."""
    titles = [normalize_title(title) for title in header]
    found: dict[str, int] = {}
    for field, names in aliases.items():
        index = next((titles.index(name) for name in names if name in titles), None)
        if index is not None:
            found[field] = index
    return found


def decode(data: bytes, shown: str) -> str:
    """UTF-8 text of a CSV file (a BOM dropped); ContentError naming the line otherwise."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = len(re.split(rb"\r\n|\r|\n", data[:exc.start]))
        message = f"not UTF-8 text (byte 0x{data[exc.start]:02x}): save the file as CSV UTF-8"
        raise ContentError([Problem(shown, line, message)]) from None


def sniff_delimiter(text: str) -> str:
    """The separator of the header line: ``,`` unless ``;`` or tab is more frequent there."""
    header = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def parse_rows(text: str, shown: str, *, delimiter: str | None = None
               ) -> tuple[list[tuple[int, list[str]]], list[Problem]]:
    """(line where the record starts, restored cells) for each record, and any read problem."""
    # newline="": CR and CRLF inside a quoted cell stay as written.
    # strict: a quote left open by a hand edit is an error, not the rest of the file in one cell.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter or sniff_delimiter(text),
                        strict=True)
    rows: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for record in reader:
            rows.append((start, [restore(cell) for cell in record]))
            start = reader.line_num + 1
    except csv.Error as exc:
        return rows, [Problem(shown, start, f"cannot read this record ({exc}): a cell that starts with a "
                                            'quote must end with one, and a quote inside it is doubled ("")')]
    return rows, []


def read_rows(file: Path, shown: str, *, delimiter: str | None = None
              ) -> tuple[list[tuple[int, list[str]]], list[Problem]]:
    """:func:`parse_rows` of a file; an unreadable or non-UTF-8 file is a problem, not an error."""
    try:
        text = decode(file.read_bytes(), shown)
    except ContentError as exc:
        return [], exc.problems
    except OSError as exc:
        return [], [Problem(shown, 0, f"cannot read the file: {exc.strerror}")]
    return parse_rows(text, shown, delimiter=delimiter)
