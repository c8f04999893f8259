import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pickPort } from './harness/gateway.js'

/**
 * A real nginx (Debian's nginx-light; TOOLING.md §18) in front of loopback backends, for tests of clawlink-mcp
 * replicas behind a plain load balancer. Its own config, logs and temp paths live in a temp folder; it runs in
 * the foreground (one process: `master_process off`) and `stop()` leaves neither process nor folder.
 *
 * The proxy: round-robin over the backends (or, with `balance: 'mcp-session'`, routed by the replica prefix of the
 * Mcp-Session-Id header, as 2025-11-25 clients over HTTP need: see {@link mcpSessionRouting}), HTTP/1.1 to the
 * backends with keep-alive, `Host: $http_host`
 * forwarded (clawlink-mcp's DNS-rebinding check sees the proxy's host), every request header passed through
 * (Authorization, Mcp-Session-Id, Mcp-Method, Mcp-Name, Mcp-Protocol-Version, Last-Event-ID) and every response
 * header back, `proxy_buffering off` so SSE streams as it is written, and the next backend tried when one refuses
 * the connection (kill a backend to see nginx fail over).
 */

/** A backend nginx forwards to: a port on loopback. */
export interface NginxBackend {
  port: number
  host?: string
  /** The backend's `--replica-id` (required by `balance: 'mcp-session'`). */
  id?: string
}

export interface NginxOptions {
  backends: readonly NginxBackend[]
  /**
   * How requests are spread: 'round-robin' (default), or 'mcp-session': a request whose Mcp-Session-Id starts with
   * a backend's `id.` goes to that backend, any other (an initialize, a 2026-07-28 request) round-robin.
   */
  balance?: 'round-robin' | 'mcp-session'
  /** The port to listen on (loopback); default a free one. */
  port?: number
  /** The nginx binary; default /usr/sbin/nginx (then `nginx` on PATH). */
  binary?: string
  /** How long nginx waits for a backend's next bytes (default 3600 s: SSE streams are quiet for long). */
  readTimeoutSeconds?: number
}

export interface RunningNginx {
  /** `http://127.0.0.1:PORT` */
  readonly url: string
  readonly port: number
  /** The temp folder with nginx.conf, the logs and the temp paths (removed by stop). */
  readonly dir: string
  readonly pid: number
  /** The nginx.conf it runs with (to show in a failure, or in docs). */
  readonly config: string
  /**
   * One line per answered request: `METHOD URI STATUS upstream=HOST:PORT[, HOST:PORT] session=ID` (the backends
   * tried; the request's Mcp-Session-Id, `-` without one).
   */
  accessLog(): string[]
  errorLog(): string
  /** Stops nginx (SIGTERM, then SIGKILL after 5 s) and removes its folder. Idempotent. */
  stop(): Promise<void>
}

/** The nginx binary, or a one-line error with the fix. */
export function nginxBinary(explicit?: string): string {
  const found = [explicit, '/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'].find(
    (p): p is string => p !== undefined && existsSync(p),
  )
  if (found) return found
  throw new Error(
    'nginx is not installed: apt-get install -y nginx-light (scripts/setup.sh installs it; TOOLING.md §18)',
  )
}

const server = (b: NginxBackend) =>
  `    server ${b.host ?? '127.0.0.1'}:${b.port} max_fails=1 fail_timeout=10s;`
const upstream = (name: string, backends: readonly NginxBackend[]) =>
  `  upstream ${name} {\n${backends.map(server).join('\n')}\n    keepalive 16;\n  }\n`

/**
 * The routing of 2025-11-25 sessions across replicas (apps/mcp/README.md "Team deployment" shows the same): one
 * upstream per replica, `mcp_all` for all of them, and a map from the session id's `ID.` prefix (clawlink-mcp
 * `--replica-id ID`) to the replica's upstream; a request without such a prefix (an initialize, any 2026-07-28
 * request) goes round-robin to `mcp_all`. Proxy to `http://$mcp_upstream`.
 */
