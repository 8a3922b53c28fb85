"""What an entry becomes in the search index: the schema and one document per entry.

One field per language holds the title, summary, body and labels (``text_fr``...), each word
weighted by where it stands (``kb.search.analysis.Sections``): a word's postings are one list of
ids and weights, read without positions. Phrases are checked against a second field with
positions (``phrase_fr``, in ``kb.search.engine.postings.ArrayPositions``), read only for
"quoted phrases". Vocabulary labels are indexed in every language, our translations in their
own language's fields; the facet values, the folded title and the entry's digest are columns.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from whoosh import columns, fields

from kb.entries.vocab import LANGS, Vocabularies, fold
from kb.search.analysis import SECTION, TOKENS, Sections, exact_key, folding, plain_text, unsectioned
from kb.search.engine.postings import ArrayPositions
from kb.store.filters import TAG_FIELDS

if TYPE_CHECKING:
    from kb.entries.schema import Entry

SEP = "\x1f"
SEPB = SEP.encode()


def schema() -> fields.Schema:
    """The index's fields (pickled into the index with their analyzers and formats: see FORMAT)."""
    per_language = {}
    for lang in LANGS:
        # text_*: scored, without positions (a word's postings are ids and weights, cheap to read);
        # phrase_*: the same title, summary and body with positions, read only for "phrases".
        per_language[f"text_{lang}"] = fields.TEXT(analyzer=Sections(lang), phrase=False)
        per_language[f"phrase_{lang}"] = phrase = fields.TEXT(analyzer=Sections(lang))
        phrase.format = ArrayPositions()
    tags = {name: fields.KEYWORD(commas=True, lowercase=False) for name in TAG_FIELDS}
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        names=fields.TEXT(analyzer=folding(), phrase=False),
        words=fields.TEXT(analyzer=folding(stop=False), phrase=False),  # what 'did you mean' may offer
        year=fields.NUMERIC(int, bits=16, sortable=True),
        sort_title=fields.COLUMN(columns.VarBytesColumn()),
        title_exact=fields.ID(),  # the whole title, normalised: a query that is the title ranks it first
        key=fields.COLUMN(columns.VarBytesColumn()),
        facets=fields.COLUMN(columns.VarBytesColumn()),
        data=fields.STORED,
        **per_language,
        **tags,
    )


def document(entry: Entry, vocabularies: Vocabularies) -> dict[str, Any]:
    """The fields of ``entry``'s document (``vocabularies``: for the labels of its values)."""
    lang = entry.language
    body = plain_text(entry.body)
    labels = {
        other: " ".join(
            vocabularies.label(dim, v, other)
            for dim, values in entry.tags().items()
            if dim != "language"
            for v in values
        )
        for other in LANGS
    }
    tags = {name: list(values) for name, values in entry.tags().items()}
    own = [unsectioned(text) for text in (entry.title, entry.summary or "", body)]
    # Our translations are searched in their own language's fields, weighted as title and summary.
    translated = {
        lang_: [unsectioned(title), unsectioned(summary or ""), ""] for lang_, title, summary in entry.translations
    }
    doc = {
        "id": entry.id,
        f"phrase_{lang}": SECTION.join(own),
        "names": " ".join((*entry.authors, *entry.organisations)),
        # Each word once: 'did you mean' asks only whether a word is indexed and which are close.
        "words": " ".join(
            dict.fromkeys(re.findall(TOKENS, " ".join([*own, *(t for parts in translated.values() for t in parts)])))
        ),
        "year": entry.year,
        "sort_title": fold(entry.title).encode(),
        "title_exact": exact_key(entry.title),
        "key": f"{entry.id}{SEP}{entry.digest}".encode(),
        "facets": SEP.join(f"{d}={v}" for d, vs in tags.items() for v in vs).encode()
        + f"{SEP}year={entry.year}".encode(),
        "data": {
            "title": entry.title,
            "year": entry.year,
            "type": entry.type,
            "language": lang,
            "tags": tags,
            "summary": entry.summary,
            "text": body,
            "translations": {code: [title, summary] for code, title, summary in entry.translations},
        },
    }
    for other, parts in translated.items():
        doc[f"phrase_{other}"] = SECTION.join(parts)
    for other in LANGS:  # the labels in every language: a Dutch word finds a French entry
        parts = [*own, labels[other]] if other == lang else [*translated.get(other, ["", "", ""]), labels[other]]
        doc[f"text_{other}"] = SECTION.join(unsectioned(p) for p in parts)
    doc.update({name: ",".join(values) for name, values in tags.items() if values})
    return doc
