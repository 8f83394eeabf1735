"""The data of a run, as src/Latent/Data/DataCatalog.cs loads and splits it.

The test split comes from the source (its own files, or a fixed carve with seed 0x7E57 that does not
depend on the run's seed); --limit keeps the first examples of the rest; validation is carved from
train with the run's seed (from a text, as contiguous blocks of it: text.layout): a Shuffle.Permutation, the first round(N·fraction) of it (rounded half to
even, as Math.Round) for validation, both parts in index order. So a continued run trains on the
same training split, in the same order, as Latent would.

    /usr/bin/python3 -m latent_torch.data RUN_DIR OUT.safetensors   # writes the splits, to compare with Latent's
"""
from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch

from .. import shuffle
from ..runs import UserError
from . import idx, shapes, table, text

TEST_FRACTION = 0.1
TEST_SEED = 0x7E57
SOURCES = "shapes, fashion-mnist, idx:DIR, csv:FILE or text:FILE"


@dataclass
class Dataset:
    """Examples in memory: features [N, ...] (float32; int64 for tokens), labels [N] int64 or None."""
    features: torch.Tensor
    labels: Optional[np.ndarray] = None

    @property
    def count(self):
        return int(self.features.shape[0])

    def subset(self, indices):
        indices = np.asarray(indices, dtype=np.int64)
        return Dataset(self.features.index_select(0, torch.from_numpy(indices)),
                       None if self.labels is None else self.labels[indices])

    def take(self, count):
        return self if count >= self.count else self.subset(np.arange(count))

    def batches(self, size):
        for start in range(0, self.count, size):
            yield self.features[start:start + size]


@dataclass
class Splits:
    train: Dataset
    validation: Dataset
    test: Dataset
    shape: dict
    label_names: Optional[list] = None
    vocabulary: Optional[list] = None


def parse(spec):
    kind, colon, argument = spec.partition(":")
    kind = kind.strip().lower()
    if colon and not argument:
        raise UserError(f"--data {spec} names no path; pass {kind}:PATH")
    return kind, argument


def source(options):
    """(train with validation inside, test, shape, label names, vocabulary) of a data spec."""
    kind, argument = parse(options["data"])
    if kind == "shapes":
        (train, train_labels, _), (test, test_labels, _) = shapes.load(options["limit"])
        return (Dataset(torch.from_numpy(train), train_labels), Dataset(torch.from_numpy(test), test_labels),
                image_shape(train), shapes.SHAPE_NAMES, None)
    if kind in ("fashion-mnist", "idx"):
        directory = idx.fashion_mnist_directory() if kind == "fashion-mnist" else argument
        (train, train_labels), (test, test_labels) = idx.load(directory)
        names = idx.FASHION_MNIST_LABEL_NAMES if kind == "fashion-mnist" else None
        return (Dataset(torch.from_numpy(train), train_labels), Dataset(torch.from_numpy(test), test_labels),
                image_shape(train), names, None)
    if kind == "csv":
        values, labels = table.load(argument, options["label_column"], options["header"])
        rest, test = carve_test(Dataset(torch.from_numpy(values), labels))
        return rest, test, {"kind": "table", "channels": 1, "height": 1, "width": values.shape[1], "vocabulary_size": 0}, None, None
    if kind == "images":
        raise UserError("images:DIR is not covered by latent_torch (its PNG/JPEG decoding and resizing are Latent's own); "
                        "train it with 'latent train', or convert the folder to idx:DIR or csv:FILE")
    raise UserError(f"unknown data source '{options['data']}'; pass {SOURCES}")


def image_shape(features):
    return {"kind": "image", "channels": int(features.shape[1]), "height": int(features.shape[2]),
            "width": int(features.shape[3]), "vocabulary_size": 0}


def validation_count(examples, options):
    """DataOptions.ValidationCount: the fraction of the examples, capped by validation_limit (0: no cap)."""
    count = int(round(examples * options["validation_fraction"]))
    return min(count, options["validation_limit"]) if options["validation_limit"] > 0 else count


def split(data, part_count, seed):
    """DataCatalog.Split: (the rest, `part_count` of the examples), both in index order."""
    order = shuffle.permutation(data.count, seed)
    return data.subset(np.sort(order[part_count:])), data.subset(np.sort(order[:part_count]))


def carve_test(all_data):
    rest, test = split(all_data, int(round(all_data.count * TEST_FRACTION)), TEST_SEED)
    if test.count == 0:
        raise UserError(f"the data has only {all_data.count} examples, too few to hold out a test split; add more examples")
    return rest, test


def load(options, seed):
    """The train, validation and test splits of a run's data options."""
    kind, argument = parse(options["data"])
    if kind == "text":  # validation as blocks of the text, --limit inside the layout (TextSource.Load)
        *splits, vocabulary = text.load(argument, options, seed)
        train, validation, test = (Dataset(torch.from_numpy(windows)) for windows in splits)
        shape = {"kind": "tokens", "channels": 1, "height": 1, "width": options["window"], "vocabulary_size": len(vocabulary)}
        label_names = None
    else:
        train_and_validation, test, shape, label_names, vocabulary = source(options)
        if options["limit"] is not None:
            train_and_validation = train_and_validation.take(options["limit"])
        train, validation = split(train_and_validation, validation_count(train_and_validation.count, options), seed)
    if train.count == 0:
        raise UserError(f"{options['data']} leaves no training examples after the validation split; add data or lower --validation-fraction")
    return Splits(train, validation, test, shape, label_names, vocabulary)
