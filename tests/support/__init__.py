"""Helpers for tests that run other processes: a real Celery worker, a slow SMS provider, a TCP
proxy that can play a database outage."""
