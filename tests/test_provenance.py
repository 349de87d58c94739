"""Every asserted fact traces, in SPARQL, to its report, its sentence and the cited source;
asserted and inferred triples never mix."""

from __future__ import annotations

import csv

from graph.namespaces import Dataset
from graph.report_text import ReportText
from graph.settings import DEFAULT_BASE
from tests.conftest import SHARED

DS = Dataset(DEFAULT_BASE)
PREFIXES = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in DS.prefixes().items())
REPORT = SHARED / "seed" / "000_38d12d94c33cd7ec.txt"


def select(store, query: str) -> list[dict[str, str]]:
    result = store.query(PREFIXES + query)
    names = [v.value for v in result.variables]
    return [{n: (s[n].value if s[n] is not None else None) for n in names} for s in result]


def test_every_fact_in_a_claim_traces_to_report_and_sentence(built_store) -> None:
    untraced = select(
        built_store,
        """
        SELECT ?g (COUNT(*) AS ?n) WHERE {
          GRAPH ?g { ?s ?p ?o }
          FILTER(STRSTARTS(STR(?g), CONCAT(STR(kgg:), "edm-18-60/s")))
          FILTER NOT EXISTS {
            ?g a kgo:Claim ; kgo:modality ?m ;
               kgo:statedIn [ kgo:text ?text ; kgo:position ?position ;
                              kgo:inReport [ kgo:title ?title ; kgo:volume ?volume ;
                                             kgo:issueNumber ?issue ;
                                             kgo:publishedIn/rdfs:label ?publication ] ] .
          }
        } GROUP BY ?g""",
    )
    assert untraced == []
    claims = select(built_store, "SELECT (COUNT(*) AS ?n) WHERE { ?g a kgo:Claim }")
    assert int(claims[0]["n"]) >= 50


def test_report_metadata(built_store) -> None:
    assert select(
        built_store,
        """
        SELECT ?title ?publication ?volume ?issue WHERE {
          id:edm-18-60 a kgo:Report ; kgo:title ?title ; kgo:volume ?volume ;
                       kgo:issueNumber ?issue ; kgo:publishedIn/rdfs:label ?publication }""",
    ) == [
        {
            "title": "Iran’s New Pivot to Central Asia",
            "publication": "Eurasia Daily Monitor",
            "volume": "18",
            "issue": "60",
        }
    ]


def test_sentences_are_the_reports_own_words(built_store) -> None:
    text = REPORT.read_text(encoding="utf-8")
    sentences = select(
        built_store,
        """
        SELECT ?text ?start ?end WHERE {
          ?s a kgo:Sentence ; kgo:inReport id:edm-18-60 ; kgo:text ?text ;
             kgo:startOffset ?start ; kgo:endOffset ?end }""",
    )
    assert len(sentences) == len(ReportText(text).sentences) == 46
    for row in sentences:
        assert text[int(row["start"]) : int(row["end"])] == row["text"]


def test_a_fact_traces_to_its_sentence_and_outlet(built_store) -> None:
    """Mirzo's visit to Tehran: its date is stated by sentence 16, which prints no citation;
    the visit itself is one of the three of sentence 4, which cites Khovar three times."""
    assert select(
        built_store,
        """
        SELECT ?position WHERE {
          GRAPH ?g { id:mirzo-visit-to-tehran kgo:date ?when }
          ?g kgo:statedIn/kgo:position ?position
          FILTER NOT EXISTS { ?g kgo:citation ?c } }""",
    ) == [{"position": "16"}]
    assert select(
        built_store,
        """
        SELECT ?position ?outlet ?date ?inferred WHERE {
          GRAPH ?g { id:mirzo-visit-to-tehran a kgo:Visit }
          ?g kgo:statedIn/kgo:position ?position ;
             kgo:citation [ kgo:outlet/rdfs:label ?outlet ; kgo:citedDate ?date ;
                            kgo:yearInferred ?inferred ] } ORDER BY ?date""",
    ) == [
        {"position": "4", "outlet": "Khovar", "date": date, "inferred": "true"}
        for date in ("2021-02-23", "2021-03-29", "2021-04-05")
    ]


def test_the_two_citations_without_outlet_stay_without(built_store) -> None:
    rows = select(
        built_store,
        """
        SELECT ?printed WHERE { ?c a kgo:Citation ; kgo:printedAs ?printed
                                FILTER NOT EXISTS { ?c kgo:outlet ?o } } ORDER BY ?printed""",
    )
    assert [r["printed"] for r in rows] == [", January 1, 2021", ", accessed April 14"]


