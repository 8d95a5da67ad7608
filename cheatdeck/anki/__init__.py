"""Anki: the lock (identity over time), reconciling notes with it, the .apkg writer and sync."""
