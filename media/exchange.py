"""Dossier folders in and out of the server, as folders or zip files.

Import reads a folder of dossiers (see ``media.dossier``), puts every picture
through the upload checks into the media library, and gives back the cases
with their pictures as hashes, ready to store. Nothing is stored when any
dossier or picture is bad: the error names the file, and campaign staff fix
that one file and import again. Export writes the same format back: one
folder per case with its ``case.toml`` and pictures, so a folder exported
from one server imports into another unchanged (pictures keep their hashes).

Zip files from strangers are hostile until proven otherwise: members with
absolute paths, ``..``, links or odd names are refused, and so are archives
that unpack to more files or bytes than a campaign's dossiers need. A member
that cannot be read (a bad CRC, a corrupt deflate stream, a password, a
compression method we do not have) is a ``DossierError`` naming that member,
never a bare library exception. Errors name files as they are in the archive
(``ayse/portrait.jpg``), never where the server unpacked them.
"""

from __future__ import annotations

import io
import os
import re
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

import tomli_w

from media.dossier import CASE_FILE, DossierError, load_dossiers
from media.library import MAX_UPLOAD_BYTES, Ingested, MediaLibrary
from media.pipeline import MediaError
from projector.core.model import Case, Portrait

__all__ = [
    "MAX_ZIP_BYTES",
    "ImportResult",
    "export_dossiers",
    "import_archive",
    "import_dossiers",
    "unpack_zip",
    "zip_folder",
]

#: Largest dossier archive accepted, packed and unpacked.
MAX_ZIP_BYTES = 512 * 1024 * 1024
MAX_ZIP_MEMBERS = 5000
#: Compression methods ``zipfile`` reads here (bzip2 and LZMA only when Python was built with them).
_READABLE_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}
if zipfile.bz2 is not None:  # type: ignore[attr-defined]
    _READABLE_METHODS.add(zipfile.ZIP_BZIP2)
if zipfile.lzma is not None:  # type: ignore[attr-defined]
    _READABLE_METHODS.add(zipfile.ZIP_LZMA)
#: What reading a damaged member raises: a bad CRC or header (BadZipFile), a corrupt
#: deflate stream (zlib.error), bzip2 garbage (OSError), LZMA garbage (LZMAError), a
#: cut-off stream (EOFError).
_DAMAGED: tuple[type[Exception], ...] = (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError)
if zipfile.lzma is not None:  # type: ignore[attr-defined]
    _DAMAGED += (zipfile.lzma.LZMAError,)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ImportResult:
    cases: list[Case]
    media: list[Ingested]
    #: Things to tell the operator that did not stop the import (a case without a portrait).
    warnings: list[str]


def import_dossiers(root: Path, library: MediaLibrary) -> ImportResult:
    """Load every dossier under ``root`` and put its pictures into ``library``.

    Raises :class:`DossierError` (a bad ``case.toml``) or :class:`MediaError`
    (a bad picture, named by its path) before anything is returned.
    """
    dossiers = load_dossiers(root)
    cases: list[Case] = []
    ingested: dict[str, Ingested] = {}
    warnings: list[str] = []

    def take(path: Path) -> Ingested:
        data = _read_picture(path)
        try:
            item = library.ingest(data, str(path))
        except MediaError as exc:  # the upload checks name the file alone; here its folder says whose
            raise MediaError(path, exc.reason) from None
        ingested.setdefault(item.hash, item)
        return item

    for d in dossiers:
        case = d.case
        for name in d.missing:
            warnings.append(f"{case.id}: picture {name!r} is listed in {CASE_FILE} but not in the folder")
        main = None
        focus = d.focus
        if d.portrait_path is not None:
            main = take(d.portrait_path)
            if focus is None:
                focus = main.faces.focus if main.faces.faces else None
        else:
            warnings.append(f"{case.id}: no portrait; displays show the case with text only")
        extra: list[Portrait] = []
        for path, extra_focus in d.portraits:
            item = take(path)
            if (main is not None and item.hash == main.hash) or any(p.media == item.hash for p in extra):
                continue
            face = item.faces.focus if item.faces.faces else None
            extra.append(Portrait(item.hash, extra_focus if extra_focus is not None else face))
        cases.append(replace(case, portrait=main.hash if main else None, focus=focus, portraits=tuple(extra)))
    return ImportResult(cases, list(ingested.values()), warnings)


