"""Fail a release whose tag is not the package's version: `python .github/check_tag.py v0.1.0` (the workflow passes
$GITHUB_REF_NAME)."""
import re, sys
from pathlib import Path

init = Path(__file__).resolve().parents[1] / 'invflow' / '__init__.py'
version = re.search(r'__version__\s*=\s*["\']([^"\']+)["\']', init.read_text()).group(1)
tag = sys.argv[1] if len(sys.argv) > 1 else ''
if tag.removeprefix('v') != version:
    sys.exit(f"the tag {tag!r} is not the package's version (invflow.__version__ is {version}): tag the release "
             f"v{version}, or bump the version (nbdev-bump-version) and tag that commit.")
print(f"tag {tag} matches invflow {version}")
