"""The checks: one module per check, each registering itself with ``@register``.

Importing this package imports every module in it, so the registry is complete.
"""

import importlib
import pkgutil


def _load_all() -> None:
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


_load_all()
