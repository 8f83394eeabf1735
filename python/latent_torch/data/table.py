"""Numeric CSV tables (src/Latent/Data/Sources/CsvSource.cs): one example per row, an optional header,
optionally one label column; every other cell a finite number, read as float64 and stored as float32."""
import math
import os
import re

import numpy as np

from ..runs import UserError

# what .NET's double.TryParse(NumberStyles.Float, invariant culture) accepts: signs, decimals, exponents, named values
NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*|\s*[+-]?(Infinity|∞|NaN)\s*", re.IGNORECASE)


def parses(cell):
    return NUMBER.fullmatch(cell) is not None


def load(path, label_column):
    """(features [N, F] float32, labels int64 or None)."""
    if not os.path.isfile(path):
        raise UserError(f"CSV file '{path}' does not exist; pass csv:FILE with a comma-separated table of numbers")
    with open(path, encoding="utf-8-sig", newline=None) as file:
        lines = [(text.rstrip("\n"), number) for number, text in enumerate(file, start=1)]
    lines = [(text, number) for text, number in lines if text.strip()]
    if not lines:
        raise UserError(f"'{path}' is empty; pass a CSV file with at least one row of numbers")
    first = cells(lines[0][0])
    has_header = any(not parses(cell) for cell in first)
    header = first if has_header else [str(i) for i in range(len(first))]
    rows = lines[1:] if has_header else lines
    if not rows:
        raise UserError(f"'{path}' has a header but no rows; add rows of numbers")
    label_index = -1 if label_column is None else find_label(header, label_column, path)
    feature_count = len(header) - (1 if label_index >= 0 else 0)
    if feature_count == 0:
        raise UserError(f"'{path}' has no feature columns besides the label; add numeric columns")
    values = np.empty((len(rows), feature_count), dtype=np.float32)
    label_text = []
    for r, (text, number) in enumerate(rows):
        row = cells(text)
        if len(row) != len(header):
            raise UserError(f"'{path}' line {number} has {len(row)} cells where the first row has {len(header)}; make every row the same width")
        f = 0
        for c, cell in enumerate(row):
            if c == label_index:
                label_text.append(cell)
                continue
            value = float(cell) if parses(cell) else math.nan
            if not math.isfinite(value) or abs(value) > 3.4028234663852886e38:
                raise UserError(f"'{path}' line {number}, column '{header[c]}': '{cell}' is not a finite number; fix or drop that row (missing values are not supported)")
            values[r, f] = value
            f += 1
    return values, (labels(label_text) if label_index >= 0 else None)


def cells(line):
    return [cell.strip().strip('"') for cell in line.split(",")]


def find_label(header, label_column, path):
    if label_column in header:
        return header.index(label_column)
    if re.fullmatch(r"[+-]?\d+", label_column.strip()) and 0 <= int(label_column) < len(header):
        return int(label_column)
    raise UserError(f"'{path}' has no column '{label_column}'; pass --label-column with one of: {', '.join(header[:12])}")


def labels(text):
    """Integer labels as they are when all are small non-negative integers, else ids of the sorted names."""
    if all(re.fullmatch(r"\s*[+-]?\d+\s*", t) and 0 <= int(t) < 100_000 for t in text):
        return np.array([int(t) for t in text], dtype=np.int64)
    names = sorted(set(text))
    ids = {name: i for i, name in enumerate(names)}
    return np.array([ids[t] for t in text], dtype=np.int64)
