"""Dispatch: the outbox of messages to send, the channels that send them, and their receipts."""
