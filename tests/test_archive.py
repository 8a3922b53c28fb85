"""The committed dead mark (url_status: dead) and archive field: on the entry page next to the
link, and in the exports instead of the dead url. Nothing here reads kb links' local cache."""

from __future__ import annotations

from conftest import MINIMAL, make_entry
from kb.project import Project


def test_a_dead_mark_shows_on_the_page_and_the_exports_give_the_archive(tmp_path):
    entries = tmp_path / "entries"
    entries.mkdir()
    make_entry(
        entries,
        "etude",
        MINIMAL + "url: https://old.example.org/etude.pdf\nurl_status: dead\n"
        "archive: https://web.archive.org/web/2020/https://old.example.org/etude.pdf\n",
    )
    make_entry(
        entries,
        "plan",
        MINIMAL.replace("Une étude", "Un plan") + "url: https://example.org/plan\n"
        "archive: https://web.archive.org/web/2021/https://example.org/plan\n",
    )
    project = Project(root=tmp_path)
    try:
        project.build(search=False)
    finally:
        project.close()
    site = tmp_path / "site"
    page = (site / "fr" / "entries" / "etude" / "index.html").read_text()
    assert '<span class="dead">lien mort</span> <del><a class="url" href="https://old.example.org/etude.pdf"' in page
    assert 'href="https://web.archive.org/web/2020/https://old.example.org/etude.pdf"' in page
    assert "dode link" in (site / "nl" / "entries" / "etude" / "index.html").read_text()
    archive = "https://web.archive.org/web/2020/https://old.example.org/etude.pdf"
    exports = sorted((site / "export").glob("kb.*"))
    assert len(exports) == 3
    for export in exports:  # the whole-inventory downloads (an entry has no export file of its own)
        text = export.read_text()
        assert archive in text and "old.example.org" not in text.replace(archive, "")
        assert "https://example.org/plan" in text  # not dead: its own url
    assert "web.archive.org" not in (site / "fr" / "entries" / "plan" / "index.html").read_text().split("<main", 1)[0]
    plan = (site / "fr" / "entries" / "plan" / "index.html").read_text()
    assert "lien mort" not in plan and "Copie archivée" in plan


def test_url_status_knows_one_word():
    from kb.entries.schema import parse_bytes

    text = f"---\n{MINIMAL}url: https://example.org/x\nurl_status: gone\n---\nUn texte.\n".encode()
    parsed = parse_bytes(text, "etude-x", "entries/etude-x.md")
    assert [(p.line, p.what.key) for p in parsed.problems] == [(9, "check.not_mark")]
    assert parse_bytes(text.replace(b"gone", b"dead"), "etude-x", "entries/etude-x.md").entry.url_status == "dead"
