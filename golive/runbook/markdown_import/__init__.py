"""Markdown -> runbook structure, with markdown-it-py's source positions.

This module turns one Markdown file into sections, items, code blocks, tables and
notes, each with its 1-based source line, and records the annotations and links it
meets. What the structure *means* (schedules, gates, thresholds, sign-offs, roles)
is worked out afterwards by :mod:`golive.runbook.derive`, once linked files and
overlays are merged in.

Nothing is dropped: content that maps to nothing special becomes a note of its
section.

The parts: :mod:`~golive.runbook.markdown_import.parser` (the parser and the
block tree), :mod:`~golive.runbook.markdown_import.inline` (inline tokens),
:mod:`~golive.runbook.markdown_import.classify` (what code is) and
:mod:`~golive.runbook.markdown_import.importer` (the walk into structure).
"""

from golive.runbook.markdown_import.classify import classify_inline_code, code_block_runnable
from golive.runbook.markdown_import.importer import ParsedFile, parse_markdown
from golive.runbook.markdown_import.parser import markdown_parser

__all__ = ["ParsedFile", "classify_inline_code", "code_block_runnable", "markdown_parser", "parse_markdown"]
