"""Indexing and querying work with networking unavailable: any attempt to connect fails the test."""

import socket

import pytest

from app.pipeline import build_pipeline
from app.settings import Settings


@pytest.fixture
def no_network(monkeypatch):
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(var, "http://127.0.0.1:9")  # a proxy that does not exist
    return attempts


def test_index_and_query_offline(seeds_copy, tmp_path, no_network):
    pipe = build_pipeline(Settings(data_dir=tmp_path / "d", seeds=seeds_copy, model="stub"))
    assert pipe.sync_report.passages_embedded == len(pipe.passages) > 0
    res = pipe.retriever.retrieve("Who founded DeepSeek?", k=2)
    assert any("Liang" in h.passage.text for r in res for h in r.hits)
    assert no_network == []


def test_the_network_guard_works(no_network):
    with pytest.raises(AssertionError, match="network access attempted"):
        socket.create_connection(("127.0.0.1", 80))
