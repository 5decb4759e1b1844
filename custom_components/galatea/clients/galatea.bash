# Galatea shell hook for bash: sends each command's program name, exit code, duration and
# directory to Galatea (arguments are never sent). Add to ~/.bashrc:
#   export GALATEA_URL="http://homeassistant.local:8123/api/webhook/<id>"
#   source ~/.local/share/galatea/galatea.bash
# GALATEA_HOOK may point at galatea_shell_hook.py (default: next to this file).
__galatea_hook="${GALATEA_HOOK:-$(dirname "${BASH_SOURCE[0]}")/galatea_shell_hook.py}"
__galatea_preexec() {
  [ -n "${COMP_LINE:-}" ] && return          # tab completion
  [ "$BASH_COMMAND" = "__galatea_precmd" ] && return
  [ -n "${__galatea_start:-}" ] && return    # only the first command of a line
  __galatea_start=$SECONDS
}
__galatea_precmd() {
  local code=$?
  if [ -n "${__galatea_start:-}" ]; then
    local dur=$(( SECONDS - __galatea_start ))
    local cmd
    cmd=$(HISTTIMEFORMAT='' builtin history 1 | sed -e 's/^ *[0-9]*\*\{0,1\} *//')
    ( printf '%s' "$cmd" | python3 "$__galatea_hook" --exit "$code" --duration "$dur" \
        --cwd "$PWD" --shell bash >/dev/null 2>&1 & )
  fi
  unset __galatea_start
}
trap '__galatea_preexec' DEBUG
PROMPT_COMMAND="__galatea_precmd${PROMPT_COMMAND:+;$PROMPT_COMMAND}"
unset __galatea_start  # not the line that sourced this file
