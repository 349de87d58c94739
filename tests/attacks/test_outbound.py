"""No outbound request and no local file read from anything a user sends.

A canary HTTP server on 127.0.0.1 (``tests.canary``) answers with plausible RDF, JSON-LD and
SPARQL results, so that a fetch would succeed unnoticed; every test fails if the canary was
hit. Each route that takes input is driven with payloads naming the canary or a local file,
on the embedded store and on ``oxigraph serve`` (which would fetch ``SERVICE`` and ``LOAD``
itself if the guard let them through).
"""

from __future__ import annotations

import subprocess
import urllib.parse
from pathlib import Path

import pytest
from pyoxigraph import NamedNode, Triple

from graph.load import LoadError, check, identify
from graph.settings import Settings
from ontology.reasoning import HermitReasoner, reasoner_input
from tests.attacks.client import SCRATCH as G
from tests.attacks.client import Reply, call, size, store, update
from tests.canary import Canary
from tests.servers import LiveServer

PASSWD = Path("/etc/passwd")
PASSWD_LINE = PASSWD.read_text().splitlines()[0] if PASSWD.is_file() else "root:x:0:0"
OWL_IMPORTS = "http://www.w3.org/2002/07/owl#imports"


# -- /sparql ----------------------------------------------------------------------------------

QUERIES = {
    "service": "SELECT * WHERE {{ SERVICE <{c}sparql> {{ ?s ?p ?o }} }}",
    "service-silent": "SELECT * WHERE {{ SERVICE SILENT <{c}sparql> {{ ?s ?p ?o }} }}",
    "lower-case": "select * where {{ service silent <{c}sparql> {{ ?s ?p ?o }} }}",
    "prefixed": "PREFIX c: <{c}> SELECT * WHERE {{ SERVICE c:sparql {{ ?s ?p ?o }} }}",
    "base-relative": "BASE <{c}> SELECT * WHERE {{ SERVICE <sparql> {{ ?s ?p ?o }} }}",
    "values-var": "SELECT * WHERE {{ VALUES ?e {{ <{c}sparql> }} SERVICE ?e {{ ?s ?p ?o }} }}",
    "bind-var": "SELECT * WHERE {{ BIND(<{c}sparql> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
    "subquery": "SELECT * WHERE {{ {{ SELECT ?s WHERE {{ SERVICE <{c}sparql> {{ ?s ?p ?o }} }} }} }}",
    "optional": "SELECT * WHERE {{ ?a ?b ?c OPTIONAL {{ SERVICE SILENT <{c}sparql> {{ ?s ?p ?o }} }} }}",
    "exists": "ASK {{ FILTER EXISTS {{ SERVICE <{c}sparql> {{ ?s ?p ?o }} }} }}",
    "minus": "SELECT * WHERE {{ ?a ?b ?c MINUS {{ SERVICE <{c}sparql> {{ ?a ?p ?o }} }} }} LIMIT 1",
    "construct": "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{c}sparql> {{ ?s ?p ?o }} }}",
    "codepoint-escape": r"SELECT * WHERE {{ SERVICE <{c}sp\u0061rql> {{ ?s ?p ?o }} }}",
    "from": "SELECT * FROM <{c}data.ttl> WHERE {{ ?s ?p ?o }}",
    "from-named": "SELECT * FROM NAMED <{c}data.ttl> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    "from-file": "SELECT * FROM <file:///etc/passwd> WHERE {{ ?s ?p ?o }}",
    "describe-service": "DESCRIBE ?s WHERE {{ SERVICE <{c}sparql> {{ ?s ?p ?o }} }}",
}


def _sparql(server: LiveServer, how: str, query: str, **params: str) -> Reply:
    if how == "get":
        return call("GET", f"{server.sparql}?{urllib.parse.urlencode({'query': query, **params})}")
    if how == "form":
        body = urllib.parse.urlencode({"query": query, **params})
        return call("POST", server.sparql, body, Content_Type="application/x-www-form-urlencoded")
    url = f"{server.sparql}?{urllib.parse.urlencode(params)}" if params else server.sparql
    return call("POST", url, query, Content_Type="application/sparql-query")


