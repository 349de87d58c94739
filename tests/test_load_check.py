"""``graph.load.check`` on N-Triples and N-Quads: the fast path that screens the bytes gives the
same verdict as the term-by-term admission check, for each kind of byte that may be refused."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

from graph import load

GOOD = '<http://example.org/kuryk> <http://example.org/name> "{}"@en .\n'
# (what the case shows, the literal as written in N-Triples, the refusal or None)
CASES = [
    ("plain text, no escape", "Kuryk port", None),
    ("non-ASCII text", "Құрық", None),
    ("an escape of an admissible character", "Kuryk\\u00E9", None),
    ("a quote escape", 'the \\"port\\"', None),
    ("a control character escaped", "bell\\u0007", "U+0007"),
    ("a control character escaped as \\b", "back\\bspace", "U+0008"),
    ("a control character as a raw byte", "bell\x07", "U+0007"),
    ("a noncharacter", "end\ufffe", "U+FFFE"),
    ("a noncharacter escaped", "end\\uFFFF", "U+FFFF"),
]


@pytest.mark.parametrize("suffix", [".nt", ".nq.gz"])
@pytest.mark.parametrize(("what", "literal", "refusal"), CASES, ids=[c[0] for c in CASES])
def test_screened_check_agrees_with_admission(
    tmp_path: Path, suffix: str, what: str, literal: str, refusal: str | None
) -> None:
    text = ("<http://example.org/a> <http://example.org/b> <http://example.org/c> .\n" * 1000) + GOOD.format(
        literal
    )
    path = tmp_path / f"data{suffix}"
    data = text.encode()
    path.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
    rdf_file = load.identify(path)
    if refusal is None:
        assert load.check(rdf_file, None) == 1001
    else:
        with pytest.raises(load.LoadError, match=re.escape(refusal)):
            load.check(rdf_file, None)


def test_screening_sees_a_match_split_across_reads() -> None:
    import io

    stream = load._Screening(io.BytesIO(b"abc\xef\xbf\xbexyz"))
    while stream.read(4):
        pass
    assert stream.suspect
