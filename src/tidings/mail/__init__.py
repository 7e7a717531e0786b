"""Newsletters: an issue rendered once through MJML, personalized per subscriber, sent over SMTP."""
