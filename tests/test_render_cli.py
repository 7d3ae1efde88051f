"""``pmtheater render``: finding the site (zensical.toml or mkdocs.yml), exit status, --watch.

The pages themselves come from the core renderer and are checked on a real
Zensical build in ``test_zensical.py``; here the command's own parts run on
real files in temporary folders.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from mkdocs_pmtheater.cli.main import main, parser
from mkdocs_pmtheater.cli.render import (
    RenderError,
    find_site_config,
    load_site,
    manifest_path,
    render_once,
    watch_loop,
    watched_files,
)
from mkdocs_pmtheater.publish.outputs import Output
from mkdocs_pmtheater.zensical.writer import write_outputs


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def toml_site(tmp_path: Path) -> Path:
    write(tmp_path / "zensical.toml", """\
        [project]
        site_name = "Acme"
        docs_dir = "content"
        site_url = "https://docs.example.com/"
        repo_url = "https://github.com/acme/docs"
        edit_uri = "edit/main/content/"

        [project.plugins.pmtheater]
        incidents_dir = "postmortems"
        prefix = "pm"
        timezone = "Europe/Berlin"
        drafts = "hide"

        [project.plugins.pmtheater.catalogue]
        pages = ["index", "action-items"]

        [project.plugins.pmtheater.people]
        "@priya" = ["Priya Raman"]
        """)
    (tmp_path / "content" / "postmortems").mkdir(parents=True)
    return tmp_path


def test_zensical_toml_project_table_and_plugin_options_are_read(toml_site: Path) -> None:
    config = find_site_config(None, toml_site)
    assert config == toml_site / "zensical.toml"
    project = load_site(config, toml_site)
    assert project.docs_dir == toml_site / "content"
    assert project.incidents_dir == toml_site / "content" / "postmortems"
    assert project.options.prefix == "pm"
    assert project.options.timezone == "Europe/Berlin"
    assert project.options.drafts == "hide"
    assert list(project.options.catalogue.pages) == ["index", "action-items"]
    assert dict(project.options.people) == {"@priya": ["Priya Raman"]}
    assert project.config["site_url"] == "https://docs.example.com/"
    assert project.config["edit_uri"] == "edit/main/content/"
    assert manifest_path(project) == "pm/.pmtheater-generated.json"


def test_zensical_toml_is_preferred_over_mkdocs_yml_like_zensical_does(toml_site: Path) -> None:
    write(toml_site / "mkdocs.yml", "site_name: Other\n")
    assert find_site_config(None, toml_site) == toml_site / "zensical.toml"
    (toml_site / "zensical.toml").unlink()
    assert find_site_config(None, toml_site) == toml_site / "mkdocs.yml"


def test_mkdocs_yml_plugin_options_are_read_the_same_way(tmp_path: Path) -> None:
    write(tmp_path / "mkdocs.yml", """\
        site_name: Acme
        plugins:
          - search
          - pmtheater:
              prefix: pm
        """)
    project = load_site(find_site_config(None, tmp_path), tmp_path)
    assert project.options.prefix == "pm"
    assert project.docs_dir == tmp_path / "docs"


def test_a_bad_option_in_zensical_toml_names_the_key(toml_site: Path) -> None:
    config = toml_site / "zensical.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('"hide"', '"maybe"'),
                      encoding="utf-8")
    with pytest.raises(RenderError, match=r"plugins\.pmtheater\.drafts"):
        load_site(config, toml_site)


def test_broken_toml_exits_2_with_the_reason(tmp_path: Path, monkeypatch) -> None:
    write(tmp_path / "zensical.toml", "[project\nsite_name = 1\n")
    monkeypatch.chdir(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    assert main(["render"], out, err) == 2
    assert "zensical.toml: not valid TOML" in err.getvalue()


def test_config_file_option_before_or_after_the_subcommand(tmp_path: Path) -> None:
    assert parser().parse_args(["-f", "a.toml", "render"]).config_file == "a.toml"
    assert parser().parse_args(["render", "-f", "b.toml"]).config_file == "b.toml"
    assert parser().parse_args(["render", "--check"]).check is True
    with pytest.raises(SystemExit):
        parser().parse_args(["render", "--check", "--watch"])


def test_turned_off_publishes_nothing_and_removes_what_render_wrote(toml_site: Path) -> None:
    config = toml_site / "zensical.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        '[project.plugins.pmtheater]\n', '[project.plugins.pmtheater]\nenabled = false\n'),
        encoding="utf-8")
    project = load_site(config, toml_site)
    docs = project.docs_dir
    write_outputs(docs, [Output("pm/inc-1.md", b"<div>x</div>\n")], check=False,
                  manifest=manifest_path(project))
    out, err = io.StringIO(), io.StringIO()
    assert render_once(project, check=True, out=out, err=err) == 1
    assert "stale: pm/inc-1.md" in err.getvalue()
    assert (docs / "pm" / "inc-1.md").is_file()
    assert render_once(project, check=False, out=out, err=err) == 0
    assert not (docs / "pm").exists()
    assert render_once(project, check=True, out=io.StringIO(), err=err) == 0
    assert "up to date" in err.getvalue()


def test_a_file_in_the_way_is_printed_like_a_build_warning(toml_site: Path) -> None:
    project = load_site(toml_site / "zensical.toml", toml_site)
    docs = project.docs_dir
    write_outputs(docs, [Output("pm/inc-1.md", b"x\n")], check=False,
                  manifest=manifest_path(project))
    (docs / "pm" / "inc-1.md").write_text("edited\n", encoding="utf-8")
    config = toml_site / "zensical.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        '[project.plugins.pmtheater]\n', '[project.plugins.pmtheater]\nenabled = false\n'),
        encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert render_once(load_site(config, toml_site), check=False, out=out, err=err) == 1
    assert out.getvalue().startswith("content/pm/inc-1.md: This generated file is no longer "
                                     "published, but it was changed by hand")
    assert (docs / "pm" / "inc-1.md").read_text(encoding="utf-8") == "edited\n"


def test_watch_renders_once_per_burst_and_ignores_its_own_files(toml_site: Path) -> None:
    project = load_site(toml_site / "zensical.toml", toml_site)
    incident = project.incidents_dir / "2024" / "a.yaml"
    write(incident, "id: A\n")
    calls: list[float] = []
    stop = threading.Event()

    def on_change() -> None:
        calls.append(time.monotonic())
        # What render does: write generated files next to the incident files.
        write_outputs(project.docs_dir, [Output(f"postmortems/gen-{len(calls)}.md", b"x\n")],
                      check=False, manifest=manifest_path(project))

    thread = threading.Thread(target=watch_loop, kwargs={
        "snapshot": lambda: watched_files(project), "on_change": on_change,
        "interval": 0.05, "debounce": 0.2, "stop": stop.is_set}, daemon=True)
    thread.start()
    time.sleep(0.3)
    assert calls == []
    for number in range(5):  # a burst of saves: one render
        incident.write_text(f"id: A\ntitle: t{number}\n", encoding="utf-8")
        time.sleep(0.05)
    time.sleep(1.0)
    assert len(calls) == 1
    (toml_site / "zensical.toml").write_text(
        (toml_site / "zensical.toml").read_text(encoding="utf-8") + "\n", encoding="utf-8")
    time.sleep(1.0)
    stop.set()
    thread.join(timeout=5)
    # The config change rendered once more; the generated files written by each
    # render (in the watched folder) started no render of their own.
    assert len(calls) == 2
    assert (project.incidents_dir / "gen-2.md").is_file()


def test_render_runs_as_a_module_command(toml_site: Path) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    run = subprocess.run([sys.executable, "-m", "mkdocs_pmtheater.cli", "render", "--help"],
                         cwd=toml_site, capture_output=True, text=True, env=env, timeout=60)
    assert run.returncode == 0
    assert "--check" in run.stdout and "--watch" in run.stdout


def test_watch_sees_hand_written_pages_but_not_generated_files(toml_site: Path) -> None:
    # A page that gains an incident link changes the playbill's "Referenced by".
    project = load_site(toml_site / "zensical.toml", toml_site)
    write_outputs(project.docs_dir, [Output("postmortems/gen.md", b"x\n")], check=False,
                  manifest=manifest_path(project))
    page = project.docs_dir / "runbooks" / "cache.md"
    write(page, "# Cache\n")
    before = watched_files(project)
    assert str(page) in before
    assert str(project.docs_dir / "postmortems" / "gen.md") not in before
    page.write_text("# Cache\n\n[the stampede](incident:INC-1)\n", encoding="utf-8")
    assert watched_files(project) != before
