"""load_config / split_flyway_args: Flyway's files, precedence, env vars, errors."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flywayx.config.files import parse_conf
from flywayx.config.keys import KEYS, config_reference
from flywayx.config.load import flyway_env_key, load_config, split_flyway_args
from flywayx.errors import ConfigError, FlywayxError, UsageError
from flywayx.model.config import Config

SECRET = "Pa55-w0rd-XyZ"


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    home, cwd = tmp_path / "home", tmp_path / "project"
    home.mkdir()
    cwd.mkdir()
    return home, cwd


def load(
    cwd: Path,
    home: Path | None = None,
    cli: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
    files: tuple[str, ...] = (),
) -> Config:
    return load_config(cli=cli or {}, env=env or {}, cwd=cwd, home=home, config_files=files)


def raised(cwd: Path, home: Path | None = None, **kw: object) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load(cwd, home, **kw)  # type: ignore[arg-type]
    return info.value


# ---------------------------------------------------------------- defaults and the key table
def test_no_files_gives_flyway_defaults(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    config = load(cwd, home)
    assert config == Config()
    assert (config.table, config.clean_disabled) == ("flyway_schema_history", True)


def test_every_key_maps_to_a_real_config_field() -> None:
    fields = set(Config.__dataclass_fields__)
    for spec in KEYS:
        assert spec.field is None or spec.field in fields, spec.key
    rows = config_reference()
    assert [r["key"] for r in rows] == [k.key for k in KEYS]
    by_key = {r["key"]: r for r in rows}
    assert by_key["outOfOrder"]["default"] == "false"
    assert by_key["outOfOrder"]["env"] == "FLYWAY_OUT_OF_ORDER"
    assert by_key["locations"]["default"] == "filesystem:sql"
    assert by_key["lockTimeout"]["flywayx_only"] == "yes"


def test_generated_doc_is_current() -> None:
    """docs/configuration.md is generated from config_reference(); regenerate it when keys change."""
    from flywayx.config.doc import render_reference

    doc = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
    assert render_reference() in doc.read_text(encoding="utf-8")


# ---------------------------------------------------------------- precedence matrix
@pytest.mark.parametrize(
    "layers",
    [
        ("file",),
        ("env",),
        ("cli",),
        ("file", "env"),
        ("file", "cli"),
        ("env", "cli"),
        ("file", "env", "cli"),
    ],
)
@pytest.mark.parametrize("fmt", ["toml", "conf"])
def test_precedence_file_lt_env_lt_cli(dirs: tuple[Path, Path], layers: tuple[str, ...], fmt: str) -> None:
    home, cwd = dirs
    if "file" in layers and fmt == "toml":
        (cwd / "flyway.toml").write_text(
            '[environments.default]\nurl = "jdbc:mysql://file/db"\n[flyway]\ntable = "from_file"\n'
        )
    elif "file" in layers:
        (cwd / "flyway.conf").write_text("flyway.url=jdbc:mysql://file/db\nflyway.table=from_file\n")
    env = {"FLYWAY_URL": "jdbc:mysql://env/db", "FLYWAY_TABLE": "from_env"} if "env" in layers else {}
    cli = {"url": "jdbc:mysql://cli/db", "table": "from_cli"} if "cli" in layers else {}
    config = load(cwd, home, cli=cli, env=env)
    winner = layers[-1]
    assert config.table == f"from_{winner}"
    assert config.url is not None and config.url.host == winner


def test_toml_file_order_home_then_cwd_then_user_then_working_dir(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    work = cwd / "work"
    work.mkdir()
    keys = ["table", "encoding", "target", "baselineVersion", "installedBy", "defaultSchema"]
    files = [
        home / "flyway.toml",
        home / "flyway.user.toml",
        cwd / "flyway.toml",
        cwd / "flyway.user.toml",
        work / "flyway.toml",
        work / "flyway.user.toml",
    ]
    labels = ["home", "home_user", "cwd", "cwd_user", "work", "work_user"]
    for index, (path, label) in enumerate(zip(files, labels, strict=True)):
        # each file sets the keys from its own position on, so each key's winner is the last setter
        path.write_text("[flyway]\n" + "".join(f'{k} = "{label}"\n' for k in keys[index:]))
    config = load(cwd, home, cli={"workingDirectory": "work"})
    got = (
        config.table,
        config.encoding,
        config.target,
        config.baseline_version,
        config.installed_by,
        config.default_schema,
    )
    assert got == ("home", "home_user", "cwd", "cwd_user", "work", "work_user")


def test_explicit_files_come_after_defaults_env_files_before_cli_files(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    (cwd / "flyway.toml").write_text('[flyway]\ntable = "0"\ntarget = "0"\nencoding = "default"\n')
    (cwd / "a.toml").write_text('[flyway]\ntable = "a"\ntarget = "a"\n')
    (cwd / "b.toml").write_text('[flyway]\ntable = "b"\n')
    config = load(cwd, home, cli={"configFiles": "b.toml"}, env={"FLYWAY_CONFIG_FILES": "a.toml"})
    assert (config.table, config.target, config.encoding) == ("b", "a", "default")


def test_config_files_argument_is_loaded_last(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    (cwd / "a.toml").write_text('[flyway]\ntable = "a"\n')
    (cwd / "b.toml").write_text('[flyway]\ntable = "b"\n')
    assert load(cwd, home, cli={"configFiles": "a.toml"}, files=("b.toml",)).table == "b"


# ---------------------------------------------------------------- TOML
TOML = """
[environments.default]
url = "jdbc:mysql://127.0.0.1:3306/app"
user = "app"
password = "@SECRET@"
schemas = ["app", "audit"]
connectRetries = 3

