/** The run config as JSON Schema (docs/config.schema.json), for editors and for other tools. */
import { z } from 'zod';
import { runConfigSchema } from './run-config.js';

/** JSON Schema of what a config file may contain (zod input side: defaults make fields optional). */
export function runConfigJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(runConfigSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, title: 'Whittle run configuration', description: 'whittle train|repr|sfp --config FILE.yaml (flags override fields).' };
}
