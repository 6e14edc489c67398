"""A cheaper constructor for the frozen values a command makes one of per migration or history row.

``@dataclass(frozen=True)`` generates an ``__init__`` that calls ``object.__setattr__`` once per field
(the class's own ``__setattr__`` refuses). A run at 10,000 applied migrations builds tens of thousands
of such values (files found, parsed names, migrations, history rows, info lines), and those calls
were a fifth of a no-op ``migrate``'s CPU. ``quick_init`` gives the class an ``__init__`` with the
same signature that fills the instance's ``__dict__`` in one assignment: the instance, its equality,
hash, repr and immutability are the same (``tests/unit/test_quick_init.py``).
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar, cast

__all__ = ["quick_init"]

T = TypeVar("T")
_NO_VALUE = object()  # a default_factory field's default: the factory is called


def quick_init(cls: type[T]) -> type[T]:
    """Replace the generated ``__init__`` of the frozen dataclass ``cls`` (apply above ``@dataclass``).

    Only plain frozen dataclasses: no slots, ``__post_init__``, ``InitVar``, keyword-only or
    ``init=False`` fields (refused with ``TypeError``, so a class that gains one fails at import)."""
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or "__slots__" in cls.__dict__ or hasattr(cls, "__post_init__"):
        raise TypeError(f"quick_init: {cls.__name__} is not a plain frozen dataclass")
    names: list[str] = []
    args: list[str] = []
    body: list[str] = []
    scope: dict[str, Any] = {"_set": object.__setattr__, "_NO_VALUE": _NO_VALUE}
    for f in dataclasses.fields(cast(Any, cls)):
        if not f.init or f.kw_only or f.name.startswith("_"):
            raise TypeError(f"quick_init: {cls.__name__}.{f.name} is not a plain field")
        names.append(f.name)
        if f.default is not dataclasses.MISSING:
            scope[f"_d_{f.name}"] = f.default
            args.append(f"{f.name}=_d_{f.name}")
        elif f.default_factory is not dataclasses.MISSING:
            scope[f"_f_{f.name}"] = f.default_factory
            args.append(f"{f.name}=_NO_VALUE")
            body.append(f"    if {f.name} is _NO_VALUE: {f.name} = _f_{f.name}()")
        else:
            args.append(f.name)
    values = ", ".join(f"{n!r}: {n}" for n in names)
    source = "\n".join([f"def __init__(self, {', '.join(args)}):", *body, f"    _set(self, '__dict__', {{{values}}})"])
    exec(source, scope)
    init = scope["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    setattr(cls, "__init__", init)  # noqa: B010 - mypy refuses assigning a method directly
    return cls
