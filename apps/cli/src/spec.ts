import { CONTEXT_COMMANDS } from './context-spec.js'
import { type CommandPath, COMMAND_OPTIONS, CONNECTION_OPTIONS, GLOBAL_OPTIONS } from './spec-options.js'

/**
 * The one table of commands, their arguments and their flags (the flags in spec-options.ts). The argv grammar
 * (grammar.ts), every help text (help.ts) and the shell completion scripts (completion.ts) are generated from it,
 * so they cannot disagree.
 */
export { type CommandPath, COMMAND_OPTIONS, CONNECTION_OPTIONS, GLOBAL_OPTIONS }
export { OPTION_DOCS, type OptionDoc } from './option-docs.js'

/** A positional argument of a command. */
export interface ArgSpec {
  readonly name: string
  readonly required: boolean
  /** Takes any number of words (only the last argument). */
  readonly variadic?: boolean
  /** The only values accepted (and completed). */
  readonly values?: readonly string[]
}

/** One runnable command: what the help, the grammar and the completion scripts know about it. */
export interface CommandSpec {
  readonly path: CommandPath
  readonly aliases?: readonly string[]
  readonly args: readonly ArgSpec[]
  readonly summary: string
  readonly description: string
  readonly examples: readonly string[]
}

/** Every command, in the order help lists them. */
export const COMMANDS: readonly CommandSpec[] = [
  {
    path: 'cron run',
    args: [{ name: 'job', required: true }],
    summary: 'run a job now (id or exact name); --wait follows it to the end, --follow shows it live',
    description:
      'Runs a cron job now. <job> is a job id or an exact job name (resolved with cron.list).\n' +
      'Without --wait it returns once the gateway has enqueued the run. With --wait it waits for the end and\n' +
      'exits 0 (ok), 10 (the run failed), 11 (--timeout ran out; the run goes on), 13 (already running),\n' +
      '130 (Ctrl-C; the run goes on). On a terminal a status line shows the elapsed time, the phase (model call,\n' +
      'tool, "retrying 3/8 in 30 s"), and the characters written; it is erased at the end.\n' +
      "--follow (implies --wait) prints the agent's text on stdout as it is written, tool calls and retries on\n" +
      'stderr, then the result. With --json every line is one JSON object ({"type":"text"|"tool"|…}), the last\n' +
      "one the result (or the error) with the run's facts: job, runId, status, error, durationMs.\n" +
      'Agent runs can take minutes: --timeout is how long --wait waits (default 10m); when it runs out, the run\n' +
      'goes on and `clawlink cron runs --follow <job>` shows how it ends.',
    examples: [
      'clawlink cron run nightly-report --wait',
      'clawlink cron run nightly-report --follow --timeout 30m',
      'clawlink cron run nightly-report --follow --json | jq -c \'select(.type == "tool")\'',
      'clawlink cron run 8a1a9993-0c5e-4f1c-9b0e-2f6f1d2b3c4d --due --json',
    ],
  },
  {
    path: 'cron list',
    aliases: ['cron ls'],
    args: [],
    summary: 'list jobs',
    description: 'Lists cron jobs: id, name, enabled, schedule, next and last run.',
    examples: ['clawlink cron list --all --json'],
  },
  {
    path: 'cron status',
    args: [],
    summary: 'scheduler status',
    description: 'Shows the scheduler status: enabled, job count, next wake, store.',
    examples: ['clawlink cron status --json'],
  },
  {
    path: 'cron runs',
    args: [{ name: 'job', required: false }],
    summary: 'recent runs of a job; --follow: a live feed of runs',
    description:
      'Shows recent runs of a job (id or exact name), newest first.\n' +
      'With --follow it shows runs live instead, of one job or (without <job>) of every job: a line when a run\n' +
      'starts and one when it finishes (status, duration, summary or error); with --json one JSON object per\n' +
      'line. It runs until Ctrl-C (exit 0). When the connection drops it reconnects and says so, and what it\n' +
      'may have missed.',
    examples: [
      'clawlink cron runs nightly-report --limit 5',
      'clawlink cron runs --follow',
      'clawlink cron runs --follow nightly-report --json',
    ],
  },
  {
    path: 'cron show',
    args: [{ name: 'job', required: true }],
    summary: 'one job: every field the gateway keeps',
    description:
      'Shows one job (id or exact name): its state, then every field as YAML (--json: the raw job).',
    examples: ['clawlink cron show nightly-report', 'clawlink cron show nightly-report --json'],
  },
  {
    path: 'cron enable',
    args: [{ name: 'job', required: true }],
    summary: 'enable a job',
    description: 'Enables a job (id or exact name): cron.update with enabled true.',
    examples: ['clawlink cron enable nightly-report'],
  },
  {
    path: 'cron disable',
    args: [{ name: 'job', required: true }],
    summary: 'disable a job (it stays, and can still be run by hand)',
    description: 'Disables a job (id or exact name): cron.update with enabled false.',
    examples: ['clawlink cron disable nightly-report'],
  },
  {
    path: 'cron rm',
    aliases: ['cron remove'],
    args: [{ name: 'job', required: true }],
    summary: 'remove a job (asks on a terminal; --yes otherwise)',
    description:
      'Removes a job (id or exact name) for good. Asks first on a terminal; off a terminal (scripts, --json)\n' +
      'it needs --yes. An unknown job exits 9.',
    examples: [
      'clawlink cron rm nightly-report',
      'clawlink cron rm 8a1a9993-0c5e-4f1c-9b0e-2f6f1d2b3c4d --yes',
    ],
  },
  {
    path: 'cron add',
    args: [],
    summary: 'create a job from a JSON5 or YAML file',
    description:
      "Creates one job from FILE (JSON5, or YAML for .yaml/.yml) in the gateway's own job shape. A field this\n" +
      'gateway version does not know is refused by name with file:line:col (exit 3) before anything is written.',
    examples: ['clawlink cron add -f nightly.yaml', 'clawlink automations add -f job.json5 --json'],
  },
  {
    path: 'cron edit',
    args: [{ name: 'job', required: true }],
    summary: 'change the fields of a job a JSON5 or YAML file names',
    description:
      'Changes the fields FILE names (the others stay as they are) with cron.update {id, patch}. A field this\n' +
      'gateway version does not know is refused by name with file:line:col (exit 3); nothing is written then.',
    examples: ['clawlink cron edit nightly-report -f changes.yaml'],
  },
  {
    path: 'cron export',
    args: [{ name: 'job', required: false, variadic: true }],
    summary: 'write jobs as a YAML jobs file, or as crontab / systemd entries',
    description:
      'Writes the jobs (all but the ones the gateway owns, or the JOBs named) as YAML with a jobs: list, without\n' +
      'ids and run state, for `cron apply`. --crontab / --systemd print host-scheduler entries that run\n' +
      "`clawlink cron run <id> --due` on the job's schedule, and say per job when it cannot be expressed.",
    examples: ['clawlink cron export -o jobs.yaml', 'clawlink cron export nightly-report --systemd'],
  },
  {
    path: 'cron apply',
    args: [],
    summary: 'make the gateway hold the jobs of a file: plan, then apply',
    description:
      'Reads FILE (jobs: list, JSON5 or YAML), checks it (exit 3 with file:line:col before anything is written),\n' +
      "lists the gateway's jobs and prints the plan: + create, ~ update (field diffs), = unchanged, - delete (only\n" +
      'with --prune; never a job the gateway owns). Then applies it, asking on a terminal (--yes otherwise), paced\n' +
      "under 2026.9.x's write limit. Jobs match by declarationKey where they have one, else by name.",
    examples: [
      'clawlink cron apply -f jobs.yaml --dry-run',
      'clawlink cron apply -f jobs.yaml --prune --yes',
      'clawlink cron apply -f jobs.yaml --dry-run --json',
    ],
  },
  {
    path: 'cron check',
    args: [{ name: 'job', required: false, variadic: true }],
    summary: 'missed fires: scheduled fires of enabled jobs that left no run',
    description:
      'For every enabled job (or the named ones), the fires its schedule implied in the window (cron with its\n' +
      'time zone and stagger, every, at) against its run history. Prints each missed fire (job, expected time,\n' +
      'last run); exit 0 when none, 18 when some were missed. On a terminal each job also gets a row of marks\n' +
      '(✓ ran, ✗ missed, ~ late). --run-missed runs each affected job once.',
    examples: [
      'clawlink cron check',
      'clawlink cron check nightly-report --since 7d',
      'clawlink cron check --run-missed --json',
    ],
  },
  {
    path: 'device show',
    args: [],
    summary: 'this device: id, public key, signer, cached device token',
    description:
      "Shows this profile's device: deviceId, public key, which signer holds the key, and whether a device\n" +
      'token is cached (never the token itself). Creates nothing.',
    examples: ['clawlink device show --json'],
  },
  {
    path: 'device init',
    args: [],
    summary:
      'create the device key and choose where it lives (file, keychain, ssh-agent, exec, PKCS#11 token, plug-in)',
    description:
      'Creates the device key (where the signer keeps keys) and records the signer in the profile, which the\n' +
      'CLI and clawlink-mcp share, so one pairing serves both. An existing key is never replaced.',
    examples: [
      'clawlink device init',
      'clawlink device init --signer keychain --keychain-account ci',
      'clawlink device init --signer agent --agent-key "SHA256:Ih3f…"',
      'clawlink device init --signer exec --exec-command \'["/usr/local/bin/kms-sign","--key","dev"]\'',
      'clawlink device init --signer ./my-signer.mjs --signer-option region=eu',
    ],
  },
  {
    path: 'device pair',
    args: [],
    summary: "pair this device with a remote gateway; --wait waits for the operator's approval",
    description:
      'Connects; if the gateway wants an operator to approve this device, prints the requestId, the exact\n' +
      'command to run on the gateway host and what the operator will see, then exits 7 — or, with --wait,\n' +
      'reconnects (backing off, 1 s to 4 s) until the approval and exits 0 with the granted scopes. A rejection\n' +
      'exits 7 (PAIRING_REJECTED); no approval within --timeout (default 10m) exits 11 with the requestId.\n' +
      'Scope upgrades of a device paired with fewer scopes work the same way. See docs/remote-gateway.md.',
    examples: [
      'clawlink device pair --url ws://192.168.1.20:18789 --token-file ./gw.token --wait',
      'clawlink device pair --wait --timeout 15m --json',
    ],
  },
  {
    path: 'device rotate',
    args: [],
    summary: "replace this device's token on the gateway (device.token.rotate) and store the new one",
    description:
      'Asks the gateway for a new device token for this device and role, keeping its scopes; the old token\n' +
      'stops working at once. The new one is stored in the profile, bound to this gateway (never printed).\n' +
      'A gateway that withholds it (9.x tokenDelivery) exits 16; the next command then pairs with the shared token.',
    examples: ['clawlink device rotate', 'clawlink device rotate --url wss://gw.example:18789 --json'],
  },
  {
    path: 'device revoke',
    args: [],
    summary: "revoke this device's token on the gateway (device.token.revoke) and delete the cached copy",
    description:
      "Revokes this device's token on the gateway and deletes it from the profile: the next command\n" +
      'authenticates with the shared token (and the gateway issues a fresh device token). See docs/remote-gateway.md.',
    examples: ['clawlink device revoke', 'clawlink device revoke --json'],
  },
  {
    path: 'doctor',
    args: [],
    summary: 'check every step of the connection and say which one fails and how to fix it',
    description:
      'Walks each step — settings, URL reachable, TLS pin, challenge, protocol, auth, signature and clock skew,\n' +
      'pairing, scopes for cron.run — printing each as passed or failed with the fix; stops at the first failure.',
    examples: ['clawlink doctor', 'clawlink doctor --url wss://gw.example:18789 --token-file ./gw.token'],
  },
  {
    path: 'call',
    args: [{ name: 'method', required: true }],
    summary: 'call any gateway method with JSON params',
    description:
      'Calls any gateway method and prints its result as JSON (with --json: {ok, method, result}, the envelope of\n' +
      'every command). Params go as the gateway takes them: cron methods take job ids, not names.\n' +
      '--timeout bounds each request.',
    examples: ['clawlink call health', 'clawlink call cron.add --params @job.json'],
  },
  {
    path: 'audit',
    args: [],
    summary: "what assistants did through clawlink-mcp: its audit log (profile's audit.jsonl)",
    description:
      'Shows the audit log clawlink-mcp writes, one line per tool call, oldest first: time, tool, job, outcome\n' +
      '(ok, refused or error with its code), runId and the MCP client. Reads rotated files (audit.jsonl.1 …) too.\n' +
      'Connects to nothing.',
    examples: [
      'clawlink audit --since 24h',
      'clawlink audit --json --profile ci | jq \'.entries[] | select(.outcome != "ok")\'',
    ],
  },
  {
    path: 'audit verify',
    args: [{ name: 'file', required: false, variadic: true }],
    summary:
      "check the audit log's hash chain; name the first line that was edited, deleted, moved or inserted",
    description:
      'Each line clawlink-mcp writes carries seq (1, 2, 3 … across rotated files) and prev, the SHA-256 of the\n' +
      'line before it (docs/audit-chain.md). This checks every link and names the first line that breaks one:\n' +
      'file:line and why — edited, deleted (seq jumps), reordered, inserted, truncated (cut short), or restarted\n' +
      "(a new chain began mid-log). With one FILE (default: the profile's audit.jsonl) its rotated files\n" +
      '(FILE.1, FILE.2 …) are checked too, oldest first; several FILEs are checked in the order given, oldest first.\n' +
      'Exit 0 when intact (it prints the head hash: keep it elsewhere to notice a rewrite of the whole log later),\n' +
      '19 when broken, 2 when there is no log to read. The newest line is covered once a line follows it; lines\n' +
      'rotated away are gone, so a log may start at a later seq. Connects to nothing.',
    examples: [
      'clawlink audit verify',
      'clawlink audit verify /var/log/clawlink/audit.jsonl',
      'clawlink audit verify audit.jsonl.2 audit.jsonl.1 audit.jsonl --json | jq .break',
    ],
  },
  ...CONTEXT_COMMANDS,
  {
    path: 'help',
    args: [{ name: 'command', required: false, variadic: true }],
    summary: 'show the help of clawlink or of a command',
    description: 'Shows the help of clawlink, of a command group or of a command; runs nothing.',
    examples: ['clawlink help cron run', 'clawlink help device'],
  },
  {
    path: 'completion',
    args: [{ name: 'shell', required: true, values: ['bash', 'zsh', 'fish'] }],
    summary: 'print a bash, zsh or fish completion script',
    description: 'Prints a completion script for the shell, generated from the same table as this help.',
    examples: [
      'source <(clawlink completion bash)            # in ~/.bashrc',
      'clawlink completion zsh > ~/.zsh/completions/_clawlink   # a directory in your fpath',
      'clawlink completion fish > ~/.config/fish/completions/clawlink.fish',
    ],
  },
]

