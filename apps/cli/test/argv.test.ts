import { execFile, execFileSync, spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type FakeGateway, startFakeGateway } from '@clawlink/testkit/fake-gateway'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { EXIT } from '../src/exit-codes.js'
import { jsonText, sanitizeForTerminal, useColor } from '../src/output.js'
import { COMMAND_OPTIONS, COMMANDS, OPTION_DOCS } from '../src/spec.js'
import { closest, editDistance } from '../src/suggest.js'
import { BIN, type CliResult, runCli, sandbox } from './helpers.js'

// Each case spawns the bundle; on a loaded 2-core machine a table of them takes longer than the 5 s default.
vi.setConfig({ testTimeout: 120_000, hookTimeout: 60_000 })

const EVIL = 'evil\u001b]0;pwned\u0007\u009b2J'

let gw: FakeGateway
let env: Record<string, string>
let home: string

beforeAll(async () => {
  gw = await startFakeGateway({ jobs: [{ name: 'nightly' }, { name: EVIL }] })
  const box = sandbox()
  home = box.home
  // Any command that would connect goes to the fake gateway, which counts the sockets it accepts.
  env = { ...box.env, OPENCLAW_GATEWAY_URL: gw.url, OPENCLAW_GATEWAY_TOKEN: gw.token! }
})
afterAll(async () => {
  await gw?.close()
})

type Case = [argv: string[], code: number, stream: 'stdout' | 'stderr', fragment: string | RegExp]

const HELP_CASES: Case[] = [
  [[], EXIT.OK, 'stdout', 'Usage: clawlink <command> [options]'],
  [['--help'], EXIT.OK, 'stdout', 'completion <bash|zsh|fish>'],
  [['-h'], EXIT.OK, 'stdout', 'Commands:'],
  [['help'], EXIT.OK, 'stdout', 'Usage: clawlink <command> [options]'],
  [['help', 'cron', 'run'], EXIT.OK, 'stdout', 'Usage: clawlink cron run <job> [options]'],
  [['help', 'cron'], EXIT.OK, 'stdout', 'Usage: clawlink cron <command> [options]'],
  [['help', 'help'], EXIT.OK, 'stdout', 'Usage: clawlink help [command…] [options]'],
  [['help', '--help'], EXIT.OK, 'stdout', 'Usage: clawlink help [command…] [options]'],
  [['help', 'cron', 'ls'], EXIT.OK, 'stdout', 'Usage: clawlink cron list [options]'],
  [['cron', '--help'], EXIT.OK, 'stdout', 'cron runs [job]'],
  [['device', '-h'], EXIT.OK, 'stdout', 'device init'],
  [['cron', 'run', '--help'], EXIT.OK, 'stdout', '--timeout DUR'],
  [['cron', 'run', 'nightly', '--help'], EXIT.OK, 'stdout', 'Usage: clawlink cron run <job>'],
  [['--url', 'ws://127.0.0.1:1', 'cron', 'run', '-h'], EXIT.OK, 'stdout', 'Usage: clawlink cron run'],
  [['call', '--help'], EXIT.OK, 'stdout', '--params JSON|@FILE'],
  [['completion', '--help'], EXIT.OK, 'stdout', 'Usage: clawlink completion <bash|zsh|fish>'],
  [['--version'], EXIT.OK, 'stdout', /^clawlink \d+\.\d+\.\d+( \(unreleased: built from a checkout\))?\n$/],
  [['-v'], EXIT.OK, 'stdout', /^clawlink \d+\.\d+\.\d+( \(unreleased: built from a checkout\))?\n$/],
]

