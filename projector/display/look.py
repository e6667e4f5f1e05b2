"""The campaign's look as scenes draw it: the brand kit's colours and headline face, ready to use.

The brand kit (:class:`projector.core.model.Brand`) gives three colours and a
font (packaged, or uploaded: ``upload:<hash>``, drawn once the display has its
file); scenes need a few more shades (dimmed text, a dark rule, a grey). They
are mixed from the kit, in the same proportions as the house style they
replace, so the default kit draws exactly the yellow-on-black scenes of old.
A scene takes its look on entry: a kit changed from the panel shows from the
next scene entry on every display.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass

from projector.core.brand import rgb
from projector.core.model import Brand

Colour = tuple[int, int, int]

#: The face a headline font of the kit draws with (see ``FACE_SOURCES``).
HEADLINE_FACES = {"anton": "display", "noto-sans": "display-sans"}


def mix(a: Colour, b: Colour, share_of_b: float) -> Colour:
    """``a`` moved ``share_of_b`` of the way towards ``b``."""
    return (
        round(a[0] + (b[0] - a[0]) * share_of_b),
        round(a[1] + (b[1] - a[1]) * share_of_b),
        round(a[2] + (b[2] - a[2]) * share_of_b),
    )


@dataclass(frozen=True, slots=True)
class Look:
    background: Colour
    text: Colour
    accent: Colour
    #: Secondary words (a supporter's name, a story): text a little towards the background.
    dim: Colour
    #: Rules and empty bars: the background a little towards the text.
    dark: Colour
    #: Quiet status words.
    grey: Colour
    #: Words set on an accent-coloured band.
    on_accent: Colour
    #: The face for headlines and numbers (``display`` for Anton).
    display: str = "display"

    def named(self, name: str) -> Colour:
        """A layout's colour: ``background``, ``text``, ``accent`` or ``#rrggbb``."""
        if name in ("background", "text", "accent"):
            colour: Colour = getattr(self, name)
            return colour
        return rgb(name)


def headline_face(brand: Brand, ready: Container[str] = ()) -> str:
    """The face a kit's headlines draw with: a packaged font's, or its uploaded font's own
    (``upload:<hash>``) once that is among the display's ``ready`` faces; until then (the
    file still downloading, or refused) the house face, never a blank."""
    if brand.font in HEADLINE_FACES:
        return HEADLINE_FACES[brand.font]
    return brand.font if brand.font in ready else "display"


def look_of(brand: Brand, ready: Container[str] = ()) -> Look:
    """The kit's look; ``ready``: the faces the display can draw (``Assets.faces_for``)."""
    background, text, accent = rgb(brand.background), rgb(brand.text), rgb(brand.accent)
    return Look(
        background=background,
        text=text,
        accent=accent,
        # The shares are the house style's own: DIM_WHITE 205, DARK 34, GREY 150 on black/white.
        dim=mix(background, text, 205 / 255),
        dark=mix(background, text, 34 / 255),
        grey=mix(background, text, 150 / 255),
        on_accent=background,
        display=headline_face(brand, ready),
    )


#: The house look: yellow on black, what the default kit gives.
HOUSE = look_of(Brand())


#: The duotone's dark colour on the house black (``media.pipeline.Treatment``'s own).
HOUSE_SHADOW: Colour = (8, 8, 20)


def portrait_tone(brand: Brand) -> tuple[Colour, Colour] | None:
    """The portraits' duotone (dark, light) for a kit: its background and its accent, so a portrait
    sits in the kit's colours; None for the house kit (the pipeline's own yellow duotone)."""
    house = Brand()
    if brand.background == house.background and brand.accent == house.accent:
        return None
    shadow = HOUSE_SHADOW if brand.background == house.background else rgb(brand.background)
    return (shadow, rgb(brand.accent))
