"""What Tocsin says: templates per channel and language, SMS segments, and its own short phrases."""
