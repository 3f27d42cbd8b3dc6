# codeassist shell widget for bash: `eval "$(codeassist shell-init bash)"` in ~/.bashrc.
# @KEY_NAME@ turns the request typed at the prompt into a command on the same line; on an empty
# line right after a failed command, it puts that command, corrected, on the line.
# The command is never run: read it, edit it, press Enter yourself (only then is it in history).
# @EXPLAIN_KEY_NAME@ prints `codeassist explain` of the line below it and gives the line back as it was.
# The last command and its status live in two shell variables; nothing is written to disk.
__codeassist_last_command=
__codeassist_last_status=0
__codeassist_count=
__codeassist_histcmd=
__codeassist_socket=@SOCKET@ # the resident server's; warm it when it runs
__codeassist_autostart=@AUTOSTART@ # 1: after a request with no server, start one (shell_autostart)
__codeassist_warmed=
__codeassist_errfile= # the widget's stderr file; a Ctrl-C during a request leaves it to precmd
__codeassist_warm() { # the server evaluates this directory's prompt prefix, in the background
    __codeassist_warmed=$PWD
    [[ -n $__codeassist_socket && -S $__codeassist_socket ]] || return 0
    local bin=${CODEASSIST_BIN:-}
    [[ -n $bin ]] || bin=@EXE@
    "$bin" warm --lang shell --quiet </dev/null >/dev/null 2>&1 & disown # one fork; no job, no message
}
__codeassist_start() { # once a request is answered: start the server, so the next ones are warm
    [[ $__codeassist_autostart == 1 && -n $__codeassist_socket && ! -S $__codeassist_socket ]] ||
        return 0
    ("$1" warm --lang shell --quiet --start </dev/null >/dev/null 2>&1 &) # bind -x: no "[1] pid"
}
__codeassist_clean() {
    command rm -f -- "$__codeassist_errfile"
    __codeassist_errfile=
}
__codeassist_has_command() { # a line that is neither blank nor a comment: `# list files` is none
    local line
    while IFS= read -r line; do
        line=${line#"${line%%[![:space:]]*}"}
        [[ -n $line && $line != \#* ]] && return 0
    done <<<"$1"
    return 1
}
__codeassist_failed_check() { # gen's first `check failed` line on stdin, its detail joined on
    command awk '/^check failed /{l = $0; if (l ~ /:$/ && (getline n) > 0) {sub(/^[ \t]+/, "", n); l = l " " n}; print l; exit}'
}
__codeassist_precmd() {
    local status=$? pipe="${PIPESTATUS[*]}" count=$HISTCMD failed s
    [[ -z $__codeassist_errfile ]] || __codeassist_clean
    [[ $PWD == "$__codeassist_warmed" ]] || __codeassist_warm
    if ((BASH_VERSINFO[0] * 100 + BASH_VERSINFO[1] >= 404)); then
        count='\#' # the command number: it counts every command run, in history or not
        count=${count@P}
    fi
    if [[ -z $__codeassist_count || $count == "$__codeassist_count" ]]; then
        __codeassist_count=$count # the first prompt, an empty line, Ctrl-C: nothing new ran
        __codeassist_histcmd=${__codeassist_histcmd:-$HISTCMD}
        return "$status"
    fi
    __codeassist_count=$count
    failed=$status
    for s in $pipe; do ((failed == 0 && s != 0)) && failed=$s; done # `make | tee log` failed too
    __codeassist_last_status=$failed
    __codeassist_last_command=
    if [[ $failed -ne 0 && $HISTCMD != "$__codeassist_histcmd" ]]; then
        local entry # only after a failure: the command line, from history (one subshell)
        entry=$(HISTTIMEFORMAT='' builtin history 1 2>/dev/null)
        entry=${entry#"${entry%%[![:space:]]*}"}
        entry=${entry#"${entry%%[!0-9]*}"}
        entry=${entry#\*} # an entry edited in place
        __codeassist_last_command=${entry#"${entry%%[![:space:]]*}"}
    fi
    __codeassist_histcmd=$HISTCMD
    return "$status"
}
if [[ ${PROMPT_COMMAND[*]} != *__codeassist_precmd* ]]; then
    # First, so it sees the command's own $?; it hands that status on to what follows.
    PROMPT_COMMAND="__codeassist_precmd${PROMPT_COMMAND:+;$PROMPT_COMMAND}"
fi
__codeassist_warm
__codeassist_widget() {
    local request=$READLINE_LINE
    local -a args
    if [[ -n ${request//[[:space:]]/} ]]; then
        args=(gen --lang shell -- "$request")
    elif [[ $__codeassist_last_status != 0 && -n $__codeassist_last_command ]]; then
        args=(fix --command "$__codeassist_last_command" --exit-code "$__codeassist_last_status")
    else
        return 0
    fi
    local errfile out rc
    errfile=$(mktemp "${TMPDIR:-/tmp}/codeassist.XXXXXX") || return 0
    __codeassist_errfile=$errfile
    printf ' \e[2m[codeassist...]\e[0m' >/dev/tty 2>/dev/null
    local bin=${CODEASSIST_BIN:-}
    [[ -n $bin ]] || bin=@EXE@
    out=$("$bin" "${args[@]}" 2>"$errfile" </dev/null)
    rc=$?
    __codeassist_start "$bin"
    printf '\r\e[K' >/dev/tty 2>/dev/null
    if [[ $rc -eq 0 ]] && __codeassist_has_command "$out"; then
        local failed # a check the command still fails: said above the line it is put on
        failed=$(__codeassist_failed_check <"$errfile")
        [[ -z $failed ]] || printf 'codeassist: %s\n' "$failed" >&2
        READLINE_LINE=$out
        READLINE_POINT=${#out}
    else
        READLINE_LINE=$request
        READLINE_POINT=${#request}
        local reason
        reason=$(grep -m1 . "$errfile")
        [[ $rc -ne 0 || -z ${out//[[:space:]]/} ]] || reason="no command came back, only a comment"
        printf 'codeassist: %s\n' "${reason:-no command came back (exit $rc)}" >&2
    fi
    __codeassist_clean
}
__codeassist_explain() {
    [[ -n ${READLINE_LINE//[[:space:]]/} ]] || return 0
    local bin=${CODEASSIST_BIN:-} prompt out
    [[ -n $bin ]] || bin=@EXE@
    if ((BASH_VERSINFO[0] * 100 + BASH_VERSINFO[1] >= 501)); then
        prompt=${PS1@P} # bash has cleared the prompt's last line: keep it in the scrollback
        prompt=${prompt##*$'\n'}
        printf '%s%s\n' "${prompt//[$'\001\002']/}" "${READLINE_LINE//[[:cntrl:]]/?}" # shown, not sent
    fi
    if out=$(COLUMNS=$COLUMNS "$bin" explain -- "$READLINE_LINE" 2>&1 </dev/null); then
        printf '%s\n' "$out"
    else
        printf 'codeassist: %s\n' "$(grep -m1 . <<<"${out:-explain failed}")" >&2
    fi
}
bind -m emacs -x '"@KEY@": __codeassist_widget'
bind -m vi-insert -x '"@KEY@": __codeassist_widget'
bind -m emacs -x '"@EXPLAIN_KEY@": __codeassist_explain'
bind -m vi-insert -x '"@EXPLAIN_KEY@": __codeassist_explain'