const USAGE_CASES: Case[] = [
  // Misplaced words: none of these may connect, let alone run "nightly".
  [['nightly', 'cron', 'run'], EXIT.USAGE, 'stderr', 'unknown command "nightly"'],
  [['nightly', 'cron', 'run'], EXIT.USAGE, 'stderr', 'fix: command words come first'],
  [['help', 'nightly', 'cron', 'run'], EXIT.USAGE, 'stderr', 'unknown command "nightly"'],
  // Words that name built-in object properties are no command group (they once reached an internal error).
  [['help', 'constructor'], EXIT.USAGE, 'stderr', 'unknown command "constructor"'],
  [['toString'], EXIT.USAGE, 'stderr', 'unknown command "toString"'],
  [['__proto__', '--help'], EXIT.USAGE, 'stderr', 'unknown command "__proto__"'],
  [
    ['help', 'cron', 'run', 'nightly'],
    EXIT.USAGE,
    'stderr',
    'unexpected argument "nightly" for help cron run',
  ],
  [['--json', 'nightly', 'cron', 'run'], EXIT.USAGE, 'stdout', '"code": "USAGE"'],
  [['run', 'nightly'], EXIT.USAGE, 'stderr', 'unknown command "run": did you mean "cron run"?'],
  [['crn', 'list'], EXIT.USAGE, 'stderr', 'unknown command "crn": did you mean "cron"?'],
  [['cron', 'lst'], EXIT.USAGE, 'stderr', 'unknown command "cron lst": did you mean "cron list"?'],
  [['cron', 'nightly'], EXIT.USAGE, 'stderr', 'unknown command "cron nightly"'],
  [['cron'], EXIT.USAGE, 'stderr', '"cron" needs a command: cron run, cron list, cron status, cron runs'],
  [['frobnicate'], EXIT.USAGE, 'stderr', 'unknown command "frobnicate"\n'],
  // Unknown flags, named, with the closest flag of that command.
  [
    ['cron', 'run', 'nightly', '--tiemout', '5m'],
    EXIT.USAGE,
    'stderr',
    'unknown option --tiemout for cron run: did you mean --timeout?',
  ],
  [['cron', 'list', '--al'], EXIT.USAGE, 'stderr', 'unknown option --al for cron list: did you mean --all?'],
  [
    ['cron', 'list', '--wait'],
    EXIT.USAGE,
    'stderr',
    /unknown option --wait for cron list: did you mean --wait-approval\?\n/,
  ],
  [['cron', 'list', '-x'], EXIT.USAGE, 'stderr', 'unknown option -x for cron list'],
  [['cron', 'list', '--version'], EXIT.USAGE, 'stderr', 'unknown option --version for cron list'],
  [['--verison'], EXIT.USAGE, 'stderr', 'unknown option --verison: did you mean --version?'],
  [['--url', 'ws://127.0.0.1:1'], EXIT.USAGE, 'stderr', '--url needs a command'],
  [['cron', 'run', 'nightly', '--wait=yes'], EXIT.USAGE, 'stderr', '--wait takes no value (cron run)'],
  [['cron', 'run', 'nightly', '--timeout'], EXIT.USAGE, 'stderr', '--timeout needs a value (cron run)'],
  // Extra or missing positionals.
  [['cron', 'list', 'extra'], EXIT.USAGE, 'stderr', 'unexpected argument "extra" for cron list'],
  [['cron', 'status', 'extra'], EXIT.USAGE, 'stderr', 'unexpected argument "extra" for cron status'],
  [['cron', 'run', 'nightly', 'extra'], EXIT.USAGE, 'stderr', 'unexpected argument "extra" for cron run'],
  [['doctor', 'now'], EXIT.USAGE, 'stderr', 'unexpected argument "now" for doctor'],
  [['device', 'show', 'me'], EXIT.USAGE, 'stderr', 'unexpected argument "me" for device show'],
  [['call', 'health', 'extra'], EXIT.USAGE, 'stderr', 'unexpected argument "extra" for call'],
  [['cron', 'run'], EXIT.USAGE, 'stderr', 'missing <job> for cron run'],
  [['completion'], EXIT.USAGE, 'stderr', 'missing <shell> for completion'],
  [['completion', 'bsh'], EXIT.USAGE, 'stderr', '"bsh" is not a shell clawlink knows: did you mean "bash"?'],
  // Secrets are refused and never echoed.
  [['cron', 'run', 'nightly', '--token', 'sekret-value'], EXIT.USAGE, 'stderr', '--token is not accepted'],
  [['--tokne=sekret-value', 'cron', 'list'], EXIT.USAGE, 'stderr', 'unknown option --tokne for cron list'],
]

function expectFragment(r: CliResult, stream: 'stdout' | 'stderr', fragment: string | RegExp) {
  if (typeof fragment === 'string') expect(r[stream]).toContain(fragment)
  else expect(r[stream]).toMatch(fragment)
}

