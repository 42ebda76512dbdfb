"""The bot's storage layer: one SQLAlchemy (async) schema on SQLite (embedded default) or PostgreSQL.

See README.md in this folder for how to add a table and its migration.
"""

from asyncguard.bot.storage.db import Database, database_url_for

__all__ = ["Database", "database_url_for"]
