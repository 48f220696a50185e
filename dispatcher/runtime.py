"""What a worker or web process loads once: settings, database, Redis, reference data.

Jobs are plain functions with JSON arguments; they reach the engine and the rules through
``current()``, built from SATUPINTU_* settings on first use in each process (tests install
their own).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import redis

from casestore.db import Engine, SessionFactory, make_engine, make_sessionmaker
from casestore.deadlines import install_policy
from config import Settings, load_settings
from config.reference import (
    Category,
    Place,
    RoutingRule,
    Unit,
    load_categories,
    load_gazetteer,
    load_routing_rules,
    load_units,
)
from config.sla_policy import load_sla_policy
from config.texts import read_keywords, read_replies
from dispatcher.queues import redis_connection
from dispatcher.spool import Spool
from normalizer.keywords import build_keywords
from normalizer.location import LocationIndex, build_location_index
from normalizer.normalize import Rules
from normalizer.replies import ReplyBook, build_replies


def _path(value: str) -> str | None:
    return value or None


@functools.lru_cache(maxsize=4)
def _location_index(places: tuple[Place, ...]) -> LocationIndex:
    # Building the index takes a fifth of a second; every runtime over the same gazetteer
    # (web, worker, each test) can share one, since it is immutable.
    return build_location_index(places)


@dataclass
class Runtime:
    """One per process; cheap parts are built eagerly, connections lazily."""

    settings: Settings
    units: Sequence[Unit] = field(init=False)
    categories: Sequence[Category] = field(init=False)
    routing_rules: Sequence[RoutingRule] = field(init=False)
    places: Sequence[Place] = field(init=False)
    replies: ReplyBook = field(init=False)
    rules: Rules = field(init=False)

    def __post_init__(self) -> None:
        s = self.settings
        self.units = load_units(_path(s.units_file))
        self.places = load_gazetteer(_path(s.gazetteer_file))
        self.categories = load_categories(_path(s.categories_file))
        overridden = any((s.units_file, s.gazetteer_file, s.categories_file))
        # Overridden units or categories must be the ones the routing file is checked against.
        self.routing_rules = load_routing_rules(
            _path(s.routing_file),
            units=self.units if overridden else None,
            categories=self.categories if overridden else None,
            places=self.places if overridden else None,
        )
        self.replies = build_replies(*read_replies(_path(s.replies_file)))
        # The SLA policy the case store's clocks run on in this process (issue 20).
        install_policy(load_sla_policy(_path(s.sla_policy_file)))
        self.rules = Rules(
            secret=s.secret_key,
            keywords=build_keywords(*read_keywords(_path(s.keywords_file))),
            categories=self.categories,
            places=_location_index(self.places),
            max_text_chars=s.max_description_chars,
        )

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url)

    @cached_property
    def sessions(self) -> SessionFactory:
        return make_sessionmaker(self.engine)

    @cached_property
    def redis(self) -> redis.Redis:
        return redis_connection(self.settings.resolved_redis_url())

    @cached_property
    def spool(self) -> Spool:
        return Spool(self.settings.spool_dir)

    @property
    def public_url(self) -> str:
        s = self.settings
        return s.public_url or f"http://{s.host}:{s.port}"

    @cached_property
    def coordinator(self) -> str:
        return next(unit.code for unit in self.units if unit.kind == "coordinator")

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()
        if "redis" in self.__dict__:
            self.redis.close()


_lock = threading.Lock()
_current: Runtime | None = None


def current() -> Runtime:
    """This process's runtime, built from the environment the first time it is asked for."""
    global _current
    with _lock:
        if _current is None:
            _current = Runtime(load_settings())
        return _current


def install(runtime: Runtime | None) -> None:
    """Use ``runtime`` for this process (the app factory and tests do this)."""
    global _current
    with _lock:
        if _current is not None and _current is not runtime:
            _current.close()
        _current = runtime
