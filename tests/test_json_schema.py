"""The JSON Schema of an entry (kb schema): committed and current, every shipped entry valid,
bad front matter invalid."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from conftest import REPO, STARTER
from kb.entries import json_schema, vocab
from kb.entries.schema import _Loader

COMMITTED = REPO / "entries" / "entry.schema.json"


def front(text: str) -> object:
    return yaml.load(text.split("---\n", 2)[1], Loader=_Loader)


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(COMMITTED.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_the_committed_schema_is_current():
    assert COMMITTED.read_text(encoding="utf-8") == json_schema.dumps(vocab.load()), (
        "run: kb schema -o entries/entry.schema.json"
    )


def test_every_shipped_entry_is_valid(validator):
    paths = [p for p in STARTER.glob("*.md") if p.name != "README.md"]
    assert paths
    for path in paths:
        errors = [e.message for e in validator.iter_errors(front(path.read_text(encoding="utf-8")))]
        assert errors == [], path.name


GOOD = "title: T\ntype: report\nyear: 2020\nscale: region\ncriteria: [existing_offer]\nlanguage: fr\nterritories: [21004, bassin_nord]\n"


@pytest.mark.parametrize(
    "bad",
    [
        GOOD.replace("type: report", "type: rapport"),
        GOOD.replace("year: 2020", "year: deux mille"),
        GOOD.replace("scale: region", "scale: []"),
        GOOD.replace("language: fr", "language: de"),
        GOOD + "url: ftp://example.org/x\n",
        GOOD + "doi: 11.1/x\n",
        GOOD + "date: 2020/05\n",
        GOOD + "brief: extra\n",
        GOOD.replace("title: T\n", ""),
        GOOD.replace("title: T", "title: " + "x" * 501),
    ],
)
def test_bad_front_matter_is_invalid(validator, bad):
    assert validator.is_valid(front(f"---\n{GOOD}---\n"))
    assert not validator.is_valid(front(f"---\n{bad}---\n"))


def test_kb_schema_prints_it(runner):
    from kb.cli import cli

    result = runner.invoke(cli, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.output)["required"] == ["title", "type", "year", "scale", "criteria", "language"]
