"""Header-first reading of NumPy's ``.npy`` and ``.npz`` files (as safetensors reads its own).

Each ``.npy`` member declares its dtype and shape in a short header before its
data.  ``npz_headers`` reads only those headers, so that a caller can check
names, shapes, count and total size against what it expects; ``read_npz_member``
then reads exactly the declared bytes into an array of the declared shape.
Memory follows what a file honestly declares, never what it can inflate to,
and no pickle is ever loaded.
"""
import math
import zipfile

import numpy as np

HEADER_LIMIT = 10000                # bytes of one .npy header (NumPy's own default bound)


class NpyError(ValueError):
    """A file that is not a well-formed NumPy archive of plain numeric arrays."""


class Header:
    """What one ``.npy`` member declares: its shape, dtype, layout, and where its data starts."""

    def __init__(self, name, shape, dtype, fortran_order):
        self.name, self.shape, self.dtype, self.fortran_order = name, shape, dtype, fortran_order

    @property
    def nbytes(self):
        return math.prod(self.shape) * self.dtype.itemsize          # Python ints: no overflow

    def __repr__(self):
        return f"{self.name}: {self.dtype} {self.shape}"


def read_header(stream, name, where=None):
    """The Header at the start of an ``.npy`` stream called ``name`` (``where`` names it in errors);
    the stream is left at the first data byte."""
    where = where or name
    fmt = np.lib.format
    try:
        version = fmt.read_magic(stream)
        if version == (1, 0):
            shape, fortran_order, dtype = fmt.read_array_header_1_0(stream, max_header_size=HEADER_LIMIT)
        elif version == (2, 0):
            shape, fortran_order, dtype = fmt.read_array_header_2_0(stream, max_header_size=HEADER_LIMIT)
        else:
            raise ValueError(f"format version {version} is not read here (1.0 and 2.0 are)")
    except (ValueError, OSError, EOFError, SyntaxError, TypeError, zipfile.BadZipFile) as exc:
        raise NpyError(f"{where} has no readable .npy header: {exc}") from None
    if dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None or dtype.kind not in "biuf":
        raise NpyError(f"{where} holds {dtype} values, not plain numbers")
    return Header(name, tuple(int(n) for n in shape), np.dtype(dtype), bool(fortran_order))


def npz_headers(archive, source):
    """``{key: Header}`` of every member of an open ``zipfile.ZipFile`` holding ``key.npy`` members,
    reading each member's header and nothing more."""
    headers = {}
    for info in archive.infolist():
        if not info.filename.endswith(".npy") or info.filename[:-4] in headers:
            raise NpyError(f"{source}: member {info.filename!r:.80} is not one .npy array")
        key = info.filename[:-4]
        try:
            with archive.open(info) as stream:
                headers[key] = read_header(stream, key, f"{source}: {key!r:.80}")
        except (OSError, EOFError, zipfile.BadZipFile, RuntimeError) as exc:
            raise NpyError(f"{source}: member {key!r:.80} cannot be read: {exc}") from None
        if info.file_size > headers[key].nbytes + HEADER_LIMIT + 128:
            raise NpyError(f"{source}: member {key!r:.80} inflates to {info.file_size} bytes, more than its "
                           f"header declares ({headers[key]!r:.120})")
    return headers


def read_npz_member(archive, header, source):
    """The array of one member whose ``header`` came from npz_headers: exactly its declared bytes,
    read straight into an array of the declared shape (a shorter or longer member is an error)."""
    array = np.empty(header.shape, dtype=header.dtype, order="F" if header.fortran_order else "C")
    buffer = memoryview(array.reshape(-1, order="A").view(np.uint8)) if array.size else memoryview(b"")
    try:
        with archive.open(header.name + ".npy") as stream:
            read_header(stream, header.name, f"{source}: {header.name!r:.80}")
            done = 0
            while done < len(buffer):
                n = stream.readinto(buffer[done:done + (1 << 22)])
                if not n:
                    break
                done += n
            extra = stream.read(1)
    except (OSError, EOFError, zipfile.BadZipFile, RuntimeError) as exc:
        raise NpyError(f"{source}: member {header.name!r:.80} cannot be read: {exc}") from None
    if done != len(buffer) or extra:
        raise NpyError(f"{source}: member {header.name!r:.80} holds {'more' if extra else done} bytes of data, "
                       f"its header declares {len(buffer)} ({'trailing bytes' if extra else 'truncated'})")
    return array


def read_npz(file, source, check=None):
    """``{key: array}`` from an ``.npz`` file (a path or a seekable binary file).

    ``check(headers)`` sees every member's Header first and raises to refuse the file before any
    data is read.  Every failure to read it is an NpyError naming ``source``.
    """
    try:
        archive = zipfile.ZipFile(file)
    except (OSError, EOFError, zipfile.BadZipFile, ValueError) as exc:
        raise NpyError(f"{source} is not an .npz archive: {exc}") from None
    with archive:
        headers = npz_headers(archive, source)
        if check is not None:
            check(headers)
        return {key: read_npz_member(archive, header, source) for key, header in headers.items()}
