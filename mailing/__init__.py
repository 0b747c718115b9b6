"""Mail as Komitmen writes it: templates rendered in the reader's language
(`mailing.rendering`) and messages delivered by SMTP or into an outbox folder
(`mailing.transport`).

Below both the workflows' activities (reminders, notices, retried by Temporal) and the
services (set-password links, sent while a person waits at a page), so both write mail
the same way from one copy.
"""
