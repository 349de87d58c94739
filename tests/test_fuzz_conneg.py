"""Property-based tests of content negotiation: any Accept header, any ``format`` parameter.

The table in test_conneg.py pins the answers for headers clients really send; these
properties hold for every header hypothesis can make up, well-formed or not.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.conneg import DATASETS, GRAPHS, HTML, JSON, RESULTS, Format, negotiate
from tests.servers import LiveServer, eurasia_kg

OFFER_LISTS = [RESULTS, GRAPHS, DATASETS, (HTML, *GRAPHS), (JSON,)]
KNOWN_TYPES = sorted({t for offers in OFFER_LISTS for f in offers for t in f.media_types})

offers = st.sampled_from(OFFER_LISTS)
media_ranges = st.one_of(
    st.sampled_from(KNOWN_TYPES),
    st.sampled_from(["*/*", "text/*", "application/*", "image/png", "text/x-unknown"]),
    st.from_regex(r"[a-z]{1,8}/[a-z+.-]{1,12}", fullmatch=True),
)
qualities = st.sampled_from(["", ";q=0", ";q=0.001", ";q=0.1", ";q=0.5", ";q=0.9", ";q=1", ";q=1.0"])
parameters = st.sampled_from(["", ";charset=utf-8", "; profile=x", ";level=1"])


@st.composite
def accept_headers(draw: st.DrawFn) -> list[str]:
    """The ranges of a well-formed Accept header, each with its parameters and q-value."""
    ranges = draw(st.lists(st.tuples(media_ranges, parameters, qualities), min_size=1, max_size=6))
    return [f"{kind}{param}{q}" for kind, param, q in ranges]


def _q(part: str) -> float:
    _, _, q = part.partition(";q=")
    return float(q) if q else 1.0


@given(st.one_of(st.none(), st.text()), offers, st.one_of(st.none(), st.text()))
def test_any_header_gives_an_offer_or_none(accept: str | None, offered, explicit: str | None) -> None:
    chosen = negotiate(accept, offered, explicit)
    assert chosen is None or chosen in offered


@given(accept_headers(), offers, st.randoms(use_true_random=False))
def test_the_order_of_ranges_does_not_matter(ranges: list[str], offered, random) -> None:
    shuffled = ranges[:]
    random.shuffle(shuffled)
    assert negotiate(", ".join(ranges), offered) == negotiate(", ".join(shuffled), offered)


@given(accept_headers(), offers)
def test_an_exact_type_alone_at_the_top_wins(ranges: list[str], offered) -> None:
    """A format asked for by its own media type with q=1, above every other range, is chosen."""
    favourite: Format = offered[-1]
    below = [r for r in ranges if _q(r) < 1]
    chosen = negotiate(", ".join([*below, favourite.media_type]), offered)
    assert chosen == favourite


@given(accept_headers(), offers)
def test_refusing_the_choice_moves_to_another_offer(ranges: list[str], offered) -> None:
    """Refusing every media type of the chosen format (q=0) never gives that format again."""
    chosen = negotiate(", ".join(ranges), offered)
    if chosen is None:
        return
    kept = [r for r in ranges if r.split(";")[0] not in chosen.media_types]
    refused = [f"{media_type};q=0" for media_type in chosen.media_types]
    again = negotiate(", ".join([*kept, *refused]), offered)
    # Another format may share an alias (application/json), so only the refused one is out.
    assert again != chosen


@given(accept_headers(), offers)
def test_case_and_spacing_do_not_matter(ranges: list[str], offered) -> None:
    plain = negotiate(", ".join(ranges), offered)
    assert negotiate(" ,  ".join(r.upper() for r in ranges), offered) == plain


@given(st.one_of(st.none(), st.text()), offers, st.data())
def test_a_format_parameter_for_an_offer_wins_over_any_header(accept, offered, data) -> None:
    wanted: Format = data.draw(st.sampled_from(offered))
    name = data.draw(st.sampled_from([wanted.name, wanted.media_type, wanted.name.upper()]))
    chosen = negotiate(accept, offered, name)
    # A name or media type shared by two offers (json) picks the first of them.
    assert chosen is not None and name.lower() in {chosen.name, *chosen.nicknames, *chosen.media_types}


@given(st.sampled_from(["", "*/*", "  ", "*/*;q=1"]), offers)
def test_no_preference_gives_the_first_offer(accept: str, offered) -> None:
    assert negotiate(accept, offered) == offered[0]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with eurasia_kg(tmp_path_factory.mktemp("conneg"), token=None) as live:
        yield live


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    accept=st.one_of(
        accept_headers().map(", ".join), st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126))
    ),
    explicit=st.one_of(st.none(), st.sampled_from(["json", "xml", "csv", "tsv", "turtle", "png", ""])),
    query=st.sampled_from(
        ["SELECT * { ?s ?p ?o } LIMIT 1", "ASK {}", "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 2"]
    ),
)
def test_the_endpoint_answers_any_accept_header_with_a_format_or_406(
    server: LiveServer, accept: str, explicit: str | None, query: str
) -> None:
    params = {"query": query, **({"format": explicit} if explicit is not None else {})}
    url = f"{server.sparql}?{urlencode(params)}"
    request = Request(url, headers={"Accept": accept})  # noqa: S310 - loopback
    try:
        with urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            media_type = response.headers.get_content_type()
            offered = RESULTS if "CONSTRUCT" not in query else GRAPHS
            assert media_type in {f.media_type for f in offered}
    except HTTPError as error:
        assert error.code == 406, error.read()
        assert "text/plain" in error.headers["Content-Type"]
