"""Theme files: built-ins load; a broken user theme is a one-line warning, never a crash."""

from __future__ import annotations

from pathlib import Path

from coditect_tui.core.themes import DEFAULT_THEME, load_themes

BUILT_IN = {"coditect-dark", "coditect-light", "coditect-high-contrast", "acme-brand"}


def test_built_in_themes(tmp_path: Path) -> None:
    catalog = load_themes(tmp_path / "none")
    assert set(catalog.themes) == BUILT_IN and DEFAULT_THEME in catalog.themes
    assert catalog.warnings == []
    assert catalog.themes["acme-brand"].brand == "ACME Engineering"
    assert not catalog.themes["coditect-light"].dark


def test_user_themes_override_and_bad_files_warn(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text("name: mine\nprimary: '#123456'\nbrand: Mine Inc\n")
    (tmp_path / "coditect-dark.yaml").write_text("name: coditect-dark\nprimary: red\n")
    (tmp_path / "broken.yaml").write_text("name: broken\nprimary: '#12345g'\n")
    (tmp_path / "typo.yaml").write_text("name: typo\nprimary: red\nbackgroud: black\n")
    (tmp_path / "syntax.yaml").write_text("name: [unclosed\n")
    catalog = load_themes(tmp_path)
    assert catalog.themes["mine"].brand == "Mine Inc"
    assert catalog.themes["coditect-dark"].primary == "red"
    assert "broken" not in catalog.themes and "typo" not in catalog.themes
    warnings = "\n".join(catalog.warnings)
    assert f"{tmp_path / 'broken.yaml'}:2: primary: Value error, '#12345g' is not a colour" in (
        warnings
    )
    assert f"{tmp_path / 'typo.yaml'}:3: unknown key 'backgroud' (did you mean 'background'?)" in (
        warnings
    )
    assert f"{tmp_path / 'syntax.yaml'}:" in warnings and len(catalog.warnings) == 3