@pytest.mark.parametrize("name", list(QUERIES))
def test_query_reaches_nothing(server: LiveServer, bird: Canary, name: str) -> None:
    for how in ["get", "form", "direct"]:
        reply = _sparql(server, how, QUERIES[name].format(c=bird.url))
        assert reply.status == 400, (how, reply.text)
        assert "refused" in reply.text or "not in the store" in reply.text


@pytest.mark.parametrize("how", ["get", "form", "direct"])
@pytest.mark.parametrize("param", ["default-graph-uri", "named-graph-uri"])
def test_protocol_graphs_reach_nothing(server: LiveServer, bird: Canary, how: str, param: str) -> None:
    reply = _sparql(server, how, "SELECT * WHERE { ?s ?p ?o } LIMIT 1", **{param: bird.url + "g.ttl"})
    assert reply.status == 400, reply.text
    assert "not in the store" in reply.text


# -- /update ----------------------------------------------------------------------------------

UPDATES = {
    "load": "LOAD <{c}data.ttl>",
    "load-silent": "LOAD SILENT <{c}data.ttl> INTO GRAPH <" + G + ">",
    "load-file": "LOAD <file:///etc/passwd> INTO GRAPH <" + G + ">",
    "insert-service": "INSERT {{ GRAPH <"
    + G
    + "> {{ ?s ?p ?o }} }} WHERE {{ SERVICE <{c}sparql> {{ ?s ?p ?o }} }}",
    "delete-service": "DELETE {{ ?s ?p ?o }} WHERE {{ SERVICE SILENT <{c}sparql> {{ ?s ?p ?o }} }}",
    "second-operation": "INSERT DATA {{ <http://a/> <http://b/> <http://c/> }} ; LOAD <{c}data.ttl>",
}


@pytest.mark.parametrize("name", list(UPDATES))
def test_update_reaches_nothing(server: LiveServer, bird: Canary, name: str) -> None:
    before = size(server)
    reply = update(server, UPDATES[name].format(c=bird.url))
    assert reply.status == 400, reply.text
    assert "refused" in reply.text
    assert size(server) == before


@pytest.mark.parametrize(
    "text",
    [
        "INSERT {{ GRAPH <" + G + "> {{ ?s ?p ?o }} }} USING <{c}data.ttl> WHERE {{ ?s ?p ?o }}",
        "INSERT {{ GRAPH <"
        + G
        + "> {{ ?s ?p ?o }} }} USING NAMED <{c}data.ttl> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        "WITH <{c}data.ttl> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}",
    ],
)
def test_using_and_with_read_only_the_store(server: LiveServer, bird: Canary, text: str) -> None:
    """USING and WITH name graphs of the store; a graph that is not there is empty."""
    before = size(server)
    reply = update(server, text.format(c=bird.url))
    assert reply.status in {204, 400}, reply.text
    assert size(server) == before


def test_using_graph_uri_parameter_is_refused(server: LiveServer, bird: Canary) -> None:
    body = urllib.parse.urlencode({"update": "INSERT DATA {}", "using-graph-uri": bird.url + "g"})
    reply = call(
        "POST",
        server.update,
        body,
        Content_Type="application/x-www-form-urlencoded",
        Authorization=f"Bearer {server.token}",
    )
    assert reply.status == 400, reply.text


# -- /store -----------------------------------------------------------------------------------


def _jsonld(context: str) -> str:
    """A JSON-LD document with ``context`` (a template for str.format, like its callers')."""
    return '{{"@context": ' + context + ', "@id": "http://example.org/a", "name": "A"}}'


