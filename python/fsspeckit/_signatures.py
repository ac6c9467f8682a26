"""``inspect.signature`` for the native (nanobind) functions, methods and classes.

nanobind describes every binding in ``__nb_signature__`` (its text, with defaults given
separately) but offers nothing ``inspect`` reads, so ``inspect.signature`` raised
ValueError. Here nanobind's function types get a ``__signature__`` property built from
that description on demand (installed by fsspeckit._core, as nanobind's types are
immutable from Python); classes get the signature of their
``__init__``. Calls are untouched: nothing on a hot path runs here.
"""

from __future__ import annotations

import ast
import inspect
import re

_PLACEHOLDER = re.compile(r"\\(\d+)")


def _parameters(text: str, defaults: tuple | None) -> inspect.Signature:
    """The Signature for nanobind's ``def name(a: T = \\0, *, b: U = \\1) -> R`` text."""
    # Defaults are \N placeholders into `defaults`: make them names ast can parse.
    source = _PLACEHOLDER.sub(lambda m: f"__default_{m.group(1)}", text) + ": pass"
    function = ast.parse(source).body[0]
    arguments = function.args
    values = {f"__default_{i}": value for i, value in enumerate(defaults or ())}

    def default(node):
        if node is None:
            return inspect.Parameter.empty
        if isinstance(node, ast.Name) and node.id in values:
            return values[node.id]
        return ast.literal_eval(node)

    def annotation(node):
        return inspect.Parameter.empty if node is None else ast.unparse(node)

    positional = arguments.posonlyargs + arguments.args
    positional_defaults = [None] * (len(positional) - len(arguments.defaults)) + arguments.defaults
    parameters = []
    for i, (arg, node) in enumerate(zip(positional, positional_defaults)):
        kind = (inspect.Parameter.POSITIONAL_ONLY if i < len(arguments.posonlyargs)
                else inspect.Parameter.POSITIONAL_OR_KEYWORD)
        parameters.append(inspect.Parameter(arg.arg, kind, default=default(node),
                                            annotation=annotation(arg.annotation)))
    if arguments.vararg:
        parameters.append(inspect.Parameter(arguments.vararg.arg, inspect.Parameter.VAR_POSITIONAL,
                                            annotation=annotation(arguments.vararg.annotation)))
    for arg, node in zip(arguments.kwonlyargs, arguments.kw_defaults):
        parameters.append(inspect.Parameter(arg.arg, inspect.Parameter.KEYWORD_ONLY,
                                            default=default(node),
                                            annotation=annotation(arg.annotation)))
    if arguments.kwarg:
        parameters.append(inspect.Parameter(arguments.kwarg.arg, inspect.Parameter.VAR_KEYWORD,
                                            annotation=annotation(arguments.kwarg.annotation)))
    returns = inspect.Signature.empty if function.returns is None else ast.unparse(function.returns)
    return inspect.Signature(parameters, return_annotation=returns)


def signature_of(function) -> inspect.Signature | None:
    """The signature of a nanobind function or method; None when it has overloads
    (one Signature cannot describe them) or its description cannot be read."""
    overloads = getattr(function, "__nb_signature__", None)
    if not overloads or len(overloads) != 1:
        return None
    text, _doc, defaults = overloads[0]
    try:
        return _parameters(text, defaults)
    except (SyntaxError, ValueError):
        return None


def _without_first(signature: inspect.Signature | None) -> inspect.Signature | None:
    if signature is None or not signature.parameters:
        return signature
    return signature.replace(parameters=list(signature.parameters.values())[1:])


def _install_on_function_types(native_module) -> None:
    function = native_module.bytes_to_mb
    method = native_module.MemoryMonitor.check_memory_pressure
    bound_method = native_module.MemoryMonitor().check_memory_pressure
    # A property on nanobind's own types: every binding answers, none is wrapped.
    native_module._install_signature_property(function, property(signature_of))
    native_module._install_signature_property(method, property(signature_of))
    native_module._install_signature_property(
        bound_method, property(lambda bound: _without_first(signature_of(bound.__func__))))


def _install_on_classes(native_module) -> None:
    for value in vars(native_module).values():
        init = getattr(value, "__init__", None)
        if isinstance(value, type) and hasattr(init, "__nb_signature__"):
            signature = _without_first(signature_of(init))
            if signature is not None:
                value.__signature__ = signature.replace(return_annotation=inspect.Signature.empty)


def install(native_module) -> None:
    """Makes inspect.signature work on everything ``native_module`` binds."""
    _install_on_function_types(native_module)
    _install_on_classes(native_module)
