"""What the store tests share: the factory type and a short way to write an action."""

from __future__ import annotations

from collections.abc import Callable

from projector.core.model import Action, Channel
from projector.store.base import Store

#: Opens a store; each call opens the same database again (as a restart would).
StoreFactory = Callable[[], Store]


def act(
    action_id: str,
    count: int = 1,
    channel: Channel = Channel.LETTER,
    *,
    country: str = "DE",
    case: str | None = None,
) -> Action:
    return Action(action_id, channel, country, count, case=case)
