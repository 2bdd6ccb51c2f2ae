"""LSTM Lens engine: recurrent cells in NumPy with full per-step traces.

from model import load_onnx
net = load_onnx("m.onnx")
trace = net.run(x)        # x: (T, input_size)
trace.h, trace.c          # last layer's hidden and cell states, (T, H)
"""

from model.encoders import Encoder, NumericEncoder, OneHotEncoder, encoder_from_dict
from model.layer import KINDS, Layer
from model.network import Network
from model.onnx_io import load_onnx, to_onnx
from model.trace import Gradients, LayerState, LayerTrace, State, StepRecord, Trace

__all__ = [
    "KINDS",
    "Encoder",
    "Gradients",
    "Layer",
    "LayerState",
    "LayerTrace",
    "Network",
    "NumericEncoder",
    "OneHotEncoder",
    "State",
    "StepRecord",
    "Trace",
    "encoder_from_dict",
    "load_onnx",
    "to_onnx",
]