def test_asserted_and_inferred_are_apart(built_store) -> None:
    """The inferred graph holds only what no asserted graph says."""
    overlap = select(
        built_store,
        """
        SELECT ?s ?p ?o WHERE {
          GRAPH kgg:inferred { ?s ?p ?o }
          GRAPH ?g { ?s ?p ?o } FILTER(?g != kgg:inferred) }""",
    )
    assert overlap == []
    inferred = select(built_store, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH kgg:inferred { ?s ?p ?o } }")
    assert int(inferred[0]["n"]) > 10


def test_a_useful_inference_that_was_not_asserted(built_store) -> None:
    """The report puts the Heart of Asia Conference in Dushanbe and Dushanbe in Tajikistan; only
    the reasoner concludes that the conference took place in Tajikistan."""
    ask = "ASK { GRAPH ?g { id:heart-of-asia-conference kgo:occurredIn id:tajikistan } }"
    assert bool(built_store.query(PREFIXES + ask))
    asserted = (
        "ASK { GRAPH ?g { id:heart-of-asia-conference kgo:occurredIn id:tajikistan } "
        "FILTER(?g != kgg:inferred) }"
    )
    assert not bool(built_store.query(PREFIXES + asserted))


def test_background_facts_are_marked_with_their_source(built_store) -> None:
    background = DS.graph("edm-18-60/background")
    rows = select(
        built_store,
        f"""
        SELECT ?source WHERE {{ GRAPH {background} {{ id:tehran kgo:capitalOf id:iran }}
                                {background} kgo:background ?source }}""",
    )
    assert rows == [{"source": "Wikidata"}]
    in_claims = "ASK { GRAPH ?g { id:tehran kgo:capitalOf id:iran } ?g a kgo:Claim }"
    assert not bool(built_store.query(PREFIXES + in_claims))


def test_hedged_statements_carry_their_modality(built_store) -> None:
    rows = select(
        built_store,
        """
        SELECT ?modality WHERE {
          GRAPH ?g { id:herat-mazar-i-sharif-railway kgo:bypasses id:turkmenistan }
          ?g kgo:modality ?modality }""",
    )
    assert rows == [{"modality": DS.vocabulary + "Forecast"}]


def test_dates_keep_their_precision(built_store) -> None:
    rows = select(
        built_store,
        """
        SELECT ?e ?date (DATATYPE(?date) AS ?type) WHERE {
          VALUES ?e {
            id:fazli-visit-to-dushanbe id:mirzo-visit-to-tehran id:khudayberdiev-insurgency }
          ?e kgo:date ?date } ORDER BY ?e""",
    )
    xsd = "http://www.w3.org/2001/XMLSchema#"
    assert [(r["date"], r["type"]) for r in rows] == [
        ("2021-02", xsd + "gYearMonth"),
        ("1998", xsd + "gYear"),
        ("2021-04-06", xsd + "date"),
    ]
    tour = select(
        built_store,
        """SELECT ?start ?end ?wording ?inferred WHERE {
        id:zarif-central-asia-tour kgo:startDate ?start ; kgo:endDate ?end ;
        kgo:timeDescription ?wording ; kgo:yearInferred ?inferred }""",
    )
    assert tour == [{"start": "2021-04-05", "end": "2021-04-08", "wording": "April 5–8", "inferred": "true"}]


def test_every_spelling_is_an_alternative_label_found_in_the_report(built_store) -> None:
    text = ReportText.read(REPORT)
    rows = select(built_store, "SELECT ?e ?alt WHERE { ?e skos:altLabel ?alt }")
    spellings = {(r["e"].rsplit("/", 1)[-1], r["alt"]) for r in rows}
    assert {
        ("irna", "Irna"),
        ("kyrgyzstan", "Kyrgyz Republic"),
        ("mazar-i-sharif", "Mazar-i-Sharif"),
        ("javad-zarif", "Zarif"),
    } <= spellings
    ascii_variants = {"Mazar-i-Sharif", "Herat–Mazar-i-Sharif railway"}
    for _, alt in spellings - {(e, a) for e, a in spellings if a in ascii_variants}:
        assert text.mentions(alt), f"{alt!r} does not occur in the report"


def test_wikidata_links_are_only_the_certain_ones(built_store) -> None:
    with (SHARED / "reference" / "wikidata-qids.tsv").open(encoding="utf-8") as stream:
        certain = {
            row["qid"]: row["label"]
            for row in csv.DictReader((line for line in stream if not line.startswith("#")), delimiter="\t")
        }
    rows = select(built_store, "SELECT ?e ?wd WHERE { ?e owl:sameAs ?wd }")
    linked = {r["wd"].rsplit("/", 1)[-1] for r in rows}
    assert linked <= set(certain)
    assert {"Q794", "Q863", "Q3616", "Q838380", "Q16052369", "Q6279"} <= linked
