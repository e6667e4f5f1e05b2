"""projector: an event-driven projection and display controller for campaigns."""

__version__ = "0.1.0"
