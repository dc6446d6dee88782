# Preload fragment of io.pyhost.examples.settings: defaults (order 50).
#
# Order 50 runs before io.pyhost.examples.textkit's fragment (100), so textkit's helpers find
# these settings; anything a later fragment assigns replaces what is set here.
TEXT_SETTINGS = {
    'slug_separator': '-',
    'slug_max_length': 80,
    'stopwords': ['a', 'an', 'and', 'in', 'of', 'the', 'to'],
}
SITE_NAME = 'pyhost example'
SETTINGS_APPLIED = ['defaults']
