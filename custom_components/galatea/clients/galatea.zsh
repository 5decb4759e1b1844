# Galatea shell hook for zsh: sends each command's program name, exit code, duration and
# directory to Galatea (arguments are never sent). Add to ~/.zshrc:
#   export GALATEA_URL="http://homeassistant.local:8123/api/webhook/<id>"
#   source ~/.local/share/galatea/galatea.zsh
# GALATEA_HOOK may point at galatea_shell_hook.py (default: next to this file).
zmodload zsh/datetime 2>/dev/null
autoload -Uz add-zsh-hook
typeset -g __galatea_hook="${GALATEA_HOOK:-${${(%):-%x}:A:h}/galatea_shell_hook.py}"
__galatea_preexec() {
  typeset -g __galatea_cmd="$1" __galatea_start=$EPOCHSECONDS
}
__galatea_precmd() {
  local code=$?
  [[ -z ${__galatea_cmd:-} ]] && return
  local dur=$(( EPOCHSECONDS - __galatea_start ))
  print -rn -- "$__galatea_cmd" | python3 "$__galatea_hook" --exit $code --duration $dur \
    --cwd "$PWD" --shell zsh &>/dev/null &!
  typeset -g __galatea_cmd=""
}
add-zsh-hook preexec __galatea_preexec
add-zsh-hook precmd __galatea_precmd
