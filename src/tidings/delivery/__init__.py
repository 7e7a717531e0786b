"""Delivery: header lines built from data, the transports (SMTP pool, Maildir), plain messages.

Shared by every output that sends mail (the newsletter sender and the collector's confirmation).
"""
