"""Structural rules for OpenAPI 3.0/3.1 and AsyncAPI 3: operations, parameters, bodies, channels.

Schema positions found here are handed to the differ with the context of who reads them.
Request bodies and parameters are INPUT and responses OUTPUT. An AsyncAPI message is OUTPUT on
a channel the application sends to, INPUT on one it receives from, and BOTH when no operation
names an action for the channel.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from opsconsole.review.documents import Document, Node
from opsconsole.review.model import Context, Level, Usage

if TYPE_CHECKING:
    from opsconsole.review.diff import Differ

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_TEMPLATE = re.compile(r"\{[^}]*\}")
_JSON_SCHEMA_FORMATS = ("application/vnd.aai.asyncapi", "application/schema+json")


def compare(differ: Differ) -> None:
    """Compare the structure of two OpenAPI or AsyncAPI documents."""
    if differ.new.kind == "openapi":
        _compare_openapi(differ)
    else:
        _compare_asyncapi(differ)


def operation_key(method: str, template: str) -> str:
    """Name an operation so that renamed path parameters still match: `GET /orders/{}`."""
    return f"{method.upper()} {_TEMPLATE.sub('{}', template)}"


# OpenAPI ------------------------------------------------------------------------------


def operations(doc: Document) -> dict[str, tuple[str, Node, Node]]:
    """Map operation keys to (display name, path item, operation) for an OpenAPI document."""
    root = doc.root()
    paths = root.value.get("paths") if isinstance(root.value, dict) else None
    if not isinstance(paths, dict):
        return {}
    holder = root.child("paths", paths)
    result: dict[str, tuple[str, Node, Node]] = {}
    for template, item in paths.items():
        item_node = doc.loader.resolve(holder.child(template, item))
        if not isinstance(item_node.value, dict):
            continue
        for method in HTTP_METHODS:
            operation = item_node.value.get(method)
            if isinstance(operation, dict):
                display = f"{method.upper()} {template}"
                key = operation_key(method, template)
                result[key] = (display, item_node, item_node.child(method, operation))
    return result


# NOTE: Response headers, security schemes and servers are not compared.
def _compare_openapi(differ: Differ) -> None:
    old_ops, new_ops = operations(differ.old), operations(differ.new)
    for key in sorted(old_ops.keys() - new_ops.keys()):
        display, _, node = old_ops[key]
        usage = Usage(display, "operation", ())
        reason = f"Operation {display} was removed; clients calling it will fail."
        differ.add_structural("operation-removed", node.path, reason, Level.BREAKING, usage)
    for key in sorted(new_ops.keys() - old_ops.keys()):
        display, _, node = new_ops[key]
        reason = f"Operation {display} was added."
        differ.add_structural("operation-added", node.path, reason, Level.INFO)
    for key in sorted(old_ops.keys() & new_ops.keys()):
        _compare_operation(differ, old_ops[key], new_ops[key])
    _compare_components(differ)


def _compare_components(differ: Differ) -> None:
    """Compare component schemas by name; changes no operation reaches become warnings."""
    old_schemas = _component_schemas(differ.old)
    new_schemas = _component_schemas(differ.new)
    for name in sorted(old_schemas.keys() & new_schemas.keys()):
        usage = Usage("", "schema", ())
        old, new = old_schemas[name], new_schemas[name]
        differ.compare_schemas(old, new, usage, Context.UNREACHED, only_unseen=True)


def _component_schemas(doc: Document) -> dict[str, Node]:
    components = _child(doc.root(), "components")
    schemas = _child(components, "schemas") if components is not None else None
    if schemas is None or not isinstance(schemas.value, dict):
        return {}
    return {name: schemas.child(name, value) for name, value in schemas.value.items()}


def _compare_operation(
    differ: Differ, old: tuple[str, Node, Node], new: tuple[str, Node, Node]
) -> None:
    display = new[0]
    old_op, new_op = old[2], new[2]
    if new_op.value.get("deprecated") is True and old_op.value.get("deprecated") is not True:
        reason = f"Operation {display} is now deprecated."
        differ.add_structural("operation-deprecated", new_op.path, reason, Level.WARNING)
    _compare_parameters(differ, display, old, new)
    _compare_request_body(differ, display, old_op, new_op)
    _compare_responses(differ, display, old_op, new_op)


def _parameters(doc: Document, item: Node, operation: Node) -> dict[tuple[str, str], Node]:
    result: dict[tuple[str, str], Node] = {}
    for owner in (item, operation):
        listed = owner.value.get("parameters")
        if not isinstance(listed, list):
            continue
        holder = owner.child("parameters", listed)
        for index, parameter in enumerate(listed):
            node = doc.loader.resolve(holder.child(index, parameter))
            value = node.value
            if isinstance(value, dict) and "name" in value and "in" in value:
                result[(str(value["in"]), str(value["name"]))] = node
    return result


def _compare_parameters(
    differ: Differ, display: str, old: tuple[str, Node, Node], new: tuple[str, Node, Node]
) -> None:
    old_params = _parameters(differ.old, old[1], old[2])
    new_params = _parameters(differ.new, new[1], new[2])
    for location, name in sorted(old_params.keys() - new_params.keys()):
        if location == "path":
            continue
        node = old_params[(location, name)]
        usage = Usage(display, f"parameter:{location}", (name,))
        reason = f"{location.capitalize()} parameter '{name}' of {display} was removed."
        differ.add_structural("request-parameter-removed", node.path, reason, Level.WARNING, usage)
    for location, name in sorted(new_params.keys() - old_params.keys()):
        node = new_params[(location, name)]
        required = node.value.get("required") is True
        usage = Usage(display, "operation", ())
        rule = "request-parameter-added-required" if required else "request-parameter-added"
        level = Level.BREAKING if required and location != "path" else Level.INFO
        kind = "required" if required else "optional"
        reason = f"{kind.capitalize()} {location} parameter '{name}' was added to {display}."
        differ.add_structural(rule, node.path, reason, level, usage)
    for key in sorted(old_params.keys() & new_params.keys()):
        _compare_parameter(differ, display, key, old_params[key], new_params[key])


def _compare_parameter(
    differ: Differ, display: str, key: tuple[str, str], old: Node, new: Node
) -> None:
    location, name = key
    usage = Usage(display, f"parameter:{location}", (name,))
    was, now = old.value.get("required") is True, new.value.get("required") is True
    if now and not was:
        reason = f"{location.capitalize()} parameter '{name}' of {display} is now required."
        rule = "request-parameter-became-required"
        differ.add_structural(
            rule, new.path, reason, Level.BREAKING, Usage(display, "operation", ())
        )
    elif was and not now:
        reason = f"{location.capitalize()} parameter '{name}' of {display} is now optional."
        differ.add_structural("request-parameter-became-optional", new.path, reason, Level.INFO)
    differ.compare_schemas(_child(old, "schema"), _child(new, "schema"), usage, Context.INPUT)


def _child(node: Node, key: str) -> Node | None:
    if not isinstance(node.value, dict) or key not in node.value:
        return None
    return node.child(key, node.value[key])


def _content(node: Node | None) -> dict[str, Node]:
    content = _child(node, "content") if node is not None else None
    if content is None or not isinstance(content.value, dict):
        return {}
    return {media: content.child(media, value) for media, value in content.value.items()}


def _compare_request_body(differ: Differ, display: str, old_op: Node, new_op: Node) -> None:
    old_body = _resolved(differ.old, _child(old_op, "requestBody"))
    new_body = _resolved(differ.new, _child(new_op, "requestBody"))
    operation_usage = Usage(display, "operation", ())
    if old_body is None and new_body is not None:
        required = new_body.value.get("required") is True
        rule = "request-body-added-required" if required else "request-body-added"
        level = Level.BREAKING if required else Level.INFO
        reason = f"{display} now {'requires' if required else 'accepts'} a request body."
        differ.add_structural(rule, new_body.path, reason, level, operation_usage)
        return
    if old_body is None or new_body is None:
        if old_body is not None:
            reason = f"{display} no longer documents a request body."
            differ.add_structural("request-body-removed", old_body.path, reason, Level.WARNING)
        return
    if new_body.value.get("required") is True and old_body.value.get("required") is not True:
        reason = f"The request body of {display} is now required."
        rule = "request-body-became-required"
        differ.add_structural(rule, new_body.path, reason, Level.BREAKING, operation_usage)
    _compare_media(differ, display, "request", old_body, new_body, Context.INPUT)


def _compare_media(
    differ: Differ, display: str, part: str, old: Node, new: Node, context: Context
) -> None:
    old_media, new_media = _content(old), _content(new)
    side = "request" if part == "request" else "response"
    usage = Usage(display, part, ())
    for media in sorted(old_media.keys() - new_media.keys()):
        reason = f"{display} no longer supports {media} in its {_part_name(part)}."
        rule = f"{side}-media-type-removed"
        differ.add_structural(rule, old_media[media].path, reason, Level.BREAKING, usage)
    for media in sorted(new_media.keys() - old_media.keys()):
        reason = f"{display} now supports {media} in its {_part_name(part)}."
        differ.add_structural(f"{side}-media-type-added", new_media[media].path, reason, Level.INFO)
    for media in sorted(old_media.keys() & new_media.keys()):
        old_schema = _child(old_media[media], "schema")
        new_schema = _child(new_media[media], "schema")
        differ.compare_schemas(old_schema, new_schema, usage, context)


def _part_name(part: str) -> str:
    return "request body" if part == "request" else f"{part.split(':', 1)[1]} response"


def _resolved(doc: Document, node: Node | None) -> Node | None:
    if node is None:
        return None
    resolved = doc.loader.resolve(node)
    return resolved if isinstance(resolved.value, dict) else None


def _compare_responses(differ: Differ, display: str, old_op: Node, new_op: Node) -> None:
    old_responses = _statuses(differ.old, _child(old_op, "responses"))
    new_responses = _statuses(differ.new, _child(new_op, "responses"))
    for status in sorted(old_responses.keys() - new_responses.keys()):
        success = status.startswith("2")
        level = Level.BREAKING if success else Level.WARNING
        usage = Usage(display, f"response:{status}", ())
        reason = f"{display} no longer returns status {status}."
        node = old_responses[status]
        differ.add_structural("response-status-removed", node.path, reason, level, usage)
    for status in sorted(new_responses.keys() - old_responses.keys()):
        reason = f"{display} may now return status {status}."
        node = new_responses[status]
        differ.add_structural("response-status-added", node.path, reason, Level.INFO)
    for status in sorted(old_responses.keys() & new_responses.keys()):
        old, new = old_responses[status], new_responses[status]
        part = f"response:{status}"
        _compare_media(differ, display, part, old, new, Context.OUTPUT)


def _statuses(doc: Document, responses: Node | None) -> dict[str, Node]:
    if responses is None or not isinstance(responses.value, dict):
        return {}
    result = {}
    for status, value in responses.value.items():
        node = _resolved(doc, responses.child(str(status), value))
        if node is not None:
            result[str(status)] = node
    return result


# AsyncAPI -----------------------------------------------------------------------------


def _section(doc: Document, name: str) -> dict[str, Node]:
    root = doc.root()
    value = root.value.get(name) if isinstance(root.value, dict) else None
    if not isinstance(value, dict):
        return {}
    holder = root.child(name, value)
    return {key: doc.loader.resolve(holder.child(key, item)) for key, item in value.items()}


def channel_contexts(doc: Document) -> dict[str, Context]:
    """Map channel locations to who reads their messages, from the operations' actions."""
    actions: dict[str, set[str]] = {}
    for operation in _section(doc, "operations").values():
        channel = _child(operation, "channel")
        action = operation.value.get("action")
        if channel is None or action not in ("send", "receive"):
            continue
        target = doc.loader.resolve(channel)
        actions.setdefault(target.path, set()).add(str(action))
    contexts = {}
    for path, found in actions.items():
        if found == {"send"}:
            contexts[path] = Context.OUTPUT
        elif found == {"receive"}:
            contexts[path] = Context.INPUT
        else:
            contexts[path] = Context.BOTH
    return contexts