describe('argv grammar (built bundle)', () => {
  it('help and --version at every level: exit 0, on stdout, nothing on stderr', async () => {
    for (const [argv, code, stream, fragment] of HELP_CASES) {
      const r = await runCli(argv, env)
      expect(r.code, argv.join(' ')).toBe(code)
      expectFragment(r, stream, fragment)
      expect(r.stderr, argv.join(' ')).toBe('')
    }
    expect(gw.connectionCount).toBe(0)
  })

  it('usage errors name the problem in two lines, exit 2, and never connect', async () => {
    for (const [argv, code, stream, fragment] of USAGE_CASES) {
      const r = await runCli(argv, env)
      const label = argv.join(' ')
      expect(r.code, label).toBe(code)
      expectFragment(r, stream, fragment)
      expect(`${r.stdout}${r.stderr}`, label).not.toContain('sekret-value')
      if (stream === 'stderr') {
        const lines = r.stderr.trimEnd().split('\n')
        expect(lines, label).toHaveLength(2) // the error and its fix, not the whole help
        expect(lines[0]).toMatch(/^clawlink: /)
        expect(lines[1]).toMatch(/^fix: /)
        expect(r.stdout, label).toBe('')
      }
    }
    expect(gw.connectionCount).toBe(0)
  })

  it('the same environment does reach the gateway when the command is well formed', async () => {
    const before = gw.connectionCount
    const r = await runCli(['--json', 'cron', 'run', 'nightly'], env)
    expect(r.code, r.stderr).toBe(EXIT.OK)
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, job: { name: 'nightly' } })
    expect(gw.connectionCount).toBeGreaterThan(before)
    // `--` ends the flags: a job may be named like a flag.
    const dashed = await runCli(['cron', 'runs', '--', '--help'], env)
    expect(dashed.code).toBe(EXIT.JOB_NOT_FOUND)
    expect(dashed.stderr).toContain('no cron job with id or name "--help"')
  })
})

