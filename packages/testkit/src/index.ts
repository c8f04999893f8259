export * from './fake-gateway.js'
export * from './harness/index.js'
export * from './fake-history.js'
export * from './proxy.js'