STORE_BODIES = {
    "jsonld-remote-context": ("application/ld+json", _jsonld('"{c}ctx"')),
    "jsonld-context-in-list": ("application/ld+json", _jsonld('["{c}ctx", {{"x": "http://x/"}}]')),
    "jsonld-file-context": ("application/ld+json", _jsonld('"file:///etc/passwd"')),
    "jsonld-import": ("application/ld+json", _jsonld('{{"@version": 1.1, "@import": "{c}ctx"}}')),
    "jsonld-nested-context": (
        "application/ld+json",
        '{{"@context": {{"p": "http://x/p"}}, "@id": "http://x/a", '
        '"p": {{"@context": "{c}ctx", "name": "B"}}}}',
    ),
    "rdfxml-system-entity": (
        "application/rdf+xml",
        '<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY x SYSTEM "{c}entity">]>'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:e="http://x/">'
        '<rdf:Description rdf:about="http://x/a"><e:p>&x;</e:p></rdf:Description></rdf:RDF>',
    ),
    "rdfxml-file-entity": (
        "application/rdf+xml",
        '<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:e="http://x/">'
        '<rdf:Description rdf:about="http://x/a"><e:p>&x;</e:p></rdf:Description></rdf:RDF>',
    ),
    "rdfxml-external-dtd": (
        "application/rdf+xml",
        '<?xml version="1.0"?><!DOCTYPE rdf:RDF SYSTEM "{c}rdf.dtd">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>',
    ),
}


def billion_laughs() -> str:
    """Ten levels of entities, each ten of the one below: 3 GB of "lol" once expanded."""
    entities = '<!ENTITY a0 "lol">' + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10))
    return (
        f'<?xml version="1.0"?><!DOCTYPE rdf:RDF [{entities}]>'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:e="http://x/">'
        '<rdf:Description rdf:about="http://x/a"><e:p>&a9;</e:p></rdf:Description></rdf:RDF>'
    )


@pytest.mark.parametrize("method", ["PUT", "POST"])
@pytest.mark.parametrize("name", list(STORE_BODIES))
def test_graph_store_body_reaches_nothing(server: LiveServer, bird: Canary, method: str, name: str) -> None:
    media_type, body = STORE_BODIES[name]
    before = size(server)
    reply = store(server, method, body.format(c=bird.url), media_type)
    # JSON-LD may carry named graphs, so /store may refuse it as a whole body (415)
    assert reply.status in ({400, 415} if "jsonld" in name else {400}), reply.text
    assert PASSWD_LINE not in reply.text
    assert size(server) == before


@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_entity_expansion_bomb_is_refused(server: LiveServer, method: str) -> None:
    before = size(server)
    reply = store(server, method, billion_laughs(), "application/rdf+xml")
    assert reply.status == 400, reply.text
    assert "entity" in reply.text
    assert size(server) == before


def _multipart(filename: str, media_type: str, content: str) -> tuple[str, str]:
    boundary = "attack-boundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        f"Content-Type: {media_type}\r\n\r\n{content}\r\n--{boundary}--\r\n"
    )
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize("name", [*STORE_BODIES, "bomb"])
def test_multipart_part_reaches_nothing(server: LiveServer, bird: Canary, name: str) -> None:
    media_type, content = STORE_BODIES[name] if name != "bomb" else ("application/rdf+xml", billion_laughs())
    body, multipart = _multipart(
        "part", media_type, content.format(c=bird.url) if name != "bomb" else content
    )
    before = size(server)
    reply = store(server, "POST", body, multipart)
    assert reply.status == 400, reply.text
    assert PASSWD_LINE not in reply.text
    assert size(server) == before


def test_plain_rdfxml_entities_still_load(server: LiveServer) -> None:
    """What Protégé writes, flat namespace abbreviations, is still read."""
    body = (
        '<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY ex "http://example.org/">]>'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:e="http://x/">'
        '<rdf:Description rdf:about="&ex;kuryk"><e:p>Kuryk</e:p></rdf:Description></rdf:RDF>'
    )
    reply = store(server, "PUT", body, "application/rdf+xml")
    assert reply.status in {201, 204}, reply.text
    dump = call("GET", f"{server.store}?graph={G}", Accept="application/n-triples").text
    assert dump.strip() == '<http://example.org/kuryk> <http://x/p> "Kuryk" .'
    assert call("DELETE", f"{server.store}?graph={G}", Authorization=f"Bearer {server.token}").status == 204


