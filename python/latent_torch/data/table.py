"""Numeric CSV tables (src/Latent/Data/Sources/CsvSource.cs, CsvFile.cs): one example per row (RFC 4180
quoting), a header row as --header says (auto: CsvHeader.Auto's rule), optionally one label column; every
other cell a finite number, read as float64 and stored as float32. Latent parses with Sep; Python's csv
module agrees on well-formed files, and may differ from it on malformed quoting (a stray quote inside a field)."""
import csv
import math
import os
import re

import numpy as np

from ..runs import UserError

# what .NET's double.TryParse(NumberStyles.Float, invariant culture) accepts: signs, decimals, exponents, named values
NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*|\s*[+-]?(Infinity|∞|NaN)\s*", re.IGNORECASE)


def parses(cell):
    return NUMBER.fullmatch(cell) is not None


def rows_of(path):
    """CsvFile.ForEachRow: the non-blank rows of the file, RFC 4180 quoting (Python's csv module), every cell
    stripped of surrounding white space, each row with the number of the line it starts on."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as file:
            reader = csv.reader(file, skipinitialspace=True, strict=False)
            line, rows = 1, []
            for row in reader:
                start, line = line, reader.line_num + 1
                if len(row) <= 1 and "".join(row).strip() == "":
                    continue
                rows.append(([cell.strip().lstrip("\ufeff") for cell in row], start))
            return rows
    except UnicodeDecodeError:
        raise UserError(f"'{path}' is not UTF-8 text; convert it (e.g. iconv -t UTF-8) and pass it again")
    except OSError as error:
        raise UserError(f"cannot read '{path}': {error.strerror}; pass csv:FILE with a comma-separated table of numbers")


def looks_like_header(first, rest):
    """CsvHeader.Auto: a header when none of the first row's cells is a number, or when one that is not
    heads a column whose other cells all are."""
    text = [not parses(cell) for cell in first]
    return all(text) or any(text[c] and all(parses(row[c]) for row, _ in rest) for c in range(len(first)))


def load(path, label_column, header="auto"):
    """(features [N, F] float32, labels int64 or None); header is "auto", "yes" or "no" (--header)."""
    if not os.path.isfile(path):
        raise UserError(f"CSV file '{path}' does not exist; pass csv:FILE with a comma-separated table of numbers")
    rows = rows_of(path)
    if not rows:
        raise UserError(f"'{path}' is empty; pass a CSV file with at least one row of numbers")
    first = rows[0][0]
    for row, number in rows[1:]:
        if len(row) != len(first):
            raise UserError(f"'{path}' line {number} has {len(row)} fields where the first row has {len(first)}; make every row the same width (quote a field that holds a comma)")
    has_header = {"yes": True, "no": False}.get(str(header).lower())
    if has_header is None:
        has_header = looks_like_header(first, rows[1:])
    names = first if has_header else [str(i) for i in range(len(first))]
    rows = rows[1:] if has_header else rows
    if not rows:
        raise UserError(f"'{path}' has a header but no rows; add rows of numbers" + (" (or pass --header no if its first row is data)" if str(header).lower() == "auto" else ""))
    label_index = -1 if label_column is None else find_label(names, has_header, str(header).lower(), label_column, path)
    feature_count = len(names) - (1 if label_index >= 0 else 0)
    if feature_count == 0:
        raise UserError(f"'{path}' has no feature columns besides the label; add numeric columns")
    values = np.empty((len(rows), feature_count), dtype=np.float32)
    label_text = []
    for r, (row, number) in enumerate(rows):
        f = 0
        for c, cell in enumerate(row):
            if c == label_index:
                label_text.append(cell)
                continue
            value = float(cell) if parses(cell) else math.nan
            if not math.isfinite(value) or abs(value) > 3.4028234663852886e38:
                raise UserError(f"'{path}' line {number}, column '{shorten(names[c])}': '{shorten(cell)}' is not a finite number; fix or drop that row (missing values are not supported)")
            values[r, f] = value
            f += 1
    return values, (labels(label_text) if label_index >= 0 else None)


def shorten(cell):
    """CsvSource.Shorten: one line, at most 40 characters."""
    flat = " ".join(cell.splitlines())
    return flat if len(flat) <= 40 else flat[:40] + "…"


def find_label(names, has_header, header, label_column, path):
    if has_header and label_column in names:
        return names.index(label_column)
    if re.fullmatch(r"[+-]?\d+", label_column.strip()) and 0 <= int(label_column) < len(names):
        return int(label_column)
    if not has_header:
        raise UserError(f"'{path}' has no header row (its first row reads as data), so it has no column '{shorten(label_column)}'; pass --label-column with a 0-based index below {len(names)}, or --header yes"
                        if header == "auto" else
                        f"'{path}' is read without a header, so it has no column '{shorten(label_column)}'; pass --label-column with a 0-based index below {len(names)}")
    raise UserError(f"'{path}' has no column '{label_column}'; pass --label-column with one of: {', '.join(shorten(name) for name in names[:12])}")


def labels(text):
    """Integer labels as they are when all are small non-negative integers, else ids of the sorted names."""
    if all(re.fullmatch(r"\s*[+-]?\d+\s*", t) and 0 <= int(t) < 100_000 for t in text):
        return np.array([int(t) for t in text], dtype=np.int64)
    names = sorted(set(text))
    ids = {name: i for i, name in enumerate(names)}
    return np.array([ids[t] for t in text], dtype=np.int64)
