"""URL slugs: 'Crème Brûlée, für 2!' -> 'creme-brulee-fur-2'."""
import re
import unicodedata

_NOT_ALNUM = re.compile(r'[^a-z0-9]+')


def slugify(text, separator='-', max_length=None):
    """Lower-case ASCII words of `text` joined by `separator`.

    Accents are dropped (NFKD decomposition without the combining marks), every run of other
    characters becomes one separator. With `max_length`, the slug is cut at a word boundary
    so that it is at most that long (a single longer word is cut hard).
    """
    ascii_text = unicodedata.normalize('NFKD', text).encode('ascii', 'ignore').decode('ascii')
    parts = [p for p in _NOT_ALNUM.split(ascii_text.lower()) if p]
    slug = separator.join(parts)
    if max_length is not None and len(slug) > max_length:
        cut = slug[:max_length + 1]
        boundary = cut.rfind(separator)
        slug = cut[:boundary] if boundary > 0 else slug[:max_length]
    return slug
