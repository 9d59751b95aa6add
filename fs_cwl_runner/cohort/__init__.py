"""The cohort file: its subjects, images and options, checked before any work."""
