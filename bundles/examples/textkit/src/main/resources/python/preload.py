# Preload fragment of io.pyhost.examples.textkit (order 100).
#
# Runs in every new context's preload namespace after the fragments of lower order (the
# defaults of io.pyhost.examples.settings run at 50) and before those of higher order (its
# overrides at 150). The helpers read TEXT_SETTINGS when they are called, not now, so a
# later fragment (or the context itself) can still change how they behave.
import textkit

# Python-Import: unicodedata binds this name already; this fragment only relies on it.
assert unicodedata.name('\u00e9') == 'LATIN SMALL LETTER E WITH ACUTE'

TEXTKIT_VERSION = textkit.__version__


def _setting(name, default):
    return globals().get('TEXT_SETTINGS', {}).get(name, default)


def slug(title):
    """`title` as a URL slug, shaped by TEXT_SETTINGS['slug_separator'] and ['slug_max_length']."""
    return textkit.slugify(title, _setting('slug_separator', '-'), _setting('slug_max_length', None))


def keywords(text, n=3):
    """The `n` most frequent words of `text` without TEXT_SETTINGS['stopwords']."""
    return textkit.top_words(text, n, _setting('stopwords', ()))
