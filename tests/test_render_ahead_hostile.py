"""Hostile sites for playbills rendered ahead (``plugin/ahead.py``): whatever the child
meets while rendering, the build ends as it does in one process."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from conftest import assert_reaped, build_site
from test_build_speed import _site_files, write_site
from test_render_ahead import count_taken

from mkdocs_pmtheater.load import parallel


def _hostile_site(root: Path, tag: str, count: int = 205) -> tuple[Path, list[Path]]:
    """A generated site without Pagefind, every incident file's bytes unique to ``tag``
    (the loader's cache lives as long as the process); returns the incident files."""
    write_site(root, count)
    config = root / "mkdocs.yml"
    config.write_text(config.read_text().replace(
        "  - pmtheater\n", "  - pmtheater:\n      pagefind: false\n"))
    files = sorted((root / "docs" / "incidents").rglob("*.yaml"))
    for path in files:
        path.write_text(path.read_text() + f"# {tag}\n")
    return root, files


def _both(root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forking: list[int],
          capfd: pytest.CaptureFixture[str], *, strict: bool = False):
    """Build with the child, then in one process: (outcome, stderr) of each, an outcome
    being the built site or the exception raised."""
    outcomes = []
    for one in (False, True):
        if one:
            monkeypatch.setattr(parallel, "MIN_ITEMS", 10**9)
        capfd.readouterr()
        try:
            outcome = build_site(root, strict=strict,
                                 site_dir=tmp_path / ("one" if one else "two"))
        except Exception as exc:  # compared below
            outcome = exc
        captured = capfd.readouterr()
        outcomes.append((outcome, f"{captured.err}\n-- stdout --\n{captured.out}"))
        if not one:
            assert forking, "no child was started"
    assert_reaped(forking)
    return outcomes


@pytest.mark.parametrize("strict", [False, True], ids=["build", "strict"])
def test_problems_met_only_by_the_child_end_the_build_the_same(
        tmp_path: Path, forking: list[int], monkeypatch: pytest.MonkeyPatch,
        capfd: pytest.CaptureFixture[str], build_epoch: str, strict: bool) -> None:
    root, files = _hostile_site(tmp_path / "site", f"problems {strict}")
    config = root / "mkdocs.yml"
    config.write_text(config.read_text().replace(
        "      pagefind: false\n", "      pagefind: false\n      allow_html: true\n"))
    for number, path in enumerate(files[-6:]):
        text = path.read_text()
        deep = "[a " * 25 + "]" * 25
        path.write_text(text.replace(
            "\nsummary: ",
            f"\nsummary: Deep {deep} <a href=\"incident:INC-RAW-{number}\">raw</a> "
            f"![gone](missing-{number}.png) <b onclick=\"x()\">bold</b> ", 1))
    (two, two_err), (one, one_err) = _both(root, tmp_path, monkeypatch, forking, capfd,
                                           strict=strict)
    if strict:
        assert isinstance(one, Exception) and isinstance(two, Exception)
        assert (type(two), str(two)) == (type(one), str(one))
    else:
        assert not isinstance(one, Exception), one
        assert not isinstance(two, Exception), two
        assert two.warnings == one.warnings
        assert any("levels deep" in w for w in one.warnings)
        two_files, one_files = _site_files(two.site_dir), _site_files(one.site_dir)
        assert [n for n in one_files if two_files.get(n) != one_files[n]] == []
    assert two_err == one_err


def test_a_template_error_in_a_page_the_child_renders_is_the_build_error(
        tmp_path: Path, forking: list[int], monkeypatch: pytest.MonkeyPatch,
        capfd: pytest.CaptureFixture[str], build_epoch: str) -> None:
    root, files = _hostile_site(tmp_path / "site", "template error")
    last_id = files[-3].read_text().split("\n", 1)[0].removeprefix("id: ")
    config = root / "mkdocs.yml"
    config.write_text(config.read_text().replace(
        "  name: material\n", "  name: material\n  custom_dir: overrides\n"))
    story = root / "overrides/pmtheater/partials/story.html"
    story.parent.mkdir(parents=True)
    packaged = (Path(parallel.__file__).parents[1]
                / "templates/pmtheater/partials/story.html").read_text()
    story.write_text(f"{{% if incident.id == '{last_id}' %}}{{{{ incident.nope.deeper }}}}"
                     f"{{% endif %}}{packaged}")
    (two, two_err), (one, one_err) = _both(root, tmp_path, monkeypatch, forking, capfd)
    assert isinstance(one, Exception), one
    assert (type(two), str(two)) == (type(one), str(one))
    assert two_err == one_err


def test_ids_of_texts_rendered_alone_are_those_of_one_process(
        tmp_path: Path, forking: list[int], monkeypatch: pytest.MonkeyPatch,
        capfd: pytest.CaptureFixture[str], build_epoch: str) -> None:
    """A text with document-wide definitions ("[^", "]:") gets a Markdown pass of its
    own, whose ids are numbered by a count of such passes (``pmt-user-N-``): the child's
    count must not make the playbills it renders differ from one process's."""
    root, files = _hostile_site(tmp_path / "site", "solo passes")
    for path in files[:3] + files[-3:]:
        text = path.read_text()
        path.write_text(text.replace(
            "\nsummary: ", "\nsummary: Note [^1] and *this*{ id=mine } here. ", 1))
    (two, two_err), (one, one_err) = _both(root, tmp_path, monkeypatch, forking, capfd)
    assert two.warnings == one.warnings
    two_files, one_files = _site_files(two.site_dir), _site_files(one.site_dir)
    assert sum(b"pmt-user-" in body for body in one_files.values()) >= 6
    assert [n for n in one_files if two_files.get(n) != one_files[n]] == []
    assert two_err == one_err



class _Formatted(logging.Handler):
    """Each record as a handler formats it, traceback and stack included."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_log_records_of_the_child_keep_their_traceback_and_stack(
        tmp_path: Path, forking: list[int], monkeypatch: pytest.MonkeyPatch,
        capfd: pytest.CaptureFixture[str], build_epoch: str) -> None:
    """A warning logged with ``exc_info`` or ``stack_info`` while a playbill renders (a
    Markdown extension that catches an error) is printed with its traceback, as it is
    without the child."""
    from mkdocs_pmtheater.publish import production

    root, _files = _hostile_site(tmp_path / "site", "exc_info")
    playbill = production.Production.playbill
    logger = logging.getLogger("mkdocs.plugins.elsewhere")

    def noisy(self: production.Production, page: str, *args: object, **kwargs: object):
        try:
            raise ValueError(f"boom in {page}")
        except ValueError:
            logger.warning("caught in %s", page, exc_info=True, stack_info=True)
        return playbill(self, page, *args, **kwargs)

    monkeypatch.setattr(production.Production, "playbill", noisy)
    shown_by: list[list[str]] = []
    for one in (False, True):
        if one:
            monkeypatch.setattr(parallel, "MIN_ITEMS", 10**9)
        formatted = _Formatted()
        logging.getLogger("mkdocs").addHandler(formatted)
        try:
            build_site(root, site_dir=tmp_path / ("one" if one else "two"))
        finally:
            logging.getLogger("mkdocs").removeHandler(formatted)
        shown_by.append(formatted.lines)
        assert forking
    assert_reaped(forking)
    two_lines, one_lines = shown_by

    def shown(lines: list[str]) -> list[str]:
        # Stacks differ above the render (who called it): compare to the render's call.
        return [line.split("Stack (most recent call last):")[0] for line in lines
                if line.startswith("WARNING mkdocs.plugins.elsewhere")]

    assert sum("ValueError: boom in incidents/" in line for line in shown(one_lines)) >= 205
    assert shown(two_lines) == shown(one_lines)
    assert all("Stack (most recent call last):" in line for line in two_lines
               if line.startswith("WARNING mkdocs.plugins.elsewhere"))


def test_python_warnings_are_shown_as_often_as_in_one_process(
        tmp_path: Path, forking: list[int], monkeypatch: pytest.MonkeyPatch,
        build_epoch: str) -> None:
    """A Python warning (a deprecated call in a Markdown extension) is shown once per
    place in the code, by the registry of the process it is raised in: a child's copy of
    that registry must not show it again, nor at another page than one process would."""
    import warnings

    from mkdocs_pmtheater.publish import production

    root, files = _hostile_site(tmp_path / "site", "python warnings")
    # Not the newest (the first converted, before the fork): the three after it and the
    # three oldest, which the child renders.
    noisy_pages = {f"incidents/{path.stem}.md" for path in files[:3] + files[-4:-1]}
    playbill = production.Production.playbill
    shown: list[str] = []

    def noisy(self: production.Production, page: str, *args: object, **kwargs: object):
        if page in noisy_pages:
            warnings.warn("a deprecated call", UserWarning, stacklevel=1)
        return playbill(self, page, *args, **kwargs)

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        # As MkDocs' command line does: warnings become log records.
        logging.getLogger("mkdocs.warnings").warning("%s: %s", category.__name__, message)

    monkeypatch.setattr(production.Production, "playbill", noisy)
    for one in (False, True):
        if one:
            monkeypatch.setattr(parallel, "MIN_ITEMS", 10**9)
        with warnings.catch_warnings():
            warnings.simplefilter("default")  # also forgets what was shown before
            monkeypatch.setattr(warnings, "showwarning", show)
            built = build_site(root, site_dir=tmp_path / ("one" if one else "two"))
        shown.append([w for w in built.warnings if "deprecated call" in w])
        assert forking
    assert_reaped(forking)
    assert shown[0] == shown[1] == ["UserWarning: a deprecated call"]


def test_what_rendering_prints_is_printed_once_in_order(
        tmp_path: Path, forking: list[int], monkeypatch: pytest.MonkeyPatch,
        capfd: pytest.CaptureFixture[str], build_epoch: str) -> None:
    """Output printed while a playbill renders (a Markdown extension's ``print``) is
    printed by the build, once, where one process prints it: not by the child, which
    also renders pages the build renders."""
    import sys

    from mkdocs_pmtheater.publish import production

    root, _files = _hostile_site(tmp_path / "site", "printing")
    playbill = production.Production.playbill

    def noisy(self: production.Production, page: str, *args: object, **kwargs: object):
        if page.startswith("incidents/inc-"):
            print(f"out {page}")
            print(f"err {page}", file=sys.stderr)
            logging.getLogger("mkdocs.plugins.elsewhere").warning("logged %s", page)
            print(f"after {page}", file=sys.stderr)
        return playbill(self, page, *args, **kwargs)

    monkeypatch.setattr(production.Production, "playbill", noisy)
    # Log records on stderr, as MkDocs' command line prints them.
    printing = logging.StreamHandler(sys.stderr)
    logging.getLogger("mkdocs").addHandler(printing)
    try:
        (_two, two_err), (_one, one_err) = _both(root, tmp_path, monkeypatch, forking, capfd)
    finally:
        logging.getLogger("mkdocs").removeHandler(printing)
    assert one_err.count("err incidents/inc-") == one_err.count("out incidents/inc-") == 205
    assert one_err.count("logged incidents/inc-") == 205  # on stderr too, in between
    assert two_err == one_err


def test_gh_deploy_dirty_renders_nothing_ahead(
        tmp_path: Path, forking: list[int], monkeypatch: pytest.MonkeyPatch,
        build_epoch: str) -> None:
    """``mkdocs gh-deploy --dirty`` builds as ``mkdocs build --dirty`` does (MkDocs
    converts only the changed pages): no child renders every playbill for nothing."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    from mkdocs_pmtheater.load.parallel import AheadInChild

    root, _files = _hostile_site(tmp_path / "site", "gh-deploy dirty")
    started: list[object] = []
    start = AheadInChild.start.__func__

    def spy(cls: type, *args: object, **kwargs: object) -> object:
        started.append(args)
        return start(cls, *args, **kwargs)

    monkeypatch.setattr(AheadInChild, "start", classmethod(spy))
    config = load_config(str(root / "mkdocs.yml"), site_dir=str(tmp_path / "out"))
    config.plugins.on_startup(command="gh-deploy", dirty=True)
    cwd = os.getcwd()
    try:
        os.chdir(root)
        build(config, dirty=True)
    finally:
        os.chdir(cwd)
        # MkDocs keeps the plugin for the process: the next tests' builds are clean.
        config.plugins.on_startup(command="build", dirty=False)
    assert started == []


def test_a_warning_the_filters_ignore_leaves_the_pages_to_the_child(
        tmp_path: Path, forking: list[int], monkeypatch: pytest.MonkeyPatch,
        build_epoch: str) -> None:
    """A DeprecationWarning raised on every page (an old Markdown extension), which Python's
    default filters ignore, is shown by neither process: the child still renders ahead."""
    import warnings

    from mkdocs_pmtheater.publish import production

    root, _files = _hostile_site(tmp_path / "site", "ignored warnings")
    playbill = production.Production.playbill

    def deprecated(self: production.Production, page: str, *args: object, **kwargs: object):
        warnings.warn("an old call", DeprecationWarning, stacklevel=1)
        return playbill(self, page, *args, **kwargs)

    taken = count_taken(monkeypatch)
    monkeypatch.setattr(production.Production, "playbill", deprecated)
    with warnings.catch_warnings():
        warnings.resetwarnings()
        warnings.simplefilter("ignore", DeprecationWarning)
        built = build_site(root, site_dir=tmp_path / "two")
    assert not [w for w in built.warnings if "an old call" in w]
    assert len(taken) == 1 and taken[0] > 0
    assert_reaped(forking)


def test_fields_over_their_budget_in_the_child_are_known_to_the_build(
        tmp_path: Path, forking: list[int], monkeypatch: pytest.MonkeyPatch,
        build_epoch: str) -> None:
    """A field shown as plain text on its playbill for its incident's Markdown budget is
    shown so wherever else it appears: the build learns it from the child's playbills."""
    from mkdocs_pmtheater.publish import production
    from mkdocs_pmtheater.render import markdown_fields

    root, files = _hostile_site(tmp_path / "site", "over budget")
    for path in files[:3]:  # the oldest: rendered by the child
        text = path.read_text()
        path.write_text(text.replace("\nsummary: ", "\nsummary: " + "*a* [b](c) " * 40, 1))
    monkeypatch.setattr(markdown_fields, "MAX_FIELDS_INLINE_WORK", 200)
    made: list[markdown_fields.MarkdownFields] = []
    fields = production.Production.fields

    def keeping(self: production.Production) -> markdown_fields.MarkdownFields:
        renderer = fields(self)
        if not made or made[-1] is not renderer:
            made.append(renderer)
        return renderer

    monkeypatch.setattr(production.Production, "fields", keeping)
    found = []
    for one in (False, True):
        if one:
            monkeypatch.setattr(parallel, "MIN_ITEMS", 10**9)
        build_site(root, site_dir=tmp_path / ("one" if one else "two"))
        found.append(set(made[-1].over_budget))
    assert forking
    assert_reaped(forking)
    assert found[0] and found[0] == found[1]
