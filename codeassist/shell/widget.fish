# codeassist shell widget for fish: `codeassist shell-init fish | source` in config.fish.
# @KEY_NAME@ turns the request typed at the prompt into a command on the same line.
# The command is never run: read it, edit it, press Enter yourself (only then is it in history).
function __codeassist_widget
    set -l request (commandline | string collect)
    if test -z (string trim -- "$request" | string collect)
        return 0
    end
    set -l bin @EXE@
    set -q CODEASSIST_BIN; and set bin $CODEASSIST_BIN
    set -l errfile (mktemp)
    printf ' \e[2m[codeassist…]\e[0m' >/dev/tty 2>/dev/null
    set -l out ($bin gen --lang shell -- "$request" 2>$errfile </dev/null | string collect)
    set -l rc $pipestatus[1]
    if test $rc -eq 0; and test -n (string trim -- "$out" | string collect)
        commandline -r -- $out
        commandline -f end-of-buffer
    else
        commandline -r -- $request
        set -l reason (grep -m1 . $errfile)
        test -n "$reason"; or set reason "no command came back (exit $rc)"
        printf '\ncodeassist: %s\n' "$reason" >&2
    end
    rm -f -- $errfile
    commandline -f repaint
end
bind @KEY@ __codeassist_widget
bind -M insert @KEY@ __codeassist_widget 2>/dev/null
