"""One-line fitting: a label keeps its glyphs, a path keeps its file name."""

from __future__ import annotations

from rich.text import Text

from coditect_tui.ui.fit import fit_keeping_end, middle_ellipsis

PATH = "src/a-package-with-a-long-name/and-a-module-folder-too/the_file_that_changed.py"


def test_a_path_loses_its_middle_and_keeps_its_file_name() -> None:
    for width in range(30, len(PATH)):
        fitted = middle_ellipsis(PATH, width)
        assert len(fitted) == width and "…" in fitted
        assert fitted.startswith("src/") and fitted.endswith("the_file_that_changed.py")
    assert middle_ellipsis(PATH, len(PATH)) == PATH


def test_a_narrow_width_keeps_both_ends() -> None:
    assert middle_ellipsis(PATH, 10) == "src/…ed.py"
    assert middle_ellipsis("abcdef", 1) == "a…f"


def test_a_label_keeps_its_glyphs() -> None:
    label = Text("a-very-long-repository-name  ✗1 *2")
    fitted = fit_keeping_end(label, len("  ✗1 *2"), 20)
    assert fitted.plain == "a-very-long-…  ✗1 *2" and fitted.cell_len == 20
    assert fit_keeping_end(label, 7, 40) is label
    assert fit_keeping_end(label, 7, 8) is label  # no room for a character: unchanged
