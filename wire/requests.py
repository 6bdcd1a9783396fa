"""What every mutation carries beside its content: a `request_id`, which makes a retry
safe (the hub answers a repeated one with the first answer; docs/errors.md)."""

REQUEST_ID_MAX_LENGTH = 100
"""The longest request_id the hub takes (hub/domain/limits.py checks by it)."""
