"""Dossier folders in and out: a round trip keeps every case and every picture hash; hostile input goes nowhere."""

from __future__ import annotations

import io
import stat
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from media.dossier import DEMO_DIR, DossierError, load_dossiers
from media.exchange import export_dossiers, import_dossiers, unpack_zip, zip_folder
from media.library import MediaLibrary
from media.pipeline import MediaError
from projector.cli.main import main as cli
from projector.store.sqlite import SqliteStore
from tests.conftest import RunningServer

TRANSLATED = """\
id = "ayse-test"
name = "Ayşe Karaman"
country = "TR"
lang = "en"
story = "Journalist jailed for her reporting."
ask = "Write to the Minister of Justice."
status = "released"

[portrait]
file = "portrait.png"
focus = [0.45, 0.3]

[[portraits]]
file = "rally.jpg"

[translations.tr]
story = "Haberleri yüzünden tutuklanan gazeteci."
ask = "Adalet Bakanı'na yazın."

[translations.ku]
story = "Rojnameger ji ber nûçeyên xwe hate girtin."
"""


def write_dossier(root: Path, text: str = TRANSLATED, folder: str = "ayse-test") -> Path:
    path = root / folder
    path.mkdir(parents=True, exist_ok=True)
    (path / "case.toml").write_text(text, encoding="utf-8")
    Image.open(DEMO_DIR / "ayse-karaman" / "portrait.png").save(path / "portrait.png")
    Image.open(DEMO_DIR / "tarek-abdelhady" / "portrait.png").convert("RGB").save(
        path / "rally.jpg", quality=85
    )
    return path


def test_import_puts_pictures_in_the_library_and_cases_carry_their_hashes(tmp_path: Path) -> None:
    write_dossier(tmp_path / "in")
    library = MediaLibrary(tmp_path / "media")
    result = import_dossiers(tmp_path / "in", library)
    (case,) = result.cases
    assert case.status.value == "released" and case.lang == "en"
    assert set(case.translations) == {"tr", "ku"} and case.translations["ku"].ask == ""
    assert case.portrait is not None and library.has(case.portrait)
    assert case.focus == (0.45, 0.3)  # the dossier's focus wins over the face
    (extra,) = case.portraits
    assert library.has(extra.media) and extra.media != case.portrait
    assert len(result.media) == 2 and result.warnings == []


def test_export_then_import_is_a_round_trip(tmp_path: Path) -> None:
    write_dossier(tmp_path / "in")
    first = MediaLibrary(tmp_path / "media1")
    cases = import_dossiers(tmp_path / "in", first).cases + import_dossiers(DEMO_DIR, first).cases
    assert export_dossiers(cases, first, tmp_path / "out") == []
    toml = (tmp_path / "out" / "ayse-test" / "case.toml").read_text(encoding="utf-8")
    assert "[translations.tr]" in toml and "focus = [0.45, 0.3]" in toml and "[[portraits]]" in toml
    second = MediaLibrary(tmp_path / "media2")
    again = import_dossiers(tmp_path / "out", second).cases
    assert sorted(again, key=lambda c: c.id) == sorted(cases, key=lambda c: c.id)  # same hashes, same text


def test_a_case_without_a_portrait_imports_with_a_warning(tmp_path: Path) -> None:
    folder = tmp_path / "in" / "nobody"
    folder.mkdir(parents=True)
    (folder / "case.toml").write_text('id = "nobody"\nname = "No Body"\ncountry = "KE"\n')
    ghost = tmp_path / "in" / "ghost"
    ghost.mkdir()
    (ghost / "case.toml").write_text(
        'id = "ghost"\nname = "G"\ncountry = "KE"\n[portrait]\nfile = "gone.jpg"\n'
    )
    result = import_dossiers(tmp_path / "in", MediaLibrary(tmp_path / "media"))
    assert {c.id: c.portrait for c in result.cases} == {"nobody": None, "ghost": None}
    assert any("nobody: no portrait" in w for w in result.warnings)
    assert any("'gone.jpg' is listed" in w for w in result.warnings)


def test_a_bad_picture_stops_the_import_and_names_the_file(tmp_path: Path) -> None:
    folder = write_dossier(tmp_path / "in")
    (folder / "rally.jpg").write_bytes(b"\x7fELF" + b"\x00" * 100)
    with pytest.raises(MediaError) as info:
        import_dossiers(tmp_path / "in", MediaLibrary(tmp_path / "media"))
    assert "rally.jpg" in str(info.value) and "ELF executable" in str(info.value)


def zipped(members: dict[str, bytes], links: tuple[str, ...] = ()) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        for name in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    return out.getvalue()


