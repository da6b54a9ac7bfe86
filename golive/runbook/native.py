"""The native format: the runbook model written as YAML, for runbooks written for golive.

The file is the model (:class:`~golive.runbook.model.Runbook`) with authoring
conveniences filled in before validation: an optional ``golive: 1`` version key;
``title_raw``/``text_raw`` default to ``title``/``text``; a section's ``level``
to its nesting depth; an item's ``kind`` to ``task``; ids to derived ones
(:func:`~golive.runbook.ids.assign_ids`); every ``line`` to the line of its YAML
mapping; a table row may be written as a plain list of cells. Numbers, booleans
and dates written unquoted where a string is expected are read as written.

Every problem is one :class:`~golive.errors.RunbookFormatError` whose location is
``file:line:column``.
"""

from __future__ import annotations

import difflib
import hashlib
import types
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from golive.errors import NotFoundError, RunbookFormatError
from golive.runbook.ids import assign_ids
from golive.runbook.model import CodeBlock, Item, Runbook, Section, Table

__all__ = ["NATIVE_VERSION", "SCHEMA_ID", "dump_native", "json_schema", "load_native", "parse_native"]

NATIVE_VERSION = 1
SCHEMA_ID = "https://golive.dev/schema/runbook.schema.json"

_Where = tuple[str | int, ...]

_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MERGE = "tag:yaml.org,2002:merge"
_AS_WRITTEN = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool", _TIMESTAMP}
_EXPECTED = {
    **dict.fromkeys(("bool_type", "bool_parsing"), "expected true or false"),
    **dict.fromkeys(("int_type", "int_parsing"), "expected an integer"),
    **dict.fromkeys(("float_type", "float_parsing"), "expected a number"),
    **dict.fromkeys(("dict_type", "model_type", "model_attributes_type"), "expected a mapping"),
    "string_type": "expected a string",
    "int_from_float": "expected a whole number",
    "list_type": "expected a list",
}
# Required model fields that the native format fills in (besides every ``line``).
_AUTHORING_DEFAULTS: dict[str, dict[str, str]] = {
    "Section": {"id": "a derived id", "title_raw": "the title", "level": "the nesting depth"},
    "Item": {"id": "a derived id", "kind": "'task'", "text_raw": "the text"},
    "CodeBlock": {"id": "a derived id"},
}


