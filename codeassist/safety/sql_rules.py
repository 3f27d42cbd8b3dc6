"""SQL beyond DROP and DELETE: privileges, server files and programs, extensions, unsafe pragmas.

Each statement is reduced to its words (sqlglot's tokenizer: comments dropped, every string
literal written 'S', keywords and names upper-cased), so `WHERE name LIKE '%grant%'` and a
comment saying DROP never match. Rows are (pattern over those words, level, reason).
Sources: PostgreSQL's GRANT, CREATE ROLE, COPY and admin-function docs (pg_read_file needs
superuser or pg_read_server_files for a reason), MySQL's FILE privilege and INTO OUTFILE,
SQLite's load_extension, ATTACH, VACUUM INTO and writable_schema docs; OWASP's SQL injection
notes on what an attacker reaches for.
"""

from __future__ import annotations

import re

from codeassist.safety.risk import Finding

RULES: tuple[tuple[str, str, str], ...] = (
    # privileges and accounts
    (r"^GRANT ALL\b", "high", "GRANT ALL gives every privilege"),
    (r"^GRANT\b.*\bTO PUBLIC\b", "high", "GRANT … TO PUBLIC gives it to every user"),
    (r"^GRANT\b.*\bON \* \. \*", "high", "GRANT on *.* covers every database"),
    (r"^GRANT \w+ TO\b", "high", "grants a role (its privileges) to a user"),
    (
        r"^(CREATE|ALTER) (ROLE|USER)\b.*\b(SUPERUSER|CREATEROLE|BYPASSRLS|REPLICATION)\b",
        "high",
        "makes a role with administrator powers",
    ),  # fmt: skip
    (r"^GRANT\b.*\bWITH (GRANT|ADMIN) OPTION\b", "high", "lets the grantee grant it on"),
    (r"^GRANT\b", "medium", "GRANT changes who may do what"),
    (r"^REVOKE\b", "medium", "REVOKE takes privileges away (things may stop working)"),
    (r"^(CREATE|ALTER) (ROLE|USER|LOGIN)\b", "medium", "creates or changes a database account"),
    (r"^DROP (ROLE|USER|LOGIN)\b", "medium", "deletes a database account"),
    (r"^DROP OWNED\b", "high", "drops everything the role owns"),
    (
        r"^DROP (EXTENSION|FUNCTION|PROCEDURE|TRIGGER|TYPE|SEQUENCE|POLICY|RULE)\b",
        "medium",
        "drops an object (not its data)",
    ),  # fmt: skip
    (r"^REASSIGN OWNED\b", "medium", "hands all of a role's objects to another"),
    (r"^ALTER (DATABASE|SCHEMA|TABLE)\b.*\bOWNER TO\b", "medium", "changes an owner"),
    # the server's files and programs
    (r"\b(TO|FROM) PROGRAM\b", "high", "COPY … PROGRAM runs a shell command on the server"),
    (r"^COPY\b.*\bTO 'S'", "medium", "COPY … TO writes a file on the database server"),
    (r"^COPY\b.*\bFROM 'S'", "medium", "COPY … FROM reads a file on the database server"),
    (
        r"\b(PG_READ_FILE|PG_READ_BINARY_FILE|PG_LS_DIR|PG_STAT_FILE|LO_IMPORT|LO_EXPORT|"
        r"PG_FILE_WRITE|LOAD_FILE) \(",
        "high",
        "reads or writes files on the database server",
    ),  # fmt: skip
    (r"\bINTO (OUTFILE|DUMPFILE)\b", "high", "writes a file on the database server"),
    (r"^LOAD DATA\b", "medium", "LOAD DATA reads a file into a table"),
    (r"\bLOAD_EXTENSION \(", "high", "load_extension runs native code inside the database"),
    (r"^LOAD 'S'", "high", "LOAD puts a shared library into the server"),
    (
        r"\bLANGUAGE (PLPYTHONU|PLPYTHON3U|PLPERLU|PLTCLU|C)\b",
        "high",
        "an untrusted language: the function runs code on the server",
    ),  # fmt: skip
    (r"^CREATE EXTENSION\b", "medium", "CREATE EXTENSION adds code to the database"),
    (r"^ATTACH\b", "medium", "ATTACH opens (or creates) another database file"),
    (r"^VACUUM\b.*\bINTO\b", "medium", "VACUUM INTO writes a full copy of the database to a file"),
    # settings that trade safety away
    (
        r"^PRAGMA WRITABLE_SCHEMA = (ON|1|TRUE|YES|RESET)\b",
        "high",
        "writable_schema lets a write corrupt the database",
    ),  # fmt: skip
    (
        r"^PRAGMA (JOURNAL_MODE = OFF|SYNCHRONOUS = (OFF|0))\b",
        "medium",
        "turns crash safety off: a crash can corrupt the database",
    ),  # fmt: skip
    (
        r"^PRAGMA (FOREIGN_KEYS|IGNORE_CHECK_CONSTRAINTS|TRUSTED_SCHEMA) = ",
        "medium",
        "changes what the database enforces",
    ),  # fmt: skip
    (r"^ALTER SYSTEM\b", "medium", "ALTER SYSTEM changes the server's configuration"),
    (r"^SET GLOBAL\b", "medium", "SET GLOBAL changes the server for every session"),
    (r"^SET (SQL_LOG_BIN|GENERAL_LOG) = ", "medium", "turns server logging off or on"),
    (r"^(SHUTDOWN|KILL)\b", "high", "stops the database server or a session"),
    (r"^(DROP|TRUNCATE)\b.*\bCASCADE\b", "high", "CASCADE also drops what depends on it"),
)


def words(statement: str, dialect: str) -> list[str]:
    """Each statement as one line of upper-case words, its string literals written 'S'."""
    import sqlglot
    from sqlglot import TokenType
    from sqlglot.errors import TokenError

    from codeassist.syntax import quiet_sqlglot

    quiet_sqlglot()

    try:
        tokens = sqlglot.tokenize(statement, read=dialect)
    except (TokenError, ValueError):
        return [re.sub(r"'[^']*'", "'S'", statement.upper())]
    lines: list[str] = []
    current: list[str] = []
    previous = None
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            lines.append(" ".join(current))
            current = []
        elif previous == TokenType.COMMAND:  # sqlglot keeps a command's rest as one raw string
            current.append(re.sub(r"'[^']*'", "'S'", token.text.upper()))
        elif token.token_type in (TokenType.STRING, TokenType.NATIONAL_STRING):
            current.append("'S'")
        else:
            current.append(token.text.upper())
        previous = token.token_type
    lines.append(" ".join(current))
    return [line for line in lines if line]


def findings(statement: str, dialect: str) -> list[Finding]:
    """The first matching row of the table, for each statement."""
    found = []
    for line in words(statement, dialect):
        for pattern, level, reason in RULES:
            if re.search(pattern, line):
                found.append(Finding(level, reason))
                break
    return found
