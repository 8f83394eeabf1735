"""MNIST-format IDX files (src/Latent/Data/Sources/IdxSource.cs): train-images-idx3-ubyte, train-labels-idx1-ubyte,
t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, raw or gzip-compressed; pixels as float32 bytes / 255."""
import gzip
import os

import numpy as np

from ..runs import UserError

FASHION_MNIST_LABEL_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def fashion_mnist_directory():
    """DataCatalog.FashionMnistDirectory: $LATENT_DATA/fashion-mnist, or Debian's dataset-fashion-mnist."""
    custom = os.environ.get("LATENT_DATA")
    if custom and os.path.isdir(os.path.join(custom, "fashion-mnist")):
        return os.path.join(custom, "fashion-mnist")
    if os.path.isdir("/usr/share/datasets/fashion-mnist"):
        return "/usr/share/datasets/fashion-mnist"
    raise UserError("Fashion-MNIST is not installed; run 'sudo apt-get install dataset-fashion-mnist' or put its IDX files in $LATENT_DATA/fashion-mnist")


def load(directory):
    """(train, test), each (features [N, 1, H, W] float32, labels int64 or None)."""
    if not os.path.isdir(directory):
        raise UserError(f"data folder '{directory}' does not exist; pass idx:DIR with the folder that holds train-images-idx3-ubyte[.gz]")
    return load_split(directory, "train"), load_split(directory, "t10k")


def load_split(directory, prefix):
    images = find(directory, f"{prefix}-images-idx3-ubyte")
    if images is None:
        raise UserError(f"'{directory}' has no {prefix}-images-idx3-ubyte[.gz]; pass idx:DIR with a complete MNIST-format set")
    dims, pixels = read(images)
    if len(dims) != 3:
        raise UserError(f"'{images}' holds a {len(dims)}-dimensional array, not images [N, H, W]; check the file name")
    labels = None
    labels_path = find(directory, f"{prefix}-labels-idx1-ubyte")
    if labels_path is not None:
        label_dims, label_bytes = read(labels_path)
        if len(label_dims) != 1 or label_dims[0] != dims[0]:
            raise UserError(f"'{labels_path}' holds {'×'.join(map(str, label_dims))} labels for {dims[0]} images; use the label file that belongs to '{os.path.basename(images)}'")
        labels = label_bytes.astype(np.int64)
    features = pixels.reshape(dims[0], 1, dims[1], dims[2]).astype(np.float32) / np.float32(255)
    return features, labels


def find(directory, name):
    for candidate in (name, name + ".gz"):
        path = os.path.join(directory, candidate)
        if os.path.isfile(path):
            return path
    return None


def read(path):
    """(dimensions, payload uint8) of one IDX file of unsigned bytes; a bad file is a one-line UserError."""
    try:
        with open(path, "rb") as file:
            raw = file.read()
        data = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    except (OSError, EOFError) as error:
        raise UserError(f"'{path}' cannot be read ({error}); replace it with an intact MNIST-format IDX file")
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise UserError(f"'{path}' does not start with the IDX magic number; replace it with an intact MNIST-format IDX file")
    if data[2] != 0x08:
        raise UserError(f"'{path}' stores element type 0x{data[2]:02x}; only unsigned bytes (0x08) are supported")
    rank = data[3]
    header = 4 + 4 * rank
    if not 1 <= rank <= 4 or len(data) < header:
        raise UserError(f"'{path}' has a malformed header; replace it with an intact MNIST-format IDX file")
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big", signed=True) for i in range(rank)]
    payload = int(np.prod(dims))
    if any(d <= 0 for d in dims) or payload > len(data) - header:
        raise UserError(f"'{path}' declares {payload} bytes of data but holds only {max(0, len(data) - header)}; it is truncated")
    return dims, np.frombuffer(data, dtype=np.uint8, count=payload, offset=header)