export function mcpSessionRouting(backends: readonly NginxBackend[]): string {
  const ids = backends.map((b) => b.id ?? '')
  for (const id of ids)
    if (!/^[a-z0-9][a-z0-9-]{0,31}$/.test(id) || ids.indexOf(id) !== ids.lastIndexOf(id))
      throw new Error(
        `balance 'mcp-session': every backend needs a unique id of a-z, 0-9 and - (got ${JSON.stringify(id)})`,
      )
  const name = (id: string) => `mcp_${id.replaceAll('-', '_')}`
  const routes = ids.map((id) => `    ~^${id}\\. ${name(id)};`).join('\n')
  return `${backends.map((b) => upstream(name(b.id!), [b])).join('')}${upstream('mcp_all', backends)}  map $http_mcp_session_id $mcp_upstream {
${routes}
    default mcp_all;
  }
`
}

/** The nginx.conf of a proxy on `port` in front of `backends`, all paths inside `dir`. */
export function nginxConfig(dir: string, port: number, options: NginxOptions): string {
  const bySession = options.balance === 'mcp-session'
  const routing = bySession ? mcpSessionRouting(options.backends) : upstream('mcp_all', options.backends)
  return `worker_processes 1;
master_process off;
error_log ${dir}/error.log info;
events { worker_connections 1024; }
http {
  log_format clawlink '$request_method $request_uri $status upstream=$upstream_addr session=$http_mcp_session_id';
  access_log ${dir}/access.log clawlink;
  client_body_temp_path ${dir}/tmp/client_body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
${routing}  server {
    listen 127.0.0.1:${port};
    client_max_body_size 2m;
    location / {
      proxy_pass http://${bySession ? '$mcp_upstream' : 'mcp_all'};
      proxy_http_version 1.1;
      proxy_set_header Host $http_host;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_pass_request_headers on;
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_cache off;
      proxy_read_timeout ${options.readTimeoutSeconds ?? 3600}s;
      proxy_next_upstream error timeout;
    }
  }
}
`
}

/** Resolves once something accepts connections on the port; rejects when nginx exits first. */
async function listening(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 15_000
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`nginx exited (${child.exitCode ?? child.signalCode}) before listening: ${output()}`)
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => {
        s.destroy()
        resolve(true)
      })
      s.on('error', () => resolve(false))
    })
    if (up) return
    if (Date.now() > deadline)
      throw new Error(`nginx did not listen on 127.0.0.1:${port} within 15 s: ${output()}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** Starts nginx in front of `backends` (see the module comment); stop it with `stop()`. */
export async function startNginx(options: NginxOptions): Promise<RunningNginx> {
  if (options.backends.length === 0) throw new Error('startNginx: at least one backend')
  const binary = nginxBinary(options.binary)
  const dir = mkdtempSync(join(tmpdir(), 'clawlink-nginx-'))
  mkdirSync(join(dir, 'tmp'))
  const port = options.port ?? (await pickPort())
  const config = nginxConfig(dir, port, options)
  writeFileSync(join(dir, 'nginx.conf'), config)
  const child = spawn(
    binary,
    ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log'), '-g', 'daemon off;'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let stderr = ''
  child.stdout?.on('data', (d: Buffer) => (stderr += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const read = (name: string) => {
    try {
      return readFileSync(join(dir, name), 'utf8')
    } catch {
      return ''
    }
  }
  let stopped: Promise<void> | undefined
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
        await exited
        clearTimeout(timer)
      }
      rmSync(dir, { recursive: true, force: true })
    })()
    return stopped
  }
  try {
    await listening(port, child, () => `${stderr.trim()} ${read('error.log').trim()}`.trim())
  } catch (error) {
    await stop()
    throw error
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dir,
    pid: child.pid!,
    config,
    accessLog: () => read('access.log').split('\n').filter(Boolean),
    errorLog: () => read('error.log'),
    stop,
  }
}
