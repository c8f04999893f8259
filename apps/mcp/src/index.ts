export { type ClawlinkMcpOptions, createClawlinkMcpServer, JobLists } from './server.js'
