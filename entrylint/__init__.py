"""entrylint: find and fix the entrypoint, signal and PID-1 pitfalls of container images."""

__version__ = "0.1.0"
