"""Names vulture reports as unused although something calls them, each with what does.

vulture (run by scripts/test over kb/ and scripts/ with this file, `[tool.vulture]` in
pyproject.toml) finds code nothing refers to by name. It cannot see a name used by a Jinja
template, by a library calling a method it defines (a subclass's hook), or by a decorator's
registry (click commands are left out by `ignore_decorators` there). Each such name is listed
here as `_.name`: vulture then counts it as used. This file is read, never imported or run.

A name vulture reports that is not listed here is dead: remove it, or, if it is kept only for a
test or a benchmark, move it next to the test or say in its docstring which test relies on it.
"""

# kb/cli.py
_.shell_complete  # click.ParamType's hook: click calls it to complete vocabulary values in the shell

# kb/config.py: Config's fields and methods read by the templates (kb/site/templates/)
_.contact  # propose.html: the e-mail route for proposals
_.default_language  # splash.html: the language the root page offers first
_.edit_url  # entry.html: "edit this entry" on the forge
_.new_file_url  # propose.html: the forge's new-file page with the proposed entry
_.new_issue_url  # entry.html and propose.html: "report an error" and the proposal issue

# kb/entries/schema.py
_.yaml_implicit_resolvers  # PyYAML's resolver table, read by the loader: _Loader's is cut down

# kb/links/check.py
_.redirect_request  # urllib's HTTPRedirectHandler hook: returning None hands redirects back to the checker

# kb/store/database.py: nothing (the SQLite event's unused argument is named _connection_record)

# kb/search/engine/postings.py and kb/search/snippets.py: Whoosh calls these overrides of its classes
_.word_values  # whoosh.formats.Format: the postings of one field value
_.decode_positions  # whoosh.formats.Format: positions read back from a posting
_.decode_frequency  # whoosh.formats.Format: a term's frequency in a document
_._mini_weights  # whoosh.codec.whoosh3 posting block: the weights as written
_.field_writer  # whoosh.codec.base.Codec: the writer of a new segment's fields
_.postings_writer  # whoosh.codec.base.Codec: the writer of a new segment's postings
_.format_fragment  # whoosh.highlight.Formatter: one snippet with its matches marked
_._maxweight  # whoosh.codec.whoosh3 posting block statistics, read by W3TermInfo.add_block and _write_block
_._minlength  # the same (PostingsWriter.add_all sets them a block at a time)
_._maxlength  # the same

# kb/search/engine/writer.py: Whoosh's SegmentWriter calls its pool's
_.iter_postings  # whoosh.writing.SegmentWriter._flush_segment: the postings handed to the field writer

# kb/bibliography/exports/ris.py: rispy calls these overrides of RisWriter
_.DEFAULT_DELIMITER_MAPPING  # rispy.RisWriter: fields joined on one line, none here (one UR line per URL)
_.set_header  # rispy.RisWriter: the "1." line before each record, none here

# kb/site: methods and functions the templates call
_.other_languages  # entry.html: the entry's translations into the other languages
_.card  # news.html: one card per line of a month's list
_.own_places  # entry.html: the territories the entry is about itself
_.territory_groups  # search.html and propose.html: territories grouped by kind
_.search_terms  # entry.html: hidden words in French and Dutch that Pagefind indexes
_.search_meta  # entry.html: the Pagefind metadata search.js cannot fall back to
_.labels_json  # compare.html and search.html: the labels the page's script needs, as JSON
_.feed_updated  # feed.xml: the feed's <updated>
_.link_from  # map.html, matrix.html, overview.html: a link relative to the page
_.matrix_link  # matrix.html: a cell's link to its entries
_.basis_link  # matrix.html: a basis's link to its entries
_.form_data  # propose.html: the proposal form's vocabularies as JSON
_.log_message  # http.server's BaseHTTPRequestHandler hook: kb serve keeps the terminal for rebuilds
_.TreeProcessorClass  # markdown.extensions.toc.TocExtension builds its tree processor from this class
