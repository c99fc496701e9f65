"""silobridge.toml validation: every error names the file, the key and what would be valid."""

from __future__ import annotations

from pathlib import Path

import pytest
from silobridge.config import load_config
from silobridge.errors import ConfigError


def _config(tmp_path: Path, text: str) -> Path:
    (tmp_path / "exports").mkdir(exist_ok=True)
    path = tmp_path / "silobridge.toml"
    path.write_text(text)
    return path


def test_config_loads_sources_with_paths_relative_to_the_file(tmp_path: Path):
    cfg = load_config(
        _config(
            tmp_path,
            '[store]\npath = "st"\n[sources.tickets]\nconnector = "zendesk"\npath = "exports"\n'
            'function = "customer success"\n',
        )
    )
    source = cfg.sources["tickets"]
    assert source.path == tmp_path / "exports"
    assert source.function == "Success"
    assert cfg.store_path == tmp_path / "st"


def test_config_unknown_connector_lists_the_known_ones(tmp_path: Path):
    path = _config(tmp_path, '[sources.t]\nconnector = "zendsk"\npath = "exports"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert "sources.t.connector" in message and str(path) in message
    assert "Did you mean 'zendesk'?" in message
    assert "gong" in message and "slack" in message


def test_config_unknown_option_lists_the_connectors_options(tmp_path: Path):
    path = _config(
        tmp_path, '[sources.t]\nconnector = "zendesk"\npath = "exports"\nchunksize = 5\n'
    )
    with pytest.raises(ConfigError, match=r"sources\.t\.chunksize: unknown option .*encoding"):
        load_config(path)


def test_config_option_of_the_wrong_type_is_refused(tmp_path: Path):
    path = _config(tmp_path, '[sources.t]\nconnector = "zendesk"\npath = "exports"\nencoding = 8\n')
    with pytest.raises(ConfigError, match=r"sources\.t\.encoding: expected str, got int"):
        load_config(path)


def test_config_missing_path_is_named(tmp_path: Path):
    path = _config(tmp_path, '[sources.t]\nconnector = "gong"\npath = "calls"\n')
    with pytest.raises(ConfigError, match=r"sources\.t\.path: path does not exist: .*calls"):
        load_config(path)


def test_config_invalid_toml_names_the_line(tmp_path: Path):
    path = _config(tmp_path, '[sources.t]\nconnector = "gong"\npath = \n')
    with pytest.raises(ConfigError, match=r"invalid TOML: .*line 3"):
        load_config(path)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (
            '[sources.t]\nconnector = "gong"\npath = "exports"\nfunction = "Finance"\n',
            "unknown function 'Finance'",
        ),
        (
            '[sources.t]\nconnector = "gong"\npath = "exports"\nchannel = "fax"\n',
            "unknown channel 'fax'",
        ),
        ('[sources.t]\npath = "exports"\n', "missing 'connector'"),
        ("[store]\nretention_days = -1\n", r"store\.retention_days: must be a whole number"),
        (
            '[stor]\npath = "x"\n',
            r"stor: unknown key; expected one of store, understand, embed, discover, execution, "
            r"limits, report, sources",
        ),
        ("[discover]\nmin_size = 1\n", r"discover\.min_size: must be a whole number >= 2"),
        ("[discover]\nmatch_threshold = 1.5\n", r"discover\.match_threshold: must be a number"),
        ("[discover]\nseeds = 3\n", r"discover\.seeds: unknown key"),
        ('[voice]\ncount = ["customers"]\n', r"voice\.count: must be a list of some of customer"),
        ("[voice]\nmin_substance = 2\n", r"voice\.min_substance: must be a number between 0"),
        (
            '[sources.t]\nconnector = "gong"\npath = "exports"\nvoice = "staff"\n',
            r"sources\.t\.voice: unknown voice 'staff'; expected one of auto, customer, internal",
        ),
    ],
)
def test_config_rejects_bad_values_with_a_clear_message(tmp_path: Path, text: str, match: str):
    with pytest.raises(ConfigError, match=match):
        load_config(_config(tmp_path, text))


def test_config_missing_file_says_how_to_fix_it(tmp_path: Path):
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml")


def test_config_options_may_sit_in_an_options_table(tmp_path: Path):
    path = _config(
        tmp_path,
        '[sources.t]\nconnector = "csv"\npath = "exports"\nchannel = "survey"\n'
        '[sources.t.options]\nmapping = { text = "Comment" }\n',
    )
    assert load_config(path).sources["t"].options == {"mapping": {"text": "Comment"}}


def test_config_voice_settings_are_read(tmp_path: Path):
    text = (
        '[voice]\ncount = ["customer", "relayed", "internal"]\nmin_substance = 0\n'
        '[sources.t]\nconnector = "gong"\npath = "exports"\nvoice = "customer"\n'
    )
    cfg = load_config(_config(tmp_path, text))
    assert cfg.voice == {"count": ("customer", "relayed", "internal"), "min_substance": 0}
    assert cfg.sources["t"].voice == "customer"
    assert load_config(_config(tmp_path, "")).voice == {}


def test_config_report_settings_are_read_and_checked(tmp_path: Path):
    cfg = load_config(_config(tmp_path, '[report]\nvote = "account"\nfindings = 3\n'))
    assert cfg.report == {"vote": "account", "findings": 3}
    with pytest.raises(ConfigError, match=r"must be \"item\" or \"account\""):
        load_config(_config(tmp_path, '[report]\nvote = "unit"\n'))
    with pytest.raises(ConfigError, match=r"report\.findings"):
        load_config(_config(tmp_path, "[report]\nfindings = 0\n"))
