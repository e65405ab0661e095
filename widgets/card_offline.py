"""The appointment card while the server is unreachable: what the console already holds, marked possibly stale,
with every action that needs the server disabled and the reason in words; nothing invented (no placeholder date,
no enabled Save on an empty form)."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import QLabel, QWidget

from models.timefmt import clock_time, day_time
from services.api_client import ApiError

if TYPE_CHECKING:
    from widgets.appointment_card import AppointmentCard

OFFLINE_REASON = ("Needs the server, which can't be reached right now. This comes back by itself when the console "
                  "reconnects.")
LATER = "Loads when the connection returns."
#: Card fields the schedule's list data doesn't carry (only the full appointment has them).
DETAIL_FIELDS = (("description", "desc"), ("internal_notes", "notes"), ("history", "history"))


class _LinkFollower(QObject):
    """Follows the link for one card; a child of the card, so a closed card no longer listens."""

    def __init__(self, card: AppointmentCard):
        super().__init__(card)
        self.card = card

    @Slot(str)
    def follow(self, state: str) -> None:
        on_link(self.card, state)


def start(card: AppointmentCard) -> None:
    """Open the card: the server's appointment, or — offline — the store's copy marked stale."""
    card.offline = False
    card.when_box.hide()  # until there is data: never a made-up date or an enabled Save
    card.store.linkChanged.connect(_LinkFollower(card).follow)  # disconnected when the card is deleted
    if card.store.offline:
        show_cached(card)
    else:
        card.tasks.spawn(_first_load(card), "load the appointment")


async def _first_load(card: AppointmentCard) -> None:
    if await card._reload() is not None:
        card.when_box.show()


def load_failed(card: AppointmentCard, exc: ApiError) -> None:
    if exc.status == 0:  # unreachable
        show_cached(card)
    else:
        card.show_notice(f"Couldn't load appointment #{card.appt_id}: {escape(exc.message)}")


def action_failed(card: AppointmentCard, exc: ApiError, what: str) -> None:
    if exc.status == 0:
        show_cached(card)
        card.show_notice(f"Couldn't {escape(what)}: the server can't be reached. " + stale_text(card))
    else:
        card.show_notice(f"Couldn't {escape(what)}: {escape(exc.message)}")


def on_link(card: AppointmentCard, state: str) -> None:
    if state == "offline" and not card.offline:
        show_cached(card)
    elif state == "live" and card.offline:
        back_online(card)


def server_controls(card: AppointmentCard) -> list[QWidget]:
    """Every control whose action goes to the server."""
    return [card.banner, card.tech_combo, card.date_edit, card.time_edit, card.duration, card.save_btn,
            card.msg_edit, card.msg_btn, card.contacts, card.photos]


def stale_text(card: AppointmentCard) -> str:
    tz = card.store.time_zone
    since, last = card.store.offline_since, card.store.last_update_at
    lost = f"since {clock_time(since, tz)}" if since else "right now"
    got = f" The last update arrived {day_time(last, tz)}." if last else ""
    return (f"<b>Offline {lost}</b> — showing what this console already holds; it may be out of date.{got} "
            "Changes need the server and are disabled until the connection returns.")


def show_cached(card: AppointmentCard) -> bool:
    """Fill the card from the store's copy and mark it stale; False when the console holds nothing for it."""
    cached: dict[str, Any] | None = card.store.appointment(card.appt_id)
    card.offline = True
    if cached is None and not card.data:
        card.status_label.setText("Not available offline")
        card.title.setText(escape(f"Appointment #{card.appt_id} isn’t among what this console holds, and the "
                                  "server can’t be reached. It opens as soon as the connection returns.", quote=False))
        card.when_box.hide()
    else:
        data = {**card.data, **(cached or {})}  # what the card showed, updated by what arrived since
        card.show_data(data)
        card.when_box.show()
        for key, name in DETAIL_FIELDS:
            if key not in data:
                label = getattr(card, name)
                assert isinstance(label, QLabel)
                label.setText(LATER)
        card.updated_label.setText(card.updated_label.text() + " · possibly stale")
    for w in server_controls(card):
        w.setEnabled(False)
        w.setToolTip(OFFLINE_REASON)
    card.show_notice(stale_text(card))
    return cached is not None


def back_online(card: AppointmentCard) -> None:
    """The link is live again: load the real thing (which re-enables what its status allows)."""
    card.offline = False
    for w in server_controls(card):
        w.setEnabled(True)
        w.setToolTip("")
    card.notice.hide()
    card.tasks.spawn(_first_load(card), "load the appointment")
