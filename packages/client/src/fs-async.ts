import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs'
import { promisify } from 'node:util'

// The few file calls the client makes on every connect (the device-token store, the pairing log), as promises
// without node:fs/promises: on Node 20 loading that module also loads readline and the fs watchers, ≈ 3 ms of
// every command's start-up (BENCHMARKS.md "Start-up against the floor client").
const readFileAsync = promisify(readFile)
export const readText = (path: string): Promise<string> => readFileAsync(path, 'utf8')
export const makeDir = promisify(mkdir)
export const writeText = promisify(writeFile)
export const changeMode = promisify(chmod)
export const renamePath = promisify(rename)
export const removePath = promisify(rm)
