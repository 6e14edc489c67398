"""Markers follow from what a test uses, so ``pytest -m "not db and not slow"`` needs no server.

``mark(item)`` (called for every collected test by tests/conftest.py) adds:

- ``mariadb`` / ``postgres`` when the test requests the ``mariadb`` / ``postgres`` fixture, directly or
  through another fixture, or when one of its parameters named in ``SERVER_ARGS`` is a server name (the
  ``database`` fixture, parametrized over sqlite/mariadb/postgres, marks only its server cases);
- ``cluster`` for every test in ``tests/cluster/``;
- ``db`` whenever one of those three is present (by hand or as above);
- ``slow`` for the tests in ``SLOW`` (measured above 1 s each on 2 shared cores) and every test that
  runs the JVM (the ``jvm`` fixture compiles and starts a Java program).

A test in tests/unit that earns ``db`` stops the collection: tests/unit is the server-free ring.

``require_marker(kind)`` is called whenever a scratch database is created on a server
(``tests.databases.create``, behind the fixtures and ``scratch()``): a test that reaches a server
without the marker fails with the marker to add, so the fast loop stays free of servers.
Outside pytest (bench/ uses the harness) it does nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pytest is imported only when a test runs: bench/ imports the harness without it
    import pytest

SERVER_NAMES = {"mariadb": "mariadb", "mysql": "mariadb", "postgres": "postgres", "postgresql": "postgres"}
# Fixtures that hold a scratch database on a server, by the server they need (a fixture that requests one
# of these by name is covered already; list only those that reach one through ``getfixturevalue``).
SERVER_FIXTURES = {"mariadb": "mariadb", "postgres": "postgres"}
# Parameters (of tests or of parametrized fixtures) whose value names the server the test runs on.
# ``dialect`` is not one: unit tests parametrize the splitter and analyser by dialect without a server.
SERVER_ARGS = ("database", "kind", "family", "server", "needs")
# Node-id prefixes of the tests that took more than 1 s each on 2 cores shared with seven other test runs
# (load ~15; a whole file where most of its tests did). The fast loop leaves them out; CONTRIBUTING.md
# has the timings. A new test that takes seconds belongs here (or gets @pytest.mark.slow).
SLOW: tuple[str, ...] = (
    "tests/acs_e2e/test_galera_lint.py::",
    "tests/api/test_extras.py::test_completion_completes_commands_and_options",
    "tests/api/test_pytest_plugin.py::test_locations_option_and_environment",
    "tests/cli/test_acs_cli.py::test_cloudstack_overrides_ship_with_flywayx",
    "tests/cli/test_cli_basics.py::test_explain_splits_acs_files_as_the_splitter_does",
    *(
        f"tests/cli/test_flyway_habits.py::{name}"
        for name in (
            "test_debug_shows_each_statement_and_implies_verbose",
            "test_info_filters_as_flyway_applies_them",
            "test_lint_ci_as_the_docs_show_it_runs_without_a_dialect",
            "test_lint_takes_the_dialect_from_the_url_in_flyway_toml",
            "test_on_a_terminal_the_lines_come_with_a_progress_bar",
            "test_out_of_order_is_marked",
            "test_piped_output_has_flyways_lines_in_flyways_order",
            "test_verbose_adds_each_migrations_execution_time",
        )
    ),
    "tests/contract/test_history_contract.py::test_plain_migrate_and_migrate_to_mix_in_any_order",
    *(
        f"tests/docs/test_docs_commands.py::{name}"
        for name in (
            "test_shell_block_runs",
            "test_site_builds_with_warnings_as_errors",
        )
    ),
    "tests/e2e/test_backup_verify.py::",
    "tests/e2e/test_concurrent_runners.py::",
    "tests/engine/test_concurrent_release_runners.py::",
    "tests/engine/test_one_engine.py::test_a_run_reads_the_history_once",
    "tests/docs/test_docs_commands.py::test_demo_shows_the_release_graph",
    "tests/engine/test_linear_cost.py::",
    "tests/hostile/test_releases_abuse.py::",
    "tests/hostile/test_odd_files.py::",
    "tests/hostile/test_unreadable_config.py::",
    "tests/hostile/test_quiet_runners.py::",
    "tests/hostile/test_restore.py::",
    "tests/hostile/test_identifiers.py::",
    "tests/hostile/test_utf8_password.py::",
    "tests/online/test_column_order.py::test_operations_add_column_declares_the_column_order_on_postgres_only",
    *(
        f"tests/operations/test_compile_offline.py::{name}"
        for name in (
            "test_every_operation_compiles_for_both_dialects_into_its_phases",
            "test_explain_shows_sql_per_phase",
            "test_sqlalchemy_is_imported_only_when_an_operations_file_is_compiled",
        )
    ),
    *(
        f"tests/faults/{name}.py::"
        for name in (  # kills, stalls and restores through real servers
            "test_client_stall",
            "test_first_run_kills",
            "test_inflight_kinds",
            "test_postgres_kills",
            "test_random_kills",
            "test_restore_swap_kills",
            "test_resume_dry_run",
            "test_stall",
        )
    ),
    "tests/git/test_elsewhere.py::",
    *(
        f"tests/git/test_from_git.py::{name}"
        for name in (
            "test_a_merge_git_has_but_the_file_forgot",
            "test_bad_tag_pattern",
            "test_check_compares_meaning_not_text",
            "test_check_finds_a_declared_merge_that_git_lacks",
            "test_check_lists_every_kind_of_difference",
            "test_check_reports_a_missing_equivalence_once",
            "test_derived_text_round_trips_through_the_parser",
            "test_from_git_prints_the_graph_of_three_lines",
            "test_git_missing",
            "test_tag_pattern_selects_releases",
            "test_tags_in_the_same_second_give_the_same_graph_and_the_same_one_finding",
            "test_write_then_check_finds_the_forgotten_maintenance_fix",
        )
    ),
    "tests/git/test_git_invariant.py::",
    *(
        f"tests/git/test_pending.py::{name}"
        for name in (
            "test_a_real_conflict_surfaces_when_the_branches_merge",
            "test_cut_is_a_no_op_for_a_database_that_ran_the_pending_files",
            "test_one_branch_building_on_its_own_change_is_no_conflict",
            "test_parallel_new_never_collides_and_both_apply",
            "test_release_cut_freezes_pending_in_stamp_order",
        )
    ),
    "tests/java_ports/test_java_ports_410to420.py::test_hashmap_orders_match_a_real_jvm",
    "tests/java_ports/test_java_ports_guest_os.py::",
    "tests/model/test_release_model.py::",
    *(
        f"tests/online/test_acs_phases.py::{name}"
        for name in (
            "test_docs_table_is_current",
            "test_per_release_expand_outweighs_contract_and_cleanups_are_contract_or_explained",
        )
    ),
    "tests/robust/test_bad_input.py::",
    "tests/robust/test_fuzz_inputs.py::",
    "tests/unit/test_acs_ports_required.py::",
    *(
        f"tests/unit/test_acs_convert.py::{name}"
        for name in (
            "test_converted_files_split_the_same_with_flywayx_splitter",
            "test_every_converted_file_sends_what_scriptrunner_sends",
        )
    ),
    "tests/unit/test_acs_explain.py::test_explain_shows_what_scriptrunner_sends_for_every_converted_file",
    "tests/unit/test_analyze_acs.py::test_every_file_analyses_and_unknowns_are_only_calls",
    *(
        f"tests/unit/test_analysis_cache.py::{name}"
        for name in (
            "test_concurrent_runs_answer_alike",
            "test_concurrent_writers_never_leave_half_a_pack",
            "test_reused_footprints_equal_fresh_ones_in_any_order",
        )
    ),
    *(
        f"tests/unit/test_background_analysis.py::{name}"
        for name in (
            "test_a_forked_child_does_not_outlive_its_parent",
            "test_analysis_spread_over_cores_is_the_serial_analysis",
            "test_a_worker_that_dies_is_replaced_by_the_serial_loop",
            "test_the_worker_gives_the_serial_result",
        )
    ),
    *(
        f"tests/unit/test_config.py::{name}"
        for name in (
            "test_any_conf_and_cli_load_or_raise_config_error",
            "test_any_toml_loads_or_raises_config_error",
        )
    ),
    "tests/unit/test_content_id.py::test_normalisation_is_the_analysers_token_stream",
    "tests/unit/test_fingerprint_diff.py::test_diff_is_empty_exactly_when_the_json_is_equal",
    *(
        f"tests/unit/test_placeholders.py::{name}"
        for name in (
            "test_replacement_never_crashes_and_never_creates_placeholders",
            "test_text_without_prefix_is_unchanged",
        )
    ),
    "tests/unit/test_planner_properties.py::",
    *(
        f"tests/unit/test_splitter.py::{name}"
        for name in (
            "test_fast_path_agrees_with_token_by_token_walk",
            "test_split_only_ever_raises_parse_error_and_lines_never_go_back",
            "test_statements_joined_with_semicolons_are_recovered",
        )
    ),
    "tests/unit/test_splitter_acs.py::test_fast_path_equals_token_walk_on_every_corpus_file",
    "tests/unit/test_urls.py::test_password_never_in_error_property",
)

CURRENT: list[Any] = []  # the test being run (one per process; xdist workers are processes)


def servers_of(item: pytest.Item) -> set[str]:
    """The servers ``item`` uses, from its fixtures and its server-naming parameters."""
    names: list[str] = list(getattr(item, "fixturenames", ()))
    callspec = getattr(item, "callspec", None)
    direct = callspec.params if callspec else {}  # a parametrize argument named like a fixture shadows it
    found = {server for name, server in SERVER_FIXTURES.items() if name in names and name not in direct}
    for arg, value in callspec.params.items() if callspec else ():
        if (
            arg in SERVER_ARGS
            and isinstance(value, str)
            and value in SERVER_NAMES
            and (arg != "database" or _is_database_fixture(item))
        ):
            found.add(SERVER_NAMES[value])
    return found


def _is_database_fixture(item: pytest.Item) -> bool:
    """``database`` is the fixture of tests/conftest.py (parametrized, or narrowed with ``indirect=True``), not a
    test's own parameter of that name (tests/unit/test_urls.py parses URLs whose database is "postgres")."""
    defs = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {}).get("database", ())
    return bool(defs) and getattr(defs[-1].func, "__module__", "") == "tests.conftest"


