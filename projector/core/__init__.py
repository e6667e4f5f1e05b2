"""The pure core: model, state machine, wire protocol and client replica.

Nothing in this package does I/O or reads a clock; the current time is always
an argument. The server and the display both run this code, so they cannot
disagree about what an event means.
"""
