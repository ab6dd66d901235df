"""``praesent capture``: the desktop capture client (microphone = seller, system loopback =
customer), streamed to the live socket."""

from praesent.capture.client import CaptureOptions, capture_main, list_devices

__all__ = ["CaptureOptions", "capture_main", "list_devices"]
