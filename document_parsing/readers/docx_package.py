"""The three parts of a .docx that the reader reads, opened without loading the whole package.

``docx.Document()`` reads and inflates every part of the package and parses every XML part
python-docx has a class for, before a line of the body is read.  A Word plan carries a
350 KB ``styles.xml`` (needed), a 440 KB ``stylesWithEffects.xml``, a thumbnail, settings,
theme and properties (never read).  :func:`open_parts` follows the package's relationships
to the main document, its styles and its numbering only, with python-docx's own OPC classes
(part names, ``[Content_Types].xml``, relationship items), and parses those three with the
options of python-docx's parser.

Only the ordinary layout takes that way: one main document of Word's content type, one
styles part, at most one numbering part, each of its expected content type.  Anything else
(no styles part, a template or macro document, a relationship twice, not a zip at all) is
opened by ``docx.Document()`` exactly as before, so it is read, or refused with the same
message, as before.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

import docx
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TARGET_MODE as RTM
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.oxml import parse_xml as parse_package_xml
from docx.opc.packuri import PACKAGE_URI, PackURI
from docx.opc.phys_pkg import PhysPkgReader
from docx.oxml.ns import qn
from lxml import etree

# python-docx's parser options (docx.oxml.parser.oxml_parser), without its element classes:
# the reader uses lxml's own API only, and plain elements cost a third of python-docx's
# classes to visit (the body's ~2,000 elements are each visited at least once).
PARSER = etree.XMLParser(remove_blank_text=True, resolve_entities=False)
W_DOCUMENT, W_BODY = qn("w:document"), qn("w:body")


@dataclass(frozen=True)
class WordParts:
    """What the reader reads of a .docx."""

    body: etree._Element  # w:body of the main document
    styles: etree._Element  # w:styles (python-docx's default styles when the package has none)
    numbering: Optional[etree._Element]  # w:numbering; None when the document defines no lists


class _Unusual(Exception):
    """The package is not laid out in the ordinary way: docx.Document() opens it."""


class _ContentTypes:
    """``[Content_Types].xml``: a part's content type by its name, else by its extension
    (both compared without case, as python-docx does)."""

    def __init__(self, xml: bytes) -> None:
        types = parse_package_xml(xml)
        self.overrides = {o.partname.lower(): o.content_type for o in types.overrides}
        self.defaults = {d.extension.lower(): d.content_type for d in types.defaults}

    def __getitem__(self, partname: PackURI) -> str:
        found = self.overrides.get(partname.lower()) or self.defaults.get(partname.ext.lower())
        if found is None:
            raise _Unusual(f"no content type for {partname}")
        return found


def _relationships(reader: PhysPkgReader, source: PackURI) -> list:
    """The relationships of part ``source`` (none when it has no relationship item)."""
    rels_xml = reader.rels_xml_for(source)
    return parse_package_xml(rels_xml).Relationship_lst if rels_xml is not None else []


def _related(rels: list, source: PackURI, reltype: str, required: bool) -> Optional[PackURI]:
    """The part ``source`` relates to by ``reltype`` among its relationships ``rels``: one
    internal relationship, or none when not ``required``."""
    matching = [rel for rel in rels if rel.reltype == reltype]
    if not matching and not required:
        return None
    if len(matching) != 1 or matching[0].target_mode == RTM.EXTERNAL:
        raise _Unusual(f"{len(matching)} relationships of type {reltype}")
    return PackURI.from_rel_ref(source.baseURI, matching[0].target_ref)


# How Word, LibreOffice and python-docx write a table style: "w:" prefix, double quotes.  A
# style written otherwise is simply parsed with the rest.
_TABLE_TYPE = b'w:type="table"'
_STYLE_START = b"<w:style"
_STYLE_END = b"</w:style>"


def without_table_styles(xml: bytes) -> bytes:
    """``styles.xml`` less its table styles, which the reader never reads.

    Word's Normal template and python-docx's default one carry about a hundred table styles
    (Light Shading, Medium Grid …): nine tenths of a 350 KB ``styles.xml``, and most of what
    parsing it costs.  A paragraph or character style cannot be based on a table style, so
    nothing the reader resolves changes; only a legacy font named by a table style alone goes
    unseen, and the reader's statistics on the text still find such a document.  A part holding
    comments, CDATA or a DOCTYPE (``<!``), where a tag could be text, is left whole; so is one
    whose table style does not end where expected."""
    if b"!" in xml and b"<!" in xml:  # (a lone "!" is one fast byte scan; "<" is everywhere)
        return xml
    pieces: list[bytes] = []
    kept = 0
    found = xml.find(_TABLE_TYPE)
    while found >= 0:
        start = xml.rfind(b"<", kept, found)
        tag_end = xml.find(b">", found)
        if start < 0 or tag_end < 0:
            return xml
        if xml.startswith(_STYLE_START, start) and xml[start + len(_STYLE_START)] in b" \t\r\n":
            if xml[tag_end - 1] == ord("/"):  # <w:style … />
                end = tag_end + 1
            else:
                end = xml.find(_STYLE_END, tag_end)
                if end < 0:
                    return xml
                end += len(_STYLE_END)
            pieces.append(xml[kept:start])
            kept = end
        found = xml.find(_TABLE_TYPE, max(kept, tag_end))
    if not pieces:
        return xml
    pieces.append(xml[kept:])
    return b"".join(pieces)


def _part(reader: PhysPkgReader, types: _ContentTypes, partname: PackURI, content_type: str) -> etree._Element:
    if types[partname] != content_type:
        raise _Unusual(f"{partname} is {types[partname]}")
    xml = reader.blob_for(partname)
    return etree.fromstring(without_table_styles(xml) if content_type == CT.WML_STYLES else xml, PARSER)


def _ordinary_package(path: Path) -> WordParts:
    reader = PhysPkgReader(str(path))
    try:
        types = _ContentTypes(reader.content_types_xml)
        main = _related(_relationships(reader, PACKAGE_URI), PACKAGE_URI, RT.OFFICE_DOCUMENT, required=True)
        main_rels = _relationships(reader, main)  # read once for both parts it leads to
        styles = _related(main_rels, main, RT.STYLES, required=False)
        numbering = _related(main_rels, main, RT.NUMBERING, required=False)
        if styles is None:
            raise _Unusual("no styles part")
        document = _part(reader, types, main, CT.WML_DOCUMENT_MAIN)
        body = document.find(W_BODY) if document.tag == W_DOCUMENT else None
        if body is None:
            raise _Unusual("no w:document/w:body")
        return WordParts(body, _part(reader, types, styles, CT.WML_STYLES),
                         _part(reader, types, numbering, CT.WML_NUMBERING) if numbering is not None else None)
    finally:
        reader.close()


def open_with_python_docx(path: Union[str, Path]) -> WordParts:
    """The same three parts through ``docx.Document()``, which loads the whole package: the
    way for every package :func:`open_parts` does not take itself."""
    document = docx.Document(str(path))
    try:
        numbering = document.part.numbering_part.element
    except (KeyError, NotImplementedError):  # no numbering part (python-docx cannot make one)
        numbering = None
    return WordParts(document.element.body, document.styles.element, numbering)


def open_parts(path: Union[str, Path]) -> WordParts:
    """The body, styles and numbering of a .docx; raises what ``docx.Document()`` raises for a
    file it cannot open."""
    path = Path(path)
    try:
        return _ordinary_package(path)
    except Exception:  # noqa: BLE001 — whatever it is, python-docx decides (and words the error)
        return open_with_python_docx(path)
