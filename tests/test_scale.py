import pytest

from utils.scale import Params, get_scale, scaled

FULL = dict(epochs=20, n_train=60_000, tickers=None)
SMOKE = dict(epochs=1, n_train=500)


def test_default_scale_is_full():
    assert get_scale() == "full"
    params = scaled(FULL, smoke=SMOKE)
    assert params == FULL and params.scale == "full"


def test_smoke_scale_changes_only_given_values(monkeypatch):
    monkeypatch.setenv("COURSE_SCALE", "smoke")
    params = scaled(FULL, smoke=SMOKE)
    assert params == dict(epochs=1, n_train=500, tickers=None)
    assert params.scale == "smoke" and params.epochs == 1


def test_scale_env_is_case_insensitive_and_empty_means_full(monkeypatch):
    monkeypatch.setenv("COURSE_SCALE", " Smoke ")
    assert get_scale() == "smoke"
    monkeypatch.setenv("COURSE_SCALE", "")
    assert get_scale() == "full"


def test_bad_scale_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("COURSE_SCALE", "tiny")
    with pytest.raises(ValueError, match="COURSE_SCALE must be one of .*'tiny'"):
        get_scale()
    with pytest.raises(ValueError, match="scale must be one of"):
        scaled(FULL, scale="huge")


def test_smoke_key_without_full_value_is_refused():
    with pytest.raises(KeyError, match=r"\['batch'\] have no full-scale value"):
        scaled(FULL, smoke=dict(batch=8))


def test_explicit_scale_argument_wins(monkeypatch):
    monkeypatch.setenv("COURSE_SCALE", "smoke")
    assert scaled(FULL, smoke=SMOKE, scale="full").epochs == 20


def test_params_attribute_access_and_repr():
    params = scaled(FULL, smoke=SMOKE, scale="smoke")
    assert isinstance(params, Params) and params.n_train == 500
    with pytest.raises(AttributeError, match="no parameter 'lr'"):
        _ = params.lr
    assert repr(params).startswith("Params[smoke](epochs=1")
    assert FULL["epochs"] == 20  # the caller's dict is not modified
