"""Tests of projector/server/routes/."""
