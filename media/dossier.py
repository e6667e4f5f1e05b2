"""Case dossiers: one folder per case, with a ``case.toml`` and a portrait.

Campaign staff prepare cases as folders they can copy, zip and review, not as
database rows, so a dossier is a folder anyone can edit in a text editor::

    ayse-karaman/
        case.toml
        portrait.png

``case.toml``::

    id = "ayse-karaman"                # case id: a-z, 0-9, '-', '_' (1-64)
    name = "Ayşe Karaman"              # as it should appear on screen
    country = "TR"                     # ISO 3166-1 alpha-2, where the case is
    lang = "en"                        # language of story and ask (default "en")
    story = "Journalist jailed for ..." # optional
    ask = "Write to the Minister ..."  # the call to action, optional
    status = "active"                  # "active" (default), "released" or "closed"

    [portrait]                         # optional table: the main portrait
    file = "portrait.png"              # relative to the folder
    focus = [0.5, 0.35]                # optional: point to keep in frame, fractions of width, height
                                       # (on import, the face found in it when left out)

    [[portraits]]                      # optional, up to 8: more pictures of the case
    file = "rally.jpg"
    focus = [0.4, 0.3]

    [translations.tr]                  # optional, one table per language (BCP 47 tag)
    story = "Maden faciasını haberleştirdiği için tutuklanan gazeteci ..."
    ask = "Adalet Bakanı'na yazın ..."

A display set to ``--languages tr,en`` shows the Turkish story and ask where
a dossier has them and the default ones where it does not.

Errors are :class:`DossierError` and name the ``case.toml`` at fault, because
the person fixing it has a folder of them. Unknown keys are errors too: a
misspelt ``stroy`` should not silently show an empty story on a building.
A portrait file that does not exist is allowed (the case is shown without a
picture), but a portrait path leaving the folder is refused: dossiers get
shared, and one must not be able to make a display read ``/etc/passwd``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from projector.core.dossier import (
    MAX_ASK_LENGTH,
    MAX_NAME_LENGTH,
    MAX_STORY_LENGTH,
    parse_status,
    parse_translations,
)
from projector.core.model import (
    DEFAULT_LANG,
    MAX_EXTRA_PORTRAITS,
    Case,
    ValidationError,
    parse_case_id,
    parse_country,
    parse_lang,
    parse_text,
)

__all__ = ["DEMO_DIR", "Dossier", "DossierError", "load_dossier", "load_dossiers"]

#: The fictional demo cases shipped with the project.
DEMO_DIR: Path = Path(__file__).parent / "demo"

CASE_FILE = "case.toml"
MAX_TOML_BYTES = 64 * 1024

_CASE_KEYS = frozenset(
    {"id", "name", "country", "lang", "story", "ask", "status", "portrait", "portraits", "translations"}
)
_PORTRAIT_KEYS = frozenset({"file", "focus"})


class DossierError(Exception):
    """A dossier could not be loaded. The message names the file and the problem."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason

    def __reduce__(self) -> tuple[type[DossierError], tuple[Path, str]]:
        # Picklable, so it can cross a process pool or a multiprocessing queue.
        return (DossierError, (self.path, self.reason))


@dataclass(frozen=True)
class Dossier:
    """A validated case plus where its pictures are and which point of each to keep in frame.

    ``case.portrait`` is the main portrait's file name (a local display reads it
    from the folder); importing a dossier into the server replaces it with the
    picture's hash. ``missing`` names pictures the file lists that are not there.
    """

    case: Case
    portrait_path: Path | None
    focus: tuple[float, float] | None
    portraits: tuple[tuple[Path, tuple[float, float] | None], ...] = ()
    missing: tuple[str, ...] = ()


def load_dossier(folder: Path) -> Dossier:
    """Load and validate ``folder/case.toml``."""
    folder = Path(folder)
    toml_path = folder / CASE_FILE
    data = _read_toml(toml_path)
    try:
        return _parse(folder, toml_path, data)
    except ValidationError as exc:
        raise DossierError(toml_path, str(exc)) from None


