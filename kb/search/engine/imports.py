"""The stand-ins Whoosh is imported with: the one place kb puts modules in ``sys.modules``.

``whoosh.compat`` imports ``urllib.request`` (which pulls in email, http.client and ssl) for
``urlretrieve``, a function kb never calls, and ``whoosh.reading`` the ``cached_property``
package, which imports asyncio for coroutine methods Whoosh does not have. Together they were a
fifth of a ``kb search`` process, and lazy imports in kb cannot avoid them (Whoosh imports them
at its top): measured without them, one ``kb search`` at 10,000 entries misses its 0.25 s
budget (scripts/bench_engine.py prints both import floors). So, while Whoosh is first imported
(``import_whoosh_lightly``, called by ``kb/search/__init__.py`` before anything else imports
Whoosh), those two names are served by small stand-ins, then taken out of ``sys.modules``:
whatever imports them later gets the real modules. tests/test_search_engine.py checks that this
is still safe with the pinned Whoosh (no stand-in left behind, the delegating ``urlretrieve``
works, every method ``whoosh.reading`` caches is a plain one).
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T")
R = TypeVar("R")


def import_whoosh_lightly() -> None:
    """Import ``whoosh.compat`` and ``whoosh.reading`` with the stand-ins (once per process)."""
    if "whoosh.reading" in sys.modules:
        return
    standins: dict[str, types.ModuleType] = {}
    if "urllib.request" not in sys.modules:
        request = types.ModuleType("urllib.request")
        request.urlretrieve = urlretrieve  # type: ignore[attr-defined]
        standins["urllib.request"] = request
    if "cached_property" not in sys.modules:
        package = types.ModuleType("cached_property")
        package.cached_property = CachedProperty  # type: ignore[attr-defined]
        standins["cached_property"] = package
    sys.modules.update(standins)
    try:
        import whoosh.compat
        import whoosh.reading  # noqa: F401
    finally:
        for name, module in standins.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]


def urlretrieve(*args: Any, **kwargs: Any) -> Any:
    """``urllib.request.urlretrieve``, imported when first called."""
    from urllib.request import urlretrieve as real

    return real(*args, **kwargs)


class CachedProperty(Generic[T, R]):
    """What ``cached_property.cached_property`` does for a plain method (computed once, then an
    attribute of the instance), without importing asyncio for coroutine methods."""

    def __init__(self, func: Callable[[T], R]):
        self.__doc__ = func.__doc__
        self.func = func

    @overload
    def __get__(self, obj: None, cls: type[T]) -> CachedProperty[T, R]: ...
    @overload
    def __get__(self, obj: T, cls: type[T]) -> R: ...
    def __get__(self, obj: T | None, cls: type[T]) -> CachedProperty[T, R] | R:
        if obj is None:
            return self
        value = obj.__dict__[self.func.__name__] = self.func(obj)
        return value
