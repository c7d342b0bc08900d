"""Reference implementations of the course, in PyTorch."""
