"""Tests of projector/cli/."""
