"""parse_url: SQLAlchemy and JDBC forms, and no password in any error or repr."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flywayx.config.urls import parse_url, shown
from flywayx.errors import ConfigError

# (url, dialect, host, port, database, user, password, params, unix_socket)
GOOD = [
    ("mysql://root@127.0.0.1:3306/app", "mysql", "127.0.0.1", 3306, "app", "root", None, (), None),
    (
        "mysql+pymysql://u:p@db/app?charset=utf8mb4",
        "mysql",
        "db",
        None,
        "app",
        "u",
        "p",
        (("charset", "utf8mb4"),),
        None,
    ),
    ("mariadb://u:p@db:3307/", "mariadb", "db", 3307, None, "u", "p", (), None),
    ("mariadb+pymysql://u@db/x", "mariadb", "db", None, "x", "u", None, (), None),
    (
        "postgresql://postgres@127.0.0.1:5432/postgres",
        "postgresql",
        "127.0.0.1",
        5432,
        "postgres",
        "postgres",
        None,
        (),
        None,
    ),
    ("postgresql+psycopg://u:p@h/d", "postgresql", "h", None, "d", "u", "p", (), None),
    ("postgres://u@h/d", "postgresql", "h", None, "d", "u", None, (), None),
    ("postgresql://u@/d?host=/var/run/postgresql", "postgresql", None, None, "d", "u", None, (), "/var/run/postgresql"),
    (
        "mysql://u@localhost/app?unix_socket=/run/mysqld/mysqld.sock",
        "mysql",
        "localhost",
        None,
        "app",
        "u",
        None,
        (),
        "/run/mysqld/mysqld.sock",
    ),
    # percent-decoding of every part; '+' is a space in SQLAlchemy query strings
    (
        "mysql://us%65r:p%40ss%3Aw%2Fd@h/my%20db?opt=a+b",
        "mysql",
        "h",
        None,
        "my db",
        "user",
        "p@ss:w/d",
        (("opt", "a b"),),
        None,
    ),
    # an unescaped '/' in a password is accepted, as SQLAlchemy accepts it
    ("mysql://u:pa/ss@h/d", "mysql", "h", None, "d", "u", "pa/ss", (), None),
    ("mysql://u:p@[::1]:3306/d", "mysql", "::1", 3306, "d", "u", "p", (), None),
    ("jdbc:mysql://host:3306/db?x=y", "mysql", "host", 3306, "db", None, None, (("x", "y"),), None),
    (
        "jdbc:mysql://host/db?user=app&password=s%26cret&useSSL=false",
        "mysql",
        "host",
        None,
        "db",
        "app",
        "s&cret",
        (("useSSL", "false"),),
        None,
    ),
    ("jdbc:mysql://h:3306/db?user=me@corp", "mysql", "h", 3306, "db", "me@corp", None, (), None),
    ("jdbc:mysql://u:p@h/db", "mysql", "h", None, "db", "u", "p", (), None),
    ("jdbc:mariadb://h:3306/db?localSocket=/tmp/m.sock", "mariadb", "h", 3306, "db", None, None, (), "/tmp/m.sock"),
    # JDBC keeps '+' literally
    (
        "jdbc:postgresql://h:5432/db?currentSchema=app&ApplicationName=a+b",
        "postgresql",
        "h",
        5432,
        "db",
        None,
        None,
        (("currentSchema", "app"), ("ApplicationName", "a+b")),
        None,
    ),
    ("jdbc:postgresql:app", "postgresql", None, None, "app", None, None, (), None),
    ("JDBC:MySQL://h/db", "mysql", "h", None, "db", None, None, (), None),
    ("  mysql://u@h/d  ", "mysql", "h", None, "d", "u", None, (), None),
]

SQLITE = [
    ("sqlite://", ":memory:"),
    ("sqlite:///:memory:", ":memory:"),
    ("sqlite:///rel.db", "rel.db"),
    ("sqlite:///sub/dir/rel.db", "sub/dir/rel.db"),
    ("sqlite:////abs.db", "/abs.db"),
    ("sqlite:////tmp/my%20db.sqlite", "/tmp/my db.sqlite"),
    ("jdbc:sqlite:/abs.db", "/abs.db"),
    ("jdbc:sqlite:rel.db", "rel.db"),
    ("jdbc:sqlite::memory:", ":memory:"),
    ("jdbc:sqlite:", ":memory:"),
]

BAD = [
    ("", "empty"),
    ("   ", "empty"),
    ("localhost:3306/app", "Unrecognised"),
    ("oracle://u:p@h/db", "Unsupported database 'oracle'"),
    ("mysql+mysqldb://u:p@h/db", "Unsupported driver 'mysqldb'"),
    ("postgresql+psycopg2://u:p@h/db", "Unsupported driver 'psycopg2'"),
    ("mysql://u:p@h:notaport/db", "Invalid port"),
    ("mysql://u:p@h:0/db", "Invalid port"),
    ("mysql://u:p@h:70000/db", "Invalid port"),
    ("mysql://u:p@ss@h/db", "Malformed"),
    ("mysql://u:p@h/db?=x", "Invalid URL parameter name"),
    ("mysql://u:p@?@h/db", "Invalid URL parameter name"),
    ("mysql://u:p@h/d%ffb", "percent-encoding"),
    ("jdbc:oracle:thin:@h:1521:x", "Unsupported JDBC URL"),
    ("jdbc:mysql:h/db", "lacks '//host'"),
    ("jdbc:mysql://h1,h2/db", "Several hosts"),
    ("jdbc:", "Unsupported JDBC URL"),
    ("mysql://user:pw#x@host/db", "Malformed"),  # "#" must be escaped in a password
    ("postgresql://user:?pw@host/db", "Invalid URL parameter name"),
    ("sqlite://host/x.db", "SQLite URLs have no host"),
]


@pytest.mark.parametrize(("url", "dialect", "host", "port", "database", "user", "password", "params", "sock"), GOOD)
def test_network_urls(
    url: str,
    dialect: str,
    host: str | None,
    port: int | None,
    database: str | None,
    user: str | None,
    password: str | None,
    params: tuple[tuple[str, str], ...],
    sock: str | None,
) -> None:
    parsed = parse_url(url)
    got = (
        parsed.dialect,
        parsed.host,
        parsed.port,
        parsed.database,
        parsed.user,
        parsed.password,
        parsed.params,
        parsed.unix_socket,
    )
    assert got == (dialect, host, port, database, user, password, params, sock)
    assert parsed.original == url


@pytest.mark.parametrize(("url", "database"), SQLITE)
def test_sqlite_urls(url: str, database: str) -> None:
    parsed = parse_url(url)
    assert (parsed.dialect, parsed.database, parsed.host, parsed.user) == ("sqlite", database, None, None)


@pytest.mark.parametrize(("url", "fragment"), BAD)
def test_bad_urls_raise_config_error_with_accepted_forms(url: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_url(url)
    error = info.value
    assert fragment in error.message
    assert "\n" not in error.message
    assert error.hint is not None and "jdbc:postgresql://" in error.hint and "sqlite:////" in error.hint
    assert error.exit_code == 1 and error.error_code == "CONFIGURATION"


@pytest.mark.parametrize(
    "url",
    [
        "mysql://u:p@ss@h/db",  # '@' inside the password, unescaped
        "oracle://u:p@ss@h/db",
        "mysql://u:p@ss@h:bad/db",
        "jdbc:oracle:thin:u/p@ss@h",
        "mysql+bogus://u:p@ss@h/db?password=p@ss",
        "mysql://u:p@ss#x@h/db",
        "jdbc:mysql://h/db?password=p@ss#frag",
    ],
)
def test_error_messages_hide_passwords_even_when_malformed(url: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_url(url)
    text = f"{info.value} {info.value.hint} {info.value.details}"
    assert "p@ss" not in text
    assert "ss@h" not in text or "***" in text


def test_repr_and_str_never_show_the_password() -> None:
    parsed = parse_url("mysql://app:Sup3rS3cret@db:3306/app?password=Sup3rS3cret")
    assert parsed.password == "Sup3rS3cret"
    assert "Sup3rS3cret" not in repr(parsed)
    assert "Sup3rS3cret" not in str(parsed)
    assert parsed.redacted == "mysql://app:***@db:3306/app?password=***"


def test_redacted_hides_a_password_holding_a_slash() -> None:
    assert parse_url("mysql://u:pa/ss@h/d").redacted == "mysql://u:***@h/d"


def test_userinfo_wins_over_parameters() -> None:
    parsed = parse_url("jdbc:mysql://a:one@h/db?user=b&password=two")
    assert (parsed.user, parsed.password) == ("a", "one")


def test_shown_redacts_userinfo_and_params() -> None:
    assert shown("mysql://u:p@h/db") == "mysql://u:***@h/db"
    assert shown("jdbc:postgresql://h/db?user=u&password=pw") == "jdbc:postgresql://h/db?user=u&password=***"
    assert shown("sqlite:///x.db") == "sqlite:///x.db"


# A distinctive marker plus any mix of URL-significant characters around it.
_PASSWORD = st.builds(
    lambda a, b: f"{a}Zq9Xk{b}",
    st.text(alphabet="#%@:/?&=!$'~^", max_size=8),
    st.text(alphabet="#%@:/?&=!$'~^", max_size=8),
)


@settings(max_examples=300, deadline=None)
@given(
    password=_PASSWORD,
    template=st.sampled_from(
        [
            "mysql://user:{pw}@host/db",
            "mysql://user:{pw}@host:99999/db",
            "oracle://user:{pw}@host/db",
            "mariadb+x://user:{pw}@host/db",
            "jdbc:mysql://host/db?password={pw}",
            "jdbc:nope://user:{pw}@host/db",
            "postgresql://user:{pw}@host:port/db?password={pw}",
            "mysql://user:{pw}@host/db",
            "mysql://user:a/{pw}@host/db",
        ]
    ),
)
def test_password_never_in_error_property(password: str, template: str) -> None:
    """Whatever the password holds, if parsing fails the password is nowhere in the error."""
    url = template.format(pw=password)
    try:
        parsed = parse_url(url)
    except ConfigError as error:
        text = f"{error.message}\n{error.hint}\n{error.details}\n{error!r}"
        assert password not in text
    else:
        # An unescaped '&' can legitimately end the value early; what was parsed must not show.
        secret = parsed.password or ""
        if "Zq9Xk" in secret:
            assert secret not in repr(parsed)
            assert secret not in parsed.redacted
