import { readFileSync, statSync } from 'node:fs'
import { Pkcs11SignerError } from './errors.js'
import { withDeadline } from '@clawlink/signer-kit'

/** Where a PIN came from (never the PIN itself), for doctor and messages. */
export type PinOrigin = 'option' | 'pin-source' | 'CLAWLINK_PKCS11_PIN' | 'tty'

const PIN_HELP =
  'put the user PIN in a file only you can read (chmod 600) and add pin-source=file:/path to the URI, set CLAWLINK_PKCS11_PIN, or run from a terminal to be asked'

/**
 * Reads a PIN file; it must be a regular file owned by this user and readable by nobody else (0600 or 0400).
 * @throws SignerError PKCS11_PIN_FILE_INSECURE, PKCS11_PIN_REQUIRED
 */
export function readPinFile(path: string): string {
  let stat: ReturnType<typeof statSync>
  try {
    stat = statSync(path)
  } catch (cause) {
    throw new Pkcs11SignerError('PKCS11_PIN_REQUIRED', `the pin-source file ${path} cannot be read`, {
      cause,
      remedy: `create it (umask 077; printf '%s' "$PIN" > ${path}) or fix pin-source in the URI`,
    })
  }
  const uid = process.getuid?.()
  const mode = stat.mode & 0o777
  if (!stat.isFile() || (mode & 0o177) !== 0 || (uid !== undefined && stat.uid !== uid)) {
    const owner = uid !== undefined && stat.uid !== uid ? `, owned by uid ${stat.uid}` : ''
    throw new Pkcs11SignerError(
      'PKCS11_PIN_FILE_INSECURE',
      `the pin-source file ${path} has mode ${mode.toString(8).padStart(4, '0')}${owner}; it was not used`,
      { remedy: `chmod 600 ${path} (and chown it to yourself)` },
    )
  }
  // One trailing newline is what `echo` leaves; the PIN itself may contain any other byte.
  return readFileSync(path, 'utf8').replace(/\r?\n$/, '')
}

/** Reads a line from the terminal without echo; rejects on abort, Ctrl-C or end of input. */
function promptTty(question: string, signal: AbortSignal | undefined): Promise<string> {
  return withDeadline((bound) => readHidden(question, bound), {
    signal,
    onAbort: () => new Pkcs11SignerError('ABORTED', 'the PIN prompt was aborted'),
  })
}

/** The prompt itself; the terminal is given back (echo on, input paused) when a line is in or `signal` aborts. */
function readHidden(question: string, signal: AbortSignal): Promise<string> {
  const input = process.stdin
  return new Promise((resolve, reject) => {
    let pin = ''
    const finish = (error?: unknown) => {
      input.setRawMode(false)
      input.off('data', onData)
      input.pause()
      signal.removeEventListener('abort', onAbort)
      process.stderr.write('\n')
      if (error) reject(error)
      else resolve(pin)
    }
    const onAbort = () => finish(signal.reason)
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish()
        if (ch === '\u0003' || ch === '\u0004')
          return finish(
            new Pkcs11SignerError('PKCS11_PIN_REQUIRED', 'no PIN was entered', { remedy: PIN_HELP }),
          )
        if (ch === '\u007f' || ch === '\b') pin = pin.slice(0, -1)
        else pin += ch
      }
    }
    signal.addEventListener('abort', onAbort, { once: true })
    // Echo off before the prompt shows: a PIN typed ahead must not appear either.
    input.setRawMode(true)
    process.stderr.write(question)
    input.resume()
    input.on('data', onData)
  })
}

/**
 * The user PIN, in this order: the `pin` option, the URI's pin-source file, CLAWLINK_PKCS11_PIN, a terminal
 * prompt without echo. Never argv.
 * @throws SignerError PKCS11_PIN_REQUIRED, PKCS11_PIN_FILE_INSECURE, ABORTED
 */
export async function resolvePin(init: {
  pin?: string | undefined
  pinSource?: string | undefined
  tokenLabel: string
  env?: NodeJS.ProcessEnv
  signal?: AbortSignal | undefined
}): Promise<{ pin: string; origin: PinOrigin }> {
  if (init.pin !== undefined) return { pin: init.pin, origin: 'option' }
  if (init.pinSource) return { pin: readPinFile(init.pinSource), origin: 'pin-source' }
  const env = init.env ?? process.env
  const fromEnv = env.CLAWLINK_PKCS11_PIN
  if (fromEnv !== undefined && fromEnv !== '') return { pin: fromEnv, origin: 'CLAWLINK_PKCS11_PIN' }
  if (process.stdin.isTTY && process.stderr.isTTY) {
    return { pin: await promptTty(`PIN for token "${init.tokenLabel}": `, init.signal), origin: 'tty' }
  }
  throw new Pkcs11SignerError(
    'PKCS11_PIN_REQUIRED',
    `token "${init.tokenLabel}" needs a user PIN and none was given`,
    {
      remedy: PIN_HELP,
    },
  )
}
