"""The project's own sample library generator, for the demo and for a first look without photos."""
