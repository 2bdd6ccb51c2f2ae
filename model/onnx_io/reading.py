"""From a path or bytes to a parsed ONNX model, and from its protobuf fields to Python values.

Nothing here knows about recurrent layers. The file is read under a size cap, parsed with
messages that say what went wrong, and refused when its tensors live in external data (load_onnx
reads self-contained files only). ``onnx`` is imported inside the functions, so that
``import model`` does not import it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from onnx import GraphProto, ModelProto, NodeProto, TensorProto

MAX_BYTES = 512 * 2**20  # refuse files larger than this (512 MiB)

Source = str | os.PathLike[str] | bytes | bytearray | memoryview  # what load_onnx reads


def source_name(source: Source) -> str | None:
    """How messages name the file: its path, or None when the model is given as bytes."""
    if isinstance(source, (str, os.PathLike)):
        return repr(os.fspath(source))
    return None


def read_source(source: Source) -> bytes:
    """The model's bytes, from the bytes themselves or a path; ValueError above MAX_BYTES, or
    naming the path when it cannot be read (missing, a directory, no permission)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        size = memoryview(source).nbytes
        if size > MAX_BYTES:
            raise ValueError(f"the model is {size} bytes; load_onnx reads up to {MAX_BYTES}")
        return bytes(source)
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"load_onnx takes a path or bytes, not {type(source).__name__}")
    name = source_name(source)
    try:
        with open(source, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > MAX_BYTES:
                raise ValueError(f"{name} is {size} bytes; load_onnx reads files up to {MAX_BYTES}")
            data = f.read(MAX_BYTES + 1)
    except OSError as error:  # FileNotFoundError, IsADirectoryError, PermissionError, ...
        reason = error.strerror or type(error).__name__
        raise ValueError(f"cannot read the ONNX file {name}: {reason}") from error
    if len(data) > MAX_BYTES:  # not a regular file, or one that grew while read
        raise ValueError(f"{name} is over {MAX_BYTES} bytes, too large to read")
    return data


def parse_model(data: bytes, name: str | None = None) -> ModelProto:
    """The parsed model; ValueError if it is not one, an empty one, or uses external data.
    ``name``: the file's, put in front of the messages (None for bytes)."""
    try:
        return _parse(data)
    except ValueError as error:
        if name is None:
            raise
        raise ValueError(f"{name}: {error}") from None


def _parse(data: bytes) -> ModelProto:
    import onnx

    if not data:
        raise ValueError("not an ONNX model: the file is empty")
    try:
        model = onnx.load_model_from_string(data)
    except Exception as error:  # protobuf's DecodeError and friends
        raise ValueError(
            f"not a readable ONNX model ({len(data)} bytes): the protobuf does not parse "
            f"({type(error).__name__}: {error}); is the file truncated, or not an .onnx file?"
        ) from None
    if not model.HasField("graph") or not model.graph.node:
        raise ValueError(
            "not an ONNX model, or an empty one: no graph nodes found (is the file truncated, "
            "or not an .onnx file?)"
        )
    if not any(o.domain in ("", "ai.onnx") for o in model.opset_import):
        raise ValueError(
            "not a complete ONNX model: it declares no opset version (is the file truncated?)"
        )
    _refuse_external_data(model.graph)
    return model


def _refuse_external_data(graph: GraphProto) -> None:
    import onnx

    tensors = list(graph.initializer)
    tensor_attribute = onnx.AttributeProto.TENSOR
    tensors += [a.t for n in graph.node for a in n.attribute if a.type == tensor_attribute]
    for tensor in tensors:
        if tensor.data_location == onnx.TensorProto.EXTERNAL or len(tensor.external_data):
            where = {e.key: e.value for e in tensor.external_data}.get("location", "?")
            raise ValueError(
                f"tensor {tensor.name!r} is stored as external data (in {where!r}); load_onnx "
                "reads self-contained .onnx files only: save the model with "
                "onnx.save_model(model, path, save_as_external_data=False)"
            )


def to_array(tensor: TensorProto) -> np.ndarray:
    """A tensor's value; ValueError for a malformed one."""
    from onnx import numpy_helper

    try:
        return np.asarray(numpy_helper.to_array(tensor))
    except Exception as error:  # malformed tensors: sizes that do not match the data, ...
        raise ValueError(
            f"tensor {tensor.name!r} cannot be read ({type(error).__name__}: {error}); "
            "is the file truncated or corrupt?"
        ) from None


def attributes(node: NodeProto) -> dict[str, Any]:
    """A node's attributes by name, as Python values."""
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def describe(node: NodeProto) -> str:
    """How error messages name a node: its type and name."""
    return f"{node.op_type} node {node.name!r}" if node.name else f"unnamed {node.op_type} node"


def text(value: Any) -> str:
    """A string attribute (bytes in the protobuf) as text."""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
