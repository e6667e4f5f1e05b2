"""The throwaway PostgreSQL cluster (``tests/store/pg_cluster.py``) for the command-line tests too."""

from tests.store.pg_cluster import postgres_cluster, postgres_url

__all__ = ["postgres_cluster", "postgres_url"]
