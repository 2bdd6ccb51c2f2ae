"""LSTM Lens web application: FastAPI server and command-line interface."""

__version__ = "0.1.0"
