"""RDF/XML entity declarations: flat abbreviations pass, anything that could fetch, read a
file or expand without bound is refused before the parser sees it."""

from __future__ import annotations

from xml.parsers import expat

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyoxigraph import RdfFormat, parse

from graph.xml_entities import EntityError, check, nesting

RDF = '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:e="http://x/">'


def document(declarations: str, value: str = "&a;") -> bytes:
    return (
        f'<?xml version="1.0"?><!DOCTYPE rdf:RDF [{declarations}]>{RDF}'
        f'<rdf:Description rdf:about="http://x/s"><e:p>{value}</e:p></rdf:Description></rdf:RDF>'
    ).encode()


REFUSED = {
    "nested": document('<!ENTITY b "x"><!ENTITY a "&b;&b;">'),
    "character reference to an entity": document('<!ENTITY b "x"><!ENTITY a "&#38;b;">'),
    "system": document('<!ENTITY a SYSTEM "http://127.0.0.1:9/x">'),
    "public": document('<!ENTITY a PUBLIC "-//x//EN" "file:///etc/passwd">'),
    "parameter": document('<!ENTITY % p "x"><!ENTITY a "y">'),
    "single quotes": document("<!ENTITY a 'x'>"),
    "markup in the value": document('<!ENTITY a "<e:q>x</e:q>">'),
    "external DTD": f'<!DOCTYPE rdf:RDF SYSTEM "http://127.0.0.1:9/rdf.dtd">{RDF}</rdf:RDF>'.encode(),
    "late DOCTYPE": f'{RDF}<!DOCTYPE rdf:RDF [<!ENTITY a SYSTEM "file:///etc/passwd">]></rdf:RDF>'.encode(),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_refused(name: str) -> None:
    with pytest.raises(EntityError):
        check(REFUSED[name])


def test_flat_abbreviations_pass_and_parse() -> None:
    data = document('<!ENTITY a "http://example.org/">', "&a;kuryk")
    check(data)
    assert [q.object.value for q in parse(data, format=RdfFormat.RDF_XML)] == ["http://example.org/kuryk"]


def test_expansion_is_bounded() -> None:
    data = document('<!ENTITY a "0123456789">', "&a;" * 100)
    check(data, limit=1000)
    with pytest.raises(EntityError, match="more than 999 bytes"):
        check(data, limit=999)


def test_documents_without_a_doctype_pass() -> None:
    check(
        f'{RDF}<rdf:Description rdf:about="http://x/s"><e:p>&amp;&lt;</e:p></rdf:Description></rdf:RDF>'.encode()
    )


LEAVES = ["", "text", "<!-- <a><a> -->", "<![CDATA[<a><a>]]>", "<?pi <a>?>", "<e/>", '<e x=">"/>']


def element(children: list[str]) -> str:
    return '<a y=">">' + "".join(children) + "</a>"


XML_TREE = st.recursive(
    st.sampled_from(LEAVES), lambda inner: st.lists(inner, max_size=3).map(element), max_leaves=30
)


@given(XML_TREE, st.integers(min_value=0, max_value=12))
def test_the_nesting_scan_agrees_with_expat(tree: str, limit: int) -> None:
    """The depth ``nesting`` counts is the depth expat (the oracle) reports, comments, CDATA,
    processing instructions and ">" in attribute values included."""
    document = f"<r>{tree}</r>".encode()
    parser = expat.ParserCreate()
    depth, most = [0], [0]

    def start(name: str, attributes: object) -> None:
        depth[0] += 1
        most[0] = max(most[0], depth[0])

    def end(name: str) -> None:
        depth[0] -= 1

    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.Parse(document, True)
    try:
        nesting(document, limit)
    except EntityError:
        assert most[0] > limit
    else:
        assert most[0] <= limit
