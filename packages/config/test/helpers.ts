import { expect } from 'vitest'
import { ConfigError } from '../src/index.js'

/** The ConfigError `fn` throws; fails the test when it throws something else or nothing. */
export function errorOf(fn: () => unknown): ConfigError {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError)
    return e as ConfigError
  }
  throw new Error('expected a ConfigError')
}
