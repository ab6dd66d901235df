"""Background work: retention."""
