"""The waves slice: a pulse's waves from opening to closing.

It owns the `waves`, `wave_teams`, `wave_plan`, `invitations` and `ballots` tables while a
wave runs: opening (freeze the team tree and the reporting plan, invite, queue the invite
emails through delivery), closing (shuffle the sealed ballot box into responses and comments,
then the `after_close` step the assembly passes in), resealing an open wave's ballot box, the
crons that open and close waves on time, and the admin API over waves. Other slices and the
assembly import from here.
"""

from __future__ import annotations

from .ballot_box import reseal_ballot_box, reseal_open_waves
from .clock import close_due_waves, open_due_waves
from .lifecycle import WAVE_CODES, AfterClose, close_wave, nudge_delivery, open_wave
from .listing import list_waves, one_wave
from .models import WaveOut

__all__ = [
    "WAVE_CODES",
    "AfterClose",
    "WaveOut",
    "close_due_waves",
    "close_wave",
    "list_waves",
    "nudge_delivery",
    "one_wave",
    "open_due_waves",
    "open_wave",
    "reseal_ballot_box",
    "reseal_open_waves",
]