@pytest.mark.parametrize(
    "members",
    [
        {"../evil/case.toml": b"x"},
        {"/etc/cron.d/evil": b"x"},
        {"a/../../evil": b"x"},
        {"a\\..\\evil": b"x"},
        {"C:/evil": b"x"},
    ],
)
def test_zip_members_that_leave_the_folder_are_refused(tmp_path: Path, members: dict[str, bytes]) -> None:
    with pytest.raises(DossierError, match=r"unsafe file name|leaves the archive"):
        unpack_zip(zipped(members), tmp_path / "x")
    assert not (tmp_path / "evil").exists()


def test_zip_links_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DossierError, match="links"):
        unpack_zip(zipped({}, links=("case/portrait.png",)), tmp_path / "x")


def test_not_a_zip_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DossierError, match="not a zip"):
        unpack_zip(b"PK\x03\x04 nonsense", tmp_path)


def test_a_zip_wrapping_the_dossiers_in_one_folder_is_understood(tmp_path: Path) -> None:
    write_dossier(tmp_path / "src" / "campaign-2026")
    dest = tmp_path / "dest"
    dest.mkdir()
    root = unpack_zip(zip_folder(tmp_path / "src"), dest)
    assert root.name == "campaign-2026"
    assert [d.case.id for d in load_dossiers(root)] == ["ayse-test"]


async def test_import_and_export_over_http(live: RunningServer, tmp_path: Path) -> None:
    write_dossier(tmp_path / "in")
    headers = {"Authorization": f"Bearer {live.tokens['operator']}", "Content-Type": "application/zip"}
    async with live.session.post(
        live.base + "/api/v1/dossiers.zip", data=zip_folder(tmp_path / "in"), headers=headers
    ) as r:
        body = await r.json()
        assert r.status == 200, body
    assert body["imported"] == ["ayse-test"] and body["media"] == 2
    status, listing = await live.get("/api/v1/cases/ayse-test", token="operator")
    assert status == 200 and listing["translations"]["tr"]["ask"] == "Adalet Bakanı'na yazın."
    async with live.session.get(
        live.base + "/api/v1/dossiers.zip", headers={"Authorization": f"Bearer {live.tokens['operator']}"}
    ) as r:
        assert r.status == 200 and r.headers["Content-Type"] == "application/zip"
        archive = zipfile.ZipFile(io.BytesIO(await r.read()))
    names = set(archive.namelist())
    assert {"ayse-test/case.toml", "ayse-test/portrait.png", "ayse-test/portrait-2.jpg"} <= names
    bad = zipped({"../../evil.toml": b"x"})
    async with live.session.post(live.base + "/api/v1/dossiers.zip", data=bad, headers=headers) as r:
        assert r.status == 422 and "leaves the archive" in (await r.json())["error"]["message"]
    viewer = {"Authorization": f"Bearer {live.tokens['ingest']}"}
    async with live.session.post(live.base + "/api/v1/dossiers.zip", data=bad, headers=viewer) as r:
        assert r.status == 403


def test_the_cli_imports_and_exports_a_data_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    assert cli(["cases", "import", str(DEMO_DIR), "--data-dir", str(data)]) == 0
    assert "imported 8 case(s)" in capsys.readouterr().out
    store = SqliteStore(data / "projector.db")
    try:
        cases = store.list_cases()
        assert len(cases) == 8 and all(c.portrait and len(c.portrait) == 64 for c in cases)
        assert len(store.list_media()) == 8
    finally:
        store.close()
    assert cli(["cases", "export", str(tmp_path / "out"), "--data-dir", str(data)]) == 0
    assert len(load_dossiers(tmp_path / "out")) == 8
    assert cli(["media", "prepare", "--data-dir", str(data), "--workers", "1"]) == 0
    err = capsys.readouterr().err
    assert "40/40 variants" in err and "40 made, 0 failed" in err
    assert cli(["media", "prepare", "--data-dir", str(data)]) == 0
    assert "nothing to prepare" in capsys.readouterr().err


# --- damaged archives over HTTP: every one a 422 naming the member, none a 500 ---------------------


