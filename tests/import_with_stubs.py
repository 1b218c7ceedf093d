"""Import every module of a package with its third-party imports stubbed, to show that fixed code still imports.

    python tests/import_with_stubs.py ROOT PACKAGE

A meta-path finder answers every import outside the standard library and PACKAGE with a stub module whose
attributes are stubs: callable, subscriptable, usable as a base class and as a decorator (which keeps what it
decorates). The code of PACKAGE itself runs for real: a name it uses before defining it fails as it would in
production. Prints one line per failure and exits 1 when any module failed.
"""

import importlib
import importlib.abc
import importlib.machinery
import inspect
import pkgutil
import sys
import traceback
import types


class StubBase:
    """What a class deriving from a stubbed class derives from."""

    def __init__(self, *args, **kwargs):
        pass

    def __init_subclass__(cls, **kwargs):
        pass


class Stub:
    """Any attribute, call, subscript or base class of a stubbed module."""

    def __init__(self, name):
        self._name = name

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return Stub(f"{self._name}.{name}")

    def __call__(self, *args, **kwargs):
        if len(args) == 1 and not kwargs and (inspect.isfunction(args[0]) or inspect.isclass(args[0])):
            return args[0]  # used as a decorator: keep what it decorates
        return Stub(f"{self._name}()")

    def __getitem__(self, key):
        return Stub(f"{self._name}[]")

    def __mro_entries__(self, bases):
        return (StubBase,)

    def __iter__(self):
        return iter(())

    def __or__(self, other):
        return self

    __ror__ = __or__


class StubModule(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return Stub(f"{self.__name__}.{name}")


class StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self, own):
        self.own = own

    def find_spec(self, fullname, path=None, target=None):
        top = fullname.split(".", 1)[0]
        if top in sys.stdlib_module_names or top == self.own:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec):
        module = StubModule(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module):
        pass


def main(root, package):
    sys.path.insert(0, root)
    sys.meta_path.insert(0, StubFinder(package))
    failed = 0
    names = [package] + [f"{package}.{m.name}" for m in pkgutil.iter_modules([f"{root}/{package}"])]
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # (a module that exits while importing ends this process: non-zero too)
            failed += 1
            print(f"{name}: import failed\n{traceback.format_exc(limit=3)}")
    print(f"{len(names) - failed} imported, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
