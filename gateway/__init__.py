"""The REST gateway: the one HTTP door to the platform's services."""
