"""The controlled vocabularies: every file loads, every term has its three labels, the territories
are the real 19 communes and 5 bassins, suggestions find what a contributor meant, and a broken
vocabulary file is refused with a message naming it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import REPO

from kb.entries import vocab
from kb.cli import cli
from kb.entries.vocab import DIMENSIONS, LANGS, VOCAB_DIR, VocabularyError

NAMES = sorted(set(DIMENSIONS.values()))
COMMUNES = [str(nis) for nis in range(21001, 21020)]


@pytest.fixture(scope="module")
def vocabularies() -> vocab.Vocabularies:
    return vocab.load()


def raw_items(name: str) -> list[dict]:
    """A vocabulary file as plain YAML, without kb's loader in between."""
    return yaml.safe_load((VOCAB_DIR / f"{name}.yaml").read_text(encoding="utf-8"))


def test_every_field_has_a_vocabulary_file() -> None:
    assert sorted(p.stem for p in VOCAB_DIR.glob("*.yaml")) == NAMES
    assert list(DIMENSIONS) == ["type", "scale", "criteria", "basis", "partners", "territories", "language"]


@pytest.mark.parametrize("name", NAMES)
def test_vocabulary_loads_every_item_of_its_file(vocabularies: vocab.Vocabularies, name: str) -> None:
    items = raw_items(name)
    assert [term.id for term in vocabularies[name]] == [item["id"] for item in items]
    assert len(vocabularies[name]) == len(items) > 0


@pytest.mark.parametrize("name", NAMES)
def test_ids_are_unique_in_the_file(name: str) -> None:
    ids = [item["id"] for item in raw_items(name)]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


@pytest.mark.parametrize("name", NAMES)
def test_ids_are_lowercase_ascii(name: str) -> None:
    bad = [item["id"] for item in raw_items(name) if not re.fullmatch(r"[a-z0-9_]+", str(item["id"]))]
    assert bad == []


@pytest.mark.parametrize("name", NAMES)
def test_every_term_has_fr_nl_en_labels(vocabularies: vocab.Vocabularies, name: str) -> None:
    for term in vocabularies[name]:
        assert set(term.labels) == set(LANGS), term.id
        for lang in LANGS:
            assert isinstance(term.labels[lang], str) and term.labels[lang].strip(), (term.id, lang)
            assert term.label(lang) == term.labels[lang]


def test_for_field_uses_the_dimension_mapping(vocabularies: vocab.Vocabularies) -> None:
    for field_name, name in DIMENSIONS.items():
        assert vocabularies.for_field(field_name) is vocabularies[name]
    assert vocabularies.for_field("scale").name == "scales"


@pytest.mark.parametrize(
    "field_name,term_id,lang,label",
    [
        ("scale", "bassin", "fr", "Bassin d'aide et de soins"),
        ("scale", "bassin", "nl", "Zorgzone"),
        ("scale", "bassin", "en", "Care basin"),
        ("territories", "21004", "nl", "Brussel"),
        ("territories", "21004", "en", "City of Brussels"),
        ("language", "nl", "fr", "Néerlandais"),
        ("type", "vision_note", "en", "Vision paper"),
        # An id that is not in the vocabulary is shown as it is, never as an error.
        ("scale", "not_a_scale", "fr", "not_a_scale"),
    ],
)
def test_labels(vocabularies: vocab.Vocabularies, field_name: str, term_id: str, lang: str, label: str) -> None:
    assert vocabularies.label(field_name, term_id, lang) == label


def test_partner_short_name_is_the_abbreviation(vocabularies: vocab.Vocabularies) -> None:
    assert vocabularies["partners"]["cbcs"].short() == "CBCS"
    assert vocabularies["types"]["study"].short("nl") == "Studie"  # no abbr: the label


def test_the_19_communes_by_nis_code(vocabularies: vocab.Vocabularies) -> None:
    communes = [t for t in vocabularies["territories"] if t.extra.get("kind") == "commune"]
    assert [t.id for t in communes] == COMMUNES
    assert vocabularies["territories"]["21001"].labels == {"fr": "Anderlecht", "nl": "Anderlecht", "en": "Anderlecht"}
    assert vocabularies["territories"]["21004"].label("fr") == "Bruxelles"
    assert vocabularies["territories"]["21019"].label("fr") == "Woluwe-Saint-Pierre"
    # Every commune has its own cell on the tile-grid map.
    tiles = [tuple(t.extra["tile"]) for t in communes]
    assert len(set(tiles)) == 19


