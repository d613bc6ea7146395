"""`yinfa rotate-master-key`: every sealed document opens under the new master key and
says what it said; a rerun changes nothing; the data itself is never re-encrypted."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys

from yinfa.sealed import master_from_text, seal, unseal

PREFIX = "t_rotate_keys"
WANG = {"name": "欧阳建国", "phone": "13900001111", "id_number": "320902195603080038"}


def rotate(mongo_uri: str, old: str, new: str) -> dict[str, str]:
    done = subprocess.run(
        [sys.executable, "-m", "yinfa.cli", "rotate-master-key"],
        env={**os.environ, "MONGO_URI": mongo_uri, "YINFA_DB_PREFIX": PREFIX,
             "YINFA_OLD_MASTER_KEY": old, "YINFA_MASTER_KEY": new},
        capture_output=True, text=True, timeout=120, check=True)
    return dict(pair.split("=") for pair in done.stdout.split())


def test_every_sealed_store_is_rewrapped_under_the_new_key(mongo_client, mongo_uri):
    old, new = secrets.token_urlsafe(48), secrets.token_urlsafe(48)
    stores = {"volunteers": "personal_data", "branches": "people_named",
              "activities": "wish_texts", "feeds": "import_chunks"}
    try:
        for service, collection in stores.items():
            mongo_client[f"{PREFIX}_{service}"][collection].insert_one(
                seal(f"{service}-1", WANG, master_from_text(old)))
        before = {s: mongo_client[f"{PREFIX}_{s}"][c].find_one() for s, c in stores.items()}
        # a nominee's deeds are sealed beside the volunteers' personal data
        deeds = mongo_client[f"{PREFIX}_volunteers"]["nomination_deeds"]
        deeds.insert_one({**seal("nomination-1", {"deeds": "义务宣讲"}, master_from_text(old)),
                          "volunteer_id": "volunteer-1"})

        counts = rotate(mongo_uri, old, new)

        assert set(counts.values()) == {"1"}
        for service, collection in stores.items():
            after = mongo_client[f"{PREFIX}_{service}"][collection].find_one()
            assert unseal(after, master_from_text(new)) == WANG
            assert after["data"] == before[service]["data"]  # the data was not touched
            assert after["key"] != before[service]["key"]
        assert unseal(deeds.find_one(), master_from_text(new)) == {"deeds": "义务宣讲"}
        assert set(rotate(mongo_uri, old, new).values()) == {"0"}
    finally:
        for service in stores:
            mongo_client.drop_database(f"{PREFIX}_{service}")