def _compare_asyncapi(differ: Differ) -> None:
    old_channels, new_channels = _section(differ.old, "channels"), _section(differ.new, "channels")
    contexts = channel_contexts(differ.new)
    old_contexts = channel_contexts(differ.old)
    for name in sorted(old_channels.keys() - new_channels.keys()):
        usage = Usage(f"channel {name}", "operation", ())
        reason = f"Channel '{name}' was removed; its subscribers and publishers lose it."
        path = old_channels[name].path
        differ.add_structural("channel-removed", path, reason, Level.BREAKING, usage)
    for name in sorted(new_channels.keys() - old_channels.keys()):
        reason = f"Channel '{name}' was added."
        differ.add_structural("channel-added", new_channels[name].path, reason, Level.INFO)
    for name in sorted(old_channels.keys() & new_channels.keys()):
        old, new = old_channels[name], new_channels[name]
        context = contexts.get(new.path) or old_contexts.get(old.path) or Context.BOTH
        _compare_channel(differ, name, old, new, context)
    _compare_async_operations(differ)


def _compare_channel(differ: Differ, name: str, old: Node, new: Node, context: Context) -> None:
    usage = Usage(f"channel {name}", "operation", ())
    old_address, new_address = old.value.get("address"), new.value.get("address")
    if old_address != new_address:
        reason = f"Channel '{name}' moved from address {old_address!r} to {new_address!r}."
        differ.add_structural("channel-address-changed", new.path, reason, Level.BREAKING, usage)
    old_messages, new_messages = _messages(differ.old, old), _messages(differ.new, new)
    for message in sorted(old_messages.keys() - new_messages.keys()):
        reason = f"Message '{message}' was removed from channel '{name}'."
        path = old_messages[message].path
        differ.add_structural("message-removed", path, reason, Level.BREAKING, usage)
    for message in sorted(new_messages.keys() - old_messages.keys()):
        reason = f"Message '{message}' was added to channel '{name}'."
        path = new_messages[message].path
        differ.add_structural("message-added", path, reason, Level.INFO)
    for message in sorted(old_messages.keys() & new_messages.keys()):
        _compare_message(differ, name, old_messages[message], new_messages[message], context)


