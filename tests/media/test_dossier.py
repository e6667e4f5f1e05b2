"""Case dossiers: the shipped demo cases load, and broken or hostile ones are refused by name."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from media.dossier import DEMO_DIR, DossierError, load_dossier, load_dossiers
from media.pipeline import load_image
from projector.core.model import CaseStatus

GOOD = """\
id = "test-case"
name = "Ayşe Örnek"
country = "tr"
story = "Fictional journalist."
ask = "Write a letter."
status = "active"

[portrait]
file = "portrait.png"
focus = [0.5, 0.35]
"""


def dossier(root: Path, text: str, folder: str = "test-case") -> Path:
    path = root / folder
    path.mkdir(parents=True, exist_ok=True)
    (path / "case.toml").write_text(text, encoding="utf-8")
    return path


def refused(folder: Path, *fragments: str) -> DossierError:
    with pytest.raises(DossierError) as info:
        load_dossier(folder)
    message = str(info.value)
    assert str(folder / "case.toml") in message, message
    for fragment in fragments:
        assert fragment in message, message
    return info.value


def test_every_demo_dossier_loads_with_its_portrait() -> None:
    dossiers = load_dossiers(DEMO_DIR)
    assert len(dossiers) >= 6
    ids = [d.case.id for d in dossiers]
    assert ids == sorted(ids)
    assert len({d.case.country for d in dossiers}) >= 6  # a global campaign
    for d in dossiers:
        assert d.case.story and d.case.ask and d.case.name
        assert d.portrait_path is not None and d.portrait_path.is_file(), d.case.id
        assert d.portrait_path.parent.name == d.case.id
        assert load_image(d.portrait_path).size == (1200, 1500)
        assert d.focus is not None
    assert {d.case.status for d in dossiers} >= {CaseStatus.ACTIVE, CaseStatus.RELEASED}


def test_demo_dossiers_say_they_are_fictional() -> None:
    for toml in DEMO_DIR.glob("*/case.toml"):
        assert "FICTIONAL" in toml.read_text(encoding="utf-8"), toml


def test_good_dossier(tmp_path: Path) -> None:
    folder = dossier(tmp_path, GOOD)
    (folder / "portrait.png").write_bytes(b"not checked here")
    d = load_dossier(folder)
    assert d.case.id == "test-case"
    assert d.case.country == "TR"  # normalised by the core
    assert d.case.name == "Ayşe Örnek"
    assert d.case.status is CaseStatus.ACTIVE
    assert d.case.portrait == "portrait.png"
    assert d.portrait_path == (folder / "portrait.png").resolve()
    assert d.focus == (0.5, 0.35)


def test_missing_portrait_file_is_allowed(tmp_path: Path) -> None:
    d = load_dossier(dossier(tmp_path, GOOD))
    assert d.portrait_path is None and d.case.portrait is None
    assert d.focus == (0.5, 0.35)


def test_minimal_dossier(tmp_path: Path) -> None:
    d = load_dossier(dossier(tmp_path, 'id = "x1"\nname = "Someone"\ncountry = "MX"\n'))
    assert (d.case.story, d.case.ask, d.portrait_path, d.focus) == ("", "", None, None)


def test_bad_toml(tmp_path: Path) -> None:
    refused(dossier(tmp_path, 'id = "x"\nname = "unterminated\n'), "invalid TOML")


def test_missing_case_toml(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    refused(tmp_path / "empty", "file not found")


def test_unknown_country(tmp_path: Path) -> None:
    refused(dossier(tmp_path, GOOD.replace('"tr"', '"XX"')), "country", "XX")


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ('id = "test-case"', 'id = "Test Case!"', "id"),
        ('name = "Ayşe Örnek"', 'name = "  "', "name"),
        ('name = "Ayşe Örnek"', "name = 42", "name"),
        ('status = "active"', 'status = "freed"', "status"),
        ('story = "Fictional journalist."', 'stroy = "typo"', "unknown key(s) stroy"),
        ("focus = [0.5, 0.35]", "focus = [0.5, 1.5]", "focus"),
        ("focus = [0.5, 0.35]", 'focus = "middle"', "focus"),
        ("focus = [0.5, 0.35]", "zoom = 2", "unknown key(s) in [portrait]: zoom"),
        ('id = "test-case"\n', "", "missing required key 'id'"),
    ],
)
def test_invalid_values(tmp_path: Path, old: str, new: str, fragment: str) -> None:
    assert old in GOOD
    refused(dossier(tmp_path, GOOD.replace(old, new)), fragment)


@pytest.mark.parametrize("path", ["../../etc/passwd", "/etc/passwd", "sub/../../outside.png", "..\\\\x.png"])
def test_portrait_path_may_not_leave_the_folder(tmp_path: Path, path: str) -> None:
    (tmp_path / "outside.png").write_bytes(b"x")
    text = GOOD.replace('file = "portrait.png"', f'file = "{path}"')
    err = refused(dossier(tmp_path / "cases", text), "portrait.file")
    assert any(why in err.reason for why in ("leaves the dossier folder", "must be relative", "use '/'"))


def test_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"x")
    folder = dossier(tmp_path / "cases", GOOD)
    try:
        os.symlink(secret, folder / "portrait.png")
    except OSError:
        pytest.skip("no symlinks here")
    refused(folder, "leaves the dossier folder")


def test_load_dossiers_names_the_bad_one(tmp_path: Path) -> None:
    dossier(tmp_path, GOOD, "a-good")
    dossier(tmp_path, GOOD.replace('"tr"', '"ZZ"').replace("test-case", "b-bad"), "b-bad")
    with pytest.raises(DossierError, match=r"b-bad[/\\]case\.toml: country"):
        load_dossiers(tmp_path)


def test_load_dossiers_sorts_by_id_and_skips_other_folders(tmp_path: Path) -> None:
    dossier(tmp_path, GOOD.replace("test-case", "zeta"), "1-first-folder")
    dossier(tmp_path, GOOD.replace("test-case", "alpha"), "2-second-folder")
    (tmp_path / "notes").mkdir()
    (tmp_path / "README.txt").write_text("not a case")
    assert [d.case.id for d in load_dossiers(tmp_path)] == ["alpha", "zeta"]


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    dossier(tmp_path, GOOD, "one")
    dossier(tmp_path, GOOD, "two")
    with pytest.raises(DossierError, match="already used"):
        load_dossiers(tmp_path)
