# Preload fragment of io.pyhost.examples.settings: site overrides (order 150).
#
# Order 150 runs after io.pyhost.examples.textkit (100): what is assigned here wins over the
# defaults (50) and over anything textkit set, and textkit's helpers, which read
# TEXT_SETTINGS when called, see these values.
TEXT_SETTINGS['slug_max_length'] = 24
TEXT_SETTINGS['stopwords'] = TEXT_SETTINGS['stopwords'] + ['is', 'for']
SITE_NAME = 'pyhost example site'
SETTINGS_APPLIED.append('overrides')
