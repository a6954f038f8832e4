"""The README's Python snippets run as they are (saved to a file, as a user would)."""
import pathlib
import re
import runpy

import pytest

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"
SNIPPETS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
RUNNABLE = [s for s in SNIPPETS if "import s2sad" in s]


def test_readme_has_snippets():
    assert len(RUNNABLE) >= 3


@pytest.mark.parametrize("index", range(len(RUNNABLE)))
def test_snippet_runs(index, tmp_path, capsys):
    path = tmp_path / f"snippet_{index}.py"
    path.write_text(RUNNABLE[index])
    runpy.run_path(str(path), run_name="__main__")


def test_printed_source_in_readme_is_what_s2sad_prints(tmp_path, capsys):
    first = RUNNABLE[0]
    path = tmp_path / "first.py"
    path.write_text(first)
    runpy.run_path(str(path), run_name="__main__")
    printed = capsys.readouterr().out
    shown = SNIPPETS[SNIPPETS.index(first) + 1]
    assert shown.strip() in printed


def test_the_coverage_table_is_the_registry_s():
    from s2sad.rules.__main__ import covered, written_into
    text = README.read_text()
    assert written_into(text) == text, "run: python -m s2sad.rules --readme README.md"
    both = [name for name, reverse, forward, _ in covered()
            if name.startswith(("numpy", "scipy")) and reverse and forward]
    assert len(both) >= 150   # issue 5's goal
