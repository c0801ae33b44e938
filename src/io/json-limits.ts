/**
 * Bounds on parsed JSON/YAML trees from files. JSON.parse itself is iterative, but what consumes a tree
 * afterwards (tfjs deserialisation, JSON.stringify, zod, error messages) recurses: a tree nested tens of
 * thousands deep overflows the stack there. These walks use an explicit stack and stop at the first path
 * past the limit, so callers can name the field in their error.
 */

/** The path (keys from the root) of the first value nested deeper than `maxDepth`, or undefined. */
export function tooDeep(value: unknown, maxDepth: number): string[] | undefined {
  const todo: [unknown, string[]][] = [[value, []]];
  while (todo.length) {
    const [v, path] = todo.pop()!;
    if (!v || typeof v !== 'object') continue;
    if (path.length >= maxDepth) return path;
    for (const [k, c] of Object.entries(v)) todo.push([c, [...path, k]]);
  }
  return undefined;
}

/** A dotted path for messages, shortened. */
export function pathName(path: string[]): string {
  const p = path.slice(0, 6).join('.');
  return (path.length > 6 ? `${p}.…` : p) || '(root)';
}
