"""text:FILE (src/Latent/Data/Sources/TextSource.cs, Data/Vocabulary.cs): UTF-8 text as windows of token ids.

The token stream is cut into up to ten equal parts; the last tenth of each (whole windows) is test text,
the rest training text (windows every `stride` tokens, inside their part). The vocabulary is the one the
run recorded in its manifest ([UNK], [MASK], then tokens by id); without one it is built from the
training text (most frequent first, ties in code-point order).
Caveat: Python's regular expressions classify a few rare Unicode characters (combining marks, some
separators) differently from .NET's \\w and \\s, so such text may tokenise differently from Latent's.
"""
import os
import re

import numpy as np

from ..runs import UserError

UNKNOWN, MASK, RESERVED = 0, 1, 2
UNKNOWN_TOKEN, MASK_TOKEN = "[UNK]", "[MASK]"
TEST_FRACTION = 0.1
WHITESPACE = re.compile(r"\s+")
WORD = re.compile(r"\w+(?:['’]\w+)*|[^\w\s]")


def tokenize(text, level):
    normalised = WHITESPACE.sub(" ", text).strip()
    return list(normalised) if level == "char" else WORD.findall(normalised)


def read_tokens(path, level):
    if not os.path.isfile(path):
        raise UserError(f"text file '{path}' does not exist; pass text:FILE with a UTF-8 text file, e.g. text:/usr/share/common-licenses/GPL-3")
    with open(path, "rb") as file:
        data = file.read()
    if b"\0" in data:
        raise UserError(f"'{path}' is a binary file (it holds NUL bytes); pass text:FILE with a UTF-8 text file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UserError(f"'{path}' is not UTF-8 text; convert it (e.g. iconv -t UTF-8) or pass another text:FILE")
    tokens = tokenize(text.lstrip("\ufeff"), level)
    if not tokens:
        raise UserError(f"'{path}' is empty; pass a text file with content")
    return tokens


def cut(tokens, path, window):
    """TextSource.Cut: [(training tokens, test tokens)] per part."""
    part_count = min(max(int(len(tokens) * TEST_FRACTION) // window, 1), 10)
    part_length = len(tokens) // part_count
    parts = []
    for p in range(part_count):
        start = p * part_length
        length = len(tokens) - start if p == part_count - 1 else part_length
        test_length = max(window, round(length * TEST_FRACTION) // window * window)   # Math.Round: half to even, as round()
        if length - test_length < 2 * window:
            raise UserError(f"'{path}' has {len(tokens)} tokens, too few for windows of {window} with a test part held out; pass a smaller --window (at most {len(tokens) // 4}) or a longer text")
        parts.append((tokens[start:start + length - test_length], tokens[start + length - test_length:start + length]))
    return parts


def build_vocabulary(tokens, max_size):
    counts = {}
    for token in tokens:
        counts[token] = counts.get(token, 0) + 1
    ranked = [t for t in sorted(counts, key=lambda t: (-counts[t], t)) if t not in (UNKNOWN_TOKEN, MASK_TOKEN)]
    if max_size is not None:
        ranked = ranked[:max(0, max_size - RESERVED)]
    return [UNKNOWN_TOKEN, MASK_TOKEN, *ranked]


def windows(parts, ids, window, stride):
    rows = []
    for part in parts:
        for start in range(0, len(part) - window + 1, stride):
            rows.append([ids.get(token, UNKNOWN) for token in part[start:start + window]])
    return np.array(rows, dtype=np.int64).reshape(len(rows), window)


def load(path, options):
    """(train with validation inside, test) as int64 [N, T], and the vocabulary (token list)."""
    window, stride = options["window"], options["stride"] or options["window"]
    parts = cut(read_tokens(path, options["tokens"]), path, window)
    vocabulary = options["vocabulary"] or build_vocabulary([t for train, _ in parts for t in train], options["max_vocabulary"])
    if len(vocabulary) < RESERVED or vocabulary[UNKNOWN] != UNKNOWN_TOKEN or vocabulary[MASK] != MASK_TOKEN:
        raise UserError(f"the stored vocabulary does not start with {UNKNOWN_TOKEN}, {MASK_TOKEN}; restore the run's manifest or train again")
    ids = {token: i for i, token in enumerate(vocabulary)}
    return (windows([train for train, _ in parts], ids, window, stride),
            windows([test for _, test in parts], ids, window, window), vocabulary)
