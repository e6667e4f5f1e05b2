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
    story = "Journalist jailed for ..." # one line, optional
    ask = "Write to the Minister ..."  # the call to action, optional
    status = "active"                  # "active" (default), "released" or "closed"

    [portrait]                         # optional table
    file = "portrait.png"              # relative to the folder
    focus = [0.5, 0.35]                # optional: point to keep in frame, fractions of width, height

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

from projector.core.model import (
    Case,
    CaseStatus,
    ValidationError,
    parse_case_id,
    parse_country,
    parse_text,
)

__all__ = ["DEMO_DIR", "Dossier", "DossierError", "load_dossier", "load_dossiers"]

#: The fictional demo cases shipped with the project.
DEMO_DIR: Path = Path(__file__).parent / "demo"

CASE_FILE = "case.toml"
MAX_NAME_LENGTH = 120
MAX_STORY_LENGTH = 400
MAX_ASK_LENGTH = 300
MAX_TOML_BYTES = 64 * 1024

_CASE_KEYS = frozenset({"id", "name", "country", "story", "ask", "status", "portrait"})
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
    """A validated case plus where its portrait is and which point of it to keep in frame."""

    case: Case
    portrait_path: Path | None
    focus: tuple[float, float] | None


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
    story = parse_text(data.get("story", ""), "story", MAX_STORY_LENGTH, required=False)
    ask = parse_text(data.get("ask", ""), "ask", MAX_ASK_LENGTH, required=False)
    status_value = data.get("status", "active")
    try:
        status = CaseStatus(status_value)
    except ValueError:
        names = ", ".join(s.value for s in CaseStatus)
        raise DossierError(toml_path, f"status: {status_value!r} is not one of {names}") from None

    portrait_path: Path | None = None
    focus: tuple[float, float] | None = None
    portrait = data.get("portrait")
    if portrait is not None:
        if not isinstance(portrait, dict):
            raise DossierError(toml_path, "portrait must be a table ([portrait])")
        unknown = sorted(set(portrait) - _PORTRAIT_KEYS)
        if unknown:
            raise DossierError(toml_path, f"unknown key(s) in [portrait]: {', '.join(unknown)}")
        if "file" in portrait:
            portrait_path = _portrait_path(folder, toml_path, portrait["file"])
        if "focus" in portrait:
            focus = _focus(toml_path, portrait["focus"])

    case = Case(
        id=case_id,
        name=name,
        country=country,
        story=story,
        ask=ask,
        status=status,
        portrait=portrait_path.name if portrait_path is not None else None,
    )
    return Dossier(case=case, portrait_path=portrait_path, focus=focus)


def _portrait_path(folder: Path, toml_path: Path, value: object) -> Path | None:
    if not isinstance(value, str) or not value.strip():
        raise DossierError(toml_path, "portrait.file must be a file name")
    if "\\" in value:  # a Windows path would mean something else on each system
        raise DossierError(toml_path, f"portrait.file {value!r}: use '/' between folders, not '\\'")
    relative = Path(value)
    if relative.is_absolute() or relative.drive or value.startswith(("/", "\\")):
        raise DossierError(toml_path, f"portrait.file {value!r} must be relative to the dossier folder")
    base = folder.resolve()
    # resolve() follows symlinks, so a link pointing outside is caught too.
    candidate = (base / relative).resolve()
    if not candidate.is_relative_to(base) or ".." in relative.parts:
        raise DossierError(toml_path, f"portrait.file {value!r} leaves the dossier folder")
    if not candidate.exists():
        return None  # shown without a picture; the panel reports it
    if not candidate.is_file():
        raise DossierError(toml_path, f"portrait.file {value!r} is not a file")
    return candidate


def _focus(toml_path: Path, value: object) -> tuple[float, float]:
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 1 for v in value)
    ):
        raise DossierError(
            toml_path, f"portrait.focus must be [x, y] with numbers from 0 to 1, got {value!r}"
        )
    return float(value[0]), float(value[1])
