"""The static site: pages (Jinja2 templates), assets, Pagefind search, atomic output, preview.

Last stage of the pipeline. ``build`` plans a build and runs its steps; ``catalogue`` arranges
the entries as the site shows them (lists per value, related entries); ``pages`` makes every
file of the site with its key (a new page: a method there and a template in ``templates/``),
and ``entry_parts`` the parts of an entry page made in Python rather than Jinja, for speed;
``render`` renders pages in worker processes; ``output`` writes trees beside the live site and
swaps them in atomically; ``pagefind`` makes the search bundle. ``assets/`` holds the scripts
and styles; ``markup`` turns bodies into sanitised HTML; ``charts`` draws the figures of
``kb.stats``; ``opendata`` and ``propose`` make the open-data files and the proposal form's
data; ``serve`` is the local preview.
"""
