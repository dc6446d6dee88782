"""Word counting: words, word_counts, top_words."""
import collections
import re

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")


def words(text):
    """The words of `text`, lower-cased, in order (letters and inner apostrophes only)."""
    return [w.casefold() for w in _WORD.findall(text)]


def word_counts(text, stopwords=()):
    """A dict word -> count, most frequent first (ties: first seen first), without `stopwords`."""
    ignored = {s.casefold() for s in stopwords}
    counts = collections.Counter(w for w in words(text) if w not in ignored)
    return dict(counts.most_common())


def top_words(text, n=3, stopwords=()):
    """The `n` most frequent words of `text` (ties: first seen first), without `stopwords`."""
    return list(word_counts(text, stopwords))[:n]