def writestr_zip(root: Path, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    """Every file under ``root`` added with ``writestr``: permission bits, no file-type bits."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                archive.writestr(path.relative_to(root).as_posix(), path.read_bytes())
    return out.getvalue()


def _member_data_offset(data: bytes, name: str) -> int:
    """Where a member's (compressed) bytes start: after its local header, name and extra field."""
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(name)
    local = info.header_offset
    name_len = int.from_bytes(data[local + 26 : local + 28], "little")
    extra_len = int.from_bytes(data[local + 28 : local + 30], "little")
    return local + 30 + name_len + extra_len


def bad_crc(root: Path) -> bytes:
    data = bytearray(writestr_zip(root, zipfile.ZIP_STORED))
    start = _member_data_offset(bytes(data), "ayse-test/case.toml")
    data[start] ^= 0x01  # the stored text changes by one bit; its CRC does not
    return bytes(data)


def corrupt_deflate(root: Path) -> bytes:
    data = bytearray(writestr_zip(root))
    start = _member_data_offset(bytes(data), "ayse-test/case.toml")
    data[start] = 0xFF  # a final block of the reserved type 3: "invalid block type"
    return bytes(data)


def _central_entry(data: bytes, name: str) -> int:
    """Where a member's record in the central directory starts."""
    at = data.index(b"PK\x01\x02")
    while data[at + 46 : at + 46 + len(name)] != name.encode():
        at = data.index(b"PK\x01\x02", at + 4)
    return at


def encrypted(root: Path) -> bytes:
    """The encryption flag set on one member, in its local and central headers."""
    data = bytearray(writestr_zip(root, zipfile.ZIP_STORED))
    name = "ayse-test/case.toml"
    local = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo(name).header_offset
    data[local + 6] |= 0x01
    data[_central_entry(bytes(data), name) + 8] |= 0x01
    return bytes(data)


def unknown_method(root: Path) -> bytes:
    """Method 99 (AES, in WinZip's scheme) on one member, in its local and central headers."""
    data = bytearray(writestr_zip(root, zipfile.ZIP_STORED))
    name = "ayse-test/case.toml"
    local = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo(name).header_offset
    data[local + 8 : local + 10] = (99).to_bytes(2, "little")
    central = _central_entry(bytes(data), name)
    data[central + 10 : central + 12] = (99).to_bytes(2, "little")
    return bytes(data)


async def post_zip(live: RunningServer, data: bytes) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {live.tokens['operator']}", "Content-Type": "application/zip"}
    async with live.session.post(live.base + "/api/v1/dossiers.zip", data=data, headers=headers) as r:
        return r.status, await r.json()


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        (bad_crc, "CRC"),
        (corrupt_deflate, "corrupt compressed data"),
        (encrypted, "encrypted"),
        (unknown_method, "compression method 99"),
    ],
)
async def test_a_damaged_zip_is_a_422_naming_the_member(
    live: RunningServer, tmp_path: Path, damage: object, words: str
) -> None:
    write_dossier(tmp_path / "in")
    status, body = await post_zip(live, damage(tmp_path / "in"))  # type: ignore[operator]
    assert status == 422, body
    message = body["error"]["message"]
    assert body["error"]["code"] == "bad_dossier" and message.startswith("ayse-test/case.toml: "), message
    assert words in message
    assert tempfile.gettempdir() not in message and str(tmp_path) not in message
    assert (await live.get("/api/v1/cases/ayse-test", token="operator"))[0] == 404  # nothing imported


async def test_a_zip_written_by_writestr_is_accepted(live: RunningServer, tmp_path: Path) -> None:
    write_dossier(tmp_path / "in")
    data = writestr_zip(tmp_path / "in")
    info = zipfile.ZipFile(io.BytesIO(data)).infolist()[0]
    assert stat.S_IFMT(info.external_attr >> 16) == 0  # no file-type bits: what made it "special"
    status, body = await post_zip(live, data)
    assert status == 200, body
    assert body["imported"] == ["ayse-test"] and body["media"] == 2


@pytest.mark.parametrize(
    ("member", "content", "words"),
    [
        ("ayse-test/rally.jpg", b"\x7fELF" + b"\x00" * 100, "ELF"),
        ("ayse-test/case.toml", b'id = "ayse-test"\nname = ', "case.toml"),
    ],
)
async def test_errors_inside_an_archive_name_the_member_not_a_server_path(
    live: RunningServer, tmp_path: Path, member: str, content: bytes, words: str
) -> None:
    root = write_dossier(tmp_path / "in").parent
    (root / member).write_bytes(content)
    status, body = await post_zip(live, writestr_zip(root))
    assert status in (415, 422), body
    message = body["error"]["message"]
    assert message.startswith("ayse-test/"), message
    assert words in message
    assert tempfile.gettempdir() not in message and "projector-dossiers-" not in message


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_garbage_in_a_bzip2_or_lzma_member_names_the_member(tmp_path: Path, method: int) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        archive.writestr("ayse-test/case.toml", b"x" * 5000)
    data = bytearray(out.getvalue())
    start = _member_data_offset(bytes(data), "ayse-test/case.toml")
    data[start + 4 : start + 30] = b"\x55" * 26
    with pytest.raises(DossierError, match=r"^ayse-test/case\.toml: damaged in the archive"):
        unpack_zip(bytes(data), tmp_path / "x")
