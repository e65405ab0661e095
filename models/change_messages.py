"""What customers and technicians are told when a visit is rescheduled or reassigned, written once.

The backend sends these texts (services/backend/notify_texts.py) and the console shows the customer's ones
before the dispatcher decides whether to send them, so the preview is the message.

Who is told:
- the customer (and every job contact, by the opt-out rule of models/notifications.py) about a new time or a new
  technician — only when the dispatcher says so for this change (`notify_customer`), or, when they don't say,
  as the company's default for that kind of change (settings `text_customer_on_reschedule`,
  `text_customer_on_reassign`); unassigning tells the customer nothing until someone is assigned;
- always the technician who gains the job, the one who loses it, and the assigned technician whose job moved.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The company settings holding the customer-text default per kind of change.
DEFAULT_SETTING = {"reschedule": "text_customer_on_reschedule", "reassign": "text_customer_on_reassign"}


@dataclass(frozen=True)
class Company:
    """What a customer text says about the company."""

    name: str
    phone: str
    portal_link: str


def change_kinds(technician_changed: bool, window_changed: bool) -> list[str]:
    """The kinds of change a PATCH makes ('reschedule', 'reassign'), in the order they are told."""
    return (["reschedule"] if window_changed else []) + (["reassign"] if technician_changed else [])


def customer_default(kinds: list[str], settings: dict[str, bool]) -> bool:
    """Whether the customer is texted when the dispatcher does not say: any kind of change whose default is on."""
    return any(settings.get(DEFAULT_SETTING[k], True) for k in kinds)


def rescheduled_text(company: Company, service: str, when: str, first_name: str | None = None) -> str:
    """A new time (and, with `first_name`, a new technician too: one message for both)."""
    with_tech = f" with {first_name}" if first_name else ""
    return (f"{company.name}: your {service} appointment has moved to {when}{with_tech}. Questions? Call "
            f"{company.phone}. Check Status: {company.portal_link}")


def technician_changed_text(company: Company, first_name: str, service: str, when: str) -> str:
    return f"{company.name}: {first_name} will now handle your {service} visit ({when})."


def customer_texts(company: Company, service: str, when: str, *, reschedule: bool, reassign: bool,
                   new_first_name: str | None) -> list[str]:
    """The customer's message for one change: one text even when both the time and the technician change (a visit
    taken off a technician without a new one tells the customer nothing about who comes)."""
    if reschedule:
        return [rescheduled_text(company, service, when, new_first_name if reassign else None)]
    if reassign and new_first_name:
        return [technician_changed_text(company, new_first_name, service, when)]
    return []


def tech_assigned_text(service: str, customer: str, address: str, when: str) -> str:
    return f"New job assigned: {service} for {customer}, {address}, {when}."


def tech_removed_text(service: str, customer: str, when: str, new_tech: str | None) -> str:
    to = f" It is now {new_tech}'s." if new_tech else " It is back with dispatch."
    return f"Job removed from your schedule: {service} for {customer}, {when}.{to}"


def tech_moved_text(service: str, customer: str, address: str, when: str) -> str:
    return f"Job moved: {service} for {customer}, {address}, is now {when}."
