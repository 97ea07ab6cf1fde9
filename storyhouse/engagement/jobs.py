"""Periodic work for notifications: emails wanted at once, and the daily digests.

Both are safe when several workers run at once: rows are claimed by conditional updates.
"""

from storyhouse import worker

from . import services


@worker.job(every=30)
def notification_emails_send() -> int:
    return services.emails_send_now()


@worker.job(every=300)
def notification_digests_send() -> int:
    return services.digests_send()
