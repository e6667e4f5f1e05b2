"""The test cluster's own rules: skipped on a laptop without PostgreSQL, a failure in CI."""

from __future__ import annotations

import psycopg
import pytest

from tests.store import pg_cluster


@pytest.fixture
def no_postgres(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pg_cluster, "DEBIAN_BIN_DIRS", "/nonexistent/postgresql/*/bin")
    monkeypatch.setenv("PATH", "/nonexistent")


@pytest.mark.usefixtures("no_postgres")
def test_without_postgres_a_laptop_skips_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="install Debian's postgresql package"):
        pg_cluster.cluster_for_tests()


@pytest.mark.usefixtures("no_postgres")
def test_without_postgres_ci_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true and PostgreSQL server binaries"):
        pg_cluster.cluster_for_tests()


def test_the_cluster_runs_unprivileged(postgres_cluster: pg_cluster.PostgresCluster) -> None:
    with psycopg.connect(postgres_cluster.url(tcp=True)) as conn:
        [(fsync,)] = conn.execute("SHOW fsync").fetchall()
        assert fsync == "off"  # test speed; the benchmarks start theirs durable
    assert postgres_cluster.data_dir.owner() != "root"


def test_a_stopped_cluster_leaves_nothing_behind() -> None:
    cluster = pg_cluster.cluster_for_tests()
    root = cluster.root
    assert (cluster.data_dir / "postmaster.pid").exists()
    cluster.stop()
    assert not root.exists()
