export * from './fake-gateway.js'
export * from './harness/index.js'
export * from './fake-history.js'
