import { connect as tcpConnect } from 'node:net'
import {
  cachedDeviceToken,
  bareHost,
  ClientError,
  createFileDeviceTokenStore,
  type GatewayClient,
  gatewayKey,
  getDevicePairing,
  isApprovalError,
  isLoopbackHost,
  isPrivateHost,
} from '@clawlink/client'
import {
  checkSigner,
  describeSettings,
  describeSignerSpec,
  loadSigner,
  type ResolvedSettings,
} from '@clawlink/config'
import {
  approveCommand,
  deriveDeviceId,
  GatewayError,
  missingScope,
  scopeSatisfies,
} from '@clawlink/protocol'
import { commandTimeout, parseCommand } from '../args.js'
import { EXIT, exitCodeFor } from '../exit-codes.js'
import { createOutput, describeError, jsonText, oneLine } from '../output.js'
import { openSession, settingsFrom } from '../session.js'

interface Step {
  step: string
  ok: boolean
  /** `warn`: not verified and likely to fail; shown with `!` rather than a ✓ it did not earn. */
  mark?: 'warn'
  detail: string
  fix?: string
  /** The device token step: its age in ms (for --json). */
  ageMs?: number
}

function reachable(url: string, timeoutMs: number): Promise<string | undefined> {
  const u = new URL(url)
  const port = Number(u.port || (u.protocol === 'wss:' ? 443 : 80))
  const host = bareHost(u.hostname)
  return new Promise((resolve) => {
    const socket = tcpConnect({ host, port })
    const done = (error?: string) => {
      socket.destroy()
      resolve(error)
    }
    socket.setTimeout(timeoutMs, () => done(`no answer from ${host}:${port} in ${timeoutMs} ms`))
    socket.once('connect', () => done())
    socket.once('error', (e: NodeJS.ErrnoException) => done(`${host}:${port}: ${e.code ?? e.message}`))
  })
}

// Which handshake step an error belongs to (docs/protocol.md §2.5 check order).
function stepOf(error: unknown): string {
  const code = error instanceof GatewayError || error instanceof ClientError ? error.code : ''
  if (code.startsWith('TLS_') || code === 'INSECURE_URL') return 'TLS'
  if (code === 'CHALLENGE_TIMEOUT' || code === 'CLOSED_BEFORE_HELLO') return 'challenge'
  if (code === 'PROTOCOL_MISMATCH') return 'protocol'
  if (code.startsWith('DEVICE_')) return 'signature and clock'
  if (code.startsWith('AUTH_') || code === 'DEVICE_IDENTITY_REQUIRED') return 'auth'
  if (code === 'PAIRING_REQUIRED' || code === 'SCOPE_UPGRADE_PENDING') return 'pairing'
  if (code === 'NO_SCOPES_TOKEN_ONLY' || code === 'MISSING_SCOPE' || code === 'SCOPE_PREFLIGHT')
    return 'scopes for cron.run'
  return 'connect'
}

/** Without a shared secret only a device token cached for THIS gateway can authenticate (docs/protocol.md §5.6). */
async function credentialsStep(settings: ResolvedSettings, deviceId: string | undefined): Promise<Step> {
  const fix = "pass --token-file FILE (the gateway host's gateway.auth.token) or set OPENCLAW_GATEWAY_TOKEN"
  if (!deviceId)
    return {
      step: 'credentials',
      ok: false,
      mark: 'warn',
      detail: 'no shared token, no password and no device key',
      fix,
    }
  const gateway = gatewayKey(settings.url, settings.tlsFingerprints)
  const cached = (await createFileDeviceTokenStore(settings.paths.deviceTokensFile).list(deviceId)).find(
    (t) => t.key.gateway === gateway,
  )
  return cached
    ? { step: 'credentials', ok: true, detail: `no shared token; a device token is cached for ${gateway}` }
    : {
        step: 'credentials',
        ok: false,
        mark: 'warn',
        detail: `no shared token and no device token cached for ${gateway}: the gateway will refuse the connect`,
        fix,
      }
}

/** Where the gateway is, seen from here: loopback pairs silently; plaintext to another host is visible on the way. */
function remoteStep(url: string): Step {
  const u = new URL(url)
  const host = bareHost(u.hostname)
  if (isLoopbackHost(host))
    return { step: 'remote', ok: true, detail: `loopback (${host}): the gateway pairs this device silently` }
  if (u.protocol === 'wss:')
    return {
      step: 'remote',
      ok: true,
      detail: `remote ${host} over wss://: new devices need an operator's approval`,
    }
  return {
    step: 'remote',
    ok: true,
    mark: 'warn',
    detail: `plaintext ws:// to non-loopback ${isPrivateHost(host) ? 'private' : 'public'} host ${host}: the token and every frame can be read on that network; new devices need an operator's approval`,
    fix: 'use wss:// with --tls-fingerprint (docs/remote-gateway.md), or a tunnel (ssh -L, tailnet)',
  }
}