def test_owl_imports_in_stored_data_is_not_followed(server: LiveServer, bird: Canary) -> None:
    body = f"<http://example.org/o> <{OWL_IMPORTS}> <{bird.url}ontology.ttl> ."
    reply = store(server, "PUT", body, "text/turtle")
    assert reply.status in {201, 204}, reply.text
    for path in ["", "ontology", f"resource?uri={urllib.parse.quote('http://example.org/o')}", "export/"]:
        call("GET", server.url + path)
    assert call("DELETE", f"{server.store}?graph={G}", Authorization=f"Bearer {server.token}").status == 204


def test_no_local_file_in_the_store(server: LiveServer) -> None:
    dataset = call("GET", server.store, Accept="application/n-quads")
    assert dataset.status == 200
    assert PASSWD_LINE not in dataset.text


# -- the browser, search, named queries and exports --------------------------------------------

BROWSER_PATHS = [
    "resource?uri={q}",
    "resource?uri={q}&format=turtle",
    "search?q={q}",
    "search?q={q}&format=json",
    "queries/describe-entity?entity={q}",
    "queries/fact-support?entity={q}",
    "queries/visits?state={q}",
    "export/{q}",
    "id/{q}",
    "graph/{q}",
]


def test_browser_routes_reach_nothing(server: LiveServer, bird: Canary) -> None:
    for iri in [bird.url + "x", "file:///etc/passwd"]:
        for path in BROWSER_PATHS:
            reply = call("GET", server.url + path.format(q=urllib.parse.quote(iri, safe="")))
            assert reply.status in {200, 400, 404}, (path, reply.text)
            assert PASSWD_LINE not in reply.text


# -- bulk load and the build -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("context.jsonld", _jsonld('"{c}ctx"')),
        ("entity.rdf", STORE_BODIES["rdfxml-system-entity"][1]),
        ("passwd.rdf", STORE_BODIES["rdfxml-file-entity"][1]),
        ("bomb.rdf", billion_laughs()),
    ],
    ids=["jsonld-context", "xml-entity", "xml-file-entity", "entity-bomb"],
)
def test_bulk_load_refuses(tmp_path: Path, bird: Canary, name: str, body: str) -> None:
    """``eurasia-kg load`` checks every file with ``graph.load.check`` before it writes."""
    path = tmp_path / name
    path.write_text(body.format(c=bird.url), encoding="utf-8")
    with pytest.raises(LoadError) as refused:
        check(identify(path), None)
    assert PASSWD_LINE not in str(refused.value)


def test_bulk_load_does_not_follow_owl_imports(tmp_path: Path, bird: Canary) -> None:
    path = tmp_path / "imports.ttl"
    path.write_text(f"<http://example.org/o> <{OWL_IMPORTS}> <{bird.url}ontology.ttl> .", encoding="utf-8")
    result = subprocess.run(
        ["eurasia-kg", "--store", str(tmp_path / "store"), "load", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_reasoner_does_not_follow_owl_imports(bird: Canary) -> None:
    """owlready2 fetches owl:imports as it loads; the reasoner is never given one."""
    imports = Triple(NamedNode("http://example.org/o"), NamedNode(OWL_IMPORTS), NamedNode(bird.url + "o.ttl"))
    assert imports not in reasoner_input([imports])
    assert HermitReasoner().infer([imports], []) == []


def test_a_source_cannot_declare_owl_imports(workspace: Settings, bird: Canary) -> None:
    """A report source names only the ontology's own properties, so it cannot import."""
    source = workspace.sources / "imports.yaml"
    source.write_text(
        f"report:\n  id: attack-1\n  text: caspian-ferry.txt\n  title: T\n"
        f"entities:\n  attack-thing: {{a: State, label: Attack, imports: '{bird.url}o.ttl'}}\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [
            "eurasia-kg",
            "--sources",
            str(workspace.sources),
            "--reports",
            str(workspace.reports),
            "--store",
            str(workspace.store),
            "validate",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert "unknown property 'imports'" in result.stdout + result.stderr
