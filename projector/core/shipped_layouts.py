"""The layouts every campaign has from the start: a countdown, a case of the day, a country leaderboard.

They are examples to copy as much as layouts to use: a campaign that saves a
layout under one of these names replaces it (``layout_source``). Each places
its regions anew on a tower (``[regions.tall]``) and a banner (``[regions.wide]``).
"""

from __future__ import annotations

COUNTDOWN = """\
# A countdown to the campaign's deadline, with the total and the goal.
title = "Countdown"
deadline = 2026-12-10T23:59:59Z

[[regions]]
kind = "text"
text = "{campaign.name}"
colour = "accent"
lines = 1
x = 0.0
y = 0.0
w = 0.8
h = 0.12
align = "start"
wide = { x = 0.0, y = 0.0, w = 0.3, h = 0.3 }

[[regions]]
kind = "logo"
x = 0.82
y = 0.0
w = 0.18
h = 0.12
wide = { x = 0.0, y = 0.72, w = 0.12, h = 0.28 }

[[regions]]
kind = "text"
text = "{days} DAYS"
colour = "text"
lines = 1
x = 0.0
y = 0.16
w = 1.0
h = 0.3
tall = { x = 0.0, y = 0.14, w = 1.0, h = 0.26 }
wide = { x = 0.32, y = 0.0, w = 0.36, h = 0.62 }

[[regions]]
kind = "text"
text = "{hours}:{minutes}:{seconds}"
colour = "accent"
lines = 1
x = 0.15
y = 0.47
w = 0.7
h = 0.2
tall = { x = 0.0, y = 0.42, w = 1.0, h = 0.16 }
wide = { x = 0.7, y = 0.0, w = 0.3, h = 0.62 }

[[regions]]
kind = "text"
text = "UNTIL HUMAN RIGHTS DAY"
font = "strong"
colour = "text"
lines = 1
x = 0.0
y = 0.68
w = 1.0
h = 0.07
tall = { x = 0.0, y = 0.6, w = 1.0, h = 0.05 }
wide = { x = 0.32, y = 0.62, w = 0.68, h = 0.12 }

[[regions]]
kind = "bar"
colour = "accent"
x = 0.0
y = 0.8
w = 1.0
h = 0.04
tall = { x = 0.0, y = 0.74, w = 1.0, h = 0.03 }
wide = { x = 0.14, y = 0.8, w = 0.86, h = 0.06 }

[[regions]]
kind = "text"
text = "{total} ACTIONS · GOAL {goal}"
font = "strong"
colour = "text"
lines = 1
x = 0.0
y = 0.88
w = 1.0
h = 0.12
tall = { x = 0.0, y = 0.82, w = 1.0, h = 0.12 }
wide = { x = 0.14, y = 0.88, w = 0.86, h = 0.12 }
"""

CASE_OF_THE_DAY = """\
# One active case a day (UTC), in turn: portrait, name, country, ask and its actions.
title = "Case of the day"
case = "of_the_day"

[[regions]]
kind = "portrait"
x = 0.0
y = 0.0
w = 0.42
h = 1.0
tall = { x = 0.0, y = 0.0, w = 1.0, h = 0.45 }
wide = { x = 0.0, y = 0.0, w = 0.2, h = 1.0 }

[[regions]]
kind = "text"
text = "CASE OF THE DAY"
font = "strong"
colour = "accent"
align = "start"
lines = 1
x = 0.46
y = 0.0
w = 0.54
h = 0.08
tall = { x = 0.0, y = 0.48, w = 1.0, h = 0.04 }
wide = { x = 0.23, y = 0.0, w = 0.35, h = 0.14 }

[[regions]]
kind = "text"
text = "{case.name}"
colour = "text"
align = "start"
lines = 2
x = 0.46
y = 0.1
w = 0.54
h = 0.34
tall = { x = 0.0, y = 0.53, w = 1.0, h = 0.15 }
wide = { x = 0.23, y = 0.16, w = 0.35, h = 0.5 }

[[regions]]
kind = "text"
text = "{case.country}"
font = "display"
colour = "accent"
align = "start"
lines = 1
x = 0.46
y = 0.45
w = 0.54
h = 0.08
tall = { x = 0.0, y = 0.69, w = 1.0, h = 0.04 }
wide = { x = 0.23, y = 0.7, w = 0.35, h = 0.14 }

[[regions]]
kind = "text"
text = "{case.ask}"
font = "body"
colour = "text"
align = "start"
lines = 4
x = 0.46
y = 0.56
w = 0.54
h = 0.24
tall = { x = 0.0, y = 0.75, w = 1.0, h = 0.13 }
wide = { x = 0.61, y = 0.0, w = 0.39, h = 0.6 }

[[regions]]
kind = "text"
text = "{case.count} ACTIONS"
colour = "accent"
align = "start"
lines = 1
x = 0.46
y = 0.84
w = 0.54
h = 0.14
tall = { x = 0.0, y = 0.9, w = 1.0, h = 0.1 }
wide = { x = 0.61, y = 0.66, w = 0.39, h = 0.3 }
"""

LEADERBOARD = """\
# The five countries with the most actions, and the total.
title = "Country leaderboard"

[[regions]]
kind = "text"
text = "{campaign.name}"
colour = "accent"
align = "start"
lines = 1
x = 0.0
y = 0.0
w = 1.0
h = 0.12
wide = { x = 0.0, y = 0.0, w = 0.36, h = 0.3 }

[[regions]]
kind = "text"
text = "TOP COUNTRIES"
font = "strong"
colour = "text"
align = "start"
lines = 1
x = 0.0
y = 0.13
w = 1.0
h = 0.07
tall = { x = 0.0, y = 0.13, w = 1.0, h = 0.04 }
wide = { x = 0.0, y = 0.32, w = 0.36, h = 0.14 }

[[regions]]
kind = "leaderboard"
of = "by_country"
rows = 5
colour = "accent"
x = 0.0
y = 0.22
w = 1.0
h = 0.6
tall = { x = 0.0, y = 0.2, w = 1.0, h = 0.5 }
wide = { x = 0.4, y = 0.0, w = 0.6, h = 1.0 }

[[regions]]
kind = "text"
text = "{total} ACTIONS WORLDWIDE"
colour = "accent"
lines = 1
x = 0.0
y = 0.86
w = 1.0
h = 0.14
tall = { x = 0.0, y = 0.76, w = 1.0, h = 0.2 }
wide = { x = 0.0, y = 0.6, w = 0.36, h = 0.4 }
"""

#: The shipped layouts by name (what a cue's ``layout`` parameter says).
SHIPPED: dict[str, str] = {
    "countdown": COUNTDOWN,
    "case-of-the-day": CASE_OF_THE_DAY,
    "leaderboard": LEADERBOARD,
}
