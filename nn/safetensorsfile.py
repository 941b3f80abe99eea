"""The safetensors format (Hugging Face's), read and written here without the package, and without pickle.

A file is an 8-byte little-endian header length N, then N bytes of JSON
``{name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {...}}``,
then the tensors' raw little-endian bytes, offsets counted from the end of the header.
The header comes first by design: every name, dtype, shape and offset is checked
(offsets inside the file, tensors back to back without gaps or overlaps, as the
reference implementation requires) before a caller's ``check`` sees the headers,
and only then is any data read, each tensor straight into an array of its declared shape.
"""
import json
import math
import os
import struct

import numpy as np

HEADER_LIMIT = 100_000_000          # bytes of JSON header (the reference implementation's bound)
DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1",
          "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "?", "BF16": "<u2"}
NAMES = {np.dtype(v): k for k, v in DTYPES.items() if k != "BF16"}


class SafetensorsError(ValueError):
    """A file that is not a well-formed safetensors file of plain numeric tensors."""


class Header:
    """What the header declares of one tensor: its name, dtype name, shape and byte range."""

    def __init__(self, name, dtype, shape, begin, end):
        self.name, self.dtype_name, self.shape, self.begin, self.end = name, dtype, shape, begin, end

    @property
    def dtype(self):
        """The NumPy dtype the values are read as (BF16 is widened to float32 exactly)."""
        return np.dtype(np.float32) if self.dtype_name == "BF16" else np.dtype(DTYPES[self.dtype_name]).newbyteorder("=")

    @property
    def nbytes(self):
        return self.end - self.begin

    def __repr__(self):
        return f"{self.name}: {self.dtype_name} {self.shape}"


def write(file, arrays):
    """Write ``{name: array}`` to an open binary file, in the dict's order, the header padded to 8 bytes."""
    header, offset, blobs = {}, 0, []
    for name, array in arrays.items():
        array = np.asarray(array)
        native = array.dtype.newbyteorder("=")
        if native not in NAMES:
            raise ValueError(f"safetensors: tensor {name!r} is {array.dtype}, which safetensors cannot hold")
        blob = np.ascontiguousarray(array, dtype=native.newbyteorder("<")).tobytes()
        header[name] = {"dtype": NAMES[native], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    file.write(struct.pack("<Q", len(text)) + text)
    for blob in blobs:
        file.write(blob)


def _unique_keys(pairs):
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise SafetensorsError(f"the header names a tensor twice: {sorted(k for k in set(keys) if keys.count(k) > 1)[:5]}")
    return dict(pairs)


def read_headers(file, source):
    """``{name: Header}`` from an open binary file, every entry checked; the file's data is not read."""
    start = file.read(8)
    if len(start) != 8:
        raise SafetensorsError(f"{source} is not a safetensors file: it is shorter than 8 bytes")
    (length,) = struct.unpack("<Q", start)
    size = os.fstat(file.fileno()).st_size
    if length > HEADER_LIMIT or length > size - 8:
        raise SafetensorsError(f"{source} is not a safetensors file: it declares a header of {length} bytes "
                               f"(the file has {size}, the limit is {HEADER_LIMIT})")
    raw = file.read(length)
    try:
        entries = json.loads(raw.decode("utf-8"), object_pairs_hook=_unique_keys)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SafetensorsError(f"{source} is not a safetensors file: its header is not JSON: {exc}") from None
    if not isinstance(entries, dict):
        raise SafetensorsError(f"{source}: the header is not a JSON object")
    metadata = entries.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise SafetensorsError(f"{source}: __metadata__ must map names to strings")
    headers = {}
    for name, entry in entries.items():
        where = f"{source}: tensor {name!r:.80}"
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
            raise SafetensorsError(f"{where}: expected {{dtype, shape, data_offsets}}, got {str(entry)[:120]}")
        dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
        if dtype not in DTYPES:
            raise SafetensorsError(f"{where} has dtype {str(dtype)[:20]!r}, which is not read here "
                                   f"(known: {', '.join(DTYPES)})")
        if not isinstance(shape, list) or not all(type(n) is int and n >= 0 for n in shape):
            raise SafetensorsError(f"{where}: shape {str(shape)[:80]} is not a list of sizes")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(type(n) is int for n in offsets)
                and 0 <= offsets[0] <= offsets[1]):
            raise SafetensorsError(f"{where}: data_offsets {str(offsets)[:80]} is not [begin, end]")
        stored = np.dtype(DTYPES[dtype]).itemsize
        if offsets[1] - offsets[0] != math.prod(shape) * stored:
            raise SafetensorsError(f"{where}: shape {shape} of {dtype} takes {math.prod(shape) * stored} bytes, "
                                   f"its data_offsets {offsets} hold {offsets[1] - offsets[0]}")
        headers[name] = Header(name, dtype, tuple(shape), offsets[0], offsets[1])
    data_size, end = size - 8 - length, 0
    for header in sorted(headers.values(), key=lambda h: (h.begin, h.end)):
        if header.begin != end:
            raise SafetensorsError(f"{source}: tensor {header.name!r:.80} starts at byte {header.begin}, expected "
                                   f"{end} ({'overlapping' if header.begin < end else 'a gap before it'}: "
                                   "tensors must lie back to back)")
        end = header.end
    if end != data_size:
        raise SafetensorsError(f"{source}: the tensors take {end} bytes, the file holds {data_size} after its header "
                               f"({'truncated' if end > data_size else 'trailing bytes'})")
    for header in headers.values():
        header.start = 8 + length + header.begin       # where its bytes lie in the file
    return headers


def read_tensor(file, header, source):
    """The array one Header declares: exactly its bytes, read into an array of its shape."""
    stored = np.empty(header.shape, dtype=np.dtype(DTYPES[header.dtype_name]))
    buffer = memoryview(stored.reshape(-1).view(np.uint8)) if stored.size else memoryview(b"")
    file.seek(header.start)
    done = 0
    while done < len(buffer):
        n = file.readinto(buffer[done:done + (1 << 22)])
        if not n:
            raise SafetensorsError(f"{source}: tensor {header.name!r:.80} is truncated")
        done += n
    if header.dtype_name == "BF16":            # bfloat16 is float32's upper half: widened exactly
        return (stored.astype(np.uint32) << 16).view(np.float32)
    return stored.astype(stored.dtype.newbyteorder("="), copy=False)


def read(path, source=None, check=None):
    """``{name: array}`` from a safetensors file (``source`` names it in errors; the path by default).
    ``check(headers)`` sees every Header (all validated) first and raises to refuse the file before
    any tensor is read."""
    source = source or str(path)
    try:
        file = open(path, "rb")
    except OSError as exc:
        raise SafetensorsError(f"{source} cannot be read: {exc}") from None
    with file:
        headers = read_headers(file, source)
        if check is not None:
            check(headers)
        return {name: read_tensor(file, header, source) for name, header in headers.items()}
