import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs'
import { join } from 'node:path'
/** What stopping a gateway needs to know of it (any RunningGateway has these). */
type StoppableGateway = { pid: number; dir: string }

/** Whether `pid` runs and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    // PID 1 here reaps slowly: a zombie still answers kill(0) (docs/testing.md §3).
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    return !/^State:\s+Z/m.test(status)
  } catch {
    return false
  }
}

function children(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number)
  } catch {
    return []
  }
}

/**
 * Stops a gateway by its recorded PID only (never by name): TERM, up to 30 s, then KILL; then its children;
 * then removes its own SQLite lock files (docs/testing.md §1.11).
 */
export async function stopGateway(gw: StoppableGateway): Promise<void> {
  const kids = children(gw.pid)
  const waitGone = async (pid: number, ms: number) => {
    const end = Date.now() + ms
    while (alive(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 100))
    return !alive(pid)
  }
  if (alive(gw.pid)) {
    try {
      process.kill(gw.pid, 'SIGTERM')
    } catch {}
    if (!(await waitGone(gw.pid, 30_000))) {
      try {
        process.kill(gw.pid, 'SIGKILL')
      } catch {}
      await waitGone(gw.pid, 5_000)
    }
  }
  for (const kid of kids) {
    if (!(await waitGone(kid, 3_000))) {
      try {
        process.kill(kid, 'SIGTERM')
      } catch {}
      if (!(await waitGone(kid, 3_000))) {
        try {
          process.kill(kid, 'SIGKILL')
        } catch {}
      }
    }
  }
  removeLockFiles(gw.dir)
}

/** Deletes `/tmp/openclaw-state-locks-<uid>/*.<hash8>.lock.sqlite` for this instance's databases only. */
export function removeLockFiles(dir: string): string[] {
  const uid = process.getuid?.() ?? 0
  // A hard-coded path, not os.tmpdir() (docs/testing.md §1.4).
  const lockDir = `/tmp/openclaw-state-locks-${uid}`
  if (!existsSync(lockDir)) return []
  const hashes = new Set<string>()
  const scan = (folder: string, depth: number) => {
    if (depth > 4 || !existsSync(folder)) return
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name)
      if (entry.isDirectory()) scan(path, depth + 1)
      else if (entry.name.endsWith('.sqlite')) {
        hashes.add(createHash('sha256').update(realpathSync(path)).digest('hex').slice(0, 8))
      }
    }
  }
  scan(join(dir, 'state'), 0)
  const removed: string[] = []
  for (const name of readdirSync(lockDir)) {
    const hash = /\.([0-9a-f]{8})\.lock\.sqlite$/.exec(name)?.[1]
    if (hash && hashes.has(hash)) {
      rmSync(join(lockDir, name), { force: true })
      removed.push(name)
    }
  }
  return removed
}
