/**
 * The bench's way through n8n-core's real WorkflowExecute: trigger → source → node under test →
 * one NoOp per output, like test/harness/engine.ts, with three things the bench needs that the
 * test harness does not offer:
 * - any source node, so 10,000 payslips can be generated and stored one by one instead of held
 *   in memory as test items;
 * - the exact moments the node under test starts and ends (the engine's node hooks);
 * - any package directory, so n8n's Send Email node (fetched into a cache) runs the same way.
 * Credentials, package loading and the test nodes are the harness's own.
 */
import { BinaryDataConfig, BinaryDataService, ExecutionLifecycleHooks, ExternalSecretsProxy, WorkflowExecute } from 'n8n-core';
import { NodeConnectionTypes, NodeHelpers, UnexpectedError, Workflow } from 'n8n-workflow';
import type {
	ExecutionError,
	ExecutionStatus,
	IConnections,
	ICredentialsHelper,
	INode,
	INodeExecutionData,
	INodeParameters,
	INodeType,
	INodeTypes,
	IWorkflowBase,
	IWorkflowExecuteAdditionalData,
} from 'n8n-workflow';

import { Container } from '../harness/container';
import { HarnessCredentialsHelper, type HarnessCredentials } from '../harness/credentials';
import type { BinaryMode } from '../harness/engine';
import { HarnessNodeTypes, latestVersion, loadPackage, TEST_PACKAGE } from '../harness/nodeTypes';
import { manualTrigger, noOp } from '../harness/testNodes';

export const NODE_UNDER_TEST = 'Node Under Test';
const TRIGGER = 'Manual Trigger';
const SOURCE_NODE = 'Employees';
const WORKFLOW_ID = 'bench-workflow';

export interface BenchRunOptions {
	packageDir: string;
	nodeUnderTest: {
		type: string;
		typeVersion?: number;
		parameters: INodeParameters;
		credentials: HarnessCredentials;
	};
	/** Emits the node under test's input items. */
	source: INodeType;
	binaryMode: BinaryMode;
	/** Called as the node under test starts (after the source has stored every input item). */
	onNodeStart?: () => void;
	/** Called as soon as the node under test has returned. */
	onNodeEnd?: () => void;
}

export interface BenchRunResult {
	status: ExecutionStatus;
	error?: ExecutionError;
	/** The node under test's items per output. */
	outputs: INodeExecutionData[][];
	/** performance.now() as the node under test started and ended. */
	nodeStartedAt: number;
	nodeEndedAt: number;
}

let executionCount = 0;

function node(name: string, type: string, column: number): INode {
	return { id: name, name, type, typeVersion: 1, position: [column * 250, 0], parameters: {} };
}

function main(...targets: string[][]): IConnections[string] {
	return {
		main: targets.map((names) => names.map((name) => ({ node: name, type: NodeConnectionTypes.Main, index: 0 }))),
	};
}

function countMainOutputs(nodeTypes: INodeTypes, nodeUnderTest: INode): number {
	const workflow = new Workflow({ nodes: [nodeUnderTest], connections: {}, active: false, nodeTypes });
	const { description } = nodeTypes.getByNameAndVersion(nodeUnderTest.type, nodeUnderTest.typeVersion);
	return NodeHelpers.getNodeOutputs(workflow, nodeUnderTest, description).filter(
		(output) => (typeof output === 'string' ? output : output.type) === NodeConnectionTypes.Main,
	).length;
}

function additionalData(
	credentialsHelper: ICredentialsHelper,
	hooks: ExecutionLifecycleHooks,
	executionId: string,
): IWorkflowExecuteAdditionalData {
	const unsupported = (what: string) => async () => {
		throw new UnexpectedError(`${what} is not supported by the bench`);
	};
	return {
		credentialsHelper,
		hooks,
		executionId,
		workflowId: WORKFLOW_ID,
		currentNodeExecutionIndex: 0,
		variables: {},
		externalSecretsProxy: new ExternalSecretsProxy(),
		restApiUrl: 'http://localhost:5678/rest',
		instanceBaseUrl: 'http://localhost:5678/',
		formBaseUrl: 'http://localhost:5678/form',
		formWaitingBaseUrl: 'http://localhost:5678/form-waiting',
		formTestBaseUrl: 'http://localhost:5678/form-test',
		webhookBaseUrl: 'http://localhost:5678/webhook',
		webhookWaitingBaseUrl: 'http://localhost:5678/webhook-waiting',
		webhookTestBaseUrl: 'http://localhost:5678/webhook-test',
		mcpBaseUrl: 'http://localhost:5678/mcp',
		mcpTestBaseUrl: 'http://localhost:5678/mcp-test',
		executeWorkflow: unsupported('Executing sub-workflows'),
		getRunExecutionData: unsupported('Loading other executions'),
		getRuntimeCredential: unsupported('Runtime credentials'),
		startRunnerTask: unsupported('Task runners (Code node)'),
		logAiEvent: () => {},
	};
}

