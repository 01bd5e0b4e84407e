import { deepCopy, NodeConnectionTypes } from 'n8n-workflow';
import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
	ITriggerFunctions,
	ITriggerResponse,
} from 'n8n-workflow';

/** A file attached to an item, before n8n has stored it. */
export interface HarnessBinary {
	data: Buffer;
	fileName?: string;
	mimeType?: string;
}

/** An item the source node emits: plain JSON plus files, as a spreadsheet-and-PDFs step would. */
export interface HarnessItem {
	json: IDataObject;
	binary?: Record<string, HarnessBinary>;
}

function descriptionOf(name: string, inputs: INodeTypeDescription['inputs']): INodeTypeDescription {
	return {
		displayName: name,
		name,
		group: ['transform'],
		version: 1,
		description: 'Harness test node',
		defaults: { name },
		inputs,
		outputs: [NodeConnectionTypes.Main],
		properties: [],
	};
}

/** Behaves like n8n's Manual Trigger: the engine starts it in "manual" mode and it emits one empty item. */
export const manualTrigger: INodeType = {
	description: descriptionOf('manualTrigger', []),
	async trigger(this: ITriggerFunctions): Promise<ITriggerResponse> {
		// `emit` is swapped in by the engine after trigger() returns, so look it up only when called.
		return { manualTriggerFunction: async () => this.emit([this.helpers.returnJsonArray([{}])]) };
	},
};

/**
 * Emits the given items. Files go through `prepareBinaryData`, so they are stored by whichever
 * binary-data mode is active, exactly as a real upstream node would store them.
 */
export function employeesSource(items: HarnessItem[]): INodeType {
	return {
		description: descriptionOf('employees', [NodeConnectionTypes.Main]),
		async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
			const emitted = await Promise.all(
				items.map(async (item): Promise<INodeExecutionData> => {
					// A copy, so a node that edits its input can't leak into the next test's items.
					const json = deepCopy(item.json);
					if (!item.binary) return { json, pairedItem: { item: 0 } };
					const stored: INodeExecutionData['binary'] = {};
					for (const [key, { data, fileName, mimeType }] of Object.entries(item.binary)) {
						stored[key] = await this.helpers.prepareBinaryData(data, fileName, mimeType);
					}
					return { json, binary: stored, pairedItem: { item: 0 } };
				}),
			);
			return [emitted];
		},
	};
}

/** Passes its input on; one hangs off each output of the node under test. */
export const noOp: INodeType = {
	description: descriptionOf('noOp', [NodeConnectionTypes.Main]),
	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return [this.getInputData()];
	},
};
