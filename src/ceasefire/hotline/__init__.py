"""The mil-to-mil hotline: message rules, the scheduler, CAP alerts, e-mail."""
