"""Build the docs site offline: execute every notebook, turn its charts into pages that draw with a site-wide Vega
bundle, write API pages from nbdev's show_doc, and run Sphinx (myst-nb, execution off).

    .venv/bin/python docs/build.py          # → _docs/index.html      (make docs)
    .venv/bin/python docs/build.py --tutorials   # run nbs/tutorials/*.ipynb, store their outputs (make tutorials)
    .venv/bin/python docs/build.py --pages index,20_viz   # only these chapters executed (+ tutorials, API): the test

The tutorials run the embedded default study (minutes), so the site shows their stored outputs instead of running them;
every other notebook is executed on each build, one process per core.
"""
import importlib, importlib.util, json, multiprocessing, os, re, shutil, subprocess, sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC, OUT = ROOT / '_docs_src', ROOT / '_docs'
VEGA_MIME = re.compile(r'application/vnd\.vegalite\.v\d+[.+]json')


def execute(nb_path: Path) -> dict:
    "Run a notebook's cells (in its folder, IN_TEST unset) and return it with outputs; charts as Vega-Lite JSON."
    from execnb.shell import CaptureShell
    from fastcore.nbio import nb2dict
    from nbdev.process import NBProcessor
    from nbdev.test import _skip_cell
    from fastcore.nbio import mk_cell
    nb = NBProcessor(nb_path, rm_directives=False, process=True).nb
    skip = _skip_cell(nb)
    setup = mk_cell("import altair as alt; alt.renderers.enable('mimetype')", 'code')
    nb.cells.insert(0, setup)
    cwd = os.getcwd(); os.chdir(nb_path.parent)
    try: CaptureShell(nb_path).run_all(nb, exc_stop=True, preproc=lambda c: c is not setup and skip(c))
    finally: os.chdir(cwd)
    nb.cells.remove(setup)
    return nb2dict(nb)


def to_page(nb: dict) -> dict:
    "Drop hidden cells and directive lines; Vega-Lite outputs become HTML that vegaEmbed renders as SVG."
    cells, k = [], 0
    for c in nb['cells']:
        src = c['source'] if isinstance(c['source'], str) else ''.join(c['source'])
        if c['cell_type'] == 'code':
            if re.search(r'^#\|\s*hide', src, re.M): continue
            c['source'] = '\n'.join(l for l in src.splitlines() if not l.lstrip().startswith('#|')).strip()
            if not c['source'] and not c.get('outputs'): continue
            outs = []
            for o in c.get('outputs', []):
                data = o.get('data', {})
                if 'application/vnd.jupyter.widget-view+json' in data and 'text/html' in data:   # no kernel: static view
                    data = {k: v for k, v in data.items() if k != 'application/vnd.jupyter.widget-view+json'}
                    o = dict(o, data=data)
                spec = next((v for m, v in data.items() if VEGA_MIME.fullmatch(m)), None)
                if spec is not None:
                    spec = (spec if isinstance(spec, str) else json.dumps(spec)).replace('</', '<\\/')
                    html = (f'<div class="invflow-chart" id="vl{k}"></div><script>vegaEmbed("#vl{k}", {spec}, '
                            f'{{renderer: "svg", actions: false}}).catch(function(e){{document.getElementById("vl{k}").textContent = "chart error: " + e;}});</script>')
                    o = dict(o, data={'text/html': html}); k += 1
                outs.append(o)
            c['outputs'] = outs
            c.setdefault('execution_count', None); c.setdefault('metadata', {})
        else: c['source'] = src
        cells.append(c)
    nb['cells'] = cells
    nb.setdefault('metadata', {})['kernelspec'] = {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}
    return nb


def api_page(mod_name: str) -> str:
    "Markdown API page of one module from nbdev's show_doc, for every public name."
    from nbdev.showdoc import show_doc
    mod = importlib.import_module(mod_name)
    parts = [f'# `{mod_name}`', '', (mod.__doc__ or '').strip()]
    for name in getattr(mod, '__all__', []):
        obj = getattr(mod, name)
        if not callable(obj): continue
        md = show_doc(obj)._repr_markdown_()
        md = re.sub(r'^\[source\]\(.*\)\{.*\}\s*$', '', md, flags=re.M).replace('\n---\n', '\n')
        parts.append(md.strip())
    return '\n\n'.join(parts) + '\n'


TUTORIALS = ROOT / 'nbs' / 'tutorials'

def stored(nb_path: Path) -> dict:
    "A tutorial as committed, with its outputs; a clear error when it was never run."
    nb = json.loads(nb_path.read_text())
    if not any(c.get('outputs') for c in nb['cells'] if c['cell_type'] == 'code'):
        sys.exit(f"{nb_path.relative_to(ROOT)} has no stored outputs: run `make tutorials` (it runs the default study) and commit it.")
    return nb

