"""One module per codec, behind the small interface in base.py."""