[environments.prod]
url = "postgresql://ops@prod.example:5432/app"
schemas = ["public"]
jdbcProperties = { sslmode = "require" }

[environments.prod.flyway]
locations = ["filesystem:sql/prod"]
cleanDisabled = true

[flyway]
locations = ["filesystem:sql", "filesystem:more"]
cleanDisabled = false
outOfOrder = true
lockRetryCount = 7
lockTimeout = 12.5
releases = "releases.toml"

[flyway.placeholders]
Tenant = "acme"
port = 8080

[flyway.postgresql.transactional]
lock = false
""".replace("@SECRET@", SECRET)


def test_toml_default_environment(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    (cwd / "flyway.toml").write_text(TOML)
    config = load(cwd, home)
    assert config.url is not None and (config.url.dialect, config.url.database) == ("mysql", "app")
    assert (config.user, config.password, config.schemas) == ("app", SECRET, ("app", "audit"))
    assert config.connect_retries == 3
    assert config.locations == ("filesystem:sql", "filesystem:more")
    assert (config.clean_disabled, config.out_of_order, config.lock_retry_count) == (False, True, 7)
    assert (config.lock_timeout, config.releases_file) == (12.5, "releases.toml")
    assert config.placeholders == (("port", "8080"), ("tenant", "acme"))
    assert config.postgresql_transactional_lock is False
    assert config.environment == "default"


def test_toml_named_environment_and_its_flyway_overrides(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    (cwd / "flyway.toml").write_text(TOML)
    config = load(cwd, home, cli={"environment": "prod"})
    assert config.url is not None and config.url.host == "prod.example"
    assert (config.user, config.password) == ("ops", None)  # user from the URL; no password anywhere
    assert config.schemas == ("public",)
    assert config.locations == ("filesystem:sql/prod",)
    assert config.clean_disabled is True
    assert ("jdbcProperties.sslmode", "require") in config.extra


def test_environment_flyway_override_beats_cli_flyway_key_like_flyway(dirs: tuple[Path, Path]) -> None:
    """Flyway reads [environments.<env>.flyway] before [flyway], whichever layer set the latter."""
    home, cwd = dirs
    (cwd / "flyway.toml").write_text(TOML)
    config = load(cwd, home, cli={"environment": "prod", "cleanDisabled": "false"})
    assert config.clean_disabled is True


def test_env_and_cli_connection_keys_go_to_the_active_environment(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    (cwd / "flyway.toml").write_text(TOML)
    config = load(
        cwd,
        home,
        cli={"environment": "prod", "user": "cli_user"},
        env={"FLYWAY_SCHEMAS": "a,b", "FLYWAY_PASSWORD": "pw"},
    )
    assert (config.user, config.password, config.schemas) == ("cli_user", "pw", ("a", "b"))
    assert config.url is not None and config.url.host == "prod.example"


def test_cli_named_environment_keys(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    (cwd / "flyway.toml").write_text(TOML)
    config = load(
        cwd,
        home,
        cli={"environment": "prod", "environments.prod.url": "jdbc:mysql://other/db", "url": "jdbc:mysql://plain/db"},
    )
    assert config.url is not None and config.url.host == "other"


def test_environment_created_from_cli_only(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    config = load(cwd, home, cli={"environment": "ci", "url": "sqlite:///ci.db"})
    assert config.url is not None and config.url.database == "ci.db"


def test_unknown_environment_is_an_error(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    (cwd / "flyway.toml").write_text(TOML)
    error = raised(cwd, home, cli={"environment": "staging"})
    assert error.message == (
        "Environment 'staging' not found. Check that this environment exists in your configuration."
    )
    assert error.hint is not None and "default, prod" in error.hint


def test_env_resolver_in_toml(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    (cwd / "flyway.toml").write_text(
        '[environments.default]\nurl = "jdbc:postgresql://${env.DB_HOST}:5432/app"\n'
        'password = "${env.DB_PASSWORD}"\n[flyway]\ntable = "$${env.LITERAL}"\ntarget = "  !{${env.X}}"\n'
        '[flyway.placeholders]\nowner = "${env.OWNER}"\ncopy = "${placeholder.owner}"\n'
    )
    config = load(cwd, home, env={"DB_HOST": "db.internal", "DB_PASSWORD": SECRET, "OWNER": "bob"})
    assert config.url is not None and config.url.host == "db.internal"
    assert config.password == SECRET
    assert config.table == "${env.LITERAL}"
    assert config.target == "${env.X}"
    assert dict(config.placeholders) == {"owner": "bob", "copy": "${env.OWNER}"}


def test_env_resolver_missing_variable(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    (cwd / "flyway.toml").write_text('[environments.default]\npassword = "${env.NOPE}"\n')
    error = raised(cwd, home)
    assert error.message == "Unable to resolve environment variable: 'NOPE'"
    assert error.hint is not None and "flyway.toml:2" in error.hint


def test_unknown_resolver_and_nested_resolvers(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    (cwd / "flyway.toml").write_text('[flyway]\ntable = "${vault.x}"\n')
    assert raised(cwd, home).message == "Unknown resolver 'vault'"
    (cwd / "flyway.toml").write_text(f'[environments.default]\npassword = "${{env.${{env.A}}}}{SECRET}"\n')
    error = raised(cwd, home, env={"A": "B"})
    assert error.message == "Resolvers cannot be nested: ***"


def test_conf_does_not_use_resolvers_but_expands_env(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    (cwd / "flyway.conf").write_text("flyway.table=${env.X}\nflyway.target=${X}\nflyway.encoding=${UNSET}\n")
    config = load(cwd, home, env={"X": "42"})
    assert (config.table, config.target, config.encoding) == ("${env.X}", "42", "")


def test_toml_syntax_error_names_file_and_line(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    (cwd / "flyway.toml").write_text('[flyway]\ntable = "x"\nlocations = [\n  "a",,\n]\n')
    error = raised(cwd, home)
    assert error.message.startswith("Error parsing config file at [line 4, column")
    assert error.hint == f"in {cwd / 'flyway.toml'}"


def test_toml_wrong_types(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    (cwd / "flyway.toml").write_text("[flyway]\noutOfOrder = 1\n")
    error = raised(cwd, home)
    assert error.message == "Invalid value for flyway.outOfOrder (should be either true or false): 1"
    assert error.hint is not None and "flyway.toml:2" in error.hint
    (cwd / "flyway.toml").write_text('[flyway]\ntable = ["a", "b"]\n')
    assert "mismatched data type, caused by `flyway.table`" in raised(cwd, home).message


def test_toml_string_booleans_and_integers_are_accepted(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    (cwd / "flyway.toml").write_text('[flyway]\noutOfOrder = "TRUE"\nlockRetryCount = "9"\nbaselineVersion = 2\n')
    config = load(cwd, home)
    assert (config.out_of_order, config.lock_retry_count, config.baseline_version) == (True, 9, "2")


def test_connection_key_in_flyway_table_is_rejected_with_hint(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    (cwd / "flyway.toml").write_text('[flyway]\nurl = "jdbc:mysql://h/db"\n')
    error = raised(cwd, home)
    assert error.message == (
        "Unknown configuration property: flyway.url. Please check your conf files or commandline parameters"
    )
    assert error.hint is not None and "[environments.<name>]" in error.hint


def test_flyway_key_directly_in_environment_is_rejected(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    (cwd / "flyway.toml").write_text('[environments.default]\nlocations = ["filesystem:x"]\n')
    error = raised(cwd, home)
    assert error.message.startswith("Unknown configuration property: environments.default.locations.")


def test_other_root_tables_are_ignored(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    (cwd / "flyway.toml").write_text('[redgateCompare]\nfilterFile = "x"\n[flyway]\ntable = "t"\n')
    assert load(cwd, home).table == "t"


# ---------------------------------------------------------------- legacy .conf
CONF = r"""
# comment line \
flyway.url=jdbc:postgresql://db:5432/app?currentSchema=app
flyway.user = app
flyway.password: @SECRET@
! another comment
flyway.locations=filesystem:sql,\
    filesystem:more , ,filesystem:extra
