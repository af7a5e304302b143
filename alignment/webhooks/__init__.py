"""Outgoing webhooks: subscriptions, the delivery log, signing, safe addresses, sending.

The event stream (``alignment.models.Event``, written in the transaction of each change)
is the outbox: ``relay`` turns new events into one delivery row per subscribed endpoint,
``sending`` delivers them over HTTP with retries, signed, in order per subject.
"""
