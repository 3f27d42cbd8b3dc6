# codeassist shell widget for zsh: `eval "$(codeassist shell-init zsh)"` in ~/.zshrc.
# @KEY_NAME@ turns the request typed at the prompt into a command on the same line; on an empty
# line right after a failed command, it puts that command, corrected, on the line.
# The command is never run: read it, edit it, press Enter yourself (only then is it in history).
# @EXPLAIN_KEY_NAME@ prints `codeassist explain` of the line below it and gives the line back as it was.
# The last command and its status live in shell variables; nothing is written to disk.
typeset -g __codeassist_last_command= __codeassist_last_status=0 __codeassist_pending=
typeset -gi __codeassist_ran=0
typeset -g __codeassist_errfile= # the widget's stderr file; a Ctrl-C during a request leaves it to precmd
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
__codeassist_preexec() {
    __codeassist_pending=${1:-$3} # as typed (empty when history is off: then as run)
    __codeassist_ran=1
}
__codeassist_precmd() {
    local st=$? pipe="$pipestatus" failed s
    [[ -z $__codeassist_errfile ]] || __codeassist_clean
    if ((__codeassist_ran)); then # else an empty line or Ctrl-C: nothing new ran
        failed=$st
        for s in ${=pipe}; do ((failed == 0 && s != 0)) && failed=$s; done # `make | tee log`
        __codeassist_last_command=$__codeassist_pending
        __codeassist_last_status=$failed
        __codeassist_ran=0
    fi
    return $st
}
typeset -g __codeassist_socket=@SOCKET@ # the resident server's; warm it when it runs
typeset -g __codeassist_autostart=@AUTOSTART@ # 1: after a request with no server, start one
__codeassist_warm() { # the server evaluates this directory's prompt prefix, in the background
    [[ -n $__codeassist_socket && -S $__codeassist_socket ]] || return 0
    local bin=${CODEASSIST_BIN:-}
    [[ -n $bin ]] || bin=@EXE@
    "$bin" warm --lang shell --quiet </dev/null >/dev/null 2>&1 &! # one fork; no job, no message
}
__codeassist_start() { # once a request is answered: start the server, so the next ones are warm
    [[ $__codeassist_autostart == 1 && -n $__codeassist_socket && ! -S $__codeassist_socket ]] ||
        return 0
    "$1" warm --lang shell --quiet --start </dev/null >/dev/null 2>&1 &!
}
autoload -Uz add-zsh-hook
add-zsh-hook preexec __codeassist_preexec
add-zsh-hook precmd __codeassist_precmd
add-zsh-hook chpwd __codeassist_warm
__codeassist_warm
__codeassist_widget() {
    local request=$BUFFER
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
    zle -R "[codeassist...]"
    local bin=${CODEASSIST_BIN:-}
    [[ -n $bin ]] || bin=@EXE@
    out=$("$bin" "${args[@]}" 2>"$errfile" </dev/null)
    rc=$?
    __codeassist_start "$bin"
    if [[ $rc -eq 0 ]] && __codeassist_has_command "$out"; then
        BUFFER=$out
        CURSOR=${#BUFFER}
        local failed # a check the command still fails: said below the line
        failed=$(__codeassist_failed_check <"$errfile")
        if [[ -n $failed ]]; then zle -M "codeassist: $failed"; else zle -R; fi
    else
        BUFFER=$request
        CURSOR=${#BUFFER}
        local reason
        reason=$(grep -m1 . "$errfile")
        [[ $rc -ne 0 || -z ${out//[[:space:]]/} ]] || reason="no command came back, only a comment"
        zle -M "codeassist: ${reason:-no command came back (exit $rc)}"
    fi
    __codeassist_clean
}
__codeassist_explain() {
    [[ -n ${BUFFER//[[:space:]]/} ]] || return 0
    local bin=${CODEASSIST_BIN:-} out reason
    [[ -n $bin ]] || bin=@EXE@
    zle -I # below the line; zle redraws the prompt, line and cursor afterwards
    if out=$(COLUMNS=$COLUMNS "$bin" explain -- "$BUFFER" 2>&1 </dev/null); then
        print -r -- "$out"
    else
        reason=${out%%$'\n'*} # its first line
        print -r -- "codeassist: ${reason:-explain failed}" >&2
    fi
}
zle -N __codeassist_widget
zle -N __codeassist_explain
bindkey -M emacs '@KEY@' __codeassist_widget
bindkey -M viins '@KEY@' __codeassist_widget
bindkey -M emacs '@EXPLAIN_KEY@' __codeassist_explain
bindkey -M viins '@EXPLAIN_KEY@' __codeassist_explain
