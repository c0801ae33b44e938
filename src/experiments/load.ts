/** Reads and validates an experiment YAML file; errors name the file and the field. */
import { loadConfigFile } from '../config/index.js';
import { ConfigError } from '../core/errors.js';
import { experimentSchema, type Experiment } from './schema.js';

export function parseExperiment(tree: unknown, source: string): Experiment {
  const r = experimentSchema.safeParse(tree);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new ConfigError(issue.path.join('.') || '(root)', `${issue.message} (in ${source})`);
  }
  return r.data;
}

export function loadExperimentFile(file: string): Experiment {
  return parseExperiment(loadConfigFile(file), file);
}
