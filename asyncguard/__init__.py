"""asyncguard: one import name for the five layers.

The layers keep the top-level folders of the design (``rules/``, ``contracts/``, ``checks/``,
``bot/``, ``training_content/``); in the repository they are symbolic links under this package,
so the code is imported as ``asyncguard.rules`` and so on, and the built wheel installs a single
top-level package that cannot shadow a project's own ``bot`` or ``rules``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("asyncguard")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0+unknown"
