import {
	BinaryDataConfig,
	BinaryDataService,
	ExecutionLifecycleHooks,
	ExternalSecretsProxy,
	WorkflowExecute,
} from 'n8n-core';
import { NodeConnectionTypes, NodeHelpers, UnexpectedError, Workflow } from 'n8n-workflow';
import type {
	ExecutionError,
	ExecutionStatus,
	IBinaryData,
	IConnections,
	IDataObject,
	ICredentialsHelper,
	INode,
	INodeExecutionData,
	INodeParameters,
	INodeType,
	INodeTypes,
	IRun,
	IWorkflowBase,
	IWorkflowExecuteAdditionalData,
} from 'n8n-workflow';

import { Container } from './container';
import { DeduplicationStoreDouble, useDeduplicationStore } from './deduplicationStore';
import { HarnessCredentialsHelper, type HarnessCredentials } from './credentials';
import { HarnessNodeTypes, latestVersion, loadPackage, TEST_PACKAGE } from './nodeTypes';
import { employeesSource, manualTrigger, noOp, type HarnessItem } from './testNodes';

export const TRIGGER = 'Manual Trigger';
export const SOURCE_NODE = 'Employees';
export const NODE_UNDER_TEST = 'Node Under Test';
const WORKFLOW_ID = 'harness-workflow';

/**
 * `filesystem` is n8n 2.x's production default: files go to disk under the user folder.
 * `default` keeps them base64-encoded inside the items, as older n8n did.
 */
export type BinaryMode = 'default' | 'filesystem';

export interface RunWorkflowOptions {
	/** Directory of a community-node package; its package.json `n8n` field lists the built files. */
	packageDir: string;
	nodeUnderTest: {
		/** Full type name, `<package name>.<description.name>`, e.g. `n8n-nodes-payroll-mail.payrollMail`. */
		type: string;
		/** Defaults to the newest version, as when a user adds the node today. */
		typeVersion?: number;
		parameters: INodeParameters;
		/** Decrypted data by credential type; the node is wired to one saved credential of each. */
		credentials?: HarnessCredentials;
		/** The node's own settings, such as "On Error: Continue". */
		settings?: Pick<INode, 'onError' | 'continueOnFail'>;
	};
	/** What the source node before the node under test emits. */
	items?: HarnessItem[];
	/**
	 * A source node of the caller's own, in place of `items`: the bench stores 10,000 payslips one
	 * by one instead of holding them all as test items.
	 */
	source?: INodeType;
	binaryMode?: BinaryMode;
	/** Aborting it stops the execution as n8n's "Stop" button does. */
	signal?: AbortSignal;
	/**
	 * The workflow's static data; pass the same object again to play a later execution. The
	 * deduplication store (n8n's database, for Skip Already Sent) goes with it, unless given.
	 */
	staticData?: IDataObject;
	/** The store behind n8n's deduplication helpers, e.g. to carry over what a crash left. */
	deduplicationStore?: DeduplicationStoreDouble;
	/** Called as the engine starts each node, e.g. to abort once the node under test is running. */
	onNodeStarted?: (nodeName: string) => void;
	/** Called as soon as a node has returned. */
	onNodeFinished?: (nodeName: string) => void;
	/** The execution's ID; by default numbered from 1 in each process, so give one where processes share a database. */
	executionId?: string;
	/**
	 * Deletes the execution's binary files once it is done, so that long benches do not fill the
	 * disk; the outputs' binary data can then no longer be read.
	 */
	deleteBinaryData?: boolean;
}

export interface RunWorkflowResult {
	/** The node under test's items per output index, i.e. what each downstream NoOp received. */
	outputs: INodeExecutionData[][];
	/** Set when the execution failed or was cancelled. */
	error?: ExecutionError;
	status: ExecutionStatus;
	/** The whole run, for assertions on other nodes. */
	run: IRun;
}

let executionCount = 0;

/** Each workflow's database, as far as the deduplication store goes: one per static data object. */
const storesByWorkflow = new WeakMap<IDataObject, DeduplicationStoreDouble>();

function storeFor(staticData: IDataObject | undefined): DeduplicationStoreDouble {
	if (!staticData) return new DeduplicationStoreDouble();
	const store = storesByWorkflow.get(staticData) ?? new DeduplicationStoreDouble();
	storesByWorkflow.set(staticData, store);
	return store;
}

/** The bytes of a binary on an output item, from whichever binary-data mode stored them. */
export async function binaryBytes(binary: IBinaryData): Promise<Buffer> {
	return Container.get(BinaryDataService).getAsBuffer(binary);
}

/**
 * Makes n8n's binary-data storage fail, as a full disk would, for every file `failure` returns an
 * error for (it sees each file's metadata: mimeType, fileName). Returns the function that undoes it.
 */
export function failBinaryStorage(failure: (binary: IBinaryData) => Error | undefined): () => void {
	const service = Container.get(BinaryDataService);
	const store = service.store;
	service.store = async function (this: BinaryDataService, location, bufferOrStream, binary) {
		const error = failure(binary);
		if (error) throw error;
		return store.call(this, location, bufferOrStream, binary);
	};
	return () => {
		service.store = store;
	};
}

/** n8n keeps one BinaryDataService per process; switching its mode per run is what a restart would do. */
async function useBinaryMode(mode: BinaryMode): Promise<void> {
	Container.get(BinaryDataConfig).mode = mode;
	await Container.get(BinaryDataService).init();
}

function node(name: string, type: string, column: number): INode {
	return { id: name, name, type, typeVersion: 1, position: [column * 250, 0], parameters: {} };
}

