"""textkit: small text utilities shipped by the io.pyhost.examples.textkit plugin bundle.

The bundle's Python-Path header puts this package on sys.path of every new context; its
preload (python/preload.py) imports it and defines the helpers contexts use directly.
"""
from textkit.slug import slugify
from textkit.words import top_words, word_counts, words

__all__ = ['slugify', 'top_words', 'word_counts', 'words']
__version__ = '1.0'
