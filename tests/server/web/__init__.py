"""Tests of projector/server/web/."""