/** The pairing state when the gateway refused for want of approval: the requestId and what to run. */
function pendingStep(error: GatewayError): Step {
  const what = error.code === 'SCOPE_UPGRADE_PENDING' ? 'a scope upgrade' : 'pairing'
  return {
    step: 'pairing',
    ok: false,
    detail: `${what} is pending approval: requestId ${error.requestId ?? '(none sent)'}; the operator sees this host's address as remoteIp in openclaw devices list`,
    fix: `on the gateway host run "${approveCommand(error.requestId)}" (or rerun with --wait-approval / clawlink device pair --wait)`,
  }
}

/** Paired: what the gateway recorded about this device (needs operator.pairing or admin to read). */
async function pairedDetail(client: GatewayClient): Promise<string> {
  const id = client.deviceId
  if (!id) return 'no device (token-only)'
  const base = `device ${id.slice(0, 16)}… is paired`
  if (!scopeSatisfies(client.scopes, 'operator.pairing')) return base
  try {
    const pairing = await getDevicePairing(client, { timeoutMs: 10_000 })
    const me = pairing?.paired
    const pending = pairing?.pendingRequestIds ?? []
    const parts = [
      me?.remoteIp ? `the gateway saw it from ${me.remoteIp}` : undefined,
      me?.approvedVia ? `approved via ${me.approvedVia}` : undefined,
      me?.scopes ? `approved scopes ${me.scopes.join(' ')}` : undefined,
      pending.length ? `pending request ${pending.join(', ')}` : undefined,
    ].filter(Boolean)
    return parts.length ? `${base}; ${parts.join('; ')}` : base
  } catch {
    return base
  }
}

/** Where each step's line goes, and how a thrown error becomes a failed step and an exit code. */
interface Report {
  print(step: Step): void
  fail(step: string, error: unknown): number
}

/** The checks that need no gateway: settings, signer, device key, credentials, TCP reach. Exit code on failure. */
async function localSteps(
  values: Record<string, unknown>,
  report: Report,
): Promise<ResolvedSettings | number> {
  const { print, fail } = report
  let settings: ResolvedSettings
  try {
    settings = await settingsFrom(values)
  } catch (error) {
    return fail('settings', error)
  }
  const shown = describeSettings(settings)
  print({
    step: 'settings',
    ok: true,
    detail: `url ${shown.url}; token ${shown.token}${settings.password ? `; password ${shown.password}` : ''}; config ${shown.openclawConfig}`,
  })
  // A signer's own walk (PKCS#11: module load, slot, login, key type): each step its own line, so the failing
  // one carries its fix.
  for (const check of (await checkSigner(settings.signer)) ?? []) {
    print({
      step: `${settings.signer.kind} ${check.step}`,
      ok: check.ok,
      detail: check.detail,
      ...(check.fix ? { fix: check.fix } : {}),
    })
    if (!check.ok) return EXIT.SIGNER
  }
  let deviceId: string | undefined
  try {
    const signer = await loadSigner(settings.signer, settings.paths, {
      create: false,
      profile: settings.profile,
    })
    deviceId = signer ? deriveDeviceId(signer.publicKey) : undefined
    print({
      step: 'device key',
      ok: true,
      detail: deviceId
        ? `${describeSignerSpec(settings.signer, settings.paths.identityFile, settings.profile)}, deviceId ${deviceId.slice(0, 16)}…`
        : 'none (token-only)',
    })
  } catch (error) {
    return fail('device key', error)
  }
  if (!settings.token && !settings.password) print(await credentialsStep(settings, deviceId))
  const unreachable = await reachable(settings.url, 5000)
  if (unreachable) {
    const fix = 'is the gateway running (openclaw gateway status)? is the URL right?'
    print({ step: 'reachable', ok: false, detail: unreachable, fix })
    return EXIT.UNREACHABLE
  }
  print({ step: 'reachable', ok: true, detail: `${settings.url} (a TCP connection opened)` })
  print(remoteStep(settings.url))
  return settings
}

