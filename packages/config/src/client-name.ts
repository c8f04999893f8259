import { hostname, userInfo } from 'node:os'

type Env = Record<string, string | undefined>

const MAX_PART = 32

const PLAIN_ASCII = /^[\x20-\x7e]*$/

/** Printable ASCII-safe text: control characters (C0, DEL, C1) and line/format separators dropped, trimmed. */
function clean(text: string): string {
  // Printable ASCII (the usual user and host name) has none of them: V8 builds the Unicode classes below when the
  // expression is first evaluated, a millisecond of every command's start-up.
  const printable = PLAIN_ASCII.test(text)
    ? text
    : Array.from(text)
        .filter((ch) => !/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(ch))
        .join('')
  return Array.from(printable.trim()).slice(0, MAX_PART).join('')
}

/** The login name: the account database, else `$USER`/`$LOGNAME`, else `uid<N>` (containers without passwd). */
export function currentUserName(env: Env): string {
  let name: string | undefined
  try {
    name = userInfo().username
  } catch {
    name = undefined
  }
  name = clean(name || env.USER || env.LOGNAME || '')
  if (name) return name
  const uid = process.getuid?.()
  return uid === undefined ? 'user' : `uid${uid}`
}

/** The short host name (up to the first dot), cleaned; `host` when the OS gives nothing usable. */
export function shortHostName(name = hostname()): string {
  return clean(name.split('.')[0] ?? '') || 'host'
}

/**
 * `clawlink <profile> (<user>@<host>)`: the gateway tells paired clients apart by id, mode and display name, so
 * each profile, user and host needs its own name or their pairings evict each other; the operator sees it in
 * `openclaw devices list`. {@link withKeyTag} adds the key's tag before it is sent.
 */
export function clientDisplayName(profile: string, env: Env, host = hostname()): string {
  return `clawlink ${clean(profile) || 'default'} (${currentUserName(env)}@${shortHostName(host)})`
}

/** How many hex digits of the deviceId tag a display name: enough to tell a user's keys apart at a glance. */
export const KEY_TAG_LENGTH = 8

/**
 * `<name> #<first 8 hex of the deviceId>`: two HOMEs of one user, host and profile (CI runners, containers sharing
 * a hostname) hold different keys, so with the tag they are never the "same client" whose older silent pairing the
 * gateway retires a minute after the newer one paired; the operator can tell them apart in `openclaw devices list`.
 */
export function withKeyTag(name: string, deviceId: string | undefined): string {
  const tag = deviceId
    ?.toLowerCase()
    .replace(/[^0-9a-f]/g, '')
    .slice(0, KEY_TAG_LENGTH)
  return tag ? `${name} #${tag}` : name
}