describe('output hygiene', () => {
  it('gateway-supplied control characters reach the terminal escaped, and JSON escapes C1', async () => {
    const r = await runCli(['cron', 'list'], env)
    expect(r.code, r.stderr).toBe(EXIT.OK)
    expect(r.stdout).toContain('evil\\x1b]0;pwned\\x07\\x9b2J')
    expect(r.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/)
    const json = await runCli(['cron', 'list', '--json'], env)
    expect(json.stdout).toContain('\\u001b]0;pwned\\u0007\\u009b2J')
    expect(json.stdout).not.toMatch(/[\u007f-\u009f]/)
    expect(JSON.parse(json.stdout).jobs.map((j: { name: string }) => j.name)).toContain(EVIL)
  })

  it('EPIPE: a reader that goes away after the first line ends doctor quietly with its own exit code', async () => {
    const child = spawn(process.execPath, [BIN, 'doctor'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    let first = ''
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    child.stdout.on('data', (d: Buffer) => {
      first += d.toString()
      if (first.includes('\n')) child.stdout.destroy()
    })
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
    expect(first).toMatch(/^✓ settings/)
    expect(stderr).toBe('')
    expect(code).toBe(EXIT.OK)
  })

  it('EPIPE: `clawlink doctor | head -1` and `--help` into a closed pipe end without a stack trace', async () => {
    const script = `"${process.execPath}" "${BIN}" doctor | head -1; echo "exit=\${PIPESTATUS[0]}" >&2`
    const r = await new Promise<{ stdout: string; stderr: string }>((resolve) =>
      execFile('bash', ['-c', script], { env }, (_e, stdout, stderr) => resolve({ stdout, stderr })),
    )
    expect(r.stdout).toMatch(/^✓ settings .*\n$/)
    expect(r.stderr).toBe('exit=0\n')
    const help = spawn(process.execPath, [BIN, '--help'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    help.stdout.destroy() // closed before the bundle even starts writing
    let err = ''
    help.stderr.on('data', (d: Buffer) => {
      err += d.toString()
    })
    expect(await new Promise((resolve) => help.on('exit', resolve))).toBe(EXIT.OK)
    expect(err).toBe('')
  })

  /** Runs clawlink under a pseudo-terminal (util-linux `script`), so stdout and stderr are TTYs. */
  function underTty(extra: Record<string, string>): Promise<string> {
    const command = `"${process.execPath}" "${BIN}" cron list`
    return new Promise((resolve, reject) =>
      execFile(
        'script',
        ['-qc', command, '/dev/null'],
        { env: { ...env, SHELL: '/bin/sh', TERM: 'xterm', ...extra }, timeout: 30_000 },
        (error, stdout) => (error ? reject(error) : resolve(stdout)),
      ),
    )
  }

  it('colour only on a TTY, never with NO_COLOR (non-empty) or TERM=dumb', async () => {
    const coloured = await underTty({})
    expect(coloured).toContain('\u001b[2m… connecting to')
    expect(coloured).toContain('evil\\x1b]0;pwned') // sanitised under a TTY too
    expect(await underTty({ NO_COLOR: '' })).toContain('\u001b[2m') // empty NO_COLOR does not count
    for (const extra of [{ NO_COLOR: '1' }, { TERM: 'dumb' }] as Record<string, string>[]) {
      const plain = await underTty(extra)
      expect(plain, JSON.stringify(extra)).toContain('… connecting to')
      expect(plain, JSON.stringify(extra)).not.toContain('\u001b')
    }
    const piped = await runCli(['cron', 'list'], env) // not a TTY: no progress, no colour
    expect(piped.stderr).toBe('')
  })
})

describe('completion scripts from the command table', () => {
  const scripts: Record<string, string> = {}
  beforeAll(async () => {
    for (const shell of ['bash', 'zsh', 'fish']) {
      const r = await runCli(['completion', shell], env)
      expect(r.code, r.stderr).toBe(EXIT.OK)
      scripts[shell] = r.stdout
      writeFileSync(join(home, `clawlink.${shell}`), r.stdout)
    }
  })

  it('every script names every command word and every flag the parser accepts', () => {
    for (const [shell, text] of Object.entries(scripts)) {
      for (const spec of COMMANDS) {
        for (const word of spec.path.split(' ')) expect(text, `${shell}: ${spec.path}`).toContain(word)
        for (const flag of Object.keys(COMMAND_OPTIONS[spec.path]))
          expect(text, `${shell}: ${spec.path} --${flag}`).toMatch(new RegExp(`(--|-l )${flag}\\b`))
      }
    }
  })

  it('bash: valid syntax and completes commands, flags and values', () => {
    execFileSync('bash', ['-n', join(home, 'clawlink.bash')])
    const complete = (line: string) =>
      execFileSync(
        'bash',
        [
          '-c',
          `source "$1"; COMP_LINE="$2"; COMP_POINT=\${#2}; read -ra COMP_WORDS <<< "$2"
           [[ $2 == *' ' ]] && COMP_WORDS+=(''); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _clawlink
           echo "\${COMPREPLY[*]}"`,
          'x',
          join(home, 'clawlink.bash'),
          line,
        ],
        { encoding: 'utf8' },
      ).trim()
    expect(complete('clawlink cr')).toBe('cron')
    expect(complete('clawlink cron ')).toBe(
      'run list ls status runs show enable disable rm remove add edit export apply check',
    )
    expect(complete('clawlink --url ws://h:1 cron run nightly --w')).toBe('--wait-approval --wait')
    expect(complete('clawlink cron run x --signer k')).toBe('keychain')
    expect(complete('clawlink help device ')).toBe('show init pair rotate revoke')
    expect(complete('clawlink completion ')).toBe('bash zsh fish --help -h')
    // `audit` has a subcommand of its own: offered after it, and `audit verify` completes its own flags only.
    expect(complete('clawlink audit ')).toBe(
      'verify --since --audit-log --profile --profile-dir --json --help -h',
    )
    expect(complete('clawlink audit verify --')).toBe('--audit-log --profile --profile-dir --json --help')
  })

  it('zsh: valid syntax and registers _clawlink with compdef', () => {
    execFileSync('zsh', ['-n', join(home, 'clawlink.zsh')])
    const out = execFileSync(
      'zsh',
      [
        '-fc',
        `autoload -U compinit; compinit -u -d "$1/zcompdump"; source "$1/clawlink.zsh"; print $_comps[clawlink]`,
        'x',
        home,
      ],
      { encoding: 'utf8' },
    )
    expect(out.trim()).toBe('_clawlink')
  })

  it('fish: valid syntax and completes commands, flags and values with descriptions', () => {
    const file = join(home, 'clawlink.fish')
    execFileSync('fish', ['-n', file])
    const complete = (line: string) =>
      execFileSync('fish', ['-c', 'source $argv[1]; complete -C $argv[2]', file, line], { encoding: 'utf8' })
        .trim()
        .split('\n')
    expect(complete('clawlink ')).toContain('cron\ttrigger, inspect and manage cron jobs (also: automations)')
    expect(complete('clawlink cron ').map((l) => l.split('\t')[0])).toEqual([
      'add',
      'apply',
      'check',
      'disable',
      'edit',
      'enable',
      'export',
      'list',
      'ls',
      'remove',
      'rm',
      'run',
      'runs',
      'show',
      'status',
    ])
    expect(complete('clawlink --url ws://h:1 cron run nightly --w')).toEqual([
      expect.stringMatching(/^--wait\tcron run: follow the run/),
      expect.stringMatching(/^--wait-approval\tif the gateway asks an operator/),
    ])
    expect(complete('clawlink cron run x --signer k')[0]).toMatch(/^keychain\t/)
    expect(complete('clawlink help device ').map((l) => l.split('\t')[0])).toEqual([
      'init',
      'pair',
      'revoke',
      'rotate',
      'show',
    ])
    expect(complete('clawlink completion ')).toEqual(['bash', 'fish', 'zsh'])
  })
})

describe('units: sanitiser, suggestions, command table', () => {
  it('sanitizeForTerminal escapes ESC, BEL, C1, CR, DEL and bidi controls; keeps \\n, \\t and text', () => {
    expect(sanitizeForTerminal('\u001b[2J\u001b[Hok')).toBe('\\x1b[2J\\x1b[Hok')
    expect(sanitizeForTerminal('title\u001b]0;owned\u0007')).toBe('title\\x1b]0;owned\\x07')
    expect(sanitizeForTerminal('csi\u009b31m, nel\u0085, st\u009c')).toBe('csi\\x9b31m, nel\\x85, st\\x9c')
    expect(sanitizeForTerminal('run FAILED\r✓ run ok')).toBe('run FAILED\\x0d✓ run ok')
    expect(sanitizeForTerminal('a\u0000b\u0008c\u007f')).toBe('a\\x00b\\x08c\\x7f')
    expect(sanitizeForTerminal('file\u202eexe.txt')).toBe('file\\u202eexe.txt')
    expect(sanitizeForTerminal('line 1\n\tline 2 — café 夜 🦞')).toBe('line 1\n\tline 2 — café 夜 🦞')
    const once = sanitizeForTerminal(EVIL)
    expect(sanitizeForTerminal(once)).toBe(once)
  })

  it('jsonText keeps the value and escapes what JSON.stringify leaves raw', () => {
    const text = jsonText({ name: EVIL, bidi: '\u202e' })
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/)
    expect(JSON.parse(text)).toEqual({ name: EVIL, bidi: '\u202e' })
  })

  it('useColor: TTY only, NO_COLOR non-empty and TERM=dumb turn it off', () => {
    expect(useColor({ isTTY: true }, { TERM: 'xterm' })).toBe(true)
    expect(useColor({ isTTY: false }, { TERM: 'xterm' })).toBe(false)
    expect(useColor({}, {})).toBe(false)
    expect(useColor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false)
    expect(useColor({ isTTY: true }, { NO_COLOR: '' })).toBe(true)
    expect(useColor({ isTTY: true }, { TERM: 'dumb' })).toBe(false)
  })

  it('suggestions by edit distance, swaps counting once; nothing when nothing is close', () => {
    expect(editDistance('tiemout', 'timeout')).toBe(1)
    expect(editDistance('crn', 'cron')).toBe(1)
    expect(editDistance('', 'abc')).toBe(3)
    expect(closest('tiemout', ['timeout', 'wait', 'due'])).toBe('timeout')
    expect(closest('STATSU', ['run', 'status'])).toBe('status')
    expect(closest('sig', ['signer', 'signer-option', 'json'])).toBeUndefined() // two prefixes: no guess
    expect(closest('comp', ['completion', 'cron'])).toBe('completion')
    expect(closest('nightly', ['cron', 'device', 'doctor', 'call', 'help'])).toBeUndefined()
  })

  it('the table: every flag documented, one type per flag name, every command with examples', () => {
    const types = new Map<string, string>()
    for (const spec of COMMANDS) {
      expect(spec.examples.length, spec.path).toBeGreaterThan(0)
      for (const [name, option] of Object.entries(COMMAND_OPTIONS[spec.path])) {
        expect(OPTION_DOCS[name], `--${name}`).toBeDefined()
        expect(types.get(name) ?? option.type, `--${name}`).toBe(option.type)
        types.set(name, option.type)
      }
    }
  })
})