/**
 * The command groups (first words that need a second one). No prototype: a word the user typed, such as
 * `constructor`, is looked up here (`in`, `GROUPS[word]`) and must find only these.
 */
export const GROUPS: Readonly<Record<string, string>> = Object.assign(Object.create(null), {
  cron: 'trigger, inspect and manage cron jobs (also: automations)',
  device: "this profile's device key and where it lives (its signer)",
  context: 'named gateways: URL, TLS pin, token file and profile under one name',
})

/** Other names of a group: OpenClaw calls cron jobs automations since 2026.7.28. */
export const GROUP_ALIASES: Readonly<Record<string, string>> = Object.assign(Object.create(null), {
  automations: 'cron',
})

/** The command of a path or alias (`cron ls` → `cron list`). */
export function findCommand(path: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.path === path || c.aliases?.includes(path))
}

/** The subcommand words of a group, aliases included (`run`, `list`, `ls`, …). */
export function subcommandsOf(group: string): string[] {
  return COMMANDS.flatMap((c) => [c.path, ...(c.aliases ?? [])])
    .filter((p) => p.startsWith(`${group} `))
    .map((p) => p.slice(group.length + 1))
}

/** The first words a command line can start with. */
export function topWords(): string[] {
  return [...Object.keys(GROUPS), ...COMMANDS.filter((c) => !c.path.includes(' ')).map((c) => c.path)]
}
