"""Tests of projector/server/."""
