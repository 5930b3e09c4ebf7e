"""Inbound mail: phishing, impersonation and business-email-compromise defence."""
