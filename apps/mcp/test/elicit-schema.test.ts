import { describe, expect, it } from 'vitest'
import { elicitationProblem, elicitationValidator } from '../src/elicit-schema.js'

const confirm = {
  type: 'object',
  properties: { run: { type: 'boolean', title: 'Run now', default: false } },
  required: ['run'],
} as const

const form = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 2, maxLength: 5 },
    mail: { type: 'string', format: 'email' },
    site: { type: 'string', format: 'uri' },
    day: { type: 'string', format: 'date' },
    at: { type: 'string', format: 'date-time' },
    size: { type: 'string', enum: ['s', 'm'] },
    tier: {
      type: 'string',
      oneOf: [
        { const: 'gold', title: 'Gold' },
        { const: 'free', title: 'Free' },
      ],
    },
    count: { type: 'integer', minimum: 1, maximum: 3 },
    ratio: { type: 'number', maximum: 1 },
    tags: { type: 'array', items: { type: 'string', enum: ['a', 'b'] }, maxItems: 1 },
  },
} as const

describe('elicitation answers are checked against the schema the server asked with', () => {
  it.each([
    [confirm, { run: true }, undefined],
    [confirm, { run: false }, undefined],
    [confirm, {}, '"run" is required'],
    [confirm, { run: 'yes' }, '"run" must be a boolean'],
    [confirm, { run: 1 }, '"run" must be a boolean'],
    [confirm, null, 'the answer is not an object'],
    [confirm, [true], 'the answer is not an object'],
    [confirm, { run: true, extra: 'kept' }, undefined],
    [{ ...confirm, additionalProperties: false }, { run: true, extra: 1 }, '"extra" is not asked for'],
    [form, { name: 'abc', count: 2, ratio: 0.5, tags: ['a'] }, undefined],
    [form, { name: 'a' }, '"name" must have at least 2 characters'],
    [form, { name: 'abcdef' }, '"name" must have at most 5 characters'],
    [form, { mail: 'ops@example.org', site: 'https://example.org/x' }, undefined],
    [form, { mail: 'not an address' }, '"mail" must be a valid email'],
    [form, { site: 'example.org' }, '"site" must be a valid uri'],
    [form, { day: '2026-11-26', at: '2026-11-26T17:00:00Z' }, undefined],
    [form, { day: '2026-13-45' }, '"day" must be a valid date'],
    [form, { at: '2026-11-26 17:00' }, '"at" must be a valid date-time'],
    [form, { size: 'l' }, '"size" must be one of ["s","m"]'],
    [form, { tier: 'gold' }, undefined],
    [form, { tier: 'platinum' }, '"tier" must be one of ["gold","free"]'],
    [form, { count: 1.5 }, '"count" must be an integer'],
    [form, { count: 4 }, '"count" must be ≤ 3'],
    [form, { count: 0 }, '"count" must be ≥ 1'],
    [form, { ratio: Number.NaN }, '"ratio" must be a number'],
    [form, { ratio: '0.5' }, '"ratio" must be a number'],
    [form, { tags: ['c'] }, '"tags" may only hold ["a","b"]'],
    [form, { tags: ['a', 'b'] }, '"tags" must hold at most 1 items'],
    [form, { tags: 'a' }, '"tags" must be an array'],
    [
      { type: 'object', properties: { x: { type: 'object' } } },
      { x: {} },
      '"x" has an unsupported type "object"',
    ],
    [
      { type: 'object', properties: { x: { type: 'string', format: 'ipv4' } } },
      { x: '1.2.3.4' },
      '"x" has an unsupported format "ipv4"',
    ],
    [{ type: 'array' }, [], 'the requested schema is not an object schema'],
  ])('schema %#: %j → %s', (schema, input, problem) => {
    expect(elicitationProblem(input, schema as never)).toBe(problem)
  })

  it('is a jsonSchemaValidator: valid answers come back as data, invalid ones with the reason', () => {
    const check = elicitationValidator.getValidator<{ run: boolean }>(confirm as never)
    expect(check({ run: true })).toEqual({ valid: true, data: { run: true }, errorMessage: undefined })
    expect(check({ run: 'yes' })).toEqual({
      valid: false,
      data: undefined,
      errorMessage: '"run" must be a boolean',
    })
  })
})
