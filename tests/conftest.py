"""Fixtures and plugins shared by every test folder."""

# pytester runs pytest on generated test files, which is how the tests of the
# package's pytest plugin use it as a user's project would.
pytest_plugins = ["pytester"]