/** The node under test may compute its outputs from its parameters, so n8n has to evaluate them. */
function countMainOutputs(nodeTypes: INodeTypes, nodeUnderTest: INode): number {
	const workflow = new Workflow({
		nodes: [nodeUnderTest],
		connections: {},
		active: false,
		nodeTypes,
	});
	const { description } = nodeTypes.getByNameAndVersion(
		nodeUnderTest.type,
		nodeUnderTest.typeVersion,
	);
	return NodeHelpers.getNodeOutputs(workflow, nodeUnderTest, description).filter(
		(output) => (typeof output === 'string' ? output : output.type) === NodeConnectionTypes.Main,
	).length;
}

function main(...targets: string[][]): IConnections[string] {
	return {
		main: targets.map((names) =>
			names.map((name) => ({ node: name, type: NodeConnectionTypes.Main, index: 0 })),
		),
	};
}

/** Only the parts of n8n's additional data a single manual execution touches. */
function additionalData(
	credentialsHelper: ICredentialsHelper,
	hooks: ExecutionLifecycleHooks,
	executionId: string,
): IWorkflowExecuteAdditionalData {
	const unsupported = (what: string) => async () => {
		throw new UnexpectedError(`${what} is not supported by the test harness`);
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

/**
 * Runs trigger → source (emits `items`) → node under test → one NoOp per output through
 * n8n-core's real WorkflowExecute, in "manual" mode as when a user clicks "Execute workflow".
 * A node error resolves with `error` set; a workflow n8n would refuse to start (e.g. a required
 * parameter left empty) rejects with WorkflowHasIssuesError.
 * Runs in one test file share the process-wide DI container, so run them one at a time.
 */
export async function runWorkflow(options: RunWorkflowOptions): Promise<RunWorkflowResult> {
	const {
		packageDir,
		nodeUnderTest,
		items = [],
		source = employeesSource(items),
		binaryMode = 'filesystem',
		signal,
		onNodeStarted,
		onNodeFinished,
	} = options;
	await useBinaryMode(binaryMode);
	await useDeduplicationStore(options.deduplicationStore ?? storeFor(options.staticData));

	const loader = await loadPackage(packageDir);
	const nodeTypes = new HarnessNodeTypes(loader, {
		manualTrigger,
		employees: source,
		noOp,
	});

	const credentials = nodeUnderTest.credentials ?? {};
	const testedNode: INode = {
		...node(NODE_UNDER_TEST, nodeUnderTest.type, 2),
		typeVersion:
			nodeUnderTest.typeVersion ?? latestVersion(nodeTypes.getByName(nodeUnderTest.type)),
		parameters: nodeUnderTest.parameters,
		...nodeUnderTest.settings,
		credentials: Object.fromEntries(
			Object.keys(credentials).map((type) => [type, { id: type, name: type }]),
		),
	};
	const outputNodes = Array.from({ length: countMainOutputs(nodeTypes, testedNode) }, (_, index) =>
		node(`Output ${index}`, `${TEST_PACKAGE}.noOp`, 3),
	);
	const nodes = [
		node(TRIGGER, `${TEST_PACKAGE}.manualTrigger`, 0),
		node(SOURCE_NODE, `${TEST_PACKAGE}.employees`, 1),
		testedNode,
		...outputNodes,
	];
	const connections: IConnections = {
		[TRIGGER]: main([SOURCE_NODE]),
		[SOURCE_NODE]: main([NODE_UNDER_TEST]),
		[NODE_UNDER_TEST]: main(...outputNodes.map(({ name }) => [name])),
	};
	const workflow = new Workflow({ id: WORKFLOW_ID, nodes, connections, active: false, nodeTypes, staticData: options.staticData });

	const executionId = options.executionId ?? String(++executionCount);
	const now = new Date();
	const workflowData: IWorkflowBase = {
		id: WORKFLOW_ID,
		name: 'Harness workflow',
		active: false,
		activeVersionId: null,
		isArchived: false,
		createdAt: now,
		updatedAt: now,
		nodes,
		connections,
	};
	const hooks = new ExecutionLifecycleHooks('manual', executionId, workflowData);
	if (onNodeStarted) hooks.addHandler('nodeExecuteBefore', (nodeName) => onNodeStarted(nodeName));
	if (onNodeFinished) hooks.addHandler('nodeExecuteAfter', (nodeName) => onNodeFinished(nodeName));

	const credentialsHelper = new HarnessCredentialsHelper(loader, credentials);
	const execution = new WorkflowExecute(
		additionalData(credentialsHelper, hooks, executionId),
		'manual',
	).run({
		workflow,
		startNode: workflow.getNode(TRIGGER) ?? undefined,
	});

	// n8n 2.x cancels through the PCancelable the engine returns: cancel() aborts the signal
	// nodes get from getExecutionCancelSignal(), and the run still resolves, with status "canceled".
	const cancel = () => execution.cancel();
	if (signal?.aborted) cancel();
	signal?.addEventListener('abort', cancel, { once: true });
	const run = await execution.finally(async () => {
		signal?.removeEventListener('abort', cancel);
		if (options.deleteBinaryData) {
			await Container.get(BinaryDataService).deleteMany([{ type: 'execution', workflowId: WORKFLOW_ID, executionId }]);
		}
	});

	const producedOutputs = run.data.resultData.runData[NODE_UNDER_TEST]?.[0]?.data?.main ?? [];
	return {
		outputs: outputNodes.map((_, index) => producedOutputs[index] ?? []),
		error: run.data.resultData.error,
		status: run.status,
		run,
	};
}