flyway.placeholders.Region=eu\west
flyway.installedBy=C:\Users\me\
flyway.outOfOrder=TRUE
other.key=ignored
""".replace("@SECRET@", SECRET)


def test_legacy_conf(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    (cwd / "flyway.conf").write_text(CONF)
    config = load(cwd, home)
    assert config.url is not None and config.url.params == (("currentSchema", "app"),)
    assert (config.user, config.password) == ("app", SECRET)
    assert config.locations == ("filesystem:sql", "filesystem:more", "filesystem:extra")
    assert config.placeholders == (("region", "eu\\west"),)
    assert config.installed_by == "C:\\Users\\me\\"  # trailing '\' before a new key is literal
    assert config.out_of_order is True


def test_conf_line_numbers_in_errors(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    (cwd / "flyway.conf").write_text("flyway.table=x\n\nflyway.lockRetryCount=many\n")
    error = raised(cwd, home)
    assert error.message == "Invalid value for flyway.lockRetryCount (should be an integer): many"
    assert error.hint is not None and f"{cwd / 'flyway.conf'}:3" in error.hint
    assert error.details["source"] == f"{cwd / 'flyway.conf'}:3"


def test_conf_file_order(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    work = cwd / "w"
    work.mkdir()
    (home / "flyway.conf").write_text("flyway.table=home\nflyway.target=home\nflyway.encoding=home\n")
    (cwd / "flyway.conf").write_text("flyway.target=cwd\nflyway.encoding=cwd\n")
    (work / "flyway.conf").write_text("flyway.encoding=work\n")
    config = load(cwd, home, cli={"workingDirectory": str(work)})
    assert (config.table, config.target, config.encoding) == ("home", "cwd", "work")


def test_conf_mode_when_only_conf_files_exist_and_toml_wins_among_defaults(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    (home / "flyway.conf").write_text("flyway.table=conf\n")
    assert load(cwd, home).table == "conf"
    (cwd / "flyway.toml").write_text('[flyway]\ntable = "toml"\n')
    assert load(cwd, home).table == "toml"  # defaults of both kinds: TOML, no error (as Flyway)


def test_conf_mode_routes_connection_keys_without_environments(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    (cwd / "flyway.conf").write_text("flyway.schemas=a,b\n")
    config = load(cwd, home, env={"FLYWAY_URL": "sqlite:///x.db"})
    assert config.schemas == ("a", "b") and config.url is not None


def test_conf_file_encoding(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    (cwd / "flyway.conf").write_bytes("flyway.installedBy=J\xf6rg\n".encode("latin-1"))
    config = load(cwd, home, env={"FLYWAY_CONFIG_FILE_ENCODING": "ISO-8859-1"})
    assert config.installed_by == "Jörg"
    error = raised(cwd, home)
    assert error.message == f"Unable to load config file: {cwd / 'flyway.conf'}"


def test_parse_conf_continuation_rules() -> None:
    text = "flyway.a=one\\\n  two\nflyway.b=x\\\n\nflyway.c=y\\\nflyway.d=z\n"
    got = {k: s.value for k, s in parse_conf(text, {}, "f").items()}
    assert got == {"flyway.a": "onetwo", "flyway.b": "x\\", "flyway.c": "y\\", "flyway.d": "z"}


def test_mixing_toml_and_conf_explicitly_is_an_error(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    (cwd / "a.toml").write_text("")
    (cwd / "b.conf").write_text("")
    error = raised(cwd, home, cli={"configFiles": "a.toml,b.conf"})
    assert error.message.startswith("Using both TOML configuration and CONF configuration is not supported.")
    assert error.hint is not None and "a.toml" in error.hint and "b.conf" in error.hint
    error = raised(cwd, home, env={"FLYWAY_CONFIG_FILES": "a.toml,b.conf"})
    assert error.message.startswith("Using both TOML")


def test_missing_explicit_file(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    error = raised(cwd, home, cli={"configFiles": "nope.toml"})
    assert error.message == f"Unable to load config file: {cwd / 'nope.toml'}"


def test_explicit_conf_file(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    (cwd / "custom.conf").write_text("flyway.table=custom\n")
    assert load(cwd, home, cli={"configFiles": "custom.conf"}).table == "custom"


# ---------------------------------------------------------------- environment variables
@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("FLYWAY_URL", "url"),
        ("FLYWAY_OUT_OF_ORDER", "outOfOrder"),
        ("FLYWAY_DEFAULT_SCHEMA", "defaultSchema"),
        ("FLYWAY_BASELINE_MIGRATION_PREFIX", "baselineMigrationPrefix"),
        ("FLYWAY_POSTGRESQL_TRANSACTIONAL_LOCK", "postgresql.transactional.lock"),
        ("FLYWAY_DRYRUN_OUTPUT", "dryRunOutput"),
        ("FLYWAY_PLACEHOLDERS_MY_NAME", "placeholders.my_name"),
        ("FLYWAY_JDBC_PROPERTIES_SSLMODE", "jdbcProperties.sslmode"),
        ("FLYWAY_JDBC_PROPERTIES_ACCESSTOKEN", "jdbcProperties.accessToken"),
        ("FLYWAY_RELEASES", "releases"),
        ("FLYWAY_LOCK_TIMEOUT", "lockTimeout"),
        ("FLYWAY_CONFIG_FILES", None),
        ("FLYWAY_ENVIRONMENT", None),  # not one of Flyway's names
        ("FLYWAY_PLACEHOLDERS_", None),
        ("FLYWAY_SOMETHING_ELSE", None),
        ("flyway_url", None),
    ],
)
def test_env_var_names(name: str, key: str | None) -> None:
    assert flyway_env_key(name) == key


def test_every_env_var_form(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    env = {
        "FLYWAY_URL": "jdbc:mysql://h/db",
        "FLYWAY_USER": "u",
        "FLYWAY_PASSWORD": SECRET,
        "FLYWAY_LOCATIONS": "filesystem:a, filesystem:b",
        "FLYWAY_OUT_OF_ORDER": "true",
        "FLYWAY_CONNECT_RETRIES": "4",
        "FLYWAY_LOCK_TIMEOUT": "1.5",
        "FLYWAY_PLACEHOLDERS_TENANT_NAME": "acme",
        "FLYWAY_JDBC_PROPERTIES_SSLMODE": "require",
        "FLYWAY_UNRELATED": "ignored",
        "flyway_table": "lower_table",
        "FLYWAY_TABLE": "upper_table",
        "flyway_placeholders_region": "eu",
        "environments_default_schemas": "s1,s2",
    }
    config = load(cwd, home, env=env)
    assert config.url is not None and (config.user, config.password) == ("u", SECRET)
    assert config.locations == ("filesystem:a", "filesystem:b")
    assert (config.out_of_order, config.connect_retries, config.lock_timeout) == (True, 4, 1.5)
    assert config.placeholders == (("region", "eu"), ("tenant_name", "acme"))
    assert config.table == "lower_table"  # the new spelling wins over FLYWAY_TABLE (TOML mode)
    assert config.schemas == ("s1", "s2")
    assert ("jdbcProperties.sslmode", "require") in config.extra


def test_lowercase_env_forms_are_toml_only(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    (cwd / "flyway.conf").write_text("flyway.table=conf\n")
    assert load(cwd, home, env={"flyway_table": "lower"}).table == "conf"


def test_flyway_environment_selected_by_lowercase_env(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    (cwd / "flyway.toml").write_text(TOML)
    config = load(cwd, home, env={"flyway_environment": "prod"})
    assert config.environment == "prod" and config.schemas == ("public",)


# ---------------------------------------------------------------- command line
def test_split_flyway_args() -> None:
    argv = [
        "migrate",
        "-url=jdbc:mysql://h/db?a=b",
        "-X",
        "--to=4.7",
        "-placeholders.x=v=w",
        "-outputType=json",
        "--dry-run",
        "-locations=",
        "--",
        "-table=t",
    ]
    rest, options = split_flyway_args(argv)
    assert rest == ["migrate", "-X", "--to=4.7", "--dry-run", "--", "-table=t"]
    assert options == {"url": "jdbc:mysql://h/db?a=b", "placeholders.x": "v=w", "outputType": "json", "locations": ""}


def test_split_flyway_args_rejects_duplicates() -> None:
    with pytest.raises(UsageError) as info:
        split_flyway_args(["-url=a", "-url=b"])
    assert info.value.exit_code == 2


def test_cli_keys(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    _, cli = split_flyway_args(
        [
            "-url=postgresql://u:" + SECRET + "@h/db",
            "-outOfOrder=true",
            "-placeholders.Owner=me",
            "-outputType=JSON",
            "-outputFile=out.json",
            "-schemas=a,b",
            "-lockTimeout=0",
        ]
    )
    config = load(cwd, home, cli=cli)
    assert (config.user, config.password) == ("u", SECRET)  # from the URL
    assert config.out_of_order is True
    assert config.placeholders == (("owner", "me"),)
    assert (config.output_type, config.output_file) == ("json", "out.json")
    assert (config.schemas, config.lock_timeout) == (("a", "b"), 0.0)


def test_separate_user_and_password_win_over_the_url(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    config = load(cwd, home, cli={"url": "mysql://a:b@h/db", "user": "c", "password": "d"})
    assert (config.user, config.password) == ("c", "d")


def test_working_directory_makes_filesystem_locations_absolute(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    (cwd / "w").mkdir()
    config = load(
        cwd,
        home,
        cli={
            "workingDirectory": "w",
            "locations": "filesystem:sql,filesystem:/abs,classpath:db,other",
            "callbackLocations": "filesystem:cb",
            "releases": "rel.toml",
        },
    )
    assert config.locations == (f"filesystem:{cwd}/w/sql", "filesystem:/abs", "classpath:db", "other")
    assert config.callback_locations == (f"filesystem:{cwd}/w/cb",)
    assert (config.working_directory, config.releases_file) == (f"{cwd}/w", f"{cwd}/w/rel.toml")
    assert load(cwd, home, cli={"workingDirectory": "w"}).locations == (f"filesystem:{cwd}/w/sql",)


def test_without_working_directory_locations_stay_relative_to_the_process(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    sub = cwd / "sub"
    sub.mkdir()
    (sub / "x.toml").write_text('[flyway]\nlocations = ["filesystem:migrations"]\n')
    assert load(cwd, home, cli={"configFiles": "sub/x.toml"}).locations == ("filesystem:migrations",)


# ---------------------------------------------------------------- validation messages
@pytest.mark.parametrize(
    ("cli", "message"),
    [
        ({"outOfOrder": "yes"}, "Invalid value for flyway.outOfOrder (should be either true or false): yes"),
        ({"connectRetries": "1.5"}, "Invalid value for flyway.connectRetries (should be an integer): 1.5"),
        (
            {"lockRetryCount": "99999999999"},
            "Invalid value for flyway.lockRetryCount (should be an integer): 99999999999",
        ),
        ({"lockTimeout": "-1"}, "Invalid value for flyway.lockTimeout (should be a number of seconds): -1"),
        ({"outputType": "xml"}, "'xml' is an invalid value for the -outputType option. Use 'json'."),
        ({"sqlMigrationSeparator": ""}, "sqlMigrationSeparator cannot be empty!"),
        ({"placeholderPrefix": ""}, "placeholderPrefix cannot be empty!"),
        ({"placeholders.flyway:x": "1"}, "Invalid placeholder ('flyway:' prefix is reserved): flyway:x"),
        (
            {"bogus": "1"},
            "Unknown configuration property: flyway.bogus. Please check your conf files or commandline parameters",
        ),
        ({"url": "oracle://h/db"}, "Unsupported database 'oracle' in URL: oracle://h/db"),
    ],
)
def test_value_errors(dirs: tuple[Path, Path], cli: dict[str, str], message: str) -> None:
    home, cwd = dirs
    error = raised(cwd, home, cli=cli)
    assert error.message == message
    assert error.exit_code == 1 and error.error_code == "CONFIGURATION"


def test_unknown_key_suggests_the_close_one(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    (cwd / "flyway.conf").write_text("flyway.outOfOrdr=true\n")
    error = raised(cwd, home)
    assert error.message.startswith("Unknown configuration property: flyway.outOfOrdr.")
    assert error.hint is not None
    assert "did you mean outOfOrder?" in error.hint and "flyway.conf:1" in error.hint


def test_all_problems_are_reported_at_once(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    error = raised(cwd, home, cli={"outOfOrder": "x", "bogus": "1", "connectRetries": "y"})
    assert len(error.details["errors"]) == 3
    assert "2 more configuration problem(s)" in error.message


def test_accepted_and_ignored_flyway_keys_go_to_extra(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    config = load(cwd, home, cli={"driver": "org.x.Driver", "batch": "true", "callbacks": "a,b"})
    assert config.extra == (("batch", "true"), ("callbacks", "a,b"), ("driver", "org.x.Driver"))


# ---------------------------------------------------------------- passwords never shown
def test_password_not_in_config_repr_or_str(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    cli = {"url": f"mysql://u:{SECRET}@h/db?password={SECRET}", "password": SECRET, "jdbcProperties.password": SECRET}
    config = load(
        cwd,
        home,
        cli={k: v for k, v in cli.items() if k != "jdbcProperties.password"},
        env={"FLYWAY_JDBC_PROPERTIES_PASSWORD": SECRET},
    )
    assert config.password == SECRET
    assert SECRET not in repr(config) and SECRET not in str(config)
    assert config.url is not None and SECRET not in config.url.redacted


@pytest.mark.parametrize(
    "cli",
    [
        {"url": f"mysql://u:{SECRET}@h:bad/db"},
        {"url": f"mysql://u:{SECRET}@h/db", "outOfOrder": "nope"},
        {"url": f"jdbc:mysql://h/db?password={SECRET}&x", "bogus": "1"},
        {"password": SECRET, "connectRetries": "x"},
    ],
)
def test_password_not_in_any_error(dirs: tuple[Path, Path], cli: dict[str, str]) -> None:
    home, cwd = dirs
    with pytest.raises(FlywayxError) as info:
        load(cwd, home, cli=cli)
    error = info.value
    assert SECRET not in f"{error} {error.hint} {error.details} {error!r}"


def test_password_not_in_toml_errors(dirs: tuple[Path, Path]) -> None:
    home, cwd = dirs
    (cwd / "flyway.toml").write_text(
        f'[environments.default]\npassword = "{SECRET}"\nconnectRetries = "x"\nurl = "mysql://u:{SECRET}@h:bad/db"\n'
    )
    error = raised(cwd, home)
    assert SECRET not in f"{error} {error.hint} {error.details}"
    (cwd / "flyway.toml").write_text(f'[environments.default]\npassword = "{SECRET}\n')
    error = raised(cwd, home)
    assert SECRET not in f"{error} {error.hint} {error.details}"


# ---------------------------------------------------------------- robustness: only ConfigError, ever
_TABLES = [
    "",
    "[flyway]",
    "[environments.default]",
    "[environments.default.flyway]",
    "[flyway.placeholders]",
    "[environments.prod]",
    "[other]",
    "[flyway.postgresql.transactional]",
]
_TOML_KEYS = [k.key.replace(".*", ".x") for k in KEYS] + ["bogus", '"quoted.key"', "flyway", "environments"]
_TOML_VALUES = [
    '"text"',
    '""',
    "true",
    "1",
    "-7",
    "1.5",
    '["a", "b"]',
    "[]",
    "{ a = 1 }",
    "1979-05-27",
    "[1, [2]]",
    '"${env.X}"',
    '"$${a.b}"',
    '"!{x}"',
    '"${nope.y}"',
    '"jdbc:mysql://h/db"',
    "[{a=1}]",
]


@settings(max_examples=150, deadline=None)
@given(
    lines=st.lists(
        st.one_of(
            st.sampled_from(_TABLES),
            st.builds("{} = {}".format, st.sampled_from(_TOML_KEYS), st.sampled_from(_TOML_VALUES)),
        ),
        max_size=12,
    ),
    env=st.dictionaries(
        st.sampled_from(["X", "FLYWAY_URL", "flyway_environment", "FLYWAY_OUT_OF_ORDER"]),
        st.sampled_from(["1", "true", "prod", "sqlite://", "x"]),
        max_size=3,
    ),
)
def test_any_toml_loads_or_raises_config_error(lines: list[str], env: dict[str, str]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        (cwd / "flyway.toml").write_text("\n".join(lines) + "\n")
        try:
            load(cwd, None, env=env)
        except ConfigError as error:
            assert error.message and "\n" not in error.message.split(" (and ")[0]


_CONF_PIECES = [
    *"=:\\ #!${}_Abt,",
    "\n",
    "flyway.",
    "flyway.url=",
    "flyway.table",
    "flyway.placeholders.",
    "true",
    "sqlite://",
]


@settings(max_examples=150, deadline=None)
@given(
    text=st.lists(st.sampled_from(_CONF_PIECES), max_size=40).map("".join),
    cli=st.dictionaries(
        st.sampled_from([k.key.replace(".*", ".n") for k in KEYS] + ["x"]),
        st.sampled_from(["", "true", "0", "abc", "a,b", "-1", "sqlite://", "${env.A}"]),
        max_size=4,
    ),
)
def test_any_conf_and_cli_load_or_raise_config_error(text: str, cli: dict[str, str]) -> None:
    import tempfile

    cli = {k: v for k, v in cli.items() if k not in ("configFiles", "workingDirectory")}
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        (cwd / "flyway.conf").write_text(text)
        with contextlib.suppress(ConfigError):
            load(cwd, None, cli=cli)


def test_repeatable_procedures_from_conf_env_and_command_line(dirs: tuple[Path, Path]) -> None:
    """``resumeRepeatableProcedures`` is a flywayx key like ``cacheDir``: ``flyway.`` in flyway.conf,
    ``FLYWAYX_RESUME_REPEATABLE_PROCEDURES``, ``--resume-repeatable-procedures`` (migrate); a comma list."""
    home, cwd = dirs
    (cwd / "flyway.conf").write_text("flyway.resumeRepeatableProcedures=FixPkIfNeeded, ensure_index\n")
    assert load(cwd, home).resume_repeatable_procedures == ("FixPkIfNeeded", "ensure_index")
    env = {"FLYWAYX_RESUME_REPEATABLE_PROCEDURES": "A,B"}
    assert load(cwd, home, env=env).resume_repeatable_procedures == ("A", "B")
    cli = {"resumeRepeatableProcedures": "C"}
    assert load(cwd, home, env=env, cli=cli).resume_repeatable_procedures == ("C",)
    assert load(home).resume_repeatable_procedures == ()
