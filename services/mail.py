"""Outgoing e-mail (spec 10 §9.2): `send` renders a message where it is called and queues the
`mail.send` task after commit; `deliver` (run by that task) hands it to the SMTP server in
MAIL_URL, or, with MAIL_URL unset, to the log and to `outbox` (what tests read)."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from email.utils import formataddr
from urllib.parse import parse_qs, unquote, urlparse

from flask import current_app

from services.dispatch import enqueue_after_commit

log = logging.getLogger("mail")
SEND_MAIL = "mail.send"  # the task's registered name (workers/tasks/names.py)
outbox: list[dict] = []


def render(template: str, context: dict) -> tuple[str, str]:
    """(subject, body) from `mail/<template>.txt`, whose first line is `Subject: …`."""
    # The bare Jinja environment: the pages' context processors need a request, mail has none.
    text = current_app.jinja_env.get_template(f"mail/{template}.txt").render(**context)
    first, _, body = text.partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"mail/{template}.txt must start with a Subject: line")
    return first.removeprefix("Subject:").strip(), body.lstrip("\n")


def send(to: str | None, template: str, context: dict, sender_name: str | None = None) -> None:
    """Render now, deliver after the transaction commits (nothing is sent on rollback)."""
    if not to:
        return
    subject, body = render(template, context)
    enqueue_after_commit(SEND_MAIL, to=to, subject=subject, body=body, sender_name=sender_name)


def deliver(to: str, subject: str, body: str, sender_name: str | None = None) -> str:
    config = current_app.config
    sender = formataddr((sender_name or "", config["MAIL_FROM"]))
    if not config.get("MAIL_URL"):
        outbox.append({"to": to, "subject": subject, "body": body, "from": sender})
        log.info("mail.logged to=%s subject=%s\n%s", to, subject, body)
        return "logged"
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message.set_content(body)
    url = urlparse(config["MAIL_URL"])
    options = parse_qs(url.query)
    with smtplib.SMTP(url.hostname, url.port or 25, timeout=30) as smtp:
        if options.get("starttls", ["false"])[0].lower() == "true":
            smtp.starttls()
        if url.username:
            smtp.login(unquote(url.username), unquote(url.password or ""))
        smtp.send_message(message)
    return "sent"
