"""The REPL's slash commands: switch language or model, and act on the last answer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from codeassist.pipeline.language import LANGUAGES

if TYPE_CHECKING:
    from codeassist.repl.session import Session

COMMANDS = {
    "/lang": "LANG   python, sql, shell or auto: the language of the next answers",
    "/model": "NAME  use another model (loaded once, kept for the session)",
    "/explain": "[CMD]  explain a shell command from its man pages (else the last answer)",
    "/run": "       run the last answer (shows its risk and asks first)",
    "/revise": "TEXT  change the last answer as TEXT says",
    "/copy": "       copy the last answer to the clipboard",
    "/context": "[on|off]  ground requests in the repository around you",
    "/help": "       this list",
    "/quit": "       leave (Ctrl-D works too)",
}
HINT = "/run  /explain  /revise …  /copy"


def run(session: Session, text: str) -> bool:
    """One slash command; False when the session should end."""
    name, _, arg = text.partition(" ")
    arg = arg.strip()
    if name in ("/quit", "/exit", "/q"):
        return False
    if name == "/help":
        for command, what in COMMANDS.items():
            session.view.line(f"{command:<9} {what}")
    elif name == "/lang":
        set_language(session, arg)
    elif name == "/model":
        set_model(session, arg)
    elif name == "/context":
        set_context(session, arg)
    elif name == "/explain" and (command := arg or last_shell(session)):
        from codeassist.shell.explain import explain

        session.view.explanation(explain(command))  # from the docs installed here, not the model
    elif session.last is None and name in ACTIONS:
        session.view.line("no answer yet: type a request first")
    elif name in ACTIONS:
        ACTIONS[name](session, arg)
    else:
        session.view.said("unknown command", f"{name}: /help lists them")
    return True


def set_language(session: Session, lang: str) -> None:
    if lang not in (*LANGUAGES, "auto"):
        session.view.line(f"language is {session.language}: use /lang python|sql|shell|auto")
        return
    session.language = lang
    session.view.line(f"language: {lang}")


def set_model(session: Session, model: str) -> None:
    if not model:
        session.view.said("model:", session.model_name)
        return
    backend = session.switch_model(model)  # fails (and keeps the old one) on a bad name
    session.view.said("model:", backend.name)


def set_context(session: Session, arg: str) -> None:
    if arg in ("on", "off"):
        session.use_context = arg == "on"
    available = "" if session.ground else " (not available in this build)"
    session.view.line(f"repository context: {'on' if session.use_context else 'off'}{available}")
    if session.use_context and session.ground and session.last:
        request = session.request(session.last.request)
        shown = (request.stable, request.context, request.facts)
        session.view.said("", "\n\n".join(part.strip() for part in shown if part.strip()))


def run_last(session: Session, arg: str) -> None:
    """Show the risk, ask, run; then the exit status (1 when not run)."""
    from codeassist.safety.execute import DECLINED, confirm_and_run

    assert session.last is not None
    result = session.last.result
    status = confirm_and_run(result.code, result.language, session.view.risk, session.ask)
    if status is None:
        session.view.line("not run", "dim")
        status = DECLINED
    session.view.line(f"exit status {status}", "dim")


def copy_last(session: Session, arg: str) -> None:
    from codeassist.repl.clipboard import copy_to_clipboard

    assert session.last is not None
    session.view.line(copy_to_clipboard(session.last.result.code))


def last_shell(session: Session) -> str:
    """The last answer's code when it is a shell command, else ""."""
    last = session.last.result if session.last else None
    return last.code if last and last.language == "shell" else ""


def explain_last(session: Session, arg: str) -> None:
    assert session.last is not None
    code, lang = session.last.result.code, session.last.result.language
    prompt = f"Explain what this {lang} code does:\n```\n{code}\n```"
    saved, session.language = session.language, lang
    try:
        answer = session.generate(prompt, explain=True, show=False)
    finally:
        session.language = saved
    session.view.said("", answer.result.explanation or answer.result.reply)


def revise_last(session: Session, arg: str) -> None:
    from codeassist.repl.session import Answer

    assert session.last is not None
    if not arg:
        session.view.line("say how to change it: /revise make it recursive")
        return
    last, lang = session.last, session.last.result.language
    text = f"{last.request}\nCurrent {lang} code:\n```\n{last.result.code}\n```\nChange: {arg}"
    saved, session.language = session.language, lang
    try:
        answer = session.generate(text, show=False)
    finally:
        session.language = saved
    session.last = Answer(last.request + f" ({arg})", answer.result)
    session.show(session.last)


ACTIONS = {"/run": run_last, "/explain": explain_last, "/copy": copy_last, "/revise": revise_last}
