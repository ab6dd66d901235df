"""Speech-to-text: model registry and loading, utterance transcription."""
