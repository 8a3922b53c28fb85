"""The GitHub workflows are safe against what an issue or a fork can hold: zizmor (offline)
finds nothing: no template injection, least permissions, no persisted credentials."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import REPO


def test_zizmor_finds_nothing():
    zizmor = shutil.which("zizmor") or str(Path(sys.executable).with_name("zizmor"))
    run = subprocess.run(
        [zizmor, "--offline", "--no-progress", str(REPO / ".github" / "workflows")],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_issue_text_never_enters_a_shell_expression():
    for workflow in (REPO / ".github" / "workflows").glob("*.yml"):
        for number, line in enumerate(workflow.read_text(encoding="utf-8").splitlines(), 1):
            if "github.event.issue" in line or "github.event.pull_request.title" in line:
                assert line.strip().startswith(("ISSUE", "BRANCH:", "group:", "if:", "ENTRY")), (
                    f"{workflow.name}:{number}"
                )


def test_links_workflow_runs_weekly_and_on_demand_and_may_only_write_issues():
    import yaml

    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "links.yml").read_text(encoding="utf-8"))
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert set(triggers) == {"schedule", "workflow_dispatch"} and len(triggers["schedule"]) == 1
    assert workflow["permissions"] == {}
    (job,) = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "read", "issues": "write"}
    script = "\n".join(step.get("run", "") for step in job["steps"])
    assert "kb links --format markdown" in script and "--body-file links-report.md" in script
    assert "gh issue close" in script and "gh issue edit" in script and "gh issue create" in script


def test_site_workflow_keeps_the_trees_and_state_of_the_build_between_deploys(tmp_path):
    """The site workflow restores, before the build, and saves, after it, the folders `kb build`
    keeps between builds (the live tree, the one beside it, .kb/), so that a deploy writes only
    what changed since the last one (kb.site.output.adopt)."""
    import yaml

    from kb.project import Project
    from kb.site.output import staging_path

    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "site.yml").read_text(encoding="utf-8"))
    steps = workflow["jobs"]["build"]["steps"]
    uses = [step.get("uses", "").split("@")[0] for step in steps]
    restore, save = uses.index("actions/cache/restore"), uses.index("actions/cache/save")
    build = next(n for n, step in enumerate(steps) if step.get("run", "").startswith("kb build"))
    assert restore < build < save < uses.index("actions/upload-pages-artifact")
    project = Project(root=tmp_path)
    try:
        site = project.site_dir.relative_to(tmp_path)
        kept = {".kb", str(site), str(staging_path(project.site_dir).relative_to(tmp_path))}
    finally:
        project.close()
    for step in (steps[restore], steps[save]):
        assert set(step["with"]["path"].split()) == kept
    assert steps[save]["with"]["key"] == steps[restore]["with"]["key"]
    assert steps[restore]["with"]["restore-keys"] == steps[restore]["with"]["key"].split("$")[0]
