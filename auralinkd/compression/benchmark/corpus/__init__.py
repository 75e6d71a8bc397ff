"""The compression corpus, generated or shipped, never downloaded: espeak-ng speech, scikit-image
sample images, synthetic text screens, a synthetic video clip and JSON data-channel messages."""
