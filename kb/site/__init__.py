"""The static site: pages (Jinja2 templates), assets, Pagefind search, atomic output, preview.

Last stage of the pipeline. ``build`` plans and writes the site and swaps it in atomically;
``templates/`` holds one template per kind of page (a new page: a template there and its entry
in ``build``); ``assets/`` the scripts and styles; ``markup`` turns bodies into sanitised HTML;
``charts`` draws the figures of ``kb.stats``; ``serve`` is the local preview.
"""