def run_tutorials(names=()):
    "Execute each tutorial (or those whose names contain one of `names`) and store its outputs (then nbdev-clean)."
    for p in sorted(TUTORIALS.glob('[!_]*.ipynb')):
        if names and not any(n in p.name for n in names): continue
        print(f'running {p.relative_to(ROOT)}', flush=True)
        nb = execute(p)
        for c in nb['cells']:
            if c['cell_type'] == 'code': c['outputs'] = [o for o in c.get('outputs', []) if o.get('name') != 'stderr']
        p.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')
    subprocess.run([str(Path(sys.executable).parent / 'nbdev-clean'), '--fname', str(TUTORIALS)], check=True)

def write_page(p: Path) -> str:
    "Execute one notebook (or read a tutorial's stored outputs) and write its page; the page's name."
    print(f'{"reading" if TUTORIALS in p.parents else "executing"} {p.relative_to(ROOT)}', flush=True)
    rel = p.relative_to(ROOT / 'nbs')
    (SRC / rel).parent.mkdir(parents=True, exist_ok=True)
    (SRC / rel).write_text(json.dumps(to_page(stored(p) if TUTORIALS in p.parents else execute(p))))
    return str(rel.with_suffix(''))


def _share_threads(threads: int):
    "A worker's share of the cores, set before it imports torch."
    for v in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS'): os.environ[v] = str(threads)


def write_pages(nbs: list, workers: int | None = None) -> list:
    "Every notebook's page, one process per core (each with its share of threads), in the order given."
    workers = workers or min(os.cpu_count() or 1, len(nbs))
    if workers == 1: return [write_page(p) for p in nbs]
    ctx = multiprocessing.get_context('spawn')
    threads = max(1, (os.cpu_count() or 1) // workers)
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_share_threads, initargs=(threads,)) as ex:
        # by this module's name: the notebook shell in a worker takes over its `__main__`
        return list(ex.map(importlib.import_module('build').write_page, nbs))


def chapters(only=()) -> list:
    "The notebooks that become pages: every one, or the tutorials and those chapters whose stem is in `only`."
    nbs = sorted(p for p in (ROOT / 'nbs').rglob('*.ipynb')
                 if not p.name.startswith(('_', '.')) and '.ipynb_checkpoints' not in p.parts)
    if not only: return nbs
    unknown = set(only) - {p.stem for p in nbs}
    if unknown: sys.exit(f"--pages names no notebook {sorted(unknown)}: give stems of nbs/*.ipynb, comma-separated.")
    return [p for p in nbs if p.stem in only or TUTORIALS in p.parents]


def main(only=()):
    shutil.rmtree(SRC, ignore_errors=True); SRC.mkdir(); (SRC / 'api').mkdir(); (SRC / '_static').mkdir()
    import vl_convert as vlc
    (SRC / '_static' / 'vega-bundle.js').write_text('(function(){' + vlc.javascript_bundle() + '\n})();')
    shutil.copy(ROOT / 'docs' / 'conf.py', SRC / 'conf.py')
    pages = write_pages(chapters(only))
    mods = sorted(m.stem for m in (ROOT / 'invflow').glob('*.py') if not m.stem.startswith('_'))
    for m in mods: (SRC / 'api' / f'{m}.md').write_text(api_page(f'invflow.{m}'))
    listed = [p for p in pages if p != 'index']
    toc = ['', '```{toctree}', ':maxdepth: 1', ':caption: Chapters', '', *listed, '```', '',
           '```{toctree}', ':maxdepth: 1', ':caption: API', '', *[f'api/{m}' for m in mods], '```']
    idx = json.loads((SRC / 'index.ipynb').read_text())
    idx['cells'].append({'cell_type': 'markdown', 'id': 'toc', 'metadata': {}, 'source': '\n'.join(toc)})
    (SRC / 'index.ipynb').write_text(json.dumps(idx))
    shutil.rmtree(OUT, ignore_errors=True)
    r = subprocess.run([sys.executable, '-m', 'sphinx', '-b', 'html', '-q', str(SRC), str(OUT)])
    if r.returncode: sys.exit(r.returncode)
    print(f'docs: {OUT / "index.html"}')


def require_docs_extra():
    "Stop with one sentence when the docs tools are not installed."
    tools = ('sphinx', 'myst_nb', 'sphinx_book_theme', 'nbdev', 'execnb')
    missing = [m for m in tools if importlib.util.find_spec(m) is None]
    if missing: sys.exit(f"building the docs needs {', '.join(missing)}: pip install 'invflow[docs]' (or make docs).")


if __name__ == '__main__':
    require_docs_extra()
    if sys.argv[1:2] == ['--tutorials']: run_tutorials(sys.argv[2:])
    elif sys.argv[1:2] == ['--pages'] and len(sys.argv) == 3: main(tuple(sys.argv[2].split(',')))
    elif len(sys.argv) == 1: main()
    else: sys.exit("usage: docs/build.py [--tutorials [names…] | --pages stem,stem,…]")
