/**
 * Runs community nodes through n8n-core's real execution engine, for tests that need what
 * only the engine provides: expressions, binary-data storage, credentials, paired items,
 * multiple outputs and cancellation. See test/harness.test.ts for usage.
 */
export { binaryBytes, failBinaryStorage, runWorkflow, NODE_UNDER_TEST, SOURCE_NODE, TRIGGER } from './engine';
export type { BinaryMode, RunWorkflowOptions, RunWorkflowResult } from './engine';
export { testCredential } from './credentials';
export type { HarnessCredentials } from './credentials';
export type { HarnessBinary, HarnessItem } from './testNodes';
