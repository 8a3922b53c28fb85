"""The store: entries in SQL through SQLAlchemy (a SQLite file by default, PostgreSQL tested).

Second stage of the pipeline. ``database`` holds the models and the incremental writes;
``filters`` is the one description of "which entries" that the store, the search index and the
exports share. Imports only ``kb.entries``.
"""