/** The handshake, step by step, then pairing and scopes: only what the gateway's answers proved is marked ✓. */
async function gatewaySteps(
  values: Record<string, unknown>,
  settings: ResolvedSettings,
  out: ReturnType<typeof createOutput>,
  report: Report,
): Promise<number> {
  const { print } = report
  let session: Awaited<ReturnType<typeof openSession>> | undefined
  try {
    const wait = values['wait-approval'] === true
    session = await openSession(values, out, {
      deadlineMs: commandTimeout(values.timeout as string | undefined, wait),
      waitApproval: wait,
      settings,
    })
    const client = session.client
    const hello = await client.connect()
    // The TLS step is only marked once the handshake proved it (the pin matched, or the CA chain validated).
    if (settings.url.startsWith('wss:'))
      print({
        step: 'TLS',
        ok: true,
        detail:
          settings.tlsFingerprints.length > 0
            ? `certificate matched the pin (${settings.tlsSource})`
            : 'certificate validated by the system CAs (no pin)',
      })
    print({ step: 'challenge', ok: true, detail: 'connect.challenge received' })
    const version = hello.server.version ?? 'unknown version'
    print({
      step: 'protocol',
      ok: true,
      detail: `negotiated ${hello.protocol} (offered 3..4), gateway ${version}`,
    })
    print({ step: 'auth', ok: true, detail: `by ${client.authMethod}` })
    print(clockStep(client.clockSkewMs))
    print({ step: 'pairing', ok: true, detail: await pairedDetail(client) })
    if (client.deviceId) print(await deviceTokenStep(client))
    return scopesStep(client, hello, print)
  } catch (error) {
    if (!isApprovalError(error)) return report.fail(stepOf(error), error)
    print(pendingStep(error))
    return exitCodeFor(error)
  } finally {
    await session?.close()
  }
}

/** The device token's age (issuedAtMs from hello-ok, kept in the token store): old tokens are worth a rotate. */
async function deviceTokenStep(client: GatewayClient): Promise<Step> {
  const cached = await cachedDeviceToken(client)
  if (!cached) return { step: 'device token', ok: true, detail: 'none cached for this gateway' }
  if (cached.issuedAtMs === undefined)
    return { step: 'device token', ok: true, detail: 'cached; the gateway did not say when it was issued' }
  const ageMs = Math.max(0, Date.now() - cached.issuedAtMs)
  return {
    step: 'device token',
    ok: true,
    detail: `issued ${formatAge(ageMs)} ago (${new Date(cached.issuedAtMs).toISOString()}); replace it with clawlink device rotate`,
    ageMs,
  }
}

function formatAge(ms: number): string {
  const s = Math.round(ms / 1000)
  if (s < 120) return `${s} s`
  if (s < 7200) return `${Math.round(s / 60)} min`
  if (s < 172_800) return `${Math.round(s / 3600)} h`
  return `${Math.round(s / 86_400)} d`
}

function clockStep(skew: number | undefined): Step {
  const detail =
    skew === undefined
      ? 'signed with the gateway challenge time'
      : `clock skew ${Math.round(skew)} ms (signatures use the gateway's time)`
  return {
    step: 'signature and clock',
    ok: true,
    detail,
    ...(skew !== undefined && Math.abs(skew) > 60_000
      ? { fix: 'fix this machine clock (NTP): other tools will fail at ±120 s' }
      : {}),
  }
}

function scopesStep(
  client: GatewayClient,
  hello: Awaited<ReturnType<GatewayClient['connect']>>,
  print: (step: Step) => void,
): number {
  const missing = missingScope(client.scopes, 'cron.run', hello.protocol)
  if (missing) {
    print({
      step: 'scopes for cron.run',
      ok: false,
      detail: `this connection holds [${client.scopes.join(', ')}], cron.run needs ${missing}`,
      fix: client.deviceId
        ? 'approve the scope upgrade: openclaw devices approve <requestId>'
        : 'use a device signer (clawlink device init): token-only connections get no scopes on most gateways',
    })
    return EXIT.MISSING_SCOPE
  }
  // What the gateway itself said: v4 lists the socket's live scopes, v3 the device token's (docs/protocol.md §3).
  const granted = hello.auth ? `[${hello.auth.scopes.join(' ')}]` : 'nothing (hello-ok had no auth)'
  print({
    step: 'scopes for cron.run',
    ok: true,
    detail: `gateway granted ${granted}${hello.scopesAreLive ? '' : " (the device token's scopes; protocol 3)"}; this connection uses [${client.scopes.join(' ')}]`,
  })
  return EXIT.OK
}

export async function doctor(argv: string[]): Promise<number> {
  const { values } = parseCommand(argv, 'doctor')
  commandTimeout(values.timeout, false) // a bad --timeout is a usage error before any check runs
  const out = createOutput(values.json === true)
  const steps: Step[] = []
  const report: Report = {
    print(s) {
      steps.push(s)
      if (!out.json)
        process.stdout.write(
          `${s.mark === 'warn' ? '!' : s.ok ? '✓' : '✗'} ${s.step.padEnd(20)} ${oneLine(s.detail)}${s.fix ? `\n  fix: ${oneLine(s.fix)}` : ''}\n`,
        )
    },
    fail(step, error) {
      const d = describeError(error)
      report.print({ step, ok: false, detail: d.message, fix: d.remedy })
      return exitCodeFor(error)
    },
  }
  const settings = await localSteps(values, report)
  const code = typeof settings === 'number' ? settings : await gatewaySteps(values, settings, out, report)
  if (out.json) process.stdout.write(`${jsonText({ ok: code === 0, steps })}\n`)
  return code
}
