"""praesent: an attentiveness assistant for salespeople in video calls."""

__version__ = "0.1.0"
