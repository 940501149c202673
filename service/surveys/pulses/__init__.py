"""The pulses slice: what is asked, of whom, how often. It owns the org's question items (the
built-in bank copied into every org, plus the org's own items and instruments) and the pulses:
which teams, which items, cadence, open window and anonymity thresholds.

    routes.py       HTTP handlers (ITEMS, PULSES, mounted by service/app.py)
    models.py       request and response bodies, the bank's file format, key patterns
    queries.py      every SQL statement of the slice
    programs.py     a pulse's life: create, change, deactivate, resume, read, plan its waves
    preview.py      the groups the next wave would report (today's tree), and the warnings
    rules.py        what a pulse must satisfy, checked as a whole on every change
    schedule.py     pure: the items of wave n, when the next wave opens
    items.py        the org's items: list, add (one or a whole instrument), retire
    bank.py         the built-in item bank (item_bank/*.toml)

Other code uses only the names below: the waves slice freezes `items_for_wave()` into a wave
and stores `next_wave_at()`; org setup, the demo, tests and benches install the built-in bank.
"""

from .bank import FOLLOW_UP_ITEM, builtin_items, follow_up_item, install_builtin_items
from .models import DraftPreview
from .rules import RULE_CODES
from .schedule import items_for_wave, next_wave_at

__all__ = [
    "FOLLOW_UP_ITEM",
    "RULE_CODES",
    "DraftPreview",
    "builtin_items",
    "follow_up_item",
    "install_builtin_items",
    "items_for_wave",
    "next_wave_at",
]
