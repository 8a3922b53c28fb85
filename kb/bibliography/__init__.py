"""Bibliographic data in and out: BibTeX, RIS and CSL-JSON exports and imports, citation metadata.

A side branch of the pipeline: exports read ``Entry`` objects, imports write new entry files
through ``kb.entries.new``. The package, one job a module:

* ``formats``: the registry ``FORMATS`` (each format's name, files, writer and reader),
  ``export()``; a new format is a row there and one module on each side;
* ``mapping``: how kb's fields and types map onto bibliographic records, the same everywhere;
* ``exports/``: one writer per format (``bibtex``, ``ris``, ``csljson``);
* ``imports/``: reading a file (``files``), one reader per format, raw records to kb fields
  (``fields``), duplicates (``duplicates``), the new entry files (``writing``);
* ``citation``: an entry's page metadata (meta tags, COinS, JSON-LD) and its formatted reference.

The names below are the package's interface: the CLI, the site (and its templates, as ``biblio``)
and the tests use them; the modules behind them can move without the callers knowing.
"""

from kb.bibliography.citation import citation_meta, coins, jsonld, reference
from kb.bibliography.exports.bibtex import export as bibtex
from kb.bibliography.exports.csljson import dumps, item as csl_item, items as csljson
from kb.bibliography.exports.ris import export as ris
from kb.bibliography.formats import EXTENSIONS, FORMAT_NAMES, FORMATS, export, format_from_name, write_text
from kb.bibliography.imports.fields import read_records
from kb.bibliography.imports.files import sniff
from kb.bibliography.imports.records import ImportFailed
from kb.bibliography.imports.writing import import_file, plan_import, todo, write_records
from kb.bibliography.mapping import kind

__all__ = [
    "EXTENSIONS",
    "FORMATS",
    "FORMAT_NAMES",
    "ImportFailed",
    "bibtex",
    "citation_meta",
    "coins",
    "csl_item",
    "csljson",
    "dumps",
    "export",
    "format_from_name",
    "import_file",
    "jsonld",
    "kind",
    "plan_import",
    "read_records",
    "reference",
    "ris",
    "sniff",
    "todo",
    "write_records",
    "write_text",
]
