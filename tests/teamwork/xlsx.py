"""Read an XLSX file back without openpyxl: the workbook's sheet names and each sheet's rows."""

# The XML parsed here is the one the code under test wrote, not untrusted input.
# ruff: noqa: S314

import io
import re
import zipfile
from xml.etree import ElementTree

NS = {
    "main": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "rel": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
}


def _column_index(reference: str) -> int:
    letters = re.match(r"[A-Z]+", reference).group()
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def read_xlsx(content: bytes) -> dict[str, list[list[str]]]:
    """{sheet name: rows}, every cell as the text it holds ('' for empty cells)."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        shared = []
        if "xl/sharedStrings.xml" in archive.namelist():
            root = ElementTree.fromstring(archive.read("xl/sharedStrings.xml"))
            shared = ["".join(t.text or "" for t in item.iter(f"{{{NS['main']}}}t")) for item in root]
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        sheets = {}
        for number, sheet in enumerate(workbook.find("main:sheets", NS), start=1):
            root = ElementTree.fromstring(archive.read(f"xl/worksheets/sheet{number}.xml"))
            rows = []
            for row in root.iter(f"{{{NS['main']}}}row"):
                cells: dict[int, str] = {}
                for cell in row.findall("main:c", NS):
                    kind = cell.get("t")
                    if kind == "inlineStr":
                        value = "".join(t.text or "" for t in cell.iter(f"{{{NS['main']}}}t"))
                    elif kind == "s":
                        value = shared[int(cell.find("main:v", NS).text)]
                    else:
                        element = cell.find("main:v", NS)
                        value = element.text if element is not None else ""
                    cells[_column_index(cell.get("r"))] = value
                width = max(cells) + 1 if cells else 0
                rows.append([cells.get(index, "") for index in range(width)])
            sheets[sheet.get("name")] = rows
    return sheets
