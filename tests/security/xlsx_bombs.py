"""The two XLSX bombs of issue 13 hole 3, built here with zipfile (no workbook library involved)."""

from __future__ import annotations

import functools
import io
import zipfile

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)
HEADER = ("external_id", "name", "consent")


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def sheet(dimension: str, rows: list[tuple[str, ...]], last: str = "") -> str:
    """``last`` is extra XML after the rows, e.g. one far-away row."""
    body = (
        "".join(
            f'<row r="{n}">' + "".join(_cell(f"{'ABC'[i]}{n}", v) for i, v in enumerate(row)) + "</row>"
            for n, row in enumerate(rows, start=1)
        )
        + last
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="{dimension}"/><sheetData>{body}</sheetData></worksheet>'
    )


def workbook(sheet_xml: str, shared_strings: tuple[int, bytes] | None = None) -> bytes:
    """A minimal XLSX; ``shared_strings`` = (how many times, piece) is streamed into xl/sharedStrings.xml."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("_rels/.rels", ROOT_RELS)
        zf.writestr("xl/workbook.xml", WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        zf.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        with zf.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
                b"<si><t>"
            )
            if shared_strings:
                times, piece = shared_strings
                for _ in range(times):
                    part.write(piece)
            part.write(b"</t></si></sst>")
    return buffer.getvalue()


def dimension_bomb() -> bytes:
    """~2 KB: three header columns and two members, declaring the whole sheet A1:XFD1048576 and holding one
    cell at its far corner — a reader pads every row in between to 16,384 columns."""
    rows = [HEADER, ("B-1", "Alice", "yes"), ("B-2", "Bob", "no")]
    corner = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    return workbook(sheet("A1:XFD1048576", rows, corner))


def tall_sheet() -> bytes:
    """Within the bounds: A1:C1048576, three real rows and a formatted but empty cell at C1048576 (as Excel
    saves a sheet someone formatted to the bottom). The million empty rows in between are no errors."""
    rows = [HEADER, ("T-1", "Alice", "yes"), ("T-2", "Bob", "no")]
    return workbook(sheet("A1:C1048576", rows, '<row r="1048576"><c r="C1048576" s="0"/></row>'))


@functools.cache
def shared_strings_bomb() -> bytes:
    """~0.6 MB whose shared strings inflate to ~655 MB (over 500 MB and over 20 × the file)."""
    rows = [HEADER, ("S-1", "Alice", "yes")]
    return workbook(sheet("A1:C2", rows), shared_strings=(655, b"A" * (1024 * 1024)))