def _read_picture(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_UPLOAD_BYTES:
            raise MediaError(path, f"{size:,} bytes exceeds the {MAX_UPLOAD_BYTES:,} byte upload limit")
        return path.read_bytes()
    except OSError as exc:
        raise MediaError(path, f"cannot read ({exc.strerror or exc})") from None


def case_toml(case: Case, pictures: dict[str, str]) -> dict[str, Any]:
    """The ``case.toml`` of a case; ``pictures`` maps its media hashes to file names in its folder."""
    doc: dict[str, Any] = {
        "id": case.id,
        "name": case.name,
        "country": case.country,
        "lang": case.lang,
        "story": case.story,
        "ask": case.ask,
        "status": case.status.value,
    }
    if case.portrait in pictures:
        portrait: dict[str, Any] = {"file": pictures[case.portrait]}
        if case.focus is not None:
            portrait["focus"] = list(case.focus)
        doc["portrait"] = portrait
    extra = []
    for p in case.portraits:
        if p.media in pictures:
            table: dict[str, Any] = {"file": pictures[p.media]}
            if p.focus is not None:
                table["focus"] = list(p.focus)
            extra.append(table)
    if extra:
        doc["portraits"] = extra
    if case.translations:
        doc["translations"] = {
            lang: {"story": t.story, "ask": t.ask} for lang, t in sorted(case.translations.items())
        }
    return doc


def export_dossiers(cases: Iterable[Case], library: MediaLibrary, root: Path) -> list[str]:
    """Write ``root/<case id>/case.toml`` and its pictures; returns warnings (pictures not found)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    warnings: list[str] = []
    for case in cases:
        folder = root / case.id  # a case id is [a-z0-9_-]: never a path
        folder.mkdir(exist_ok=True)
        pictures: dict[str, str] = {}
        for n, media_hash in enumerate(case.media()):
            source = library.path_of(media_hash)
            if not source.is_file():
                warnings.append(f"{case.id}: picture {media_hash[:12]}… is not in the media store")
                continue
            data = source.read_bytes()
            ext = ".png" if data.startswith(b"\x89PNG") else ".jpg"
            name = ("portrait" if n == 0 and media_hash == case.portrait else f"portrait-{n + 1}") + ext
            (folder / name).write_bytes(data)
            pictures[media_hash] = name
        if case.portrait and case.portrait not in case.media():
            warnings.append(f"{case.id}: portrait {case.portrait!r} is a local file name, not exported")
        text = "# Exported by projector. Format: see media/dossier.py.\n" + _short_arrays(
            tomli_w.dumps(case_toml(case, pictures))
        )
        (folder / CASE_FILE).write_text(text, encoding="utf-8")
    return warnings


_NUMBER_ARRAY = re.compile(r"\[\n\s+([-\d.e]+),\n\s+([-\d.e]+),\n\]")


def _short_arrays(text: str) -> str:
    """``focus = [0.5, 0.4]`` on one line, as a person writes it (tomli_w spreads arrays over lines)."""
    return _NUMBER_ARRAY.sub(r"[\1, \2]", text)


# --- zip ------------------------------------------------------------------------------------------


def zip_folder(root: Path) -> bytes:
    """Every regular file under ``root``, relative paths, deflated."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(Path(root).rglob("*")):
            if path.is_file() and not path.is_symlink():
                archive.write(path, path.relative_to(root).as_posix())
    return out.getvalue()


def unpack_zip(data: bytes | Path, dest: Path) -> Path:
    """Unpack a dossier archive safely into ``dest``; returns the folder that holds the dossiers.

    Raises :class:`DossierError` naming the offending member.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data)
    except (zipfile.BadZipFile, OSError) as exc:
        raise DossierError(Path("archive.zip"), f"not a zip file ({exc})") from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise DossierError(Path("archive.zip"), f"more than {MAX_ZIP_MEMBERS} files")
        total = 0
        for info in members:
            name = info.filename
            _check_member(info)
            total += info.file_size
            if total > MAX_ZIP_BYTES:
                raise DossierError(Path(name), f"the archive unpacks to more than {MAX_ZIP_BYTES:,} bytes")
        for info in members:
            if info.is_dir():
                continue
            target = dest.joinpath(*PurePosixPath(info.filename).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("wb") as out:
                _extract(archive, info, out)
    return _dossier_root(dest)


def _extract(archive: zipfile.ZipFile, info: zipfile.ZipInfo, out: io.BufferedWriter) -> None:
    """Copy one member, turning whatever a damaged member raises into a DossierError naming it.

    Writes to ``out`` are outside the ``try``: a full disk is the server's
    trouble, not the archive's, and must not be reported as a bad member.
    """
    where = Path(info.filename)
    written = 0
    try:
        src = archive.open(info)
    except _DAMAGED as exc:
        raise DossierError(where, f"damaged in the archive ({_zip_reason(exc)})") from None
    except (RuntimeError, NotImplementedError) as exc:  # a password, or a method checked too late
        raise DossierError(where, f"cannot be read ({exc})") from None
    with src:
        while True:
            try:
                chunk = src.read(1 << 20)
            except _DAMAGED as exc:
                raise DossierError(where, f"damaged in the archive ({_zip_reason(exc)})") from None
            if not chunk:
                return
            written += len(chunk)
            if written > info.file_size:  # a lying header: stop at what it declared
                raise DossierError(where, "larger than its zip header says")
            out.write(chunk)


def _zip_reason(exc: BaseException) -> str:
    """The library's words for what is wrong, without any file system path they might carry."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    if isinstance(exc, zlib.error):
        return f"corrupt compressed data: {exc}"
    return str(exc) or type(exc).__name__


def _check_member(info: zipfile.ZipInfo) -> None:
    name = info.filename
    where = Path(name or "?")
    if not name or "\\" in name or "\x00" in name or name.startswith("/") or ":" in name.split("/")[0]:
        raise DossierError(where, "unsafe file name in the archive")
    parts = PurePosixPath(name).parts
    if any(part in ("..", ".") for part in parts) or len(parts) > 4:
        raise DossierError(where, "path leaves the archive's folder or nests too deep")
    # Only a file type that is there and is not a plain file or folder is refused:
    # ``zipfile.writestr`` (and many tools) store permission bits with no type at all.
    kind = stat.S_IFMT(info.external_attr >> 16) if info.create_system == 3 else 0
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise DossierError(where, "links and special files are not allowed in a dossier archive")
    if info.flag_bits & 0x1:
        raise DossierError(where, "is encrypted; dossier archives must not have a password")
    if info.compress_type not in _READABLE_METHODS:
        raise DossierError(
            where,
            f"uses compression method {info.compress_type}, which this server cannot read (use deflate)",
        )
    if info.file_size > MAX_UPLOAD_BYTES + 1024 * 1024:
        raise DossierError(where, f"{info.file_size:,} bytes is larger than any picture may be")


def _dossier_root(dest: Path) -> Path:
    """``dest`` itself, or the one folder inside it when the archive wrapped the dossiers in one."""
    if any((child / CASE_FILE).is_file() for child in dest.iterdir() if child.is_dir()):
        return dest
    children = [c for c in dest.iterdir() if not c.name.startswith((".", "__MACOSX"))]
    if len(children) == 1 and children[0].is_dir():
        return children[0]
    return dest


def import_archive(data: bytes, library: MediaLibrary) -> ImportResult:
    """Unpack a dossier zip into a temporary folder and import it (``import_dossiers``).

    Errors name files relative to the archive: the temporary folder is the
    server's business, and its path in a message would tell a stranger about
    the machine.
    """
    with temp_dir() as tmp:
        try:
            return import_dossiers(unpack_zip(data, Path(tmp)), library)
        except DossierError as exc:
            raise DossierError(_inside(exc.path, tmp), _scrub(exc.reason, tmp)) from None
        except MediaError as exc:
            raise MediaError(_inside(exc.path, tmp), _scrub(exc.reason, tmp)) from None


def _inside(path: Path, root: str) -> Path:
    if not Path(path).is_absolute():  # already named as in the archive
        return Path(path)
    try:
        return Path(path).relative_to(Path(root).resolve())
    except ValueError:
        try:
            return Path(path).relative_to(root)
        except ValueError:
            return Path(Path(path).name)  # never a server path, whatever else it was


def _scrub(reason: str, root: str) -> str:
    for prefix in {str(Path(root).resolve()), root}:
        reason = reason.replace(prefix + os.sep, "").replace(prefix, "archive")
    return reason


def temp_dir(prefix: str = "projector-dossiers-") -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix=prefix, dir=os.environ.get("PROJECTOR_TMP"))
