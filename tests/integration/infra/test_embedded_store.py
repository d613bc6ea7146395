"""The embedded nx-27017 store, run as a real child process."""

import os
import socket

import pytest
from pymongo import MongoClient

from yinfa.config import load_settings
from yinfa.infra.embedded_store import EmbeddedStore, StoreUnavailable, ensure_store, free_port

pytestmark = pytest.mark.integration


def process_is_gone(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_the_store_starts_on_a_free_port_and_answers_ping(tmp_path):
    with EmbeddedStore(tmp_path) as store:
        assert store.uri == f"mongodb://127.0.0.1:{store.port}/"
        client = MongoClient(store.uri, serverSelectionTimeoutMS=2000)
        assert client.admin.command("ping")["ok"] == 1
        client.close()


def test_data_survives_a_restart_on_the_same_directory(tmp_path):
    with EmbeddedStore(tmp_path, "svc") as store:
        client = MongoClient(store.uri)
        client.volunteers.events.insert_one({"_id": "e1", "stream_id": "v-1"})
        client.close()
        first_port = store.port

    with EmbeddedStore(tmp_path, "svc") as store:
        client = MongoClient(store.uri)
        assert client.volunteers.events.find_one({"_id": "e1"})["stream_id"] == "v-1"
        client.close()
    assert (tmp_path / "svc" / "volunteers.db").exists()
    assert first_port is not None


def test_each_logical_database_has_its_own_collections(tmp_path):
    # nx-27017 with a single .db file would let `b.events` see `a.events`.
    with EmbeddedStore(tmp_path) as store:
        client = MongoClient(store.uri)
        client.volunteers.events.insert_one({"_id": 1, "owner": "volunteers"})
        assert client.branches.events.find_one({"_id": 1}) is None
        client.branches.events.insert_one({"_id": 1, "owner": "branches"})
        assert client.volunteers.events.find_one({"_id": 1})["owner"] == "volunteers"
        client.close()


def test_stopping_leaves_no_process_and_no_pid_file(tmp_path):
    store = EmbeddedStore(tmp_path).start()
    pid, pid_file = store.pid, store.pid_path
    assert pid_file.exists()

    store.stop()
    store.stop()  # idempotent

    assert process_is_gone(pid)
    assert not pid_file.exists()


def test_a_memory_store_writes_no_database_files(tmp_path):
    with EmbeddedStore(tmp_path, db_path="memory") as store:
        client = MongoClient(store.uri)
        client.db.c.insert_one({"x": 1})
        assert client.db.c.count_documents({}) == 1
        client.close()
    assert not list(tmp_path.glob("**/*.db"))


def test_a_taken_port_fails_fast_with_the_servers_own_error(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(StoreUnavailable) as err:
            EmbeddedStore(tmp_path, port=port).start()
    assert "exited" in str(err.value)
    assert "address already in use" in str(err.value)


def test_ensure_store_starts_an_embedded_store_when_mongo_uri_is_unset(tmp_path):
    uri, store = ensure_store(load_settings({}), data_dir=tmp_path)
    try:
        assert store is not None and uri == store.uri
        assert MongoClient(uri).admin.command("ping")["ok"] == 1
    finally:
        store.stop()


def test_ensure_store_uses_mongo_uri_when_set_and_starts_nothing(tmp_path):
    with EmbeddedStore(tmp_path) as running:
        uri, store = ensure_store(load_settings({"MONGO_URI": running.uri}),
                                  data_dir=tmp_path / "unused")
        assert (uri, store) == (running.uri, None)
    assert not (tmp_path / "unused").exists()


def test_an_unreachable_mongo_uri_is_named_in_the_error():
    closed = f"mongodb://u:secret@127.0.0.1:{free_port()}/"
    with pytest.raises(StoreUnavailable) as err:
        ensure_store(load_settings({"MONGO_URI": closed}), ping_timeout_ms=300)
    assert "MONGO_URI=" in str(err.value)
    assert "secret" not in str(err.value)