/** Runs one manual execution and deletes the binary files it stored. */
export async function runBenchWorkflow(options: BenchRunOptions): Promise<BenchRunResult> {
	const { packageDir, nodeUnderTest, source, binaryMode, onNodeStart, onNodeEnd } = options;
	Container.get(BinaryDataConfig).mode = binaryMode;
	const binaryData = Container.get(BinaryDataService);
	await binaryData.init();

	const loader = await loadPackage(packageDir);
	const nodeTypes = new HarnessNodeTypes(loader, { manualTrigger, employees: source, noOp });
	const testedNode: INode = {
		...node(NODE_UNDER_TEST, nodeUnderTest.type, 2),
		typeVersion: nodeUnderTest.typeVersion ?? latestVersion(nodeTypes.getByName(nodeUnderTest.type)),
		parameters: nodeUnderTest.parameters,
		credentials: Object.fromEntries(Object.keys(nodeUnderTest.credentials).map((type) => [type, { id: type, name: type }])),
	};
	const outputNodes = Array.from({ length: countMainOutputs(nodeTypes, testedNode) }, (_, index) =>
		node(`Output ${index}`, `${TEST_PACKAGE}.noOp`, 3),
	);
	const nodes = [node(TRIGGER, `${TEST_PACKAGE}.manualTrigger`, 0), node(SOURCE_NODE, `${TEST_PACKAGE}.employees`, 1), testedNode, ...outputNodes];
	const connections: IConnections = {
		[TRIGGER]: main([SOURCE_NODE]),
		[SOURCE_NODE]: main([NODE_UNDER_TEST]),
		[NODE_UNDER_TEST]: main(...outputNodes.map(({ name }) => [name])),
	};
	const workflow = new Workflow({ id: WORKFLOW_ID, nodes, connections, active: false, nodeTypes });

	const executionId = `bench-${process.pid}-${++executionCount}`;
	const now = new Date();
	const workflowData: IWorkflowBase = {
		id: WORKFLOW_ID,
		name: 'Bench workflow',
		active: false,
		activeVersionId: null,
		isArchived: false,
		createdAt: now,
		updatedAt: now,
		nodes,
		connections,
	};
	let nodeStartedAt = Number.NaN;
	let nodeEndedAt = Number.NaN;
	const hooks = new ExecutionLifecycleHooks('manual', executionId, workflowData);
	hooks.addHandler('nodeExecuteBefore', (nodeName) => {
		if (nodeName !== NODE_UNDER_TEST) return;
		onNodeStart?.();
		nodeStartedAt = performance.now();
	});
	hooks.addHandler('nodeExecuteAfter', (nodeName) => {
		if (nodeName !== NODE_UNDER_TEST) return;
		nodeEndedAt = performance.now();
		onNodeEnd?.();
	});

	const credentialsHelper = new HarnessCredentialsHelper(loader, nodeUnderTest.credentials);
	try {
		const run = await new WorkflowExecute(additionalData(credentialsHelper, hooks, executionId), 'manual').run({
			workflow,
			startNode: workflow.getNode(TRIGGER) ?? undefined,
		});
		const produced = run.data.resultData.runData[NODE_UNDER_TEST]?.[0]?.data?.main ?? [];
		return {
			status: run.status,
			error: run.data.resultData.error,
			outputs: outputNodes.map((_, index) => produced[index] ?? []),
			nodeStartedAt,
			nodeEndedAt,
		};
	} finally {
		await binaryData.deleteMany([{ type: 'execution', workflowId: WORKFLOW_ID, executionId }]);
	}
}
