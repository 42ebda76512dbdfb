from tests.rules.helpers import project  # noqa: F401  (fixture)
