"""The mail task: deliver one rendered message, retrying a failing server with backoff."""

from __future__ import annotations

import smtplib

from services import mail
from workers.tasks.names import SEND_MAIL


def register(celery) -> None:
    @celery.task(
        name=SEND_MAIL,
        base=celery.PlatformTask,
        bind=True,
        shared=False,
        acks_late=True,
        autoretry_for=(smtplib.SMTPException, OSError),
        retry_backoff=60,
        retry_backoff_max=1800,
        retry_jitter=True,
        max_retries=5,
    )
    def send_mail(self, to: str, subject: str, body: str, sender_name: str | None = None):
        return mail.deliver(to, subject, body, sender_name)
