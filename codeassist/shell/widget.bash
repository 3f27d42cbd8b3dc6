# codeassist shell widget for bash: `eval "$(codeassist shell-init bash)"` in ~/.bashrc.
# @KEY_NAME@ turns the request typed at the prompt into a command on the same line.
# The command is never run: read it, edit it, press Enter yourself (only then is it in history).
__codeassist_widget() {
    local request=$READLINE_LINE
    [[ -z ${request//[[:space:]]/} ]] && return 0
    local errfile out rc
    errfile=$(mktemp "${TMPDIR:-/tmp}/codeassist.XXXXXX") || return 0
    printf ' \e[2m[codeassist…]\e[0m' >/dev/tty 2>/dev/null
    local bin=${CODEASSIST_BIN:-}
    [[ -n $bin ]] || bin=@EXE@
    out=$("$bin" gen --lang shell -- "$request" 2>"$errfile" </dev/null)
    rc=$?
    printf '\r\e[K' >/dev/tty 2>/dev/null
    if [[ $rc -eq 0 && -n ${out//[[:space:]]/} ]]; then
        READLINE_LINE=$out
        READLINE_POINT=${#out}
    else
        READLINE_LINE=$request
        READLINE_POINT=${#request}
        local reason
        reason=$(grep -m1 . "$errfile")
        printf 'codeassist: %s\n' "${reason:-no command came back (exit $rc)}" >&2
    fi
    rm -f -- "$errfile"
}
bind -m emacs -x '"@KEY@": __codeassist_widget'
bind -m vi-insert -x '"@KEY@": __codeassist_widget'
