"""Every long-lived object of one server, built in one place with its dependencies spelt out.

``build_services`` makes them; the application's lifespan (``app.py``) opens the
store, starts them, and closes them in reverse: sockets first, then services,
then the store. Handlers reach them as ``request.app[SERVICES]``.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from media.video import VideoLimits
from projector.core.moderation import Rules
from projector.core.state import ShowState
from projector.server.config import Config
from projector.server.fleet import Fleet
from projector.server.hub import Hub
from projector.server.layout_preview import LayoutPreviewer
from projector.server.mappings import Mappings
from projector.server.media_service import MediaService
from projector.server.message_preview import PreviewRenderer
from projector.server.moderation import Intake, ModerationQueue
from projector.server.node_clock import NodeClock
from projector.server.osc import OscServer
from projector.server.panels import PanelHub
from projector.server.passwords import PasswordHasher
from projector.server.scheduler import Scheduler
from projector.server.senders import SenderSigner
from projector.server.shared_show import SharedShow, node_name
from projector.server.show import Show
from projector.server.show_control import ShowControl
from projector.server.web.metrics import Metrics
from projector.server.web.principal import TokenCache
from projector.server.web.ratelimit import RateLimiter
from projector.store.database import is_postgres_url, shared_media
from projector.store.writer import StoreWriter


@dataclass(frozen=True, slots=True)
class Services:
    config: Config
    metrics: Metrics
    #: The store, on its own writer thread.
    store: StoreWriter
    #: Connected displays and the frames they are sent.
    hub: Hub
    #: The live state and the one way to change it.
    show: Show
    #: Cue changes: decided, stored, then shown.
    show_control: ShowControl
    tokens: TokenCache
    #: Password hashing and checks, on a small bounded pool of their own.
    passwords: PasswordHasher
    #: The public message form's rate limit, per address.
    public_limiter: RateLimiter
    intake: Intake
    queue: ModerationQueue
    previews: PreviewRenderer
    #: The layout editor's previews, drawn by the real layout scene.
    layout_previews: LayoutPreviewer
    media: MediaService
    fleet: Fleet
    mappings: Mappings
    panels: PanelHub
    scheduler: Scheduler
    osc: OscServer
    #: The time this node tells displays and stamps on decisions (the database's, when shared).
    clock: NodeClock
    #: Signs and checks the public form's sender cookies.
    senders: SenderSigner
    #: This node's share of the show with the other nodes on the database (PostgreSQL only).
    shared: SharedShow | None


SERVICES = web.AppKey("services", Services)


def build_services(config: Config) -> Services:
    """Construct (not start) every service; nothing here touches the disk or the network."""
    metrics = Metrics()
    hub = Hub(
        metrics,
        totals_rate=config.totals_rate,
        queue_limit=config.client_queue,
        unknown_ttl=config.unknown_display_ttl,
        max_unknown=config.max_unknown_displays,
    )
    store = StoreWriter(config.db_path, database=config.database)
    clock = NodeClock()
    show = Show(ShowState(), hub, clock)
    control = ShowControl(show, store, clock)
    queue = ModerationQueue()
    limits = VideoLimits(max_seconds=config.video_max_seconds, max_bytes=config.video_max_bytes)
    shared_bytes = shared_media(config.database)
    media = MediaService(
        config.data_dir,
        adhoc_bytes=config.variant_cache_bytes,
        video_limits=limits,
        shared_bytes=shared_bytes,
    )
    control.cue_length = media.cue_seconds
    media.on_video_lengths = control.reschedule
    fleet = Fleet(hub, store, metrics, config.public_url)
    shared = (
        SharedShow(show, store, node_name(config.port), clock) if is_postgres_url(config.database) else None
    )
    previews = PreviewRenderer()
    return Services(
        config=config,
        metrics=metrics,
        store=store,
        hub=hub,
        show=show,
        show_control=control,
        clock=clock,
        tokens=TokenCache(),
        passwords=PasswordHasher(config.login_workers, config.login_queue),
        public_limiter=RateLimiter(config.public_rate_per_minute),
        intake=Intake(Rules(trusted_sources=config.trusted)),
        queue=queue,
        previews=previews,
        layout_previews=LayoutPreviewer(media.library, previews.pool),
        media=media,
        fleet=fleet,
        mappings=Mappings(hub, store),
        panels=PanelHub(hub, show, fleet, queue, media),
        scheduler=Scheduler(store, show, control, config.zone, clock),
        osc=OscServer(config, metrics, fleet, control),
        senders=SenderSigner(store),
        shared=shared,
    )
