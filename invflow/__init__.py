__version__ = "0.1.0"

# The notebook front door, imported on first use (so `import invflow` stays light).
_TOP = {'wrap': 'invflow.families', 'as_images': 'invflow.data', 'analyze': 'invflow.metrics',
        'forgetting': 'invflow.questions', 'learning': 'invflow.questions', 'invariance_flow': 'invflow.questions'}

def __getattr__(name):
    if name in _TOP:
        import importlib
        return getattr(importlib.import_module(_TOP[name]), name)
    raise AttributeError(f"module 'invflow' has no attribute {name!r}")

def __dir__(): return sorted([*globals(), *_TOP])
