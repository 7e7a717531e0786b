"""tidings: a git repo of Markdown becomes a community site, newsletters and a feedback loop."""

__version__ = "0.1.0"
