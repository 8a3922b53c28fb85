"""Writing entries in each format, one module each: ``export(entries, vocabularies)`` gives the
file's text, ``join(exports)`` joins single entries' files into one (the site's downloads)."""
