"""The report's charts as SVG (pygal): transparent, readable on a light and on a dark page.

pygal was chosen over matplotlib: a 133 KB pure-Python wheel against ~41 MB with numpy and
Pillow, and ~10 ms per chart against ~120 ms (measured on this project's machine).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pygal
from pygal.style import Style

# Mid-tone colours keep their contrast on GitHub's light and dark backgrounds alike.
COLORS = ("#2f7fd1", "#e0633a", "#2a9d8f", "#b0479b", "#8a7d12", "#5b6bd6")
# Text follows the reader's colour scheme (an <img> SVG sees prefers-color-scheme too).
SCHEME_CSS = ("inline:text, .title, .legends .legend text, .axis text { fill: #57606a !important; }"
              "@media (prefers-color-scheme: dark) { text, .title, .legends .legend text, .axis text "
              "{ fill: #c9d1d9 !important; } }"
              ".axis .guides .line, .axis .line { stroke: #8c959f !important; }")
_STYLE = Style(background="transparent", plot_background="transparent", foreground="#57606a",
               foreground_strong="#57606a", foreground_subtle="#8c959f", opacity=".85",
               opacity_hover=".95", colors=COLORS, font_family="system-ui, -apple-system, sans-serif")
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>|<script\b[^>]*/>|<!--.*?-->", re.S)


@dataclass(frozen=True)
class Chart:
    """One chart: its file name (beside the report), its title and its SVG markup."""

    name: str
    title: str
    svg: str

    def file_bytes(self) -> bytes:
        """The standalone .svg file."""
        return ('<?xml version="1.0" encoding="utf-8"?>\n' + self.svg + "\n").encode("utf-8")


def _options(title: str) -> dict[str, object]:
    return {"title": title, "style": _STYLE, "width": 720, "height": 360, "explicit_size": True,
            "js": [], "css": ["file://style.css", "file://graph.css", SCHEME_CSS],
            "disable_xml_declaration": True, "legend_at_bottom": True, "print_values": False,
            "show_minor_x_labels": True, "truncate_label": -1}


def _finish(chart: pygal.graph.graph.Graph, name: str, title: str) -> Chart:
    # A fixed id instead of a random one: the same figures give the same file (no churn in git).
    chart.uuid = re.sub(r"[^A-Za-z0-9_-]", "-", name)
    markup = chart.render(is_unicode=True)
    # No script (nothing runs where the charts are shown) and no dated comment (stable files).
    return Chart(name, title, _SCRIPT.sub("", markup))


def line(name: str, title: str, labels: Sequence[str], series: dict[str, Sequence[int]]) -> Chart:
    """A line chart of one or more series over ``labels``."""
    chart = pygal.Line(**_options(title), x_label_rotation=30, min_scale=2, dots_size=3)
    chart.x_labels = list(labels)
    for label, values in series.items():
        chart.add(label, list(values))
    return _finish(chart, name, title)


def bars(name: str, title: str, labels: Sequence[str], series: dict[str, Sequence[int]],
         horizontal: bool = False) -> Chart:
    """Grouped bars: one group per label, one bar per series."""
    kind = pygal.HorizontalBar if horizontal else pygal.Bar
    chart = kind(**_options(title), x_label_rotation=0 if horizontal else 30, min_scale=2)
    chart.x_labels = list(labels)
    for label, values in series.items():
        chart.add(label, list(values))
    return _finish(chart, name, title)
