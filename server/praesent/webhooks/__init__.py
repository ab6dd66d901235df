"""Outgoing webhooks: what a call's results look like on the wire (``payloads``), where they may
go (``addresses``), and how the outbox is delivered (``delivery``, ``relay``)."""
