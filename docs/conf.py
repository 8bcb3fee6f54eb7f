# Sphinx configuration of the invflow docs site (built offline by `make docs` from the executed notebooks).
project = 'invflow'
author = 'invflow developers'
extensions = ['myst_nb']
nb_execution_mode = 'off'                      # docs/build.py executes the notebooks beforehand
myst_enable_extensions = ['dollarmath', 'colon_fence']
html_theme = 'sphinx_book_theme'
html_title = 'invflow'
html_static_path = ['_static']
html_js_files = ['vega-bundle.js']             # Vega, Vega-Lite and vega-embed, once for the whole site, no CDN
exclude_patterns = ['_build']
suppress_warnings = ['mystnb.unknown_mime_type', 'myst.header', 'misc.highlighting_failure']
html_theme_options = {'repository_url': 'https://github.com/invflow/invflow', 'use_repository_button': False,
                      'show_navbar_depth': 1}
