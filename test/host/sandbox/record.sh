# shellcheck shell=bash
# Sourced by the stand-ins: appends one line per call to $STANDIN_RECORD, the command's name and
# arguments separated by the ASCII unit separator, so that tests see each argument as passed.
record() {
  local IFS=$'\x1f'
  printf '%s\n' "$*" >>"$STANDIN_RECORD"
}
