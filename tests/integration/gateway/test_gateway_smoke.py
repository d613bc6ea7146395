from gateway_support import registration


def test_a_city_admin_registers_and_reads_a_volunteer(platform, city):
    created = city.post("/volunteers", registration())
    assert created.status_code == 201, created.text
    volunteer_id = created.json()["volunteer_id"]
    assert created.headers["Location"] == f"/volunteers/{volunteer_id}"
    read = city.get(f"/volunteers/{volunteer_id}")
    assert read.status_code == 200
    assert read.json()["phone_masked"] != "13812345678"
