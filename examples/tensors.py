"""The tutorial's tensor section with Rosenblatt tensors: ndim, shape, dtype, slicing,
batches, element-wise ops, broadcasting, dot products, reshape and transpose.

    python examples/tensors.py
"""
import argparse

import numpy as np

import autodiff as ad


def show(title, t):
    print(f"{title}: ndim={t.ndim} shape={t.shape} dtype={t.dtype}")
    if t.size <= 60:
        print(f"  {np.array2string(t.numpy(), prefix='  ')}")


def main(argv=None):
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args(argv)
    show("scalar (0-D tensor)", ad.tensor(12.0))
    show("vector (1-D tensor)", ad.tensor([12.0, 3.0, 6.0, 14.0, 7.0]))
    matrix = ad.tensor([[5.0, 78.0, 2.0, 34.0, 0.0], [6.0, 79.0, 3.0, 35.0, 1.0], [7.0, 80.0, 4.0, 36.0, 2.0]])
    show("matrix (2-D tensor)", matrix)
    cube = ad.tensor(np.arange(60, dtype=np.float32).reshape(3, 4, 5))
    show("3-D tensor", cube)

    images = ad.tensor(np.arange(100 * 28 * 28, dtype=np.float32).reshape(100, 28, 28) % 256)
    show("slice images[10:100]", images[10:100])
    show("slice images[:, 14:, 14:] (bottom-right corners)", images[:3, 14:, 14:][:, :2, :2])
    batch_size = 32
    show("the second batch, images[32:64]", images[batch_size:2 * batch_size])

    x = ad.tensor([[-1.0, 2.0, -3.0], [4.0, -5.0, 6.0]])
    show("element-wise relu", x.relu())
    show("element-wise x + x", x + x)
    y = ad.tensor([10.0, 20.0, 30.0])
    show("broadcasting x (2, 3) + y (3,)", x + y)
    show("ad.maximum(x, 0.0) broadcasts a scalar", ad.maximum(x, 0.0))
    show("dot product of vectors", ad.dot(y, y))
    show("matrix-vector dot", ad.dot(x, y))
    show("matrix-matrix dot (2, 3) . (3, 2)", ad.dot(x, x.T))
    show("reshape (2, 3) -> (3, 2)", x.reshape(3, 2))
    show("reshape (2, 3) -> (6, 1)", x.reshape((6, 1)))
    show("transpose", x.transpose())


if __name__ == "__main__":
    main()
