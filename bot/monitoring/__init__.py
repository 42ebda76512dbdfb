"""Continuous governance monitoring: false-positive feedback, run metrics, the dashboard, the monthly report.

Pure parts (`metrics`, `feedback`, `charts`, `report`) turn records into values; `store` keeps the
records; `handlers`, `dashboard` and `schedule` are the bot's side.
"""
