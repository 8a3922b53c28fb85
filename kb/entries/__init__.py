"""Entries: the Markdown files read, parsed and checked against the controlled vocabularies.

The first stage of the pipeline (entries/*.md -> entries -> store -> search -> site). ``schema``
holds the typed front-matter schema and ``Entry``; ``vocab`` loads the vocabularies of
``kb/vocabularies/*.yaml`` (a new vocabulary is a YAML file there plus its dimension in
``vocab``); ``inventory`` reads a folder and makes the checks across files (a new check across
files goes there, a new check of one field in ``schema``); ``new`` writes a new entry file;
``problems`` is the one shape every check reports in. Nothing here imports a later stage.
"""
