"""A report's text cut into sentences, and the sentence a source quotes.

The title, the publication line and the photo caption each count as one sentence, so that
facts from the caption trace to it like any other.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

# A sentence ends at . ! or ? (optionally after a closing quote or bracket) before a space
# and a capital, an opening quote or an opening bracket.
_BOUNDARY = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][”\"’)]))\s+(?=[A-Z“\"(])")
_PARAGRAPH = re.compile(r"\n\s*\n")
_FOLD = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})


@dataclass(frozen=True)
class Sentence:
    position: int  # 1-based
    text: str
    start: int  # character offsets in the report's text
    end: int


def fold(text: str) -> str:
    """Text as compared when finding quotes: typographic quotes and dashes made plain,
    white space collapsed, so an analyst may type ASCII."""
    text = unicodedata.normalize("NFC", text).translate(_FOLD)
    return re.sub(r"\s+", " ", text).strip()


class ReportText:
    """The sentences of one report's text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.sentences = list(self._split(text))
        self._folded = [fold(s.text) for s in self.sentences]

    @classmethod
    def read(cls, path: Path) -> ReportText:
        return cls(path.read_text(encoding="utf-8"))

    @staticmethod
    def _split(text: str) -> list[Sentence]:
        sentences: list[Sentence] = []
        start = 0
        for paragraph in _PARAGRAPH.split(text):
            offset = text.index(paragraph, start)
            start = offset + len(paragraph)
            cursor = 0
            for piece in _BOUNDARY.split(paragraph):
                stripped = piece.strip()
                if not stripped:
                    continue
                at = offset + paragraph.index(stripped, cursor)
                cursor = at - offset + len(stripped)
                sentences.append(Sentence(len(sentences) + 1, stripped, at, at + len(stripped)))
        return sentences

    def find(self, quote: str) -> list[Sentence]:
        """The sentences containing ``quote`` (compared after folding)."""
        needle = fold(quote)
        return [s for s, folded in zip(self.sentences, self._folded, strict=True) if needle in folded]

    def mentions(self, name: str) -> list[Sentence]:
        """The sentences naming ``name`` as a whole word."""
        pattern = re.compile(rf"(?<!\w){re.escape(fold(name))}(?!\w)")
        return [s for s, folded in zip(self.sentences, self._folded, strict=True) if pattern.search(folded)]
