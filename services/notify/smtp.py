"""Email through an SMTP server (STARTTLS and login optional), with timeouts."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from models.tables import Notification
from services.notify.errors import DeliveryError, PermanentDeliveryError


class SmtpProvider:
    name = "smtp"

    def __init__(self, host: str, port: int = 25, *, sender: str, user: str = "", password: str = "",
                 starttls: bool = False, timeout: float = 10.0):
        self.host, self.port, self.sender = host, port, sender
        self.user, self.password, self.starttls, self.timeout = user, password, starttls, timeout

    def message(self, note: Notification) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = note.to_address
        msg["Subject"] = note.subject or note.body.split(".")[0][:120]
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(idstring=f"n{note.id}", domain=self.sender.rpartition("@")[2] or None)
        msg.set_content(note.body)
        return msg

    def send(self, note: Notification) -> None:
        if "@" not in note.to_address:
            raise PermanentDeliveryError(f"'{note.to_address}' is not an email address")
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.user:
                    smtp.login(self.user, self.password)
                smtp.send_message(self.message(note))
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [c for c, _ in exc.recipients.values()]
            err = PermanentDeliveryError if all(500 <= c < 600 for c in codes) else DeliveryError
            raise err(f"SMTP refused {note.to_address}: {exc.recipients}") from exc
        except smtplib.SMTPResponseException as exc:
            err = PermanentDeliveryError if 500 <= exc.smtp_code < 600 and exc.smtp_code != 554 else DeliveryError
            raise err(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP server {self.host}:{self.port} unavailable: {exc}") from exc
