import type { Icon } from '@modelcontextprotocol/server'

// A clock face: the tools are about scheduled (cron) jobs. Inline, so no client ever fetches anything for it.
const CLOCK_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2"><circle cx="12" cy="12" r="9"/><path d="M12 7v5l3 2"/></svg>'

/** The icon every clawlink tool shows (MCP tool icons, spec 2025-11-25 and later). */
export const TOOL_ICONS: Icon[] = [
  {
    src: `data:image/svg+xml;base64,${Buffer.from(CLOCK_SVG).toString('base64')}`,
    mimeType: 'image/svg+xml',
    sizes: ['any'],
  },
]
