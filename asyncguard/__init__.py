"""asyncguard: one import name for the five layers.

The layers keep the top-level folders of the design (``rules/``, ``contracts/``, ``checks/``,
``bot/``, ``training_content/``); in the repository they are symbolic links under this package,
so the code is imported as ``asyncguard.rules`` and so on, and the built wheel installs a single
top-level package that cannot shadow a project's own ``bot`` or ``rules``.
"""



def __getattr__(name: str) -> str:
    """`asyncguard.__version__`, looked up when asked: importing `importlib.metadata` costs every
    `asyncguard check` (the pre-commit hook, the warm run) some 20 ms it has no use for."""
    if name != "__version__":
        raise AttributeError(f"module 'asyncguard' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("asyncguard")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "0+unknown"
