"""The house style, measured: `python .ci/style.py` prints each chapter's figures; `--check` fails on a breach.

In `invflow/` (generated from the notebooks, so this checks them too): no line past 120 columns, no statements joined
with `;`, no function longer than 40 lines. In every chapter notebook (`nbs/NN_*.ipynb`): the same two rules for
every code cell, the median exported cell at most 12 lines (directives not counted), prose (a markdown cell) before
every exported cell, and an example or test (a code cell that is not exported) after it, before the next exported
cell — import cells aside. `nbdev`'s own `__all__` lines are not counted.
"""
import ast, io, json, statistics, sys, tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_COLS, MAX_FN, MAX_MEDIAN = 120, 40, 12


def _auto_all(lines: list[str]) -> set[int]:
    "Line numbers of the `__all__` nbdev writes after `# %% auto #0` (its own wrapping, not the notebooks')."
    out, inside = set(), False
    for i, l in enumerate(lines, 1):
        if l.startswith('# %% auto'): inside = True
        elif inside and (l.startswith('__all__') or l.startswith(' ')): out.add(i)
        elif inside and l.strip(): inside = False
    return out


def module_breaches(path: Path) -> list[str]:
    "Lines past 120 columns, `;` between statements and functions over 40 lines in one module."
    src = path.read_text()
    lines = src.splitlines()
    auto = _auto_all(lines)
    out = [f"{path.name}:{i} is {len(l)} columns" for i, l in enumerate(lines, 1) if len(l) > MAX_COLS and i not in auto]
    toks = tokenize.generate_tokens(io.StringIO(src).readline)
    out += [f"{path.name}:{t.start[0]} joins statements with ';'" for t in toks if t.type == tokenize.OP and t.string == ';']
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno + 1 > MAX_FN:
            out.append(f"{path.name}:{node.lineno} {node.name} is {node.end_lineno - node.lineno + 1} lines")
    return out


def code_breaches(path: Path, cells: list) -> list[str]:
    "Lines past 120 columns and `;` between statements in a notebook's code cells (tests and examples included)."
    out = []
    for i, c in enumerate(cells):
        if c['cell_type'] != 'code': continue
        src = ''.join(c['source'])
        out += [f"{path.name}: cell {i} has a line of {len(l)} columns" for l in src.splitlines() if len(l) > MAX_COLS]
        try: toks = list(tokenize.generate_tokens(io.StringIO(src).readline))
        except (tokenize.TokenError, SyntaxError): continue
        if any(t.type == tokenize.OP and t.string == ';' for t in toks):
            out.append(f"{path.name}: cell {i} joins statements with ';'")
    return out


def kind(cell: dict) -> str:
    "md, export, imports (an exported cell of imports only) or code."
    if cell['cell_type'] != 'code': return 'md'
    src = ''.join(cell['source'])
    if '#| export' not in src: return 'code'
    body = [l for l in src.splitlines() if l.strip() and not l.startswith('#|')]
    imports = all(l.startswith(('from ', 'import ', '    ')) or l.startswith(')') for l in body)
    return 'imports' if imports else 'export'


def _next_code(kinds: list[str], i: int) -> str | None:
    "The kind of the first cell after cell `i` that is not prose (None at the end of the notebook)."
    return next((k for k in kinds[i + 1:] if k != 'md'), None)


def chapter_figures(path: Path) -> dict:
    "Exported cells, their median length, and those without prose before or an example after."
    cells = json.loads(path.read_text())['cells']
    kinds = [kind(c) for c in cells]
    ex = [i for i, k in enumerate(kinds) if k == 'export']
    lines = [sum(1 for l in ''.join(cells[i]['source']).splitlines() if not l.startswith('#|')) for i in ex]
    no_prose = [i for i in ex if kinds[i - 1] != 'md']
    no_example = [i for i in ex if _next_code(kinds, i) != 'code']
    return dict(cells=len(ex), median=statistics.median(lines) if lines else 0, longest=max(lines, default=0),
                no_prose=no_prose, no_example=no_example, code=code_breaches(path, cells))


def main(check: bool) -> int:
    bad = [b for p in sorted((ROOT / 'invflow').glob('*.py')) if p.name != '_modidx.py' for b in module_breaches(p)]
    print(f"{'chapter':28} {'cells':>5} {'median':>6} {'longest':>7} {'no prose':>8} {'no example':>10}")
    for p in sorted((ROOT / 'nbs').glob('[0-9][0-9]_*.ipynb')):
        f = chapter_figures(p)
        print(f"{p.name:28} {f['cells']:5} {f['median']:6} {f['longest']:7} {len(f['no_prose']):8} "
              f"{len(f['no_example']):10}")
        if f['median'] > MAX_MEDIAN: bad.append(f"{p.name}: median exported cell {f['median']} lines")
        bad += [f"{p.name}: cell {i} is exported without prose before it" for i in f['no_prose']]
        bad += [f"{p.name}: cell {i} is exported without an example or test after it" for i in f['no_example']]
        bad += f['code']
    for b in bad: print('  ' + b)
    if check and bad:
        print(f"{len(bad)} breaches of the house style (.ci/style.py)")
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main('--check' in sys.argv))
