"""Reading reference files into new entries, step by step: ``files`` (size, encoding, format),
one reader per format (``bibtex``, ``ris``, ``csljson``: text -> ``records.Raw``), ``fields``
(raw record -> kb fields, checked), ``duplicates`` (already in the inventory?) and ``writing``
(new entry files, all or none)."""
