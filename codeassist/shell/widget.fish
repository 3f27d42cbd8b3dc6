# codeassist shell widget for fish: `codeassist shell-init fish | source` in config.fish.
# @KEY_NAME@ turns the request typed at the prompt into a command on the same line; on an empty
# line right after a failed command, it puts that command, corrected, on the line.
# The command is never run: read it, edit it, press Enter yourself (only then is it in history).
# @EXPLAIN_KEY_NAME@ prints `codeassist explain` of the line below it and gives the line back as it was.
# The last command and its status live in shell variables; nothing is written to disk.
set -g __codeassist_last_command ''
set -g __codeassist_last_status 0
function __codeassist_postexec --on-event fish_postexec
    set -l pipe $pipestatus # first: the command's own statuses
    set -l st $status
    set -l failed $st
    for s in $pipe # `make | tee log` failed too
        test $failed -eq 0; and test $s -ne 0; and set failed $s
    end
    set -g __codeassist_last_status $failed
    set -g __codeassist_last_command $argv[1]
    return $st
end
set -g __codeassist_errfile '' # the widget's stderr file; a Ctrl-C during a request leaves it here
function __codeassist_clean --on-event fish_prompt --on-event fish_cancel # the next prompt, or Ctrl-C
    test -n "$__codeassist_errfile"; or return 0
    command rm -f -- $__codeassist_errfile
    set -g __codeassist_errfile ''
end
set -g __codeassist_socket @SOCKET@ # the resident server's; warm it when it runs
set -g __codeassist_autostart @AUTOSTART@ # 1: after a request with no server, start one
function __codeassist_warm --on-variable PWD # the server evaluates this directory's prefix
    test -n "$__codeassist_socket"; and test -S "$__codeassist_socket"; or return 0
    set -l bin @EXE@
    set -q CODEASSIST_BIN; and set bin $CODEASSIST_BIN
    command $bin warm --lang shell --quiet </dev/null >/dev/null 2>&1 &
    disown $last_pid 2>/dev/null # no job: nothing printed when it ends
    return 0
end
__codeassist_warm
function __codeassist_start # once a request is answered: start the server, so the next are warm
    test "$__codeassist_autostart" = 1; and test -n "$__codeassist_socket"
    and not test -S "$__codeassist_socket"; or return 0
    command $argv[1] warm --lang shell --quiet --start </dev/null >/dev/null 2>&1 &
    disown $last_pid 2>/dev/null
    return 0
end
function __codeassist_failed_check # gen's first `check failed` line on stdin, its detail joined on
    command awk '/^check failed /{l = $0; if (l ~ /:$/ && (getline n) > 0) {sub(/^[ \t]+/, "", n); l = l " " n}; print l; exit}'
end
function __codeassist_widget
    set -l request (commandline | string collect)
    set -l args
    set -l typed (string trim -- "$request" | string collect)
    if test -n "$typed"
        set args gen --lang shell -- "$request"
    else if test "$__codeassist_last_status" != 0; and test -n "$__codeassist_last_command"
        set args fix --command "$__codeassist_last_command" --exit-code $__codeassist_last_status
    else
        return 0
    end
    set -l bin @EXE@
    set -q CODEASSIST_BIN; and set bin $CODEASSIST_BIN
    __codeassist_clean
    set -l errfile (mktemp)
    set -g __codeassist_errfile $errfile
    printf '\e7 \e[2m[codeassist...]\e[0m' >/dev/tty 2>/dev/null # the cursor saved: to erase it
    set -l out ($bin $args 2>$errfile </dev/null | string collect)
    set -l rc $pipestatus[1]
    printf '\e8\e[K' >/dev/tty 2>/dev/null # no indicator left beside a request kept on error
    __codeassist_start $bin
    set -l answer (string trim -- "$out" | string collect)
    if test $rc -eq 0; and string match -qr '(?m)^\s*[^#\s]' -- "$out" # not only comments
        set -l failed (__codeassist_failed_check <$errfile) # a check it still fails: said above
        test -n "$failed"; and printf '\ncodeassist: %s\n' "$failed" >&2
        commandline -r -- $out
        commandline -f end-of-buffer
    else
        commandline -r -- $request
        set -l reason (grep -m1 . $errfile)
        test $rc -eq 0; and test -n "$answer"; and set reason "no command came back, only a comment"
        test -n "$reason"; or set reason "no command came back (exit $rc)"
        printf '\ncodeassist: %s\n' "$reason" >&2
    end
    __codeassist_clean
    commandline -f repaint
end
function __codeassist_explain
    set -l line (commandline | string collect)
    set -l typed (string trim -- "$line" | string collect)
    test -n "$typed"; or return 0
    set -l bin @EXE@
    set -q CODEASSIST_BIN; and set bin $CODEASSIST_BIN
    echo # below the line; the repaint draws the prompt, line and cursor again
    set -l out "cannot run $bin" # else fish prints its own ten lines about it
    command -q $bin
    and set out (COLUMNS=$COLUMNS $bin explain -- "$line" 2>&1 </dev/null | string collect)
    if test $pipestatus[1] -eq 0
        printf '%s\n' "$out"
    else
        set -l reason (string split -n \n -- "$out") 'explain failed'
        printf 'codeassist: %s\n' $reason[1] >&2
    end
    commandline -f repaint
end
bind @KEY@ __codeassist_widget
bind -M insert @KEY@ __codeassist_widget 2>/dev/null
bind @EXPLAIN_KEY@ __codeassist_explain
bind -M insert @EXPLAIN_KEY@ __codeassist_explain 2>/dev/null