def test_the_region(vocabularies: vocab.Vocabularies) -> None:
    region = vocabularies["territories"]["region"]
    assert region.extra == {"kind": "region", "nis": "04000"}
    assert region.label("fr") == "Région de Bruxelles-Capitale"


def test_the_5_bassins_cover_the_19_communes_exactly(vocabularies: vocab.Vocabularies) -> None:
    bassins = {t.id: t for t in vocabularies["territories"] if t.extra.get("kind") == "bassin"}
    assert sorted(bassins) == ["bassin_centre_ouest", "bassin_nord", "bassin_nord_est", "bassin_sud", "bassin_sud_est"]
    whole = [c for t in bassins.values() for c in t.extra.get("communes", [])]
    partial = [c for t in bassins.values() for c in t.extra.get("partial", [])]
    # Each commune is whole in exactly one bassin, except Bruxelles-Ville, split between several.
    assert sorted(whole) == [c for c in COMMUNES if c != "21004"]
    assert set(partial) == {"21004"}
    assert partial.count("21004") >= 2
    assert set(whole) | set(partial) == set(COMMUNES)


def test_each_bassin_lists_its_whole_communes_then_the_shared_one(vocabularies: vocab.Vocabularies) -> None:
    covered = {
        t.id: tuple(t.extra.get("communes", [])) + tuple(t.extra.get("partial", []))
        for t in vocabularies["territories"]
        if t.extra.get("kind") == "bassin"
    }
    assert covered["bassin_nord"] == ("21003", "21008", "21010", "21011", "21004")
    assert covered["bassin_nord_est"] == ("21006", "21014", "21015")
    assert sorted({c for communes in covered.values() for c in communes}) == COMMUNES
    assert sorted(name for name, communes in covered.items() if "21004" in communes) == [
        "bassin_centre_ouest",
        "bassin_nord",
        "bassin_sud",
    ]


@pytest.mark.parametrize(
    "name,value,expected",
    [
        ("scales", "regoin", "region"),  # typo in an id
        ("scales", "Région", "region"),  # a French label, accents and case aside
        ("scales", "zorgzone", "bassin"),  # a Dutch label
        ("scales", "Care basin", "bassin"),  # an English label
        ("scales", "quartier-social-sante", "quartier_social_sante"),  # hyphens for underscores
        ("territories", "Anderlecht", "21001"),  # a commune by its name
        ("territories", "Brussel", "21004"),
        ("territories", "Schaarbeek", "21015"),
        ("territories", "04000", "region"),  # the region by its NIS code
        ("territories", "bassin-nord", "bassin_nord"),
        ("criteria", "Accessibilité", "accessibility_proximity"),  # a label's first word
        ("criteria", "existing_ofer", "existing_offer"),
        ("partners", "CBCS", "cbcs"),  # an abbreviation
        ("types", "Étude", "study"),
        ("languages", "Nederlands", "nl"),
        ("scales", "xyzzy plugh", None),  # nothing close: no guess
    ],
)
def test_suggest(vocabularies: vocab.Vocabularies, name: str, value: str, expected: str | None) -> None:
    assert vocabularies[name].suggest(value) == expected


