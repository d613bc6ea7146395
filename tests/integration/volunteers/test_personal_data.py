"""Personal data kept apart from the events, on the real store."""
from __future__ import annotations

from services.volunteers import personal


def test_keeping_many_people_inserts_the_new_and_replaces_one_already_kept(mongo_db):
    personal.keep(mongo_db, "v-2", "320902195603080011", "13800000000")

    personal.keep_many(mongo_db, [("v-1", "320902195603080038", "13812345678"),
                                  ("v-2", "320902195603080054", "13912345678"),
                                  ("v-3", "320902195603080070", "13712345678")])

    assert personal.reveal(mongo_db, "v-1") == {"id_number": "320902195603080038",
                                                "phone": "13812345678"}
    assert personal.reveal(mongo_db, "v-2") == {"id_number": "320902195603080054",
                                                "phone": "13912345678"}
    assert personal.reveal(mongo_db, "v-3") == {"id_number": "320902195603080070",
                                                "phone": "13712345678"}
    assert mongo_db[personal.COLLECTION].count_documents({}) == 3


def test_keeping_nobody_writes_nothing(mongo_db):
    personal.keep_many(mongo_db, [])

    assert mongo_db[personal.COLLECTION].count_documents({}) == 0
