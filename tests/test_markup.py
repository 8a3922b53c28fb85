"""Entry bodies to HTML (kb.site.markup): the inline shortcut renders as Markdown does; values
escaped as Jinja escapes them."""

from __future__ import annotations

import random

import pytest
from markupsafe import Markup, escape

from kb.site.markup import Renderer, escaped, markdown_instance, sanitize

BODIES = [
    "Une phrase sans rien de spécial, sur deux\nlignes.",
    "Du `code`, du ``code ` avec accent grave``, un \\*astérisque\\* échappé, un \\\\ seul.",
    '[Un lien](https://example.org/a "titre"), ![une image](https://example.org/i.png), '
    "[une référence][ref], [ref], ![image][ref] et ![ref].\n\n[ref]: https://example.org/r",
    "<https://example.org/auto> et <contact@example.org> et <mailto:info@example.org>.",
    "En 1986\\. une liste évitée et un dièse \\# échappé.",
    "Une ligne qui finit par deux espaces  \npuis la suivante.",
    'Du <abbr title="Centre public d\'action sociale">CPAS</abbr> et un <!-- commentaire --> ici.',
    "Des entités : &amp; &eacute; &#233; &#xE9; et un & seul.",
    "Des comparaisons : 3 < 4 > 2.",
    "*Accent*, **gras**, ***les deux*** et un * seul.",
    "_Souligné_, __gras__, un _ seul, snake_case_word.",
    "## Un titre *mis en valeur*\n\nTexte.\n\n### Un autre `titre`\n\nEncore.",
    "| Commune | Part |\n|---|---|\n| *Uccle* | 47 % |\n| [Evere](https://example.org) | 19 % |",
    "- un point\n- un point **gras**\n\n1. premier\n2. second avec `code`",
    "```\nbloc de *code* <b>\n```\n\n> Une citation avec [un lien](https://example.org).",
    "Rien\u00a0d'insécable, des « guillemets » et des accents : é è à ç ô — et un tiret.",
    # Blocks: each kind's test is skipped for blocks without its marks (kb.site.markup.BLOCK_MARKS).
    "Titre souligné\n===\n\nSous-titre\n---\n\nTexte - avec * des _ marques.",
    "#sans espace\n\n# Titre fermé #\n\nUn # au milieu.",
    "Avant\n\n* * *\n\n___\n\n- - -\n\nAprès, un tiret - seul.",
    "x | y\n--|--\n1 | 2\n\nUne barre | seule.",
    "> Une citation\n> sur deux lignes\n\n> > imbriquée\n\nEt 3 > 2.",
    "[a]: https://example.org/a\n[b]: https://example.org/b 'Titre'\n\n[a] et [b], puis [c]: pas une référence.",
    "~~~\ncode *tildé*\n~~~\n\nDes ~~ seuls.",
    "```python\nx = 1\n```\n\nDes `` seuls.",
    "<div>\nDu HTML en bloc\n</div>\n\nPuis du texte.",
    "R&D, AT&T; &amp; &copy et &#12; sans chevron.",
    "[TOC]\n\n## Premier\n\n### Sous-partie\n\n## Second",
    "## Même titre\n\n## Même titre\n\nLes ids restent uniques.",
]


@pytest.mark.parametrize("body", BODIES)
def test_a_body_renders_as_python_markdown_renders_it(body: str) -> None:
    stock = markdown_instance()
    assert Renderer()(body) == sanitize(stock.convert(body))


def test_the_shortcut_keeps_plain_text_and_leaves_the_rest_to_markdown() -> None:
    """Without any inline pattern's mark a sentence is kept as it is; with one it is rendered."""
    html = Renderer()("Une phrase simple.\n\nUne *autre*.")
    assert html == "<p>Une phrase simple.</p>\n<p>Une <em>autre</em>.</p>"


def test_values_are_escaped_as_jinja_escapes_them() -> None:
    """escaped (the page parts written in Python) writes what markupsafe.escape, Jinja's
    autoescape, writes: for text with every character that has an entity, numbers, markup."""
    rng = random.Random(7)
    alphabet = "&<>'\"ab é’\u00a0;#"
    texts = [
        "",
        "plain",
        "&amp;",
        *("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12))) for _ in range(500)),
    ]
    for value in [*texts, 2019, 3.5, None, Markup("<b>déjà sûr</b> &amp;")]:
        assert escaped(value) == str(escape(value)), value
        assert type(escaped(value)) is str
