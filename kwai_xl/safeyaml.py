"""ruamel.yaml's safe loader, with a resolver that looks its rules up once and plain documents built from events.

ruamel's ``VersionedResolver`` re-derives the table of implicit-tag rules for every
scalar it reads (and appends to the table's lists as it goes); here the table is
built once per document and reused, which reads a quarter file in about two
thirds of the time (each implicit tag is one shared object, which decodes its name once). What a document means is unchanged: the same rules, in the
same order, for the version the document declares (1.2 by default).

ruamel composes a document into nodes and then constructs its values, each mapping
and sequence through a generator (to allow recursive documents). A plain document
(no anchor, alias, explicit tag, merge key, key given twice or ``%YAML`` directive:
every quarter file and rendered sheet template) is built here from the parser's
events in one pass instead, each scalar resolved and constructed by ruamel's own
resolver and constructor methods; anything else is read by ruamel's ``load``, which
also raises its error. Tests compare the two on every shipped file and template.
"""

from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.events import (
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.tag import Tag

from .diskcache import parse_cache

_TAGS: dict[str, Tag] = {}
"""One Tag per implicit tag (ruamel's own default tags are shared alike): it decodes its name once."""


class _Resolver(VersionedResolver):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._rules: dict = {}

    def _rules_for(self, first: str) -> tuple:
        """The (tag, pattern) rules, in ruamel's order, for a plain scalar starting with ``first``; looked up
        once per loader, which reads one document (the version it declares holds for all its scalars)."""
        if first not in self._rules:
            table = self.versioned_resolver
            self._rules[first] = tuple((_TAGS.setdefault(tag, Tag(suffix=tag)), pattern)
                                       for tag, pattern in tuple(table.get(first, ())) + tuple(table.get(None, ())))
        return self._rules[first]

    def resolve(self, kind, value, implicit):
        if kind is ScalarNode and implicit[0]:
            for tag, pattern in self._rules_for(value[:1]):
                if pattern.match(value):
                    return tag
            implicit = (False, implicit[1])
        return super().resolve(kind, value, implicit)


_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_SCALARS = {"tag:yaml.org,2002:null": SafeConstructor.construct_yaml_null,
            "tag:yaml.org,2002:bool": SafeConstructor.construct_yaml_bool,
            "tag:yaml.org,2002:int": SafeConstructor.construct_yaml_int,
            "tag:yaml.org,2002:float": SafeConstructor.construct_yaml_float,
            "tag:yaml.org,2002:timestamp": SafeConstructor.construct_yaml_timestamp}
"""The scalar tags a plain document's values may resolve to, and ruamel's constructor of each (str aside)."""
_SKIPPED = (StreamStartEvent, StreamEndEvent, DocumentEndEvent)
_NO_KEY = object()


class NotPlain(Exception):
    """A document :func:`plain_document` leaves to ruamel's ``load``."""


def _tag(resolver, event, kind) -> str:
    """The tag ruamel's composer gives the node of ``event``; :class:`NotPlain` for an explicit tag or an anchor."""
    if event.anchor is not None or event.tag not in (None, "!"):
        raise NotPlain
    return str(resolver.resolve(kind, getattr(event, "value", None), event.implicit))


_PLAIN_TAGS: dict[tuple, str] = {}
"""(YAML version asked for, plain scalar) → its tag: the same words (keys, formats, kinds) recur in every
document, and a plain document's scalars resolve by the version alone (it declares none of its own)."""
_PLAIN_TAGS_MAX = 20_000
_PLAIN_CACHED_LEN = 64  # longer scalars are text that recurs rarely


def _scalar_tag(yaml: YAML, event) -> str:
    """:func:`_tag` of a scalar event, a plain scalar's looked up in :data:`_PLAIN_TAGS` first."""
    value = event.value
    if not event.implicit[0] or len(value) > _PLAIN_CACHED_LEN or event.anchor is not None or event.tag is not None:
        return _tag(yaml.resolver, event, ScalarNode)
    key = (yaml.version, value)
    tag = _PLAIN_TAGS.get(key)
    if tag is None:
        if len(_PLAIN_TAGS) >= _PLAIN_TAGS_MAX:
            _PLAIN_TAGS.clear()
        tag = _PLAIN_TAGS[key] = _tag(yaml.resolver, event, ScalarNode)
    return tag


def plain_document(yaml: YAML, events):
    """The one document of the parse ``events`` as ``yaml.load`` builds it; :class:`NotPlain` where it is not plain
    (see the module's docstring); ValueError where a scalar cannot be built."""
    resolver, constructor = yaml.resolver, yaml.constructor
    open_: list[list] = []  # the collections being built: [collection, key waiting for its value]
    document, started = _NO_KEY, False
    for event in events:
        kind = event.__class__
        if kind is ScalarEvent:
            tag = _scalar_tag(yaml, event)
            if tag == _STR:
                value = event.value
            elif tag in _SCALARS:
                value = _SCALARS[tag](constructor, ScalarNode(tag, event.value, event.start_mark, event.end_mark))
            else:  # a merge key, or another tag
                raise NotPlain
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            mapping = kind is MappingStartEvent
            if _tag(resolver, event, MappingNode if mapping else SequenceNode) != (_MAP if mapping else _SEQ):
                raise NotPlain
            open_.append([{} if mapping else [], _NO_KEY])
            continue
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            value = open_.pop()[0]
        elif kind is DocumentStartEvent:
            if started or event.version is not None or event.tags:
                raise NotPlain
            started = True
            continue
        elif kind in _SKIPPED:
            continue
        else:  # an alias
            raise NotPlain
        if not open_:
            document = value
            continue
        top = open_[-1]
        if top[0].__class__ is list:
            top[0].append(value)
        elif top[1] is _NO_KEY:
            top[1] = _new_key(top[0], tuple(value) if value.__class__ is list else value)
        else:
            top[0][top[1]] = value
            top[1] = _NO_KEY
    if document is _NO_KEY:
        raise NotPlain
    return document


def _new_key(mapping: dict, key):
    """``key``, when ``mapping`` has no such key yet and it can be one; :class:`NotPlain` otherwise."""
    try:
        if key not in mapping:
            return key
    except TypeError:  # unhashable
        pass
    raise NotPlain


class SafeYAML(YAML):
    """ruamel's safe loader, building a plain document from its events (see the module's docstring)."""

    def load(self, stream, events=None):
        """The document ``stream`` (text); ``events``: its parse events, when the caller has them already. A plain
        document's parse is kept in the parse cache (:mod:`kwai_xl.diskcache`) and read from there next time."""
        if isinstance(stream, str):
            # kept when parsed here (a caller that parsed the text already keeps what it makes of it)
            cache = parse_cache() if events is None else None
            kind = f"plain document, YAML {self.version or 'default'}"
            kept = cache.get(kind, stream) if cache is not None else None
            if kept is not None:
                return kept[0]
            events = self.parse(stream) if events is None else events
            try:  # as the events come: what ruamel's load names first (an undefined alias) is met first
                document = plain_document(self, events)
            except (NotPlain, ValueError):  # ruamel's load reads it, or names what is wrong
                pass
            else:
                if cache is not None:
                    cache.put(kind, stream, document)
                return document
            finally:
                getattr(events, "close", lambda: None)()  # a generator's parser is let go before ruamel's load
        return super().load(stream)


def safe_yaml() -> SafeYAML:
    """A safe (no arbitrary objects) loader of one YAML document, C-accelerated where ruamel.yaml.clib is
    installed."""
    yaml = SafeYAML(typ="safe")
    yaml.Resolver = _Resolver
    return yaml
