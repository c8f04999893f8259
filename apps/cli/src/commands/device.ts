import { existsSync } from 'node:fs'
import { createFileDeviceTokenStore } from '@clawlink/client'
import {
  builtinSigners,
  describeSignerSpec,
  loadProfileSettings,
  loadSigner,
  saveProfileSettings,
} from '@clawlink/config'
import { base64UrlEncode, deriveDeviceId } from '@clawlink/protocol'
import { parseCommand } from '../args.js'
import { CliError, EXIT } from '../exit-codes.js'
import { createOutput } from '../output.js'
import { settingsFrom } from '../session.js'

export async function deviceShow(argv: string[]): Promise<number> {
  const { values } = parseCommand(argv, 'device show')
  const out = createOutput(values.json === true)
  const settings = await settingsFrom(values)
  const signerText = describeSignerSpec(settings.signer, settings.paths.identityFile, settings.profile)
  const signer = await loadSigner(settings.signer, settings.paths, {
    create: false,
    profile: settings.profile,
  })
  if (!signer) {
    out.result(`profile ${settings.profile}: no device identity (token-only: --signer none)`, {
      ok: true,
      profile: settings.profile,
      signer: signerText,
      deviceId: null,
    })
    return EXIT.OK
  }
  const deviceId = deriveDeviceId(signer.publicKey)
  // Metadata only: the token itself is a credential and is never printed.
  const cached = await createFileDeviceTokenStore(settings.paths.deviceTokensFile).list(deviceId)
  const tokens = cached.map(({ key, token }) => ({
    gateway: key.gateway,
    role: key.role,
    scopes: token.scopes,
    issuedAtMs: token.issuedAtMs ?? null,
  }))
  const tokenLines =
    tokens.length === 0
      ? ['device token: none cached (the next connect with the shared token pairs this device)']
      : tokens.map(
          (t, i) =>
            `${i === 0 ? 'device token:' : '             '} cached for ${t.gateway}${t.scopes.length ? `, scopes ${t.scopes.join(' ')}` : ''}`,
        )
  const human = [
    `profile:      ${settings.profile} (${settings.paths.dir})`,
    `deviceId:     ${deviceId}`,
    `public key:   ${base64UrlEncode(signer.publicKey)}`,
    `signer:       ${signerText} (from ${settings.signerSource})`,
    ...tokenLines,
  ].join('\n')
  out.result(human, {
    ok: true,
    profile: settings.profile,
    deviceId,
    publicKey: base64UrlEncode(signer.publicKey),
    signer: signerText,
    deviceTokens: tokens,
  })
  return EXIT.OK
}

/**
 * The signers' `device init` actions given (`--pkcs11-generate`), each checked against the chosen signer.
 * @throws CliError USAGE when an action belongs to another signer
 */
function initActions(values: Record<string, unknown>, kind: string): Record<string, boolean> {
  const actions: Record<string, boolean> = {}
  for (const d of builtinSigners)
    for (const { flag } of d.initActions ?? []) {
      if (values[flag] !== true) continue
      if (d.kind !== kind) {
        const required = d.options.filter((o) => o.required).map((o) => ` --${o.flag} ${o.arg}`)
        throw new CliError('USAGE', `--${flag} needs --signer ${d.kind}`, {
          remedy: `add --signer ${d.kind}${required.join('')}`,
          exitCode: EXIT.USAGE,
        })
      }
      actions[flag] = true
    }
  return actions
}

export async function deviceInit(argv: string[]): Promise<number> {
  const { values } = parseCommand(argv, 'device init')
  const out = createOutput(values.json === true)
  const settings = await settingsFrom(values)
  const saved = loadProfileSettings(settings.paths)
  const spec = settings.signer
  if (
    saved &&
    JSON.stringify(saved.signer) !== JSON.stringify(spec) &&
    settings.signerSource === '--signer'
  ) {
    throw new CliError(
      'PROFILE_EXISTS',
      `profile "${settings.profile}" already uses ${describeSignerSpec(saved.signer, settings.paths.identityFile, settings.profile)}`,
      {
        remedy: `keep it, or use another profile (--profile NAME); switching keys means pairing the device again`,
        exitCode: EXIT.USAGE,
      },
    )
  }
  const existed = spec.kind === 'file' && existsSync(spec.keyFile ?? settings.paths.identityFile)
  const signer = await loadSigner(spec, settings.paths, {
    create: true,
    profile: settings.profile,
    actions: initActions(values as Record<string, unknown>, spec.kind),
  })
  if (!saved) saveProfileSettings(settings.paths, { version: 1, signer: spec, createdAtMs: Date.now() })
  const deviceId = signer ? deriveDeviceId(signer.publicKey) : null
  const what = describeSignerSpec(spec, settings.paths.identityFile, settings.profile)
  const verb = saved || existed ? 'already initialised' : 'initialised'
  out.result(
    `profile ${settings.profile} ${verb}: ${what}${deviceId ? `\ndeviceId ${deviceId}\nnext: any command connects and pairs it (on loopback automatically; elsewhere approve it with "openclaw devices approve")` : ''}`,
    { ok: true, profile: settings.profile, signer: what, deviceId, created: !(saved || existed) },
  )
  return EXIT.OK
}
