"""Full-text search over the entries with Whoosh (``whoosh-reloaded``), third stage of the pipeline.

``index``: the index ``kb index`` writes and ``kb search`` reads (``SearchIndex``); what an
entry becomes in it (``documents``); how text becomes words (``analysis``); readers' queries
(``queries``); facet counts (``facets``); snippets (``snippets``). ``engine/``: everything that
relies on Whoosh's private APIs, for speed (posting blocks, query evaluation, fragments); its
README.md names each of them. Imports only ``kb.entries``,
``kb.store.filters`` and ``kb.files``.
"""
