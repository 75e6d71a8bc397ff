"""Speech: offline text to speech (espeak-ng), speech to text (Whisper tiny.en) and live captions."""
