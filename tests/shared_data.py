"""Where the tests find GitHub's reference data and the SARIF schema.

Vendored under tests/data/shared (copied unchanged from the workplace's ../shared, whose README
says where each file comes from) so a clean clone tests anywhere; ASYNCGUARD_SHARED_DATA points
elsewhere if needed.
"""

from __future__ import annotations

import os
from pathlib import Path

SHARED = Path(os.environ.get("ASYNCGUARD_SHARED_DATA", Path(__file__).resolve().parent / "data" / "shared"))
OPENAPI_SUBSET = SHARED / "github" / "openapi-subset.json"
WEBHOOKS = SHARED / "github" / "webhooks"
SARIF_SCHEMA = SHARED / "schemas" / "sarif-2.1.0.json"
# operations and webhooks beyond the shared subset, from the same upstream (see its extract.py)
EXTRA = Path(__file__).resolve().parent / "data" / "github-extra"
OPENAPI_EXTRA = EXTRA / "openapi-extra.json"
WEBHOOKS_EXTRA = EXTRA / "webhooks"
