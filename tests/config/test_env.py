from __future__ import annotations

import pytest

from config.env import Env, ImproperlyConfiguredEnv


def test_booleans_accept_the_usual_spellings():
    env = Env({"A": "yes", "B": "0", "C": "TRUE", "D": "off"})
    assert [env.bool("A"), env.bool("B"), env.bool("C"), env.bool("D")] == [True, False, True, False]


def test_a_bad_boolean_names_the_variable():
    with pytest.raises(ImproperlyConfiguredEnv, match="DEBUG='maybe' is not a boolean"):
        Env({"DEBUG": "maybe"}).bool("DEBUG", default=False)


def test_a_missing_required_variable_is_refused():
    with pytest.raises(ImproperlyConfiguredEnv, match="SECRET_KEY is required"):
        Env({}).str("SECRET_KEY")


def test_integers_are_checked_for_shape_and_minimum():
    with pytest.raises(ImproperlyConfiguredEnv, match="not an integer"):
        Env({"N": "seven"}).int("N")
    with pytest.raises(ImproperlyConfiguredEnv, match="at least 1"):
        Env({"N": "0"}).int("N", minimum=1)
    assert Env({}).int("N", default=7) == 7


def test_urls_must_use_an_allowed_scheme():
    with pytest.raises(ImproperlyConfiguredEnv, match="DATABASE_URL"):
        Env({"DATABASE_URL": "mysql://x/y"}).url("DATABASE_URL", schemes=("sqlite", "postgres"))
    assert Env({"R": "redis://h:1/0"}).url("R", schemes=("redis",)) == "redis://h:1/0"


def test_lists_split_on_commas_and_drop_blanks():
    assert Env({"H": "a.example, b.example,,"}).list("H") == ["a.example", "b.example"]


def test_an_empty_url_means_not_set():
    assert Env({"REDIS_URL": ""}).url("REDIS_URL", default=None, schemes=("redis",)) is None
