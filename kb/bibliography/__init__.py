"""Bibliographic data in and out: BibTeX, RIS and CSL-JSON imports and exports, citation meta.

A side branch of the pipeline: exports read ``Entry`` objects, imports write new entry files
through ``kb.entries.new``. A new export format goes in ``formats``.
"""
