"""kb's search engine: everything that relies on Whoosh's private APIs (see README.md here).

``postings``: the posting blocks kb writes and reads; ``evaluation``: one query in one segment;
``view``: an opened index and what queries read of it once; ``fragments``: snippet fragments
cut without Whoosh's tokens.
"""
