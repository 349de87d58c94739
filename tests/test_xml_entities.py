"""RDF/XML entity declarations: flat abbreviations pass, anything that could fetch, read a
file or expand without bound is refused before the parser sees it."""

from __future__ import annotations

import pytest
from pyoxigraph import RdfFormat, parse

from graph.xml_entities import EntityError, check

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
