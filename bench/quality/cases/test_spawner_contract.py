"""A shipped pytest suite that third-party spawners run against their own implementation: each test starts a
spawner and checks what it reports."""

import requests


class SpawnerContractSuite:
    spawner_class = None

    def test_spawned_server_answers(self, spawner):
        url = spawner.start()
        response = requests.get(f"{url}/api/status")  # quiet: a pytest test function: a stalled server fails this one test under the runner's per-test timeout, no service thread waits
        assert response.status_code == 200

    def test_logo_is_served(self, spawner):
        response = requests.get(spawner.logo_url)  # quiet: a pytest test function, bounded by the test runner
        assert response.headers["content-type"].startswith("image/")
