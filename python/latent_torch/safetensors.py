"""The safetensors format with numpy and torch only, as src/Latent/Runs/SafeTensors.cs writes it.

An 8-byte little-endian header length, a JSON header mapping each name to its dtype, shape and byte
range (and an optional __metadata__ map of strings), padding to 8 bytes, then the raw little-endian
data, tensors sorted by name. Files are written atomically (a temporary sibling, flushed, renamed).
"""
import json
import os
import struct

import numpy as np
import torch

# safetensors dtype name ↔ torch dtype; BF16 has no numpy type and goes through int16 bits
DTYPES = {
    "F32": torch.float32, "F64": torch.float64, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool,
}
NAMES = {dtype: name for name, dtype in DTYPES.items()}
NUMPY = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "BF16": np.int16, "I64": np.int64, "I32": np.int32,
         "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}
MAX_HEADER_BYTES = 100_000_000


class SafetensorsError(ValueError):
    """A file that is not valid safetensors."""


def load(path):
    """(tensors by name, metadata) of a safetensors file; every declared size is checked against the file."""
    with open(path, "rb") as file:
        data = file.read()
    if len(data) < 8:
        raise SafetensorsError(f"'{path}' is shorter than its 8-byte header length")
    (length,) = struct.unpack("<Q", data[:8])
    if length > MAX_HEADER_BYTES or length > len(data) - 8:
        raise SafetensorsError(f"'{path}' declares a {length}-byte header in a {len(data)}-byte file")
    header = json.loads(data[8:8 + length])
    body = memoryview(data)[8 + length:]
    metadata, tensors = header.pop("__metadata__", None) or {}, {}
    for name, entry in header.items():
        kind, shape, (start, end) = entry["dtype"], entry["shape"], entry["data_offsets"]
        if kind not in DTYPES:
            raise SafetensorsError(f"'{path}' gives '{name}' the unsupported dtype {kind}")
        if not 0 <= start <= end <= len(body) or int(np.prod(shape, dtype=np.int64)) * np.dtype(NUMPY[kind]).itemsize != end - start:
            raise SafetensorsError(f"'{path}' places '{name}' outside its data or gives it the wrong size")
        array = np.frombuffer(body[start:end], dtype=NUMPY[kind]).reshape(shape).copy()
        tensor = torch.from_numpy(array)
        tensors[name] = tensor.view(torch.bfloat16) if kind == "BF16" else tensor
    return tensors, metadata


def encode(tensors, metadata=None):
    """The bytes of a safetensors file holding `tensors` (name → tensor), sorted by name."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {key: str(value) for key, value in metadata.items()}
    for name in sorted(tensors):
        tensor = tensors[name].detach().cpu().contiguous()
        if tensor.dtype not in NAMES:
            raise TypeError(f"safetensors: dtype {tensor.dtype} of '{name}'")
        blob = (tensor.view(torch.int16) if tensor.dtype == torch.bfloat16 else tensor).numpy().tobytes()
        header[name] = {"dtype": NAMES[tensor.dtype], "shape": list(tensor.shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return b"".join([struct.pack("<Q", len(text)), text, *blobs])


def save(path, tensors, metadata=None):
    """Writes a safetensors file atomically."""
    write_atomically(path, encode(tensors, metadata))


def write_atomically(path, content):
    """Content (bytes or str) to a temporary sibling, flushed to disk, renamed over `path`: never a torn file."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    temporary = os.path.join(directory, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as file:
            file.write(content.encode() if isinstance(content, str) else content)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