def _messages(doc: Document, channel: Node) -> dict[str, Node]:
    messages = _child(channel, "messages")
    if messages is None or not isinstance(messages.value, dict):
        return {}
    return {
        key: doc.loader.resolve(messages.child(key, value)) for key, value in messages.value.items()
    }


def _compare_message(differ: Differ, channel: str, old: Node, new: Node, context: Context) -> None:
    operation = f"channel {channel}"
    for part, key in (("message", "payload"), ("headers", "headers")):
        old_schema = _payload_schema(differ, _child(old, key))
        new_schema = _payload_schema(differ, _child(new, key))
        differ.compare_schemas(old_schema, new_schema, Usage(operation, part, ()), context)


def _payload_schema(differ: Differ, node: Node | None) -> Node | None:
    if node is None or not isinstance(node.value, dict):
        return node
    schema_format = node.value.get("schemaFormat")
    if schema_format is None or "schema" not in node.value:
        return node
    if not str(schema_format).startswith(_JSON_SCHEMA_FORMATS):
        reason = f"Payload at {node.path} uses {schema_format}, which review does not compare."
        differ.add_structural("payload-format-not-compared", node.path, reason, Level.WARNING)
        return None
    return node.child("schema", node.value["schema"])


def _compare_async_operations(differ: Differ) -> None:
    old_ops, new_ops = _section(differ.old, "operations"), _section(differ.new, "operations")
    for name in sorted(old_ops.keys() - new_ops.keys()):
        usage = Usage(f"operation {name}", "operation", ())
        reason = f"Operation '{name}' was removed."
        differ.add_structural(
            "operation-removed", old_ops[name].path, reason, Level.BREAKING, usage
        )
    for name in sorted(new_ops.keys() - old_ops.keys()):
        reason = f"Operation '{name}' was added."
        differ.add_structural("operation-added", new_ops[name].path, reason, Level.INFO)
    for name in sorted(old_ops.keys() & new_ops.keys()):
        old, new = old_ops[name], new_ops[name]
        usage = Usage(f"operation {name}", "operation", ())
        if old.value.get("action") != new.value.get("action"):
            reason = (
                f"Operation '{name}' changed its action from {old.value.get('action')!r} to "
                f"{new.value.get('action')!r}."
            )
            rule = "operation-action-changed"
            differ.add_structural(rule, new.path, reason, Level.BREAKING, usage)
        old_channel = _channel_name(differ.old, old)
        new_channel = _channel_name(differ.new, new)
        if old_channel != new_channel:
            reason = f"Operation '{name}' moved from channel {old_channel} to {new_channel}."
            rule = "operation-channel-changed"
            differ.add_structural(rule, new.path, reason, Level.BREAKING, usage)


def _channel_name(doc: Document, operation: Node) -> str:
    channel = _child(operation, "channel")
    if channel is None:
        return "none"
    target = doc.loader.resolve(channel)
    return target.path.rsplit(".", 1)[-1] if target.path.startswith("$.channels") else target.path
