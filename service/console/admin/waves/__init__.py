"""The admin console's waves area: every wave with its state, opening a pulse's next wave now,
closing an open one after a confirmation, and a wave's delivery progress (routes.py).

Each action is the admin API's own call (open_wave, close_wave, delivery_status), audited as
the signed-in person; delivery progress is banded while a wave is open, as the API shows it.
"""
