"""text:FILE (src/Latent/Data/Sources/TextSource.cs, Data/Vocabulary.cs): UTF-8 text as windows of token ids.

TextLayout.cs places the windows of the three splits: test windows in the last tenth (whole windows) of up
to ten equal parts of the text; validation windows in contiguous blocks of the rest (up to four windows a
block), drawn with the run's seed; training windows (every `stride` tokens) between them, so that no window
straddles two splits; --limit keeps the first windows of train and validation together, in text order.
The vocabulary is the one the run recorded in its manifest ([UNK], [MASK], then tokens by id); without one
it is built from the training text, validation blocks included (most frequent first, ties in code-point order).
Caveat: Python's regular expressions classify a few rare Unicode characters (combining marks, some
separators) differently from .NET's \\w and \\s, so such text may tokenise differently from Latent's.
"""
import os
import re

import numpy as np

from .. import shuffle
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


MAX_BLOCK_WINDOWS = 4  # TextLayout.MaxBlockWindows


def parts(token_count, window, path):
    """TextLayout.Parts: ([(start, length)] of training text, [(start, length)] of test text), one of each per part."""
    part_count = min(max(int(token_count * TEST_FRACTION) // window, 1), 10)
    part_length = token_count // part_count
    training, test = [], []
    for p in range(part_count):
        start = p * part_length
        length = token_count - start if p == part_count - 1 else part_length
        test_length = max(window, round(length * TEST_FRACTION) // window * window)   # Math.Round: half to even, as round()
        if length - test_length < 2 * window:
            raise UserError(f"'{path}' has {token_count} tokens, too few for windows of {window} with a test part held out; pass a smaller --window (at most {token_count // 4}) or a longer text")
        training.append((start, length - test_length))
        test.append((start + length - test_length, test_length))
    return training, test


def validation_blocks(training, window, fraction, seed, limit=0):
    """TextLayout.ValidationBlocks: blocks of whole windows laid end to end from each part's start, of which the
    seed's permutation draws enough for about `fraction` of the training tokens; sorted; one block at least stays training text."""
    training_tokens = sum(length for _, length in training)
    wanted = int(round(fraction * training_tokens / window))
    if limit > 0:
        wanted = min(wanted, limit)
    if wanted == 0:
        return []
    block_windows = min(MAX_BLOCK_WINDOWS, wanted)
    size = block_windows * window
    candidates = [(start + i * size, size) for start, length in training for i in range(length // size)]
    count = min(int(round(wanted / block_windows)), len(candidates) - 1)
    if count <= 0:
        return []
    chosen = np.sort(shuffle.permutation(len(candidates), seed)[:count])
    return [candidates[i] for i in chosen]


def add_windows(starts, start, length, window, stride):
    starts.extend(range(start, start + length - window + 1, stride))


def layout(token_count, window, stride, fraction, seed, limit, path, validation_limit=0):
    """TextLayout.Of: (train starts, validation starts, test starts, training text ranges)."""
    training, test = parts(token_count, window, path)
    blocks = validation_blocks(training, window, fraction, seed, validation_limit)
    train, validation = [], []
    for part_start, part_length in training:
        segment_start, part_end = part_start, part_start + part_length
        for block_start, block_length in blocks:
            if block_start >= part_start and block_start + block_length <= part_end:
                add_windows(train, segment_start, block_start - segment_start, window, stride)
                add_windows(validation, block_start, block_length, window, window)
                segment_start = block_start + block_length
        add_windows(train, segment_start, part_end - segment_start, window, stride)
    test_starts = []
    for start, length in test:
        add_windows(test_starts, start, length, window, window)
    if limit is not None and len(train) + len(validation) > limit:
        # the first windows of the text, whichever split they belong to
        first = sorted([(start, False) for start in train] + [(start, True) for start in validation], key=lambda entry: entry[0])[:limit]
        train = [start for start, is_validation in first if not is_validation]
        validation = [start for start, is_validation in first if is_validation]
    return train, validation, test_starts, training


def build_vocabulary(tokens, max_size):
    counts = {}
    for token in tokens:
        counts[token] = counts.get(token, 0) + 1
    ranked = [t for t in sorted(counts, key=lambda t: (-counts[t], t)) if t not in (UNKNOWN_TOKEN, MASK_TOKEN)]
    if max_size is not None:
        ranked = ranked[:max(0, max_size - RESERVED)]
    return [UNKNOWN_TOKEN, MASK_TOKEN, *ranked]


def windows(tokens, starts, ids, window):
    """The windows of `window` tokens at `starts`: ids [N, T]."""
    rows = [[ids.get(token, UNKNOWN) for token in tokens[start:start + window]] for start in starts]
    return np.array(rows, dtype=np.int64).reshape(len(rows), window)


def load(path, options, seed):
    """(train, validation, test) as int64 [N, T], and the vocabulary (token list)."""
    window, stride = options["window"], options["stride"] or options["window"]
    tokens = read_tokens(path, options["tokens"])
    train, validation, test, training_text = layout(len(tokens), window, stride, options["validation_fraction"], seed,
                                                    options["limit"], path, options["validation_limit"])
    vocabulary = options["vocabulary"] or build_vocabulary(
        [token for start, length in training_text for token in tokens[start:start + length]], options["max_vocabulary"])
    if any(token is None for token in vocabulary):
        raise UserError("the stored vocabulary has an empty (null) entry; restore the run's manifest or train again")
    if len(vocabulary) < RESERVED or vocabulary[UNKNOWN] != UNKNOWN_TOKEN or vocabulary[MASK] != MASK_TOKEN:
        raise UserError(f"the stored vocabulary does not start with {UNKNOWN_TOKEN}, {MASK_TOKEN}; restore the run's manifest or train again")
    ids = {token: i for i, token in enumerate(vocabulary)}
    return windows(tokens, train, ids, window), windows(tokens, validation, ids, window), windows(tokens, test, ids, window), vocabulary
