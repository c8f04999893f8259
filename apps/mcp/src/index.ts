export { type ClawlinkMcpOptions, createClawlinkMcpServer } from './server.js'