@pytest.mark.parametrize(
    "text,folded",
    [
        ("Région", "region"),
        ("ÉTUDE", "etude"),
        ("Zorgzone", "zorgzone"),
        ("Sint-Lambrechts-Woluwe", "sint-lambrechts-woluwe"),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert vocab.fold(text) == folded


def test_load_is_cached() -> None:
    assert vocab.load() is vocab.load()


def test_a_copy_of_the_files_loads_the_same(tmp_path: Path, vocabularies: vocab.Vocabularies) -> None:
    copy = tmp_path / "vocabularies"
    shutil.copytree(VOCAB_DIR, copy)
    loaded = vocab.load(copy)
    assert loaded is not vocabularies
    assert loaded.by_name == vocabularies.by_name


# Each case: the file to change, how (old text -> new text), the text the reported line starts
# with (its last occurrence; None: line 1), and the message that must follow the file and line.
MALFORMED = [
    pytest.param(
        "scales",
        ("  nl: Gewest\n", ""),
        "- id: region\n",
        "'region' has no label for nl -- add them",
        id="missing-label",
    ),
    pytest.param(
        "scales",
        ("  fr: Région\n  nl: Gewest\n  en: Region\n", "  fr: Région\n  nl: ''\n"),
        "- id: region\n",
        "'region' has no label for nl, en -- add them",
        id="empty-and-missing-labels",
    ),
    pytest.param(
        "types",
        ("- id: report\n", "- id: study\n"),
        "- id: study\n",
        "'study' is listed twice -- keep one",
        id="duplicate-id",
    ),
    pytest.param(
        "languages",
        (None, "fr: Français\nnl: Frans\n"),
        None,
        "a vocabulary is a list of '- id: ...' items"
        " -- write each value as '- id: ...' followed by its fr, nl and en labels, as the other files of kb/vocabularies do",
        id="mapping-not-list",
    ),
    pytest.param(
        "languages",
        (None, ""),
        None,
        "a vocabulary is a list of '- id: ...' items"
        " -- write each value as '- id: ...' followed by its fr, nl and en labels, as the other files of kb/vocabularies do",
        id="empty-file",
    ),
    pytest.param(
        "criteria",
        ("- id: population_size\n", "- identifier: population_size\n"),
        "- identifier: population_size\n",
        "item 1 has no text 'id'"
        " -- begin the item with '- id: ' and a short name in lowercase letters, digits and underscores",
        id="item-without-id",
    ),
    pytest.param(
        "types",
        ("- id: plan\n  fr: Plan\n  nl: Plan\n  en: Plan\n", "- plan\n"),
        "- plan\n",
        "item 3 has no text 'id'"
        " -- begin the item with '- id: ' and a short name in lowercase letters, digits and underscores",
        id="item-not-a-mapping",
    ),
    pytest.param(
        "types",
        ("- id: plan\n", "- id: 12\n"),
        "- id: 12\n",
        "item 3 has no text 'id'"
        " -- begin the item with '- id: ' and a short name in lowercase letters, digits and underscores",
        id="id-not-text",
    ),
]


def broken_copy(tmp_path: Path, name: str, change: tuple) -> Path:
    """A copy of the vocabularies with ``name``'s file changed (old text -> new text, or
    (None, text) for the whole file); returns that file."""
    copy = tmp_path / "vocabularies"
    shutil.copytree(VOCAB_DIR, copy)
    path = copy / f"{name}.yaml"
    old, new = change
    text = path.read_text(encoding="utf-8")
    if old is None:
        text = new
    else:
        assert old in text
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    return path


def line_of(path: Path, start: str | None) -> int:
    text = path.read_text(encoding="utf-8")
    return 1 if start is None else text[: text.rindex(start)].count("\n") + 1


@pytest.mark.parametrize("name,change,start,message", MALFORMED)
def test_malformed_vocabulary_names_the_file_and_line(
    tmp_path: Path, name: str, change: tuple, start: str | None, message: str
) -> None:
    path = broken_copy(tmp_path, name, change)
    with pytest.raises(VocabularyError) as raised:
        vocab.load(path.parent)
    assert str(raised.value) == f"{path}:{line_of(path, start)}: error: {message}"


def test_unreadable_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    path = broken_copy(tmp_path, "scales", (None, "- id: region\n  fr: Région\n  nl: [Gewest\n  en: Region\n"))
    with pytest.raises(VocabularyError, match=rf"^{re.escape(str(path))}:[34]: error: cannot read vocabulary: "):
        vocab.load(path.parent)


def test_not_utf8_names_the_file_and_line(tmp_path: Path) -> None:
    copy = tmp_path / "vocabularies"
    shutil.copytree(VOCAB_DIR, copy)
    (copy / "types.yaml").write_bytes("- id: study\n  fr: Étude\n".encode("latin-1"))
    with pytest.raises(
        VocabularyError,
        match=rf"^{re.escape(str(copy / 'types.yaml'))}:2: error: cannot read "
        "vocabulary: this line is not UTF-8 text -- save the file as UTF-8$",
    ):
        vocab.load(copy)


def test_missing_vocabulary_file(tmp_path: Path) -> None:
    copy = tmp_path / "vocabularies"
    shutil.copytree(VOCAB_DIR, copy)
    (copy / "scales.yaml").unlink()
    (copy / "types.yaml").unlink()
    with pytest.raises(VocabularyError) as raised:
        vocab.load(copy)
    assert str(raised.value) == (
        f"{copy}: error: missing vocabulary files: scales, types -- restore them (git checkout kb/vocabularies)"
    )


COMMANDS = [
    ["check"],
    ["index"],
    ["build", "--quiet"],
    ["search", "quartier"],
    ["search", "--scale", "region"],
    ["export"],
    ["stats"],
    ["vocab"],
    ["vocab", "scales"],
    ["serve", "--port", "0"],
    [
        "new",
        "--title",
        "Une étude",
        "--type",
        "study",
        "--year",
        "2021",
        "--scale",
        "region",
        "--criteria",
        "population_size",
        "--language",
        "fr",
    ],
    ["import", "refs.ris"],
]


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(("scales", ("  nl: Gewest\n", "")), id="value-error"),
        pytest.param(("scales", ("  nl: Gewest\n", "  nl: [Gewest\n")), id="yaml-error"),
    ],
)
def test_every_command_names_a_broken_vocabulary_file_and_line(tmp_path: Path, entries_dir: Path, fault) -> None:
    """A contributor's checkout (kb installed from it, as editable) with a broken vocabulary
    file: every command says which file and line, in one line, and changes nothing."""
    package = tmp_path / "checkout" / "kb"
    shutil.copytree(REPO / "kb", package, ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, "PYTHONPATH": str(package.parent)}
    subprocess.run([sys.executable, "-m", "kb", "index"], cwd=tmp_path, env=env, check=True, capture_output=True)
    store = (tmp_path / ".kb" / "kb.sqlite").read_bytes()
    name, change = fault
    path = broken_copy(tmp_path, name, change)
    (package / "vocabularies" / f"{name}.yaml").write_bytes(path.read_bytes())
    broken = f"checkout/kb/vocabularies/{name}.yaml"  # as the user typed the path: from the working folder
    (tmp_path / "refs.ris").write_text("TY  - RPRT\nTI  - Un rapport\nPY  - 2020\nER  - \n", encoding="utf-8")
    for command in COMMANDS:
        result = subprocess.run(
            [sys.executable, "-m", "kb", *command], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 1, command
        assert "Traceback" not in result.stderr, command
        errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
        assert len(errors) == 1, (command, result.stderr)
        pattern = rf"{re.escape(broken)}:[4-7]: error: .* -- "
        named = [line for line in result.stderr.splitlines() if re.search(pattern, line)]
        assert len(named) == 1, (command, result.stderr)  # kb serve: "not rebuilt: ...", then "no site to serve"
    assert not (tmp_path / "site").exists() and (tmp_path / ".kb" / "kb.sqlite").read_bytes() == store
    assert sorted(p.name for p in entries_dir.iterdir()) == sorted(
        p.name for p in (REPO / "entries").glob("*.md") if p.name != "README.md"
    )


# --- kb vocab --------------------------------------------------------------------------------


def test_kb_vocab_lists_the_vocabularies(runner: CliRunner, vocabularies: vocab.Vocabularies) -> None:
    result = runner.invoke(cli, ["vocab"])
    assert result.exit_code == 0
    assert result.output == "".join(f"{name} ({len(vocabularies[name])} values): kb vocab {name}\n" for name in NAMES)
    assert result.output.splitlines()[0] == f"bases ({len(raw_items('bases'))} values): kb vocab bases"
    assert "territories (25 values): kb vocab territories" in result.output.splitlines()


def test_kb_vocab_scales(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["vocab", "scales"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines == [f"{item['id']}\t{item['fr']} / {item['nl']} / {item['en']}" for item in raw_items("scales")]
    assert lines[:2] == [
        "region\tRégion / Gewest / Region",
        "bassin\tBassin d'aide et de soins / Zorgzone / Care basin",
    ]


@pytest.mark.parametrize("name", NAMES)
def test_kb_vocab_each(runner: CliRunner, name: str) -> None:
    result = runner.invoke(cli, ["vocab", name])
    assert result.exit_code == 0
    assert [line.split("\t")[0] for line in result.output.splitlines()] == [str(i["id"]) for i in raw_items(name)]


def test_kb_vocab_territories(runner: CliRunner) -> None:
    lines = runner.invoke(cli, ["vocab", "territories"]).output.splitlines()
    assert "21004\tBruxelles / Brussel / City of Brussels" in lines
    assert "bassin_nord\tBassin Nord / Zorgzone Noord / North care basin" in lines
    assert len(lines) == 1 + 19 + 5


@pytest.mark.parametrize("name", ["scale", "nope"])
def test_kb_vocab_unknown_name(runner: CliRunner, name: str) -> None:
    result = runner.invoke(cli, ["vocab", name])
    assert result.exit_code == 2
    assert "Error: Invalid value for" in result.output
    assert (
        f"'{name}' is not one of 'bases', 'criteria', 'languages', 'partners', 'scales', "
        "'territories', 'types'." in result.output
    )
