import type {
  JsonSchemaType,
  JsonSchemaValidator,
  JsonSchemaValidatorResult,
  jsonSchemaValidator,
} from '@modelcontextprotocol/server'

/**
 * The server checks a user's answer to an elicitation (`--confirm`) against the schema it asked with. The SDK
 * does that with ajv by default — a general JSON Schema compiler, a sixth of the bundle and of its start-up.
 * An elicitation schema is far smaller by definition (MCP spec 2025-11-25, "Elicitation"): a flat object whose
 * properties are strings (length, format, enum), numbers or integers (range), booleans, or arrays of enum
 * strings. This validator checks exactly that subset and calls anything else invalid, so an answer is never
 * accepted unchecked. bundle.mjs leaves ajv out of the server; this is passed as the server's validator.
 */
type Schema = Record<string, unknown>

const FORMATS: Record<string, (v: string) => boolean> = {
  email: (v) => /^[^\s@]+@[^\s@]+$/.test(v),
  uri: (v) => URL.canParse(v) && /^[a-z][a-z0-9+.-]*:/i.test(v),
  date: (v) => /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`)),
  'date-time': (v) =>
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(v) &&
    !Number.isNaN(Date.parse(v)),
}

/** The allowed string values of an enum property (`enum`, or `oneOf`/`anyOf` of `const`), if it is one. */
function choices(schema: Schema): unknown[] | undefined {
  if (Array.isArray(schema.enum)) return schema.enum
  const options = schema.oneOf ?? schema.anyOf
  return Array.isArray(options) ? options.map((o) => (o as Schema | null)?.const) : undefined
}

function checkString(value: unknown, schema: Schema): string | undefined {
  if (typeof value !== 'string') return 'must be a string'
  const allowed = choices(schema)
  if (allowed && !allowed.includes(value)) return `must be one of ${JSON.stringify(allowed)}`
  if (typeof schema.minLength === 'number' && value.length < schema.minLength)
    return `must have at least ${schema.minLength} characters`
  if (typeof schema.maxLength === 'number' && value.length > schema.maxLength)
    return `must have at most ${schema.maxLength} characters`
  if (schema.format === undefined) return undefined
  const check = FORMATS[String(schema.format)]
  if (!check) return `has an unsupported format "${String(schema.format)}"`
  return check(value) ? undefined : `must be a valid ${String(schema.format)}`
}

function checkNumber(value: unknown, schema: Schema): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return 'must be a number'
  if (schema.type === 'integer' && !Number.isInteger(value)) return 'must be an integer'
  if (typeof schema.minimum === 'number' && value < schema.minimum) return `must be ≥ ${schema.minimum}`
  if (typeof schema.maximum === 'number' && value > schema.maximum) return `must be ≤ ${schema.maximum}`
  return undefined
}

function checkArray(value: unknown, schema: Schema): string | undefined {
  if (!Array.isArray(value)) return 'must be an array'
  const allowed = choices((schema.items ?? {}) as Schema)
  if (!allowed) return 'has an unsupported item schema'
  if (value.some((v) => !allowed.includes(v))) return `may only hold ${JSON.stringify(allowed)}`
  if (typeof schema.minItems === 'number' && value.length < schema.minItems)
    return `must hold at least ${schema.minItems} items`
  if (typeof schema.maxItems === 'number' && value.length > schema.maxItems)
    return `must hold at most ${schema.maxItems} items`
  return undefined
}

/** Why `value` does not fit the primitive property `schema`, or undefined when it does. */
function checkProperty(value: unknown, schema: Schema): string | undefined {
  switch (schema.type) {
    case 'string':
      return checkString(value, schema)
    case 'number':
    case 'integer':
      return checkNumber(value, schema)
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be a boolean'
    case 'array':
      return checkArray(value, schema)
    default:
      return `has an unsupported type ${JSON.stringify(schema.type)}`
  }
}

/** Why `input` does not fit the elicitation schema, or undefined when it does. */
export function elicitationProblem(input: unknown, schema: JsonSchemaType): string | undefined {
  const root = schema as Schema
  if (root.type !== 'object') return 'the requested schema is not an object schema'
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    return 'the answer is not an object'
  const properties = (root.properties ?? {}) as Record<string, Schema>
  const answer = input as Record<string, unknown>
  const required = Array.isArray(root.required) ? (root.required as string[]) : []
  for (const name of required) if (!(name in answer)) return `"${name}" is required`
  for (const [name, value] of Object.entries(answer)) {
    const property = properties[name]
    if (!property) {
      if (root.additionalProperties === false) return `"${name}" is not asked for`
      continue
    }
    const problem = checkProperty(value, property)
    if (problem) return `"${name}" ${problem}`
  }
  return undefined
}

/** The server's `jsonSchemaValidator`: checks elicitation answers (see the file comment). */
export const elicitationValidator: jsonSchemaValidator = {
  getValidator<T>(schema: JsonSchemaType): JsonSchemaValidator<T> {
    return (input: unknown): JsonSchemaValidatorResult<T> => {
      const problem = elicitationProblem(input, schema)
      return problem === undefined
        ? { valid: true, data: input as T, errorMessage: undefined }
        : { valid: false, data: undefined, errorMessage: problem }
    }
  },
}
