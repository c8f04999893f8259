/**
 * The fields an object may carry, to refuse a field a gateway does not know by name before anything is sent
 * (a gateway version's own job shape). `1` is a leaf: its value is the gateway's to check.
 */
export type FieldTree =
  | 1
  | { fields: { [name: string]: FieldTree } }
  | { kinds: { [kind: string]: FieldTree } }

/** A field the tree does not allow: its path (e.g. `["payload", "toolsAllow"]`) and why. */
export interface FieldProblem {
  path: (string | number)[]
  message: string
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** Every field of `value` the tree does not allow, and every `kind` it does not know; types are not checked. */
export function unknownFields(
  value: unknown,
  tree: FieldTree,
  path: (string | number)[] = [],
): FieldProblem[] {
  if (tree === 1 || !isObject(value)) return []
  if ('kinds' in tree) {
    const kind = value.kind
    const known = Object.keys(tree.kinds)
    if (typeof kind !== 'string' || !Object.hasOwn(tree.kinds, kind)) {
      const where = [...path, 'kind']
      return [{ path: where, message: `${where.join('.')} must be one of: ${known.join(', ')}` }]
    }
    return unknownFields(value, tree.kinds[kind]!, path)
  }
  const problems: FieldProblem[] = []
  for (const [key, child] of Object.entries(value)) {
    const where = [...path, key]
    if (!Object.hasOwn(tree.fields, key)) {
      problems.push({ path: where, message: `unknown field "${where.join('.')}"` })
      continue
    }
    problems.push(...unknownFields(child, tree.fields[key]!, where))
  }
  return problems
}
