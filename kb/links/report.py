"""A ``kb links`` report as text lines (``file:line: severity: what -- what to do``), JSON,
Markdown (the scheduled workflow's issue) or GitHub annotations, in the languages asked.

Alive addresses are counted, never listed: a report is about what needs a person.
"""

from __future__ import annotations

import json
from typing import Callable

from kb import i18n
from kb.entries.problems import Problem
from kb.links.run import Finding, Report

ORDER = ("dead", "moved", "unchecked")


def _reason(finding: Finding) -> i18n.Message:
    return i18n.message(finding.result.reason or "links.reason.failed", status=finding.result.status)


def problem(finding: Finding) -> Problem | None:
    """The finding as a problem on the entry's line; None for an address that answers."""
    link, result = finding.link, finding.result
    where = (link.path, link.line)
    if result.outcome == "dead":
        if link.field == "doi":
            return Problem.of(*where, "error", "links.dead_doi", url=link.value, reason=_reason(finding))
        key = "links.dead" if finding.snapshot else "links.dead_search"
        return Problem.of(*where, "error", key, url=link.value, reason=_reason(finding), archive=finding.archive)
    if result.outcome == "moved":
        return Problem.of(*where, "warning", "links.moved", url=link.value, target=result.target)
    if result.outcome == "unchecked":
        return Problem.of(*where, "warning", "links.unchecked", url=link.value, reason=_reason(finding))
    return None


def summary(report: Report, lang: str) -> str:
    return i18n.t(
        lang,
        "links.summary",
        links=len(report.findings),
        cached=report.cached,
        alive=report.count("alive"),
        moved=report.count("moved"),
        dead=report.count("dead"),
        unchecked=report.count("unchecked"),
    )


def _listed(report: Report) -> list[Finding]:
    return [f for f in report.findings if f.result.outcome in ORDER]


def text(report: Report, langs: tuple[str, ...]) -> list[str]:
    return [p.render(lang) for f in _listed(report) if (p := problem(f)) for lang in langs]


def github(report: Report, langs: tuple[str, ...]) -> list[str]:
    return [p.github(langs, title="kb links") for f in _listed(report) if (p := problem(f))]


def as_json(report: Report) -> str:
    rows = []
    for f in report.findings:
        link, result = f.link, f.result
        rows.append(
            {
                "path": link.path,
                "line": link.line,
                "entry": link.entry_id,
                "field": link.field,
                "value": link.value,
                "address": link.address,
                **result.as_dict(),
                "cached": f.cached,
                "archive": f.archive,
                "snapshot": f.snapshot,
                "marked_dead": link.marked_dead,
            }
        )
    counts = {outcome: report.count(outcome) for outcome in ("alive", *ORDER)}
    return json.dumps(
        {"summary": {"links": len(report.findings), "cached": report.cached, **counts}, "links": rows},
        ensure_ascii=False,
        indent=1,
    )


def _cell(value: str) -> str:
    return value.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def markdown(report: Report, lang: str, file_url: Callable[[str, int], str] | None = None) -> str:
    """The report in ``lang`` as Markdown: a summary, then a table per kind of finding."""

    def t(key: str, **values: object) -> str:
        return i18n.t(lang, key, **values)

    lines = [f"## {t('links.title')}", "", summary(report, lang), ""]
    if not _listed(report):
        lines += [t("links.all_alive"), ""]
    for outcome in ORDER:
        found = [f for f in report.findings if f.result.outcome == outcome]
        if not found:
            continue
        header = (
            f"| {t('links.column.entry')} | {t('links.column.address')} | {t('links.column.state')} "
            f"| {t('links.column.next')} |"
        )
        lines += [f"### {t('links.heading.' + outcome)} ({len(found)})", "", header, "|---|---|---|---|"]
        for f in found:
            where = f"{f.link.path}:{f.link.line}"
            if file_url:
                where = f"[{where}]({file_url(f.link.entry_id, f.link.line)})"
            state = _reason(f).render(lang) if f.result.outcome != "moved" else str(f.result.status)
            if f.result.outcome == "moved":
                after = t("links.moved_to", target=f.result.target)
            elif f.result.outcome == "dead" and f.archive:
                after = t("links.column.snapshot" if f.snapshot else "links.column.search", archive=f.archive)
            else:
                after = ""
            lines.append(f"| {_cell(where)} | {_cell(f.link.value)} | {_cell(state)} | {_cell(after)} |")
        lines.append("")
    return "\n".join(lines)
