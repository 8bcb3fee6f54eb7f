"""Write README.md from nbs/index.ipynb without Quarto (nbdev-readme needs it): markdown cells as they are, code
cells as fenced Python, directive comments (#|) dropped, hidden cells left out.

    .venv/bin/python docs/readme.py            # write README.md
    .venv/bin/python docs/readme.py --check    # exit 1 when README.md is not what index.ipynb gives
"""
import json, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def render(nb_path: Path) -> str:
    nb = json.loads(nb_path.read_text())
    parts = ['<!-- generated from nbs/index.ipynb by docs/readme.py: edit the notebook, then run `make readme` -->']
    for c in nb['cells']:
        src = ''.join(c['source'])
        lines = src.splitlines()
        if any(l.strip() in ('#| hide', '#|hide') for l in lines): continue
        if c['cell_type'] == 'markdown': parts.append(src.strip())
        elif c['cell_type'] == 'code':
            code = '\n'.join(l for l in lines if not l.lstrip().startswith('#|')).strip()
            if code: parts.append(f'```python\n{code}\n```')
    return '\n\n'.join(parts) + '\n'


if __name__ == '__main__':
    text = render(ROOT / 'nbs' / 'index.ipynb')
    readme = ROOT / 'README.md'
    if '--check' in sys.argv:
        if not readme.exists() or readme.read_text() != text:
            print("README.md is not in step with nbs/index.ipynb: run `make readme` and commit the result.")
            sys.exit(1)
        print("README.md is in step with nbs/index.ipynb")
    else:
        readme.write_text(text)
        print(f"wrote {readme}")