def load_dossiers(root: Path) -> list[Dossier]:
    """Load every subfolder of ``root`` that has a ``case.toml``, sorted by case id.

    One bad dossier fails the whole load: a campaign night is prepared in
    advance, and a case silently missing from the show is worse than an
    error at start-up that names the file.
    """
    root = Path(root)
    if not root.is_dir():
        raise DossierError(root, "not a folder")
    seen: dict[str, Path] = {}
    dossiers: list[Dossier] = []
    for folder in sorted(root.iterdir()):
        if not (folder / CASE_FILE).is_file():
            continue
        dossier = load_dossier(folder)
        other = seen.get(dossier.case.id)
        if other is not None:
            raise DossierError(
                folder / CASE_FILE, f"id {dossier.case.id!r} is already used by {other / CASE_FILE}"
            )
        seen[dossier.case.id] = folder
        dossiers.append(dossier)
    return sorted(dossiers, key=lambda d: d.case.id)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DossierError(path, "file not found") from None
    except OSError as exc:
        raise DossierError(path, f"cannot read ({exc.strerror or exc})") from None
    if len(raw) > MAX_TOML_BYTES:
        raise DossierError(path, f"larger than {MAX_TOML_BYTES:,} bytes")
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise DossierError(path, "not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise DossierError(path, f"invalid TOML ({exc})") from None


def _parse(folder: Path, toml_path: Path, data: dict[str, Any]) -> Dossier:
    unknown = sorted(set(data) - _CASE_KEYS)
    if unknown:
        raise DossierError(toml_path, f"unknown key(s) {', '.join(unknown)}")
    for key in ("id", "name", "country"):
        if key not in data:
            raise DossierError(toml_path, f"missing required key {key!r}")
    case_id = parse_case_id(data["id"], "id")
    name = parse_text(data["name"], "name", MAX_NAME_LENGTH)
    country = parse_country(data["country"])
    lang = parse_lang(data.get("lang", DEFAULT_LANG))
    story = parse_text(data.get("story", ""), "story", MAX_STORY_LENGTH, required=False)
    ask = parse_text(data.get("ask", ""), "ask", MAX_ASK_LENGTH, required=False)
    status = parse_status(data.get("status", "active"))
    translations = parse_translations(data.get("translations"), lang)
    missing: list[str] = []

    portrait_path: Path | None = None
    focus: tuple[float, float] | None = None
    portrait = data.get("portrait")
    if portrait is not None:
        if not isinstance(portrait, dict):
            raise DossierError(toml_path, "portrait must be a table ([portrait])")
        portrait_path, focus = _picture(folder, toml_path, portrait, "portrait", missing)

    extra = data.get("portraits", [])
    if not isinstance(extra, list) or not all(isinstance(p, dict) for p in extra):
        raise DossierError(toml_path, "portraits must be a list of tables ([[portraits]])")
    if len(extra) > MAX_EXTRA_PORTRAITS:
        raise DossierError(toml_path, f"portraits: at most {MAX_EXTRA_PORTRAITS} further portraits")
    portraits: list[tuple[Path, tuple[float, float] | None]] = []
    for i, table in enumerate(extra):
        path, extra_focus = _picture(folder, toml_path, table, f"portraits[{i}]", missing)
        if path is not None:
            portraits.append((path, extra_focus))

    case = Case(
        id=case_id,
        name=name,
        country=country,
        story=story,
        ask=ask,
        status=status,
        portrait=portrait_path.name if portrait_path is not None else None,
        lang=lang,
        translations=translations,
        focus=focus,
    )
    return Dossier(case, portrait_path, focus, tuple(portraits), tuple(missing))


def _picture(
    folder: Path, toml_path: Path, table: dict[str, Any], where: str, missing: list[str]
) -> tuple[Path | None, tuple[float, float] | None]:
    unknown = sorted(set(table) - _PORTRAIT_KEYS)
    if unknown:
        raise DossierError(toml_path, f"unknown key(s) in [{where}]: {', '.join(unknown)}")
    path: Path | None = None
    focus: tuple[float, float] | None = None
    if "file" in table:
        path = _portrait_path(folder, toml_path, table["file"], where)
        if path is None:
            missing.append(str(table["file"]))
    elif where != "portrait":
        raise DossierError(toml_path, f"{where}.file is missing")
    if "focus" in table:
        focus = _focus(toml_path, table["focus"], where)
    return path, focus


def _portrait_path(folder: Path, toml_path: Path, value: object, where: str = "portrait") -> Path | None:
    if not isinstance(value, str) or not value.strip():
        raise DossierError(toml_path, f"{where}.file must be a file name")
    if "\\" in value:  # a Windows path would mean something else on each system
        raise DossierError(toml_path, f"{where}.file {value!r}: use '/' between folders, not '\\'")
    relative = Path(value)
    if relative.is_absolute() or relative.drive or value.startswith(("/", "\\")):
        raise DossierError(toml_path, f"{where}.file {value!r} must be relative to the dossier folder")
    base = folder.resolve()
    # resolve() follows symlinks, so a link pointing outside is caught too.
    candidate = (base / relative).resolve()
    if not candidate.is_relative_to(base) or ".." in relative.parts:
        raise DossierError(toml_path, f"{where}.file {value!r} leaves the dossier folder")
    if not candidate.exists():
        return None  # shown without a picture; the panel reports it
    if not candidate.is_file():
        raise DossierError(toml_path, f"{where}.file {value!r} is not a file")
    return candidate


def _focus(toml_path: Path, value: object, where: str = "portrait") -> tuple[float, float]:
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 1 for v in value)
    ):
        raise DossierError(toml_path, f"{where}.focus must be [x, y] with numbers from 0 to 1, got {value!r}")
    return float(value[0]), float(value[1])
