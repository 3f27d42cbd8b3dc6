# codeassist shell widget for zsh: `eval "$(codeassist shell-init zsh)"` in ~/.zshrc.
# @KEY_NAME@ turns the request typed at the prompt into a command on the same line.
# The command is never run: read it, edit it, press Enter yourself (only then is it in history).
__codeassist_widget() {
    local request=$BUFFER
    [[ -z ${request//[[:space:]]/} ]] && return 0
    local errfile out rc
    errfile=$(mktemp "${TMPDIR:-/tmp}/codeassist.XXXXXX") || return 0
    zle -R "[codeassist…]"
    local bin=${CODEASSIST_BIN:-}
    [[ -n $bin ]] || bin=@EXE@
    out=$("$bin" gen --lang shell -- "$request" 2>"$errfile" </dev/null)
    rc=$?
    if [[ $rc -eq 0 && -n ${out//[[:space:]]/} ]]; then
        BUFFER=$out
        CURSOR=${#BUFFER}
        zle -R
    else
        BUFFER=$request
        CURSOR=${#BUFFER}
        local reason
        reason=$(grep -m1 . "$errfile")
        zle -M "codeassist: ${reason:-no command came back (exit $rc)}"
    fi
    rm -f -- "$errfile"
}
zle -N __codeassist_widget
bindkey -M emacs '@KEY@' __codeassist_widget
bindkey -M viins '@KEY@' __codeassist_widget
