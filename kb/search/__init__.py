"""Full-text search over the entries with Whoosh (``whoosh-reloaded``): analysis, index, queries.

Third stage of the pipeline: ``index`` builds and queries the Whoosh index that ``kb search``
reads. Imports only ``kb.entries`` and ``kb.store.filters``.
"""