def load_native(path: Path) -> Runbook:
    """Read a native runbook file; ``file`` and ``content_hash`` default to its path and
    SHA-256. Raises RunbookFormatError (NotFoundError when the file does not exist)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFoundError("runbook file not found", location=str(path)) from None
    except OSError as exc:
        raise RunbookFormatError(f"cannot read runbook: {exc.strerror}", location=str(path)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise RunbookFormatError("not UTF-8 text", location=f"{path}:{line}:{col}") from None
    runbook = parse_native(text, str(path))
    if runbook.file is None:  # as the Markdown loader does; explicit values are kept
        runbook.file = str(path)
    if not runbook.content_hash:
        runbook.content_hash = hashlib.sha256(data).hexdigest()
    return runbook


def parse_native(text: str, file: str) -> Runbook:
    """Parse native YAML text; ``file`` names it in error locations."""
    return _Parser(file).parse(text)


class _Parser:
    def __init__(self, file: str) -> None:
        self.file = file
        self.marks: dict[_Where, yaml.Mark] = {}
        self.key_marks: dict[_Where, yaml.Mark] = {}
        self.scalars: dict[_Where, yaml.ScalarNode] = {}
        self.models: dict[_Where, type[BaseModel]] = {}
        self.ids: dict[str, yaml.Mark] = {}

    def error(self, message: str, mark: yaml.Mark | None) -> RunbookFormatError:
        if mark is None:
            return RunbookFormatError(message, location=f"{self.file}:1:1")
        return RunbookFormatError(message, location=f"{self.file}:{mark.line + 1}:{mark.column + 1}")

    def parse(self, text: str) -> Runbook:
        loader: yaml.SafeLoader | None = None
        try:
            loader = yaml.SafeLoader(text)
            node = loader.get_single_node()
            data = self.build(loader, node, (), frozenset()) if node is not None else None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = exc.problem or exc.context or "invalid YAML"
            if exc.problem and exc.context and exc.problem.startswith("but "):
                problem = f"{exc.context}, {exc.problem}"
            elif exc.problem and exc.context and exc.context_mark and exc.context_mark is not mark:
                where = f"line {exc.context_mark.line + 1}, column {exc.context_mark.column + 1}"
                problem += f" ({exc.context} at {where})"
            raise self.error(f"invalid YAML: {problem}", mark) from None
        except yaml.reader.ReaderError as exc:
            line = text.count("\n", 0, exc.position) + 1
            col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
            bad = exc.character if isinstance(exc.character, int) else ord(exc.character)
            raise RunbookFormatError(
                f"invalid YAML: unacceptable character #x{bad:04x}", location=f"{self.file}:{line}:{col}"
            ) from None
        except yaml.YAMLError as exc:  # pragma: no cover - every YAML error above carries a position
            raise self.error(f"invalid YAML: {exc}", None) from None
        finally:
            if loader is not None:
                loader.dispose()
        if data is None:
            raise self.error("empty runbook: expected a mapping with at least a 'title'", None)
        if not isinstance(data, dict):
            raise self.error(
                f"expected a mapping at the top level, got {_describe(data)}", self.marks.get(())
            )
        if "golive" in data:
            version = data.pop("golive")
            if version != NATIVE_VERSION or isinstance(version, bool):
                raise self.error(
                    f"golive: unsupported native format version {_describe(version)} "
                    f"(this golive reads version {NATIVE_VERSION})",
                    self.marks.get(("golive",)),
                )
        self.fill(data, Runbook, (), 0)
        return assign_ids(self.validate(data))

    # -- YAML nodes to plain data, remembering where each value was written --

    def build(self, loader: yaml.SafeLoader, node: yaml.Node, path: _Where, active: frozenset[int]) -> Any:
        if id(node) in active:
            raise self.error(f"{_fmt(path)}recursive alias", node.start_mark)
        if isinstance(node, yaml.ScalarNode):
            self.marks[path] = node.start_mark
            self.scalars[path] = node
            if node.tag == _TIMESTAMP:
                return node.value  # no model field holds a date: keep it as written
            return loader.construct_object(node)
        active = active | {id(node)}
        if isinstance(node, yaml.SequenceNode):
            self.marks[path] = node.start_mark
            return [self.build(loader, child, (*path, i), active) for i, child in enumerate(node.value)]
        if not isinstance(node, yaml.MappingNode):  # pragma: no cover - the composer makes only these
            raise self.error("unexpected YAML node", node.start_mark)
        out: dict[str, Any] = {}
        merges: list[yaml.Node] = []
        seen: dict[str, yaml.Mark] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merges.extend(value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node])
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.error("mapping keys must be plain strings", key_node.start_mark)
            key = str(key_node.value)
            if key in seen:
                raise self.error(
                    f"{_fmt(path)}duplicate key {key!r} (first at line {seen[key].line + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark
        for source in merges:  # explicit keys win over merged ones; earlier merges win over later
            if not isinstance(source, yaml.MappingNode):
                raise self.error("a merge ('<<') takes a mapping or a list of mappings", source.start_mark)
            for key, value in self.build(loader, source, path, active).items():
                out.setdefault(key, value)
        for key_node, value_node in node.value:
            if key_node.tag != _MERGE:
                key = str(key_node.value)
                self.key_marks[(*path, key)] = key_node.start_mark
                out[key] = self.build(loader, value_node, (*path, key), active)
        self.marks[path] = node.start_mark
        return out

    # -- authoring defaults --

    def fill(self, data: Any, model: type[BaseModel], path: _Where, depth: int) -> None:
        if not isinstance(data, dict):
            return
        self.models[path] = model
        line_field = model.model_fields.get("line")
        if line_field is not None and line_field.is_required() and path in self.marks:
            data.setdefault("line", self.marks[path].line + 1)
        if model in (Section, Item, CodeBlock):
            explicit = data.setdefault("id", "")
            if isinstance(explicit, str) and explicit:
                mark = self.marks.get((*path, "id"))
                if explicit in self.ids:
                    first = self.ids[explicit].line + 1
                    raise self.error(f"{_fmt(path)}duplicate id {explicit!r} (first at line {first})", mark)
                self.ids[explicit] = mark or self.marks[path]
        if model is Section:
            if isinstance(data.get("title"), str):
                data.setdefault("title_raw", data["title"])
            data.setdefault("level", depth + 1)
            level = data["level"]
            depth = level if isinstance(level, int) and not isinstance(level, bool) else depth + 1
        elif model is Item:
            data.setdefault("kind", "task")
            if isinstance(data.get("text"), str):
                data.setdefault("text_raw", data["text"])
        elif model is Runbook and isinstance(data.get("title"), str):
            data.setdefault("title_raw", data["title"])
        elif model is Table and isinstance(data.get("rows"), list):
            for i, row in enumerate(data["rows"]):
                if isinstance(row, list):  # shorthand: a row as its list of cells
                    data["rows"][i] = {"cells": row}
                    self.move((*path, "rows", i), (*path, "rows", i, "cells"))
        for name, (child, many) in _children(model).items():
            value = data.get(name)
            if many and isinstance(value, list):
                for i, item in enumerate(value):
                    self.fill(item, child, (*path, name, i), depth)
            elif not many:
                self.fill(value, child, (*path, name), depth)

    def move(self, old: _Where, new: _Where) -> None:
        def moved(key: _Where) -> _Where:
            inside = key[: len(old)] == old and len(key) > len(old)
            return (*new, *key[len(old) :]) if inside else key

        self.marks = {moved(key): mark for key, mark in self.marks.items()}
        self.scalars = {moved(key): node for key, node in self.scalars.items()}
        self.marks[new] = self.marks[old]

    # -- validation, with errors mapped back to the YAML --

    def validate(self, data: dict[str, Any]) -> Runbook:
        while True:  # ends: each retry turns at least one scalar into its (string) text
            try:
                return Runbook.model_validate(data)
            except ValidationError as exc:
                errors = exc.errors()
            retry = [e for e in errors if e["type"] == "string_type" and self.as_written(data, e["loc"])]
            if not retry:
                break
        problems = [self.describe_error(data, error) for error in errors]
        # an unknown field explains the missing ones of its mapping ('titel' for 'title')
        unknown = {owner: key for key, _, _, owner, kind in problems if kind == "extra_forbidden"}
        problems = [
            ((*unknown[owner][:2], 2), *rest) if kind == "missing" and owner in unknown else (key, *rest)
            for key, *rest, owner, kind in problems
        ]
        (_, message, mark), more = min(problems, key=lambda p: p[0])[:3], len(problems) - 1
        if more:
            message += f" (and {more} more error{'s' if more > 1 else ''})"
        raise self.error(message, mark)

    def as_written(self, data: Any, loc: tuple[int | str, ...]) -> bool:
        """Give an unquoted number, boolean or date the text it was written as."""
        path, rest = _resolve(data, loc)
        node = self.scalars.get(path)
        if rest or not path or node is None or node.tag not in _AS_WRITTEN:
            return False
        _get(data, path[:-1])[path[-1]] = node.value
        return True

    def describe_error(self, data: Any, error: Any) -> tuple[tuple[int, int, int], str, Any, _Where, str]:
        """(sort key, message, mark, path of the mapping or value, error type)."""
        path, _ = _resolve(data, error["loc"])
        kind, owner = error["type"], path
        if kind == "extra_forbidden" and path:
            owner = path[:-1]
            message = f"{_fmt(path[:-1])}unknown field {path[-1]!r}"
            model = self.models.get(path[:-1])
            if model is not None:
                close = difflib.get_close_matches(str(path[-1]), list(model.model_fields), n=1)
                message += f" (did you mean {close[0]!r}?)" if close else ""
            mark = self.key_marks.get(path) or self.nearest(path)
        elif kind == "missing":
            name = error["loc"][-1] if error["loc"] else "?"
            message, mark = f"{_fmt(path)}missing required field {name!r}", self.nearest(path)
        else:
            if kind == "value_error":
                message = str(error["ctx"]["error"])
            elif kind == "literal_error":
                message = f"expected one of {error['ctx']['expected']}"
            else:
                message = _EXPECTED.get(kind) or str(error["msg"])[:1].lower() + str(error["msg"])[1:]
            if "got " not in message:
                message += f", got {_describe(error['input'])}"
            message, mark = f"{_fmt(path)}{message}", self.nearest(path)
        rank = {"extra_forbidden": 0, "missing": 2}.get(kind, 1)
        key = (mark.line, mark.column, rank) if mark is not None else (0, 0, rank)
        return key, message, mark, owner, kind

    def nearest(self, path: _Where) -> yaml.Mark | None:
        while path not in self.marks and path:
            path = path[:-1]
        return self.marks.get(path)


def _resolve(data: Any, loc: tuple[int | str, ...]) -> tuple[_Where, list[int | str]]:
    """The longest prefix of ``loc`` that exists in ``data``, and what is left."""
    path: _Where = ()
    for index, part in enumerate(loc):
        in_dict = isinstance(data, dict) and isinstance(part, str) and part in data
        if not in_dict and not (isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)):
            return path, list(loc[index:])
        data, path = data[part], (*path, part)
    return path, []


def _get(data: Any, path: _Where) -> Any:
    for part in path:
        data = data[part]
    return data


def _fmt(path: _Where) -> str:
    """``sections[0].items[2].checked: `` (empty at the top level)."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return f"{out}: " if out else ""


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _children(model: type[BaseModel]) -> dict[str, tuple[type[BaseModel], bool]]:
    """The fields of ``model`` that hold models: name -> (model class, is a list)."""
    out: dict[str, tuple[type[BaseModel], bool]] = {}
    for name, field in model.model_fields.items():
        annotation, many = field.annotation, False
        if typing.get_origin(annotation) in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = args[0] if len(args) == 1 else None
        if typing.get_origin(annotation) is list:
            annotation, many = typing.get_args(annotation)[0], True
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            out[name] = (annotation, many)
    return out


