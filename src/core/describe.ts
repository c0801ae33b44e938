/**
 * A value from an untrusted file, for an error message: primitives as (cut) JSON, containers by kind only.
 * Never stringifies a container whole: a deeply nested one would overflow the stack (fuzz: safetensors
 * dtype nested 10^5 deep) and a large one would flood the message.
 */
export function describeValue(v: unknown, max = 60): string {
  if (Array.isArray(v)) return 'a list';
  if (v && typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > max ? `${v.slice(0, max)}…` : v);
  if (typeof v === 'bigint') return `${v}`.slice(0, max);
  return String(v).slice(0, max);
}