def mark(item: pytest.Item) -> None:
    """Add the markers ``item`` earns (see the module docstring)."""
    for server in sorted(servers_of(item)):
        item.add_marker(server)
    if "tests/cluster/" in item.nodeid:
        item.add_marker("cluster")
    if any(item.get_closest_marker(m) for m in ("mariadb", "postgres", "cluster")):
        item.add_marker("db")
    if item.nodeid.startswith(SLOW) or "jvm" in getattr(item, "fixturenames", ()):
        item.add_marker("slow")
    if item.nodeid.startswith("tests/unit/") and item.get_closest_marker("db"):
        import pytest

        raise pytest.UsageError(
            f"{item.nodeid} needs a server: tests/unit is the server-free ring, move it out "
            "(tests/on_server/ holds the unit-level checks against a real server)"
        )


def require_marker(kind: str) -> None:
    """Fail the running test unless it carries the marker of server ``kind`` (mariadb, postgresql...)."""
    marker = SERVER_NAMES.get(kind, kind)
    if CURRENT and CURRENT[0].get_closest_marker(marker) is None:
        import pytest

        pytest.fail(
            f"{CURRENT[0].nodeid} uses a {marker} server but is not marked: add "
            f"@pytest.mark.{marker} (or request the `{marker}` fixture) so `-m 'not db'` leaves it out",
            pytrace=False,
        )
