"""Writing entries in each format, one module each: ``export(entries, vocabularies)`` gives the
file's text (the site's whole-inventory downloads and ``kb export``)."""
