"""The delivery slice: every invitation and reminder email, from outbox row to SMTP.

It owns the `outbox` and `opt_outs` tables: queueing invites when a wave opens and reminders
on their days, the send job (`deliver_wave`) and its SMTP sender, the emails themselves, the
sweeper that makes Redis disposable, opting out, and the delivery status of a wave. Other
slices, the worker and the assembly import from here.
"""

from __future__ import annotations

from .clock import queue_reminders, sweep_outbox
from .models import DeliveryStatus
from .outbox import kick_delivery, queue_invites, skip_pending_for_closed_wave
from .sender import DeliveryConfig, deliver_wave, smtp_options
from .status import delivery_status

__all__ = [
    "DeliveryConfig",
    "DeliveryStatus",
    "deliver_wave",
    "delivery_status",
    "kick_delivery",
    "queue_invites",
    "queue_reminders",
    "skip_pending_for_closed_wave",
    "smtp_options",
    "sweep_outbox",
]
