/** Run configuration: schema, file loading and merging, JSON Schema export. */
export * from './run-config.js';
export { mergeConfig, loadConfigFile, resolveRunConfig, parseRunConfig, configErrorFrom, type ConfigLayer, type ConfigTree } from './load.js';
export { runConfigJsonSchema } from './json-schema.js';
