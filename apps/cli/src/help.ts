import { CONNECTION_HELP } from './args.js'

const EXITS = `Exit codes: 0 ok, 2 usage, 3 config, 4 signer/key, 5 unreachable, 6 auth, 7 pairing required,
8 missing scope, 9 job not found, 10 run failed, 11 timeout, 12 protocol mismatch, 13 already running,
14 ambiguous job name, 15 rate limited, 16 other gateway error, 17 TLS/insecure URL, 1 internal.`

/** Help text of every command, with examples. */
export const HELP = {
  main: `clawlink — trigger OpenClaw cron jobs (and call any gateway method) from outside the gateway

Usage: clawlink <command> [options]

Commands:
  cron run <job>        run a job now (id or exact name); --wait follows it to the end
  cron list             list jobs
  cron status           scheduler status
  cron runs <job>       recent runs of a job
  device show           this device: id, public key, signer, cached device token
  device init           create the device key and choose where it lives (file, keychain, ssh-agent, exec, plug-in)
  doctor                check every step of the connection and say which one fails and how to fix it
  call <method>         call any gateway method with JSON params

Examples:
  OPENCLAW_GATEWAY_TOKEN=… clawlink cron run nightly-report --wait
  clawlink --help | clawlink cron run --help
  clawlink --token-file ~/.openclaw/gateway.token cron list --json

Run "clawlink <command> --help" for a command's options.
${EXITS}`,
  'cron run': `Usage: clawlink cron run <job> [--due] [--wait] [--timeout 10m] [connection options]

Runs a cron job now. <job> is a job id or an exact job name (resolved with cron.list).
  --due             run only if it is due (mode "due"); otherwise "force" (the default)
  --wait            follow the run to its end (cron events, with cron.runs polling as fallback);
                    exit 10 if it failed
  --timeout DUR     how long --wait waits (default 10m); e.g. 30s, 5m, 1h

Examples:
  clawlink cron run nightly-report --wait
  clawlink cron run 8a1a9993-0c5e-4f1c-9b0e-2f6f1d2b3c4d --due --json

${CONNECTION_HELP}

${EXITS}`,
  'cron list': `Usage: clawlink cron list [--all] [--json] [connection options]

Lists cron jobs: id, name, enabled, schedule, next and last run.
  --all   include disabled jobs

Example: clawlink cron list --all --json

${CONNECTION_HELP}`,
  'cron status': `Usage: clawlink cron status [--json] [connection options]

Shows the scheduler status: enabled, job count, next wake, store.

${CONNECTION_HELP}`,
  'cron runs': `Usage: clawlink cron runs <job> [--limit 20] [--json] [connection options]

Shows recent runs of a job (id or exact name), newest first.

Example: clawlink cron runs nightly-report --limit 5

${CONNECTION_HELP}`,
  'device show': `Usage: clawlink device show [--json] [--profile NAME] [signer options]

Shows this profile's device: deviceId, public key, which signer holds the key, and whether a device token is
cached (never the token itself). Creates nothing.`,
  'device init': `Usage: clawlink device init [--signer KIND] [signer options] [--profile NAME]

Creates the device key (where the signer keeps keys) and records the signer in the profile, which the CLI and
clawlink-mcp share, so one pairing serves both. An existing key is never replaced.

Signers:
  --signer file [--key-file FILE]                 a 0600 JSON key file (default: <profile>/device-key.json);
                                                  also reads OpenClaw's identity/device.json
  --signer keychain [--keychain-account NAME]     the OS keychain (Secret Service, macOS Keychain, Windows)
  --signer agent [--agent-key SHA256:…|COMMENT] [--agent-socket PATH]
                                                  an ssh-agent holding an ssh-ed25519 key
  --signer exec --exec-command '["/usr/local/bin/kms-sign","--key","dev"]' [--exec-public-key B64URL]
                                                  your HSM/KMS program: payload on stdin, signature on stdout
  --signer pkcs11 --pkcs11-uri 'pkcs11:token=…;object=…?module-path=…' [--pkcs11-generate]
                                                  an Ed25519 key inside a PKCS#11 token (HSM, YubiHSM, SoftHSM2);
                                                  PIN from pin-source=file:… (0600), CLAWLINK_PKCS11_PIN or a prompt;
                                                  --pkcs11-generate makes the key pair on the token if none matches
  --signer ./my-signer.mjs [--signer-option k=v …]
                                                  any module exporting createSigner(options)
Examples:
  clawlink device init
  clawlink device init --signer agent --agent-key "SHA256:Ih3f…"
  clawlink device init --signer pkcs11 --pkcs11-generate \
    --pkcs11-uri 'pkcs11:token=clawlink;object=device?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/home/me/.config/clawlink/pin'`,
  doctor: `Usage: clawlink doctor [--json] [connection options]

Walks each step — settings, URL reachable, TLS pin, challenge, protocol, auth, signature and clock skew,
pairing, scopes for cron.run — printing each as passed or failed with the fix; stops at the first failure.

${CONNECTION_HELP}`,
  call: `Usage: clawlink call <method> [--params JSON | --params @file.json] [--timeout 30s] [connection options]

Calls any gateway method and prints its result as JSON.

Examples:
  clawlink call health
  clawlink call cron.add --params @job.json

${CONNECTION_HELP}`,
} as const
