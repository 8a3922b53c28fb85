"""``kb links``: are the sources the entries cite still where they say? (``check`` asks the
servers, ``archive`` suggests archived copies, ``run`` ties them to the entries and a cache,
``report`` prints the result, ``marks`` writes the dead mark into the entries.)"""
