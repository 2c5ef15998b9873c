/**
 * Shell completion scripts, generated from the program's own commands and options, so
 * they never fall behind the CLI. zsh reuses the bash function through bashcompinit.
 */
import type { Command, Option } from 'commander';

interface Level {
  path: string[];
  subcommands: Array<{ name: string; description: string }>;
  options: Array<{ flags: string[]; description: string; takesValue: boolean; file: boolean }>;
}

const FILE_OPTIONS = new Set(['--topology', '--out', '--config', '-w', '--write', '--pidfile', '--logfile']);

function levels(cmd: Command, path: string[] = []): Level[] {
  const opts = (cmd.options as readonly Option[]).map((o) => {
    const flags = [o.short, o.long].filter((f): f is string => Boolean(f));
    return { flags, description: o.description, takesValue: o.required || o.optional, file: flags.some((f) => FILE_OPTIONS.has(f)) };
  });
  // commander adds --help itself, outside cmd.options
  opts.push({ flags: ['--help'], description: 'show help', takesValue: false, file: false });
  const subs = cmd.commands.map((c) => ({ name: c.name(), description: c.description() }));
  return [{ path, subcommands: subs, options: opts }, ...cmd.commands.flatMap((c) => levels(c, [...path, c.name()]))];
}

function words(xs: string[]): string {
  return xs.join(' ');
}

export function bashCompletion(program: Command): string {
  const all = levels(program);
  const cases = all.map((l) => {
    const candidates = words([...l.subcommands.map((s) => s.name), ...l.options.flatMap((o) => o.flags)]);
    return `    '${l.path.join(' ')}') subs='${words(l.subcommands.map((s) => s.name))}'; cands='${candidates}' ;;`;
  });
  const fileFlags = [...new Set(all.flatMap((l) => l.options.filter((o) => o.file).flatMap((o) => o.flags)))];
  const valueFlags = [...new Set(all.flatMap((l) => l.options.filter((o) => o.takesValue && !o.file).flatMap((o) => o.flags)))];
  return `# bash completion for cldemo (cldemo completion bash)
_cldemo() {
  local cur prev path="" subs cands i w
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  case "$prev" in
    ${fileFlags.join('|')}) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    ${valueFlags.join('|')}) COMPREPLY=(); return ;;
  esac
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    _cldemo_level "$path"
    case " $subs " in *" $w "*) path="\${path:+$path }$w" ;; esac
  done
  _cldemo_level "$path"
  COMPREPLY=($(compgen -W "$cands" -- "$cur"))
}
_cldemo_level() {
  case "$1" in
${cases.join('\n')}
    *) subs=''; cands='' ;;
  esac
}
complete -o default -F _cldemo cldemo
`;
}

export function zshCompletion(program: Command): string {
  return `#compdef cldemo
# zsh completion for cldemo (cldemo completion zsh): the bash function, through bashcompinit
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(program).replace(/^# bash completion.*\n/, '')}`;
}

function fishQuote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function fishCompletion(program: Command): string {
  const all = levels(program);
  const out = ['# fish completion for cldemo (cldemo completion fish)', 'complete -c cldemo -f'];
  for (const l of all) {
    const siblings = l.subcommands.map((s) => s.name);
    // at this level: every word of the path seen, and none of this level's subcommands yet
    const seen = l.path.map((p) => `__fish_seen_subcommand_from ${p}`);
    const cond = [...(l.path.length ? seen : []), siblings.length ? `not __fish_seen_subcommand_from ${words(siblings)}` : ''].filter(Boolean).join('; and ');
    const when = l.path.length === 0 ? (siblings.length ? `-n ${fishQuote(`not __fish_seen_subcommand_from ${words(siblings)}`)}` : '') : `-n ${fishQuote(cond)}`;
    for (const s of l.subcommands) out.push(`complete -c cldemo ${when} -a ${s.name} -d ${fishQuote(s.description)}`);
    for (const o of l.options) {
      const flags = o.flags.map((f) => (f.startsWith('--') ? `-l ${f.slice(2)}` : `-s ${f.slice(1)}`)).join(' ');
      out.push(`complete -c cldemo ${when} ${flags}${o.takesValue ? (o.file ? ' -r -F' : ' -r') : ''} -d ${fishQuote(o.description)}`);
    }
  }
  return `${out.join('\n')}\n`;
}
