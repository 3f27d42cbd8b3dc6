"""Bad input gets one clear line, a hint and a documented exit code; never a traceback."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from codeassist.errors import Exit
from tests.helpers.cli import assert_clean_error, codeassist_exe, run_cli
from tests.scripted_endpoint import scripted_endpoint


@pytest.mark.parametrize("text", ["  ", "\u200b\u200b", "\x1b \u2060\t"])
def test_empty_request(text: str) -> None:
    # zero-width spaces or a lone escape are nothing to ask (they went to the model before)
    assert_clean_error(run_cli("gen", text), Exit.USAGE, "empty")


def test_unknown_language() -> None:
    assert_clean_error(run_cli("gen", "--lang", "cobol", "hello"), Exit.USAGE, "cobol")


def test_missing_model_says_how_to_install_it() -> None:
    proc = run_cli("gen", "-m", "smollm2-135m", "reverse a string")
    assert_clean_error(proc, Exit.MODEL, "not installed", "codeassist model install smollm2-135m")


def test_unknown_model_name() -> None:
    assert_clean_error(run_cli("gen", "-m", "gpt-9", "x"), Exit.USAGE, "gpt-9")


def test_missing_gguf_path() -> None:
    assert_clean_error(run_cli("gen", "-m", "/nope/model.gguf", "x"), Exit.MODEL, "not found")


def test_a_file_that_is_not_gguf(tmp_path: Path) -> None:
    fake = tmp_path / "fake.gguf"
    fake.write_text("hello")
    assert_clean_error(run_cli("gen", "-m", str(fake), "x"), Exit.MODEL, "not a GGUF")


@pytest.mark.model
def test_truncated_model_is_caught_before_loading(small_model: Path, home: Path) -> None:
    real = small_model.resolve()
    small_model.unlink()
    with real.open("rb") as src, small_model.open("wb") as dst:
        dst.write(src.read(10_000_000))  # the first 10 MB of the real file
    proc = run_cli("gen", "-m", "smollm2-135m", "x")
    assert_clean_error(proc, Exit.MODEL, "corrupt", "install --force smollm2-135m")


@pytest.mark.model
def test_corrupt_model_of_the_right_size_fails_its_hash(small_model: Path) -> None:
    real = small_model.resolve()
    small_model.unlink()
    shutil.copy(real, small_model)
    with small_model.open("r+b") as f:
        f.seek(50_000_000)
        f.write(b"\0" * 4096)
    proc = run_cli("gen", "-m", "smollm2-135m", "x")
    assert_clean_error(proc, Exit.MODEL, "SHA-256 mismatch")


def test_unreachable_endpoint() -> None:
    proc = run_cli("gen", "--endpoint", "http://127.0.0.1:9", "reverse a string")
    assert_clean_error(proc, Exit.BACKEND, "cannot reach")


def test_unreadable_schema_file(tmp_path: Path) -> None:
    proc = run_cli("gen", "--lang", "sql", "--schema", str(tmp_path / "none.sql"), "all users")
    assert_clean_error(proc, Exit.INPUT, "none.sql")


def test_schema_that_is_not_utf8(tmp_path: Path) -> None:
    bad = tmp_path / "bad.sql"
    bad.write_bytes(b"CREATE TABLE \xff\xfe (id int);")
    assert_clean_error(run_cli("gen", "--schema", str(bad), "x"), Exit.INPUT, "bad.sql")


def test_db_that_is_not_sqlite(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database" * 100)
    assert_clean_error(run_cli("gen", "--db", str(junk), "x"), Exit.INPUT, "SQLite")


def test_bad_config_file(home: Path) -> None:
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text("model = ")
    assert_clean_error(run_cli("gen", "x"), Exit.INPUT, "config")


@pytest.mark.parametrize("option", ["--max-tokens=0", "--temperature=9"])
def test_out_of_range_options_are_usage_errors(option: str) -> None:
    proc = run_cli("gen", option, "x")
    assert proc.returncode == Exit.USAGE
    assert "Traceback" not in proc.stderr


def test_sqlite_schema_is_read_without_writing(tmp_path: Path) -> None:
    from codeassist.db.schema import read_database_schema

    db = tmp_path / "shop.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, age INT)")
    before = db.stat().st_mtime_ns
    ddl = read_database_schema(str(db))
    assert "CREATE TABLE users" in ddl
    assert db.stat().st_mtime_ns == before
    assert read_database_schema(f"sqlite:///{db}") == ddl


def test_config_value_of_the_wrong_type(home: Path) -> None:
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text('temperature = "hot"\n')
    assert_clean_error(run_cli("gen", "x"), Exit.INPUT, "temperature should be float")


@pytest.mark.parametrize(
    ("line", "says"),
    [('speculative = "yes"', "speculative should be one of auto, on, off"),
     ('kv_cache_type = "q5"', "kv_cache_type should be one of f16, q8_0, q4_0")],
)  # fmt: skip
def test_config_value_outside_its_choices(home: Path, line: str, says: str) -> None:
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text(line + "\n")
    assert_clean_error(run_cli("gen", "x"), Exit.INPUT, says)


def test_config_file_and_environment_choose_the_model(home: Path) -> None:
    from codeassist import config

    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text('model = "qwen2.5-coder-0.5b"\nmax_tokens = 64\n')
    assert config.load().model == "qwen2.5-coder-0.5b"
    assert config.load(environ={"CODEASSIST_MODEL": "smollm2-135m"}).model == "smollm2-135m"
    assert config.load().max_tokens == 64


def test_the_readme_config_example_is_valid(tmp_path: Path) -> None:
    import re

    from codeassist import config

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    example = re.search(r"```toml\n(.*?)```", readme, re.S)
    assert example, "the README shows a config example"
    (tmp_path / "config.toml").write_text(example.group(1))
    cfg = config.load(tmp_path / "config.toml", environ={})  # an unknown key would raise
    assert cfg.hook_model == "warm" and cfg.shell_key == "\\C-g"


def test_serve_refuses_a_socket_in_a_missing_folder_before_loading_a_model(tmp_path: Path) -> None:
    proc = run_cli("serve", "--socket", str(tmp_path / "none" / "s.sock"), timeout=20)
    assert_clean_error(proc, Exit.USAGE, "is not a folder")
    assert "loading" not in proc.stderr


def test_repl_refuses_an_unknown_language() -> None:
    assert_clean_error(run_cli("repl", "--lang", "cobol", input=""), Exit.USAGE, "cobol")


def test_hook_install_outside_git_says_so(tmp_path: Path) -> None:
    proc = run_cli("hook", "install", cwd=tmp_path)
    assert_clean_error(proc, Exit.USAGE, "not a git repository", "git init")


def _run_bytes(*args: bytes, cwd: Path | None = None, stdin: bytes = b"") -> tuple[int, str, str]:
    proc = subprocess.run(
        [codeassist_exe().encode(), *args], input=stdin, capture_output=True, cwd=cwd,
        timeout=120, check=False,
    )  # fmt: skip
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode("utf-8", "replace")


@pytest.mark.parametrize(
    "args",
    [
        (b"risk", b"rm -rf /tmp/\xff"),
        (b"explain", b"ls \xff"),
        (b"check", b'print("\xff")'),
        (b"check", b"--lang", b"shell", b"ls \xff"),
        (b"gen", b"--lang", b"python", b"add \xff\xfe numbers"),
    ],
)
def test_arguments_that_are_not_utf8_get_one_line(args: tuple[bytes, ...]) -> None:
    code, out, err = _run_bytes(*args)
    assert code == Exit.USAGE and out == "", err
    assert err.splitlines()[0].startswith("error: the input is not valid UTF-8"), err
    assert len(err.splitlines()) == 2 and "Traceback" not in err


def test_code_on_stdin_that_is_not_utf8_gets_one_line() -> None:
    code, _, err = _run_bytes(b"check", b"--lang", b"python", b"-", stdin=b'print("\xff")\n')
    assert code == Exit.USAGE and "not valid UTF-8" in err and "Traceback" not in err


def test_a_working_directory_deleted_under_the_shell(tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    script = f'cd "{gone}" && rmdir "{gone}" && "{codeassist_exe()}" context'
    proc = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=60)
    assert_clean_error(proc, Exit.INPUT, "current directory no longer exists")


@pytest.mark.parametrize(
    "args", [("risk", "ls -l"), ("--help",), ("--version",)], ids=["risk", "help", "version"]
)
def test_output_that_cannot_be_written_gets_one_line(args: tuple[str, ...]) -> None:
    # --help and --version write before any command runs: they gave a traceback (audit)
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [codeassist_exe(), *args], stdout=full, stderr=subprocess.PIPE, text=True,
            timeout=60, check=False, env={**os.environ, "CODEASSIST_IN_PROCESS": "1"},
        )  # fmt: skip
    assert proc.returncode == Exit.INPUT, proc.stderr
    assert proc.stderr.startswith("error: cannot write the output: No space left on device")
    assert "Traceback" not in proc.stderr and "\nhint: " in proc.stderr


def test_closed_standard_output_is_no_traceback(tmp_path: Path) -> None:
    proc = subprocess.run(
        f'"{codeassist_exe()}" context >&-', shell=True, cwd=tmp_path, capture_output=True,
        text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr


def test_a_schema_file_without_end_is_refused_not_read_into_memory() -> None:
    proc = run_cli("check", "--lang", "sql", "--schema", "/dev/zero", "SELECT 1")
    assert_clean_error(proc, Exit.INPUT, "/dev/zero", "not a regular file")


def test_a_schema_fifo_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "schema.sql"
    os.mkfifo(fifo)
    proc = run_cli("check", "--lang", "sql", "--schema", str(fifo), "SELECT 1", timeout=30)
    assert_clean_error(proc, Exit.INPUT, "schema.sql", "not a regular file")


def test_a_model_file_that_cannot_be_opened_is_a_model_error(tmp_path: Path) -> None:
    from codeassist.errors import ModelError
    from codeassist.models.manifest import check_gguf_header

    folder = tmp_path / "weights.gguf"
    folder.mkdir()  # opening it fails as an unreadable file does: an OSError
    with pytest.raises(ModelError, match="cannot read model file"):
        check_gguf_header(folder)


@pytest.mark.model
def test_a_request_longer_than_the_context_is_a_usage_error(small_model: Path) -> None:
    proc = run_cli("gen", "-m", "smollm2-135m", "--no-context", "--lang", "python",
                   "sort " * 20_000, timeout=120)  # fmt: skip
    assert_clean_error(proc, Exit.USAGE, "context holds")


@pytest.mark.parametrize(
    ("args", "said", "where"),
    [
        (("gen",), "Missing argument 'REQUEST'", "codeassist gen --help"),
        (("gen", "--max-tokens", "abc", "x"), "'abc' is not a valid integer", "codeassist gen"),
        (("frob",), "No such command 'frob'", "codeassist --help"),
        (("model", "frob"), "No such command 'frob'", "codeassist model --help"),
        # an empty value (`--db "$UNSET"`) is not the default: before, it was silently ignored
        (("gen", "--db", "", "x"), "'--db': must not be empty", "codeassist gen --help"),
        (("gen", "-m", " ", "x"), "'-m': must not be empty", "codeassist gen --help"),
        (("fix", "--endpoint", "", "-c", "ls"), "'--endpoint': must not be", "codeassist fix"),
        (("serve", "--model", ""), "'--model' / '-m': must not be empty", "codeassist serve"),
        (("check", "--db", "", "SELECT 1"), "'--db': must not be empty", "codeassist check"),
    ],
)
def test_clicks_own_errors_are_one_line_and_a_hint(
    args: tuple[str, ...], said: str, where: str
) -> None:
    assert_clean_error(run_cli(*args), Exit.USAGE, said, where)


def test_run_with_json_is_refused_before_any_model_loads() -> None:
    proc = run_cli("gen", "--run", "--json", "-m", "no-such-model", "list files")
    assert_clean_error(proc, Exit.USAGE, "--run and --json cannot go together", "drop --json")


NESTED = "( " * 1000 + "rm -rf ~" + " )" * 1000  # valid bash: a thousand subshells deep


@pytest.mark.parametrize(
    "args",
    [("risk", NESTED), ("explain", NESTED), ("check", "--lang", "shell", NESTED)],
)
def test_code_nested_a_thousand_deep_is_one_line_not_a_traceback(args: tuple[str, ...]) -> None:
    assert_clean_error(run_cli(*args), Exit.USAGE, "nested too deeply")


def test_a_model_reply_nested_a_thousand_deep_is_one_line_not_a_traceback() -> None:
    with scripted_endpoint(f"```bash\n{NESTED}\n```") as url:
        proc = run_cli("fix", "--endpoint", url, "--command", "ls --frob", "--exit-code", "2")
    assert_clean_error(proc, Exit.USAGE, "nested too deeply")


@pytest.mark.parametrize(
    "endpoint",
    [
        "ftp://example.com",
        "http://[::1",
        "http://h:x/",
        "http://",
        "https://u:s3cretpassw0rd@h:99999/",
    ],
)
def test_a_malformed_endpoint_is_one_line_from_option_env_or_config(
    endpoint: str, home: Path
) -> None:
    for args, env in (
        (["--endpoint", endpoint], {}),
        ([], {"CODEASSIST_ENDPOINT": endpoint}),
    ):
        proc = run_cli("gen", "--no-context", "--lang", "shell", *args, "list files", env=env)
        assert_clean_error(proc, Exit.USAGE, "not an HTTP URL")
        assert "s3cretpassw0rd" not in proc.stderr
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text(f"endpoint = {endpoint!r}\n".replace("'", '"'))
    proc = run_cli("gen", "--no-context", "--lang", "shell", "list files")
    # a bad value in the config file is exit 5, the file and key named
    assert_clean_error(proc, Exit.INPUT, "config.toml: endpoint: not an HTTP URL")
    assert "s3cretpassw0rd" not in proc.stderr


@pytest.mark.parametrize("command", ["gen", "check"])
def test_a_schema_file_with_no_create_statement_is_refused(tmp_path: Path, command: str) -> None:
    # /etc/hostname, a database file or a config file: not a schema, and gen would have sent
    # all of it to the model (found by a new-user audit: `check` then passed every check)
    notes = tmp_path / "notes.txt"
    notes.write_text("password = hunter2\n")
    proc = run_cli(command, "--lang", "sql", "--schema", str(notes), "SELECT x FROM nowhere")
    assert_clean_error(proc, Exit.INPUT, "has no CREATE TABLE statement")


@pytest.mark.parametrize("login_shell", ["/bin/bash", ""])
def test_shell_init_install_and_uninstall_together_is_one_line_with_a_hint(
    login_shell: str,
) -> None:
    # CI has no $SHELL: the shell was guessed first, and its error hid the usage error
    proc = run_cli("shell-init", "--install", "--uninstall", env={"SHELL": login_shell})
    assert_clean_error(proc, Exit.USAGE, "cannot go together", "one at a time")


def test_run_on_sql_is_refused_before_the_model_answers() -> None:
    # it asked "Run it? [y/N]" and only then said SQL is not run (new-user audit)
    heard: list[dict[str, object]] = []
    with scripted_endpoint("```sql\nSELECT 1\n```", heard=heard) as url:
        proc = run_cli("gen", "--endpoint", url, "--lang", "sql", "--run", "one", input="y\n")
    assert_clean_error(proc, Exit.USAGE, "does not run sql code")
    assert heard == []


def test_a_bad_model_or_endpoint_says_where_it_was_set(home: Path) -> None:
    # new-user audit: `model = "nonexist"` in the config was exit 2 and named no source
    proc = run_cli("gen", "x", env={"CODEASSIST_MODEL": "no-such-model"})
    assert_clean_error(proc, Exit.USAGE, "CODEASSIST_MODEL: unknown model 'no-such-model'")
    proc = run_cli("gen", "x", env={"CODEASSIST_ENDPOINT": "garbage"})
    assert_clean_error(proc, Exit.USAGE, "CODEASSIST_ENDPOINT: not an HTTP URL")
    config = home / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('model = "no-such-model"\n')
    proc = run_cli("gen", "x")
    assert_clean_error(proc, Exit.INPUT, f"config file {config}: model: unknown model")
    proc = run_cli("gen", "--model", "no-such-model", "x")  # the command line's own: as before
    assert_clean_error(proc, Exit.USAGE, "error: unknown model 'no-such-model'")


def test_gen_dash_reads_the_request_from_stdin() -> None:
    # "-" went to the model as the request (second new-user audit); check and explain read it
    heard: list[dict[str, object]] = []
    with scripted_endpoint("```bash\nls -S\n```", heard=heard) as url:
        proc = run_cli("gen", "--endpoint", url, "--lang", "shell", "-", input="list by size\n")
        refused = run_cli("gen", "--endpoint", url, "--run", "-", input="list by size\n")
    assert proc.returncode == 0 and proc.stdout == "ls -S\n", proc.stderr
    messages = heard[0]["messages"]
    assert isinstance(messages, list) and "Request: list by size" in messages[-1]["content"]
    assert_clean_error(refused, Exit.USAGE, "--run asks on stdin")
    assert len(heard) == 1


@pytest.mark.parametrize("command", ["gen", "check", "warm"])
def test_schema_with_db_is_refused_as_one_line_with_a_hint(tmp_path: Path, command: str) -> None:
    # the checks ran on the database alone: a table only in --schema failed them with no word
    # of why (new-user audit)
    sqlite3.connect(tmp_path / "shop.db").execute("CREATE TABLE b (x)").connection.close()
    (tmp_path / "more.sql").write_text("CREATE TABLE a (y INTEGER);\n")
    args = [command, "--lang", "sql", "--db", "shop.db", "--schema", "more.sql"]
    proc = run_cli(*args, *(["SELECT y FROM a"] if command != "warm" else []), cwd=tmp_path)
    assert_clean_error(proc, Exit.USAGE, "--schema and --db cannot go together", "leave out")


def test_blank_lines_cannot_hide_a_command_above_the_one_shown() -> None:
    # what the widget puts on the line: gen's piped output
    with scripted_endpoint("```bash\nrm -rf ./victim" + "\n" * 40 + "ls -la\n```") as url:
        proc = run_cli("gen", "--endpoint", url, "--lang", "shell", "--", "list files")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "rm -rf ./victim\nls -la\n"


@pytest.mark.parametrize(
    ("reply", "said"),
    [("```bash\n```", "shell.parse: no command"),
     ("```bash\n# find the 5 biggest files here\n```", "shell.parse: no command, only comments")],
)  # fmt: skip
def test_an_answer_with_no_command_fails_its_check_and_is_sent_back(reply: str, said: str) -> None:
    # it passed every check: the widget put `# find the 5 biggest files here` on the line in
    # place of the request (widget audit; the widgets now keep the request)
    heard: list[dict[str, object]] = []
    with scripted_endpoint(reply, reply, reply, heard=heard) as url:
        proc = run_cli("gen", "--endpoint", url, "--lang", "shell", "--", "find big files")
    assert proc.returncode == 0 and f"check failed {said}" in proc.stderr
    assert len(heard) == 3  # the first answer and two repair rounds


def test_code_holding_a_control_character_is_never_run(tmp_path: Path) -> None:
    # shown as `\x1b]52;…` it read as harmless text, rated low; run, it wrote the terminal's
    # clipboard (new-user audit, in the REPL's /run, which shares this path)
    reply = "```bash\nprintf '\x1b]52;c;cm0gLXJmIH4K\x07' > marker.txt\n```"
    with scripted_endpoint(reply) as url:
        proc = run_cli("gen", "--endpoint", url, "--lang", "shell", "--run", "--", "say hi",
                       input="y\nyes\n", cwd=tmp_path)  # fmt: skip
    assert proc.returncode == Exit.FAILURE, proc.stderr
    assert "error: not run: the code holds a control character, shown as \\x1b" in proc.stderr
    assert "\x1b" not in proc.stdout + proc.stderr
    assert not (tmp_path / "marker.txt").exists()
