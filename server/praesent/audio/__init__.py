"""Audio: streaming decode to 16 kHz per channel, frames, voice activity."""

SAMPLE_RATE = 16_000
