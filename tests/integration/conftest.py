import pytest

from fairnic import Daemon, Traffic, ensure_hugepages


@pytest.fixture(scope="session", autouse=True)
def hugepages():
    ensure_hugepages()


@pytest.fixture
def daemon(tmp_path):
    d = Daemon(tmp_path)
    yield d
    d.stop()


@pytest.fixture
def daemon2(tmp_path):
    """A daemon with two uplinks."""
    d = Daemon(tmp_path, uplinks=("up0", "up1"))
    yield d
    d.stop()


@pytest.fixture
def traffic():
    t = Traffic()
    yield t
    t.close()