# -- writing --


class _Dumper(yaml.SafeDumper):
    pass


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_native(runbook: Runbook) -> str:
    """The runbook as native YAML (fields at their default value left out)."""
    data = {"golive": NATIVE_VERSION, **runbook.model_dump(mode="json", exclude_defaults=True)}
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


# -- JSON Schema --


class _NativeSchema(GenerateJsonSchema):
    def timedelta_schema(self, schema: core_schema.TimedeltaSchema) -> JsonSchemaValue:
        return {
            "type": ["string", "number"],
            "description": "A duration or an offset from T-0: '-14d', '90m', '1h30m', '2 hours' "
            "(a number is seconds).",
            "examples": ["-14d", "90m", "1h30m"],
        }


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the native authoring format (draft 2020-12)."""
    schema = Runbook.model_json_schema(schema_generator=_NativeSchema)
    for name, definition in [("Runbook", schema), *schema.get("$defs", {}).items()]:
        defaults = {"line": "the line of the mapping", **_AUTHORING_DEFAULTS.get(name, {})}
        required = [f for f in definition.get("required", []) if f not in defaults]
        for field in set(definition.get("required", [])) - set(required):
            prop = definition["properties"][field]
            prop["description"] = f"Optional: defaults to {defaults[field]}."
        if required:
            definition["required"] = required
        else:
            definition.pop("required", None)
    schema["$defs"]["Item"]["properties"]["kind"]["default"] = "task"
    schema["$defs"]["Table"]["properties"]["rows"]["items"] = {
        "anyOf": [{"$ref": "#/$defs/TableRow"}, {"type": "array", "items": {"type": "string"}}]
    }
    schema["properties"] = {
        "golive": {"const": NATIVE_VERSION, "description": "The native format version."},
        **schema["properties"],
    }
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"], schema["title"] = SCHEMA_ID, "golive native runbook"
    return schema
