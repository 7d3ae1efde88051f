"""The ``pmtheater`` command: every subcommand and output format, run as the real console script."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import EXAMPLE_SITE, REPO, SiteFactory, minimal_incident

from mkdocs_pmtheater.cli.new import next_id, slugify
from mkdocs_pmtheater.cli.validate import github_annotation
from mkdocs_pmtheater.load.schema import load_schema
from mkdocs_pmtheater.model.problems import Problem


def script() -> str:
    """The console script of this Python's environment (next to it, as in a virtualenv),
    never one found on PATH: the tests check this checkout, not another installation."""
    found = Path(sys.executable).parent / "pmtheater"
    assert found.is_file(), f"{found} is missing: pip install -e '.[test]' in this environment"
    return str(found)


def pmtheater(*args: str, cwd: Path, env: dict[str, str] | None = None
              ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([script(), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={**os.environ, **(env or {})})


BAD = """\
id: INC-BAD
title: Broken one
severity: SEV9
started_at: 2024-03-14T14:02:00Z
sumary: Typo.
"""


def write_site(site: SiteFactory) -> SiteFactory:
    site.incident("2024/a.yaml", minimal_incident("INC-2024-031", "Cache stampede"))
    site.incident("2024/b.yaml", minimal_incident("INC-2024-007", "Older one"))
    site.page("runbooks/cache.md", "# Cache\n")
    (site.root / "mkdocs.yml").write_text(yaml.safe_dump(site.config, sort_keys=False))
    return site


def test_validate_a_clean_site(site: SiteFactory) -> None:
    write_site(site)
    done = pmtheater("validate", cwd=site.root)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert "2 incident files, no problems" in done.stderr


def test_validate_reports_exactly_what_the_build_reports(site: SiteFactory) -> None:
    write_site(site)
    site.incident("2024/bad.yaml", BAD)
    site.incident("2024/dup.yaml", minimal_incident("inc-2024-031", "Same id"))
    site.incident("2024/prop.yaml", minimal_incident("INC-P") + "setting:\n  props:\n"
                  "    - name: Runbook\n      page: runbooks/cahce.md\n")
    site.incident("index.yaml", minimal_incident("index"))
    built = site.build()
    from_build = sorted(w.removeprefix("mkdocs_pmtheater: ") for w in built.warnings)
    done = pmtheater("validate", cwd=site.root)
    assert done.returncode == 1
    assert sorted(done.stdout.splitlines()) == from_build
    assert len(from_build) == 6
    assert "4 problems" not in done.stderr and "6 problems in 4 of 6 incident files" in done.stderr


def test_validate_paths_reports_the_given_files_and_their_duplicates(site: SiteFactory) -> None:
    write_site(site)
    site.incident("2024/bad.yaml", BAD)
    # The build reports a duplicate id on the later file: c.yaml's id clashes with a.yaml's.
    site.incident("2024/c.yaml", minimal_incident("INC-2024-031", "Clash"))
    a = "docs/incidents/2024/a.yaml"
    done = pmtheater("validate", a, cwd=site.root)
    assert done.returncode == 1
    assert done.stdout.startswith("docs/incidents/2024/c.yaml:1:5: id: The id 'INC-2024-031' is "
                                  "already used by docs/incidents/2024/a.yaml:1")
    assert "bad.yaml" not in done.stdout
    assert pmtheater("validate", "docs/incidents/2024/b.yaml", cwd=site.root).returncode == 0
    # Folders are read recursively.
    folder = pmtheater("validate", "docs/incidents", "--format", "json", cwd=site.root)
    assert {p["file"] for p in json.loads(folder.stdout)["problems"]} == {
        "docs/incidents/2024/bad.yaml", "docs/incidents/2024/c.yaml"}


def test_validate_text_format_names_file_line_column(site: SiteFactory) -> None:
    write_site(site)
    site.incident("2024/bad.yaml", BAD)
    done = pmtheater("validate", cwd=site.root)
    lines = done.stdout.splitlines()
    assert any(line.startswith("docs/incidents/2024/bad.yaml:3:11: severity:") and "SEV9" in line
               for line in lines)
    assert any(line.startswith("docs/incidents/2024/bad.yaml:5:1: sumary: Unknown key 'sumary'."
                               " Did you mean 'summary'?") for line in lines)


def test_validate_github_format(tmp_path: Path) -> None:
    # No mkdocs.yml anywhere: files outside any site are checked with the defaults.
    folder = tmp_path / "odd, name: here"
    folder.mkdir()
    (folder / "bad.yaml").write_text(BAD)
    (folder / "ok.yaml").write_text(minimal_incident("INC-OK"))
    (folder / "broken.yaml").write_text("id: INC-X\ntitle: [unclosed\n")
    done = pmtheater("validate", "--format", "github", str(folder), cwd=tmp_path)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert all(line.startswith("::error file=odd%2C name%3A here/") for line in lines), lines
    typo = next(line for line in lines if "sumary" in line)
    assert typo == ("::error file=odd%2C name%3A here/bad.yaml,line=5,col=1,"
                    "title=pmtheater%3A sumary::sumary: Unknown key 'sumary'. "
                    "Did you mean 'summary'?")
    assert any(line.startswith("::error file=odd%2C name%3A here/broken.yaml,line=2,col=8,")
               for line in lines)
    assert not any("ok.yaml" in line for line in lines)


def test_github_annotation_escapes_workflow_command_characters() -> None:
    problem = Problem("a,b:c%\r\n.yaml", 3, 0, "x", "50% of\r\nlines", "fix: it, now")
    # A problem's text is one line: line breaks in a message are spelled out (\r\n), so
    # only the file property still needs the workflow command's %0D%0A.
    assert github_annotation(problem) == (
        "::error file=a%2Cb%3Ac%25%0D%0A.yaml,line=3,col=1,title=pmtheater%3A x::"
        "x: 50% of\\r\\nlines. Fix: it, now.".replace("50% ", "50%25 "))
    whole = Problem("f.yaml", 0, 0, "", "the file is empty")
    assert github_annotation(whole) == "::error file=f.yaml,title=pmtheater::The file is empty."
    resolved = Problem("f.yaml", 4, 13, "started_at", "happened twice", blocking=False)
    assert github_annotation(resolved).startswith("::warning file=f.yaml,line=4,col=13,")


def test_validate_json_format(site: SiteFactory) -> None:
    write_site(site)
    site.incident("2024/bad.yaml", BAD)
    done = pmtheater("validate", "--format", "json", cwd=site.root)
    report = json.loads(done.stdout)
    assert report["ok"] is False and report["checked"] == 3
    first = report["problems"][0]
    assert set(first) == {"file", "line", "column", "field", "message", "hint"}
    assert {(p["line"], p["field"]) for p in report["problems"]} == {(3, "severity"),
                                                                     (5, "sumary"), (1, "summary")}
    clean = json.loads(pmtheater("validate", "docs/incidents/2024/a.yaml", "--format", "json",
                                 cwd=site.root).stdout)
    assert clean == {"checked": 1, "ok": True, "problems": []}


def test_validate_finds_the_site_of_each_file(tmp_path: Path) -> None:
    # Run from above the site, as pre-commit does in a repository with the docs in a folder.
    shutil.copytree(EXAMPLE_SITE, tmp_path / "example-site",
                    ignore=shutil.ignore_patterns("site"))
    incident = tmp_path / "example-site/docs/incidents/2024/2024-03-14-checkout-cache-stampede.yaml"
    done = pmtheater("validate", str(incident.relative_to(tmp_path)), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    text = incident.read_text().replace("page: runbooks/cache-eviction.md",
                                        "page: runbooks/cache-evictoin.md")
    incident.write_text(text)
    done = pmtheater("validate", str(incident.relative_to(tmp_path)), cwd=tmp_path)
    assert done.returncode == 1
    assert "Did you mean 'runbooks/cache-eviction.md'?" in done.stdout
    assert done.stdout.startswith("example-site/docs/incidents/2024/")
    # --config-file names the site explicitly.
    explicit = pmtheater("-f", "example-site/mkdocs.yml", "validate", cwd=tmp_path)
    assert explicit.returncode == 1 and "cache-evictoin" in explicit.stdout


def test_validate_reads_the_plugin_options(site: SiteFactory) -> None:
    site.config["plugins"] = ["search", {"pmtheater": {
        "incidents_dir": "postmortems", "severities": ["P0", "P1"]}}]
    site.page("postmortems/x.yaml", minimal_incident("INC-1").replace("SEV3", "P1"))
    (site.root / "mkdocs.yml").write_text(yaml.safe_dump(site.config))
    done = pmtheater("validate", cwd=site.root)
    assert done.returncode == 0, done.stdout
    assert "1 incident file" in done.stderr
    site.config["plugins"] = [{"pmtheater": {"drafts": "sometimes"}}]
    (site.root / "mkdocs.yml").write_text(yaml.safe_dump(site.config))
    bad = pmtheater("validate", cwd=site.root)
    assert bad.returncode == 2
    assert "plugins.pmtheater.drafts" in bad.stderr and "Traceback" not in bad.stderr


def test_validate_reads_zensical_toml(tmp_path: Path) -> None:
    """A site with only a zensical.toml: its [project.plugins.pmtheater] options count."""
    (tmp_path / "zensical.toml").write_text(
        '[project]\nsite_name = "Z"\n\n[project.plugins.pmtheater]\n'
        'incidents_dir = "postmortems"\nseverities = ["P0", "P1"]\n', encoding="utf-8")
    folder = tmp_path / "docs" / "postmortems"
    folder.mkdir(parents=True)
    (folder / "x.yaml").write_text(minimal_incident("INC-1").replace("SEV3", "P1"),
                                   encoding="utf-8")
    done = pmtheater("validate", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 incident file" in done.stderr
    given = pmtheater("validate", "docs/postmortems/x.yaml", cwd=tmp_path)
    assert given.returncode == 0, given.stdout + given.stderr
    (folder / "y.yaml").write_text(minimal_incident("INC-2"), encoding="utf-8")  # SEV3
    bad = pmtheater("validate", cwd=tmp_path)
    assert bad.returncode == 1
    assert "docs/postmortems/y.yaml" in bad.stdout and "severity" in bad.stdout


def test_validate_missing_file(tmp_path: Path) -> None:
    done = pmtheater("validate", "nope.yaml", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout.strip() == "nope.yaml: There is no such file."


# -- new --------------------------------------------------------------------------------
def test_next_id_follows_the_site_style() -> None:
    assert next_id(["INC-2024-031", "INC-2024-007", "INC-2023-120"], 2024) == "INC-2024-032"
    assert next_id(["INC-2024-031"], 2025) == "INC-2025-001"
    assert next_id(["PM-2024_0042"], 2024) == "PM-2024_0043"
    assert next_id(["OUTAGE-17", "OUTAGE-9"], 2026) == "OUTAGE-18"
    assert next_id([], 2026) == "INC-2026-001"
    assert next_id(["inc-2026-001"], 2026) == "inc-2026-002"


def test_slugify() -> None:
    assert slugify("Checkout errors: café <b>cache</b> (EU)!") == \
        "checkout-errors-cafe-b-cache-b-eu"
    assert len(slugify("word " * 40)) <= 60


def test_new_writes_a_valid_commented_file_that_builds(site: SiteFactory) -> None:
    write_site(site)
    schema = site.root / "schemas" / "incident.schema.json"
    done = pmtheater("new", "Payments down: the sequel", "--severity", "sev2",
                     "--date", "2024-05-02", cwd=site.root)
    assert done.returncode == 0, done.stderr
    path = site.root / done.stdout.strip()
    assert path == site.root / "docs/incidents/2024/2024-05-02-payments-down-the-sequel.yaml"
    text = path.read_text()
    assert text.startswith("# yaml-language-server: $schema=../../../schemas/"
                           "incident.schema.json\n")
    assert json.loads(schema.read_text()) == load_schema(["SEV1", "SEV2", "SEV3", "SEV4", "SEV5"])
    data = yaml.safe_load(text)
    assert data["id"] == "INC-2024-032"
    assert data["severity"] == "SEV2"
    assert data["title"] == "Payments down: the sequel"
    assert str(data["started_at"]).startswith("2024-05-02")
    assert sum(line.lstrip().startswith("#") for line in text.splitlines()) > 60
    # The editor's schema accepts it, and the site builds with it, strictly.
    jsonschema.validate(json.loads(json.dumps(data, default=str)), json.loads(schema.read_text()))
    built = site.build(strict=True)
    assert built.exists("incidents/inc-2024-032/")
    # A second one in another year, following the first file's $schema convention.
    again = pmtheater("new", "Second", "--date", "2025-01-03", cwd=site.root)
    second = site.root / again.stdout.strip()
    assert yaml.safe_load(second.read_text())["id"] == "INC-2025-001"
    assert "$schema=../../../schemas/incident.schema.json" in second.read_text()


def test_new_refuses_a_taken_id_and_unknown_severity(site: SiteFactory) -> None:
    write_site(site)
    taken = pmtheater("new", "X", "--id", "inc-2024-031", cwd=site.root)
    assert taken.returncode == 2 and "already has this id" in taken.stderr
    severity = pmtheater("new", "X", "--severity", "SEV6", cwd=site.root)
    assert severity.returncode == 2 and "SEV6" in severity.stderr
    assert not list((site.root / "docs/incidents").rglob("*-x.yaml"))


def test_new_uses_today_and_the_build_date(site: SiteFactory, build_epoch: str) -> None:
    write_site(site)
    done = pmtheater("new", "Today", "--schema", "https://docs.example.test/incidents/schema.json",
                     cwd=site.root, env={"SOURCE_DATE_EPOCH": build_epoch})
    path = site.root / done.stdout.strip()
    assert path.name == "2026-11-26-today.yaml"
    assert path.read_text().startswith(
        "# yaml-language-server: $schema=https://docs.example.test/incidents/schema.json\n")
    assert yaml.safe_load(path.read_text())["id"] == "INC-2026-001"


# -- schema and export ---------------------------------------------------------------------
def test_schema_prints_the_sites_schema(site: SiteFactory, tmp_path: Path) -> None:
    site.config["plugins"] = [{"pmtheater": {"severities": ["Critical", "Major", "Minor"]}}]
    (site.root / "mkdocs.yml").write_text(yaml.safe_dump(site.config))
    done = pmtheater("schema", cwd=site.root)
    assert done.returncode == 0
    schema = json.loads(done.stdout)
    assert schema == load_schema(["Critical", "Major", "Minor"])
    default = json.loads(pmtheater("schema", cwd=tmp_path).stdout)
    assert default == json.loads((REPO / "schemas/incident.schema.json").read_text())


def test_export_prints_every_valid_incident(site: SiteFactory) -> None:
    write_site(site)
    site.incident("2024/bad.yaml", BAD)
    done = pmtheater("export", cwd=site.root)
    assert done.returncode == 1  # a file has problems: they go to stderr
    assert "bad.yaml:5:1" in done.stderr
    data = json.loads(done.stdout)
    assert [i["id"] for i in data["incidents"]] == ["INC-2024-031", "INC-2024-007"]
    first = data["incidents"][0]
    assert first["url"] == "https://docs.example.test/incidents/inc-2024-031/"
    assert first["started_at"] == "2024-03-14T14:02:00Z"
    assert first["source"] == "incidents/2024/a.yaml"
    out = site.root / "all.json"
    assert pmtheater("export", "-o", str(out), cwd=site.root).returncode == 1
    assert json.loads(out.read_text()) == data


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    done = pmtheater("validate", "--format", "xml", cwd=tmp_path)
    assert done.returncode == 2
    missing = pmtheater("-f", "nope.yml", "validate", cwd=tmp_path)
    assert missing.returncode == 2 and "no such config file" in missing.stderr


@pytest.mark.parametrize("command", ["new", "validate", "schema", "export"])
def test_help(command: str, tmp_path: Path) -> None:
    done = pmtheater(command, "--help", cwd=tmp_path)
    assert done.returncode == 0 and f"pmtheater {command}" in done.stdout


def test_validate_benchmark_runs(tmp_path: Path) -> None:
    """benchmarks/validate.py end to end on a small corpus (exercised, not timed)."""
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "validate.py"), "--count", "12",
         "--out", str(tmp_path / "bench")],
        capture_output=True, text=True, timeout=600, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "12 files; pmtheater validate takes" in done.stdout
    assert "check-jsonschema" in done.stdout
