"""The book's MNIST convnet, trained here, exported to ONNX and served by ONNX Runtime.

    python examples/onnx_convnet.py                  # 1 epoch, export, compare, time both on the test set
    python examples/onnx_convnet.py --epochs 5       # the convnet of examples/mnist_convnet.py, fully trained
    python examples/onnx_convnet.py --quick          # a small slice of the data: a check in seconds

Needs the onnx extra: pip install -e '.[onnx]'.
"""
import argparse
import os
import tempfile
import time

import numpy as np

import nn
from mnist_convnet import build_network, prepare
from nn.datasets import fashion_mnist, mnist


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=64, help="training batch size")
    parser.add_argument("--serve-batch", type=int, default=256, help="batch size of predict and of ONNX Runtime")
    parser.add_argument("--seed", type=int, default=0, help="seed for initial weights and shuffling")
    parser.add_argument("--quick", action="store_true", help="train on 1,024 images, serve 512: a quick check")
    parser.add_argument("--fashion", action="store_true", help="Fashion-MNIST instead of MNIST")
    parser.add_argument("--data", metavar="FOLDER", help="read the data set from FOLDER instead of the cache")
    parser.add_argument("--output", metavar="PATH", help="where to write the .onnx file (default: a temporary one)")
    args = parser.parse_args(argv)
    try:
        import onnxruntime as ort
    except ImportError:
        parser.exit(2, "this example needs ONNX Runtime: pip install -e '.[onnx]'\n")

    nn.set_seed(args.seed)
    try:
        (train_images, train_labels), (test_images, test_labels) = \
            (fashion_mnist if args.fashion else mnist).load_data(path=args.data)
    except RuntimeError as exc:
        raise SystemExit(f"{parser.prog}: {exc}") from None
    if args.quick:
        train_images, train_labels = train_images[:1024], train_labels[:1024]
        test_images, test_labels = test_images[:512], test_labels[:512]
    train_x, train_y = prepare(train_images, train_labels)
    test_x, _ = prepare(test_images, test_labels)

    model = build_network()
    model.fit(train_x, train_y, epochs=args.epochs, batch_size=args.batch_size, verbose=0)

    with tempfile.TemporaryDirectory() as tmp:
        path = args.output or os.path.join(tmp, "mnist_convnet.onnx")
        model.export(path)
        print(f"{path}: {os.path.getsize(path):,} bytes")
        session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name

        def onnx_predict(x):
            return np.concatenate([session.run(None, {name: x[i:i + args.serve_batch]})[0]
                                   for i in range(0, len(x), args.serve_batch)])

        seconds = {}
        for what, predict in (("model.predict", lambda x: model.predict(x, batch_size=args.serve_batch, verbose=0)),
                              ("ONNX Runtime", onnx_predict)):
            predict(test_x[:args.serve_batch])                          # warm up
            start = time.perf_counter()
            outputs = predict(test_x)
            seconds[what] = time.perf_counter() - start
            if what == "model.predict":
                ours = outputs
        theirs = outputs

    difference = float(np.abs(ours - theirs).max())
    agree = float((ours.argmax(1) == theirs.argmax(1)).mean())
    accuracy = float((theirs.argmax(1) == test_labels).mean())
    print(f"test images: {len(test_x):,}; ONNX Runtime's accuracy: {accuracy:.4f}")
    print(f"largest difference of probabilities: {difference:.2e}; same predicted class: {agree:.2%}")
    for what, s in seconds.items():
        print(f"{what:>14}: {s:.3f} s, {len(test_x) / s:,.0f} images/s")
    print(f"ONNX Runtime is {seconds['model.predict'] / seconds['ONNX Runtime']:.1f}x as fast as model.predict "
          f"(batches of {args.serve_batch}, CPU)")
    return difference, agree, seconds


if __name__ == "__main__":
    main()
